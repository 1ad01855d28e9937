#include "wire/autonat.hpp"

#include "autonat.pb.h"
#include "wire/error.hpp"

namespace agentmesh::wire::autonat {
namespace {

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

Status status_of(int v) {
  switch (v) {
    case 0:
      return Status::ok;
    case 100:
      return Status::dial_error;
    case 101:
      return Status::dial_refused;
    case 200:
      return Status::bad_request;
    default:
      return Status::internal;
  }
}

}  // namespace

std::string encode(const Message& message) {
  pb::AutoNat msg;
  if (const auto* dial = std::get_if<Dial>(&message)) {
    msg.set_type(pb::AutoNat::DIAL);
    auto* peer = msg.mutable_dial()->mutable_peer();
    peer->set_id(dial->peer);
    for (const auto& a : dial->addrs) peer->add_addrs(a.to_bytes());
  } else {
    const auto& r = std::get<DialResponse>(message);
    msg.set_type(pb::AutoNat::DIAL_RESPONSE);
    auto* resp = msg.mutable_dialresponse();
    resp->set_status(static_cast<pb::AutoNat::ResponseStatus>(r.status));
    if (!r.text.empty()) resp->set_statustext(r.text);
    if (r.addr) resp->set_addr(r.addr->to_bytes());
  }
  return msg.SerializeAsString();
}

Result<Message> decode(std::span<const std::uint8_t> bytes) {
  if (bytes.size() > kMaxMessage) return error::frame_too_large;
  pb::AutoNat msg;
  if (!msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) || !msg.has_type()) {
    return error::bad_protobuf;
  }
  if (msg.type() == pb::AutoNat::DIAL) {
    if (!msg.has_dial() || !msg.dial().has_peer()) return error::bad_protobuf;
    const auto& peer = msg.dial().peer();
    if (static_cast<std::size_t>(peer.addrs_size()) > kMaxAddrs) return error::bad_protobuf;
    Dial dial;
    dial.peer = peer.id();
    for (const auto& a : peer.addrs()) {
      if (auto ma = core::Multiaddr::from_bytes(bytes_of(a))) dial.addrs.push_back(std::move(*ma));
    }
    return Message{std::move(dial)};
  }
  if (!msg.has_dialresponse()) return error::bad_protobuf;
  const auto& resp = msg.dialresponse();
  if (resp.statustext().size() > kMaxStatusText) return error::bad_protobuf;
  DialResponse r;
  r.status = status_of(resp.has_status() ? static_cast<int>(resp.status()) : 300);
  r.text = resp.statustext();
  if (resp.has_addr()) {
    if (auto ma = core::Multiaddr::from_bytes(bytes_of(resp.addr()))) r.addr = std::move(*ma);
  }
  return Message{std::move(r)};
}

std::string_view to_string(Status status) noexcept {
  switch (status) {
    case Status::ok:
      return "OK";
    case Status::dial_error:
      return "E_DIAL_ERROR";
    case Status::dial_refused:
      return "E_DIAL_REFUSED";
    case Status::bad_request:
      return "E_BAD_REQUEST";
    case Status::internal:
      return "E_INTERNAL_ERROR";
  }
  return "E_INTERNAL_ERROR";
}

}  // namespace agentmesh::wire::autonat
