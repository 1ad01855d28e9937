#include "wire/identify.hpp"

#include "identify.pb.h"
#include "wire/error.hpp"

namespace agentmesh::wire::identify {
namespace {
std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
}  // namespace

std::string encode(const Info& info) {
  pb::Identify msg;
  msg.set_protocolversion(info.protocol_version);
  msg.set_agentversion(info.agent_version);
  msg.set_publickey(info.peer.public_key_protobuf());
  for (const auto& a : info.listen_addrs) msg.add_listenaddrs(a.to_bytes());
  if (info.observed_addr) msg.set_observedaddr(info.observed_addr->to_bytes());
  if (info.signed_peer_record) msg.set_signedpeerrecord(*info.signed_peer_record);
  for (const auto& p : info.protocols) msg.add_protocols(p);
  return msg.SerializeAsString();
}

Result<Info> decode(std::span<const std::uint8_t> bytes) {
  if (bytes.size() > kMaxMessage) return error::frame_too_large;
  pb::Identify msg;
  if (!msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return error::bad_protobuf;
  if (static_cast<std::size_t>(msg.listenaddrs_size()) > kMaxAddrs ||
      static_cast<std::size_t>(msg.protocols_size()) > kMaxProtocols) {
    return error::bad_protobuf;
  }
  if (!msg.has_publickey()) return error::bad_identify;
  auto peer = core::PeerId::from_public_key_protobuf(bytes_of(msg.publickey()));
  if (!peer) return error::bad_identify;
  Info info(*peer);
  info.protocol_version = msg.protocolversion();
  info.agent_version = msg.agentversion();
  for (const auto& a : msg.listenaddrs()) {
    if (auto ma = core::Multiaddr::from_bytes(bytes_of(a))) info.listen_addrs.push_back(std::move(*ma));
  }
  if (msg.has_signedpeerrecord()) info.signed_peer_record = msg.signedpeerrecord();  // checked by the caller
  if (msg.has_observedaddr()) {
    if (auto ma = core::Multiaddr::from_bytes(bytes_of(msg.observedaddr()))) info.observed_addr = std::move(*ma);
  }
  for (const auto& p : msg.protocols()) info.protocols.push_back(p);
  return info;
}

}  // namespace agentmesh::wire::identify
