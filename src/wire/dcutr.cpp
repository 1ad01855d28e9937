#include "wire/dcutr.hpp"

#include "core/bytes.hpp"
#include "dcutr.pb.h"
#include "wire/error.hpp"

namespace agentmesh::wire::dcutr {

std::string encode(const HolePunch& message) {
  pb::HolePunch msg;
  msg.set_type(static_cast<pb::HolePunch::Type>(message.type));
  for (const auto& a : message.addrs) msg.add_obsaddrs(a.to_bytes());
  return msg.SerializeAsString();
}

Result<HolePunch> decode(std::span<const std::uint8_t> bytes) {
  if (bytes.size() > kMaxMessage) return error::frame_too_large;
  pb::HolePunch msg;
  if (!msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) || !msg.has_type()) {
    return error::bad_protobuf;
  }
  if (static_cast<std::size_t>(msg.obsaddrs_size()) > kMaxAddrs) return error::bad_protobuf;
  HolePunch out;
  out.type = static_cast<HolePunch::Type>(msg.type());
  for (const auto& a : msg.obsaddrs()) {
    if (auto ma = core::Multiaddr::from_bytes(core::bytes_of(a))) out.addrs.push_back(std::move(*ma));
  }
  return out;
}

}  // namespace agentmesh::wire::dcutr
