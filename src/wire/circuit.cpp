#include "wire/circuit.hpp"

#include "circuit.pb.h"
#include "core/bytes.hpp"
#include "wire/error.hpp"
#include "wire/peer_record.hpp"

namespace agentmesh::wire::circuit {
namespace {

using core::bytes_of;

Status status_of(int v) {
  switch (v) {
    case 100:
    case 200:
    case 201:
    case 202:
    case 203:
    case 204:
    case 400:
    case 401:
      return static_cast<Status>(v);
    default:
      return Status::unused;
  }
}

void put(pb::CircuitPeer& out, const Peer& peer) {
  out.set_id(peer.id);
  for (const auto& a : peer.addrs) out.add_addrs(a.to_bytes());
}

void put(pb::CircuitLimit& out, const Limit& limit) {
  if (limit.duration_s) out.set_duration(*limit.duration_s);
  if (limit.data_bytes) out.set_data(*limit.data_bytes);
}

template <class Repeated>
Result<std::vector<core::Multiaddr>> addrs_of(const Repeated& list) {
  if (static_cast<std::size_t>(list.size()) > kMaxAddrs) return error::bad_protobuf;
  std::vector<core::Multiaddr> out;
  for (const auto& a : list) {
    if (auto ma = core::Multiaddr::from_bytes(bytes_of(a))) out.push_back(std::move(*ma));
  }
  return out;
}

Result<Peer> peer_of(const pb::CircuitPeer& in) {
  if (!in.has_id()) return error::bad_protobuf;
  auto addrs = addrs_of(in.addrs());
  if (!addrs) return addrs.error();
  return Peer{in.id(), std::move(*addrs)};
}

Limit limit_of(const pb::CircuitLimit& in) {
  Limit out;
  if (in.has_duration()) out.duration_s = in.duration();
  if (in.has_data()) out.data_bytes = in.data();
  return out;
}

}  // namespace

std::string encode(const HopMessage& message) {
  pb::HopMessage msg;
  msg.set_type(static_cast<pb::HopMessage::Type>(message.type));
  if (message.peer) put(*msg.mutable_peer(), *message.peer);
  if (message.reservation) {
    auto* r = msg.mutable_reservation();
    r->set_expire(message.reservation->expire);
    for (const auto& a : message.reservation->addrs) r->add_addrs(a.to_bytes());
    if (!message.reservation->voucher.empty()) r->set_voucher(message.reservation->voucher);
  }
  if (message.limit) put(*msg.mutable_limit(), *message.limit);
  if (message.status) msg.set_status(static_cast<pb::CircuitStatus>(*message.status));
  return msg.SerializeAsString();
}

std::string encode(const StopMessage& message) {
  pb::StopMessage msg;
  msg.set_type(static_cast<pb::StopMessage::Type>(message.type));
  if (message.peer) put(*msg.mutable_peer(), *message.peer);
  if (message.limit) put(*msg.mutable_limit(), *message.limit);
  if (message.status) msg.set_status(static_cast<pb::CircuitStatus>(*message.status));
  return msg.SerializeAsString();
}

Result<HopMessage> decode_hop(std::span<const std::uint8_t> bytes) {
  if (bytes.size() > kMaxMessage) return error::frame_too_large;
  pb::HopMessage msg;
  if (!msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) || !msg.has_type()) {
    return error::bad_protobuf;
  }
  HopMessage out;
  out.type = static_cast<HopMessage::Type>(msg.type());
  if (msg.has_peer()) {
    auto peer = peer_of(msg.peer());
    if (!peer) return peer.error();
    out.peer = std::move(*peer);
  }
  if (out.type == HopMessage::Type::connect && !out.peer) return error::bad_protobuf;
  if (msg.has_reservation()) {
    const auto& r = msg.reservation();
    auto addrs = addrs_of(r.addrs());
    if (!addrs) return addrs.error();
    out.reservation = Reservation{r.expire(), std::move(*addrs), r.voucher()};
  }
  if (msg.has_limit()) out.limit = limit_of(msg.limit());
  if (msg.has_status()) out.status = status_of(static_cast<int>(msg.status()));
  return out;
}

Result<StopMessage> decode_stop(std::span<const std::uint8_t> bytes) {
  if (bytes.size() > kMaxMessage) return error::frame_too_large;
  pb::StopMessage msg;
  if (!msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) || !msg.has_type()) {
    return error::bad_protobuf;
  }
  StopMessage out;
  out.type = static_cast<StopMessage::Type>(msg.type());
  if (msg.has_peer()) {
    auto peer = peer_of(msg.peer());
    if (!peer) return peer.error();
    out.peer = std::move(*peer);
  }
  if (out.type == StopMessage::Type::connect && !out.peer) return error::bad_protobuf;
  if (msg.has_limit()) out.limit = limit_of(msg.limit());
  if (msg.has_status()) out.status = status_of(static_cast<int>(msg.status()));
  return out;
}

std::string seal_voucher(const crypto::SigningKey& relay_key, const core::PeerId& peer, std::uint64_t expiration) {
  pb::ReservationVoucher v;
  v.set_relay(core::PeerId::from_ed25519(relay_key.public_key()).multihash());
  v.set_peer(peer.multihash());
  v.set_expiration(expiration);
  return peer_record::seal_envelope(relay_key, kVoucherDomain, kVoucherPayloadType, v.SerializeAsString());
}

Result<Voucher> open_voucher(std::span<const std::uint8_t> envelope) {
  auto opened = peer_record::open_envelope(envelope, kVoucherDomain, kVoucherPayloadType);
  if (!opened) return opened.error();
  pb::ReservationVoucher v;
  if (!v.ParseFromString(opened->payload) || !v.has_relay() || !v.has_peer() || !v.has_expiration()) {
    return error::bad_protobuf;
  }
  auto relay = core::PeerId::from_multihash(bytes_of(v.relay()));
  auto peer = core::PeerId::from_multihash(bytes_of(v.peer()));
  if (!relay || !peer || *relay != opened->signer) return error::bad_protobuf;
  return Voucher{*relay, *peer, v.expiration()};
}

std::string_view to_string(Status status) noexcept {
  switch (status) {
    case Status::unused:
      return "UNUSED";
    case Status::ok:
      return "OK";
    case Status::reservation_refused:
      return "RESERVATION_REFUSED";
    case Status::resource_limit_exceeded:
      return "RESOURCE_LIMIT_EXCEEDED";
    case Status::permission_denied:
      return "PERMISSION_DENIED";
    case Status::connection_failed:
      return "CONNECTION_FAILED";
    case Status::no_reservation:
      return "NO_RESERVATION";
    case Status::malformed_message:
      return "MALFORMED_MESSAGE";
    case Status::unexpected_message:
      return "UNEXPECTED_MESSAGE";
  }
  return "UNUSED";
}

}  // namespace agentmesh::wire::circuit
