#include "wire/circuit.hpp"

#include <gtest/gtest.h>

#include "circuit.pb.h"
#include "wire/error.hpp"
#include "wire/peer_record.hpp"

namespace agentmesh::wire::circuit {
namespace {

std::span<const std::uint8_t> span_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

core::Multiaddr addr(std::string_view text) { return core::Multiaddr::parse(text).value(); }

TEST(CircuitWireTest, HopAndStopMessagesRoundTrip) {
  HopMessage reserve;
  reserve.type = HopMessage::Type::reserve;
  EXPECT_EQ(decode_hop(span_of(encode(reserve))).value(), reserve);

  HopMessage granted;
  granted.type = HopMessage::Type::status;
  granted.status = Status::ok;
  granted.reservation = Reservation{1796455479, {addr("/ip4/10.0.0.1/tcp/7782")}, "voucher bytes"};
  granted.limit = Limit{120, 128 * 1024};
  EXPECT_EQ(decode_hop(span_of(encode(granted))).value(), granted);

  StopMessage connect;
  connect.type = StopMessage::Type::connect;
  connect.peer = Peer{"\x00\x24source", {}};
  connect.limit = Limit{std::nullopt, 4096};
  EXPECT_EQ(decode_stop(span_of(encode(connect))).value(), connect);
}

// Written field by field with protobuf's own types from the spec's schema:
// what another implementation sends decodes the same.
TEST(CircuitWireTest, DecodesTheSpecsFieldNumbersAndStatuses) {
  pb::HopMessage m;
  m.set_type(pb::HopMessage::CONNECT);
  m.mutable_peer()->set_id("target");
  m.mutable_peer()->add_addrs("\xff\xff not a multiaddr");
  auto d = decode_hop(span_of(m.SerializeAsString())).value();
  EXPECT_EQ(d.type, HopMessage::Type::connect);
  EXPECT_EQ(d.peer->id, "target");
  EXPECT_TRUE(d.peer->addrs.empty());  // a bad address is dropped, not fatal

  pb::StopMessage s;
  s.set_type(pb::StopMessage::STATUS);
  s.set_status(pb::NO_RESERVATION);
  auto st = decode_stop(span_of(s.SerializeAsString())).value();
  EXPECT_EQ(st.status, Status::no_reservation);
  EXPECT_EQ(to_string(*st.status), "NO_RESERVATION");
  // Field numbers: HopMessage.status is 5, StopMessage.status is 4.
  EXPECT_EQ(encode(HopMessage{HopMessage::Type::status, {}, {}, {}, Status::ok}), std::string("\x08\x02\x28\x64", 4));
  EXPECT_EQ(encode(StopMessage{StopMessage::Type::status, {}, {}, Status::ok}), std::string("\x08\x01\x20\x64", 4));
}

TEST(CircuitWireTest, RefusesWhatNoPeerShouldSend) {
  EXPECT_EQ(decode_hop(span_of(std::string("\x0a\xff", 2))).error(), error::bad_protobuf);
  pb::HopMessage no_type;
  no_type.mutable_peer()->set_id("x");
  EXPECT_EQ(decode_hop(span_of(no_type.SerializeAsString())).error(), error::bad_protobuf);
  pb::HopMessage connect_without_peer;
  connect_without_peer.set_type(pb::HopMessage::CONNECT);
  EXPECT_EQ(decode_hop(span_of(connect_without_peer.SerializeAsString())).error(), error::bad_protobuf);
  pb::StopMessage stop_without_peer;
  stop_without_peer.set_type(pb::StopMessage::CONNECT);
  EXPECT_EQ(decode_stop(span_of(stop_without_peer.SerializeAsString())).error(), error::bad_protobuf);
  pb::HopMessage too_many;
  too_many.set_type(pb::HopMessage::STATUS);
  for (std::size_t i = 0; i <= kMaxAddrs; ++i) {
    too_many.mutable_reservation()->add_addrs(addr("/ip4/1.2.3.4/tcp/1").to_bytes());
  }
  EXPECT_EQ(decode_hop(span_of(too_many.SerializeAsString())).error(), error::bad_protobuf);
  EXPECT_EQ(decode_hop(span_of(std::string(kMaxMessage + 1, '\0'))).error(), error::frame_too_large);
}

TEST(CircuitWireTest, VouchersAreSignedByTheRelayForThePeer) {
  const auto relay_key = crypto::SigningKey::generate();
  const auto relay = core::PeerId::from_ed25519(relay_key.public_key());
  const auto peer = core::PeerId::from_ed25519(crypto::SigningKey::generate().public_key());
  const auto sealed = seal_voucher(relay_key, peer, 1796455479);
  auto v = open_voucher(span_of(sealed));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->relay, relay);
  EXPECT_EQ(v->peer, peer);
  EXPECT_EQ(v->expiration, 1796455479u);
  auto tampered = sealed;
  tampered[tampered.size() - 70] ^= 0x01;  // inside the payload
  EXPECT_FALSE(open_voucher(span_of(tampered)));
  // A peer record is not a voucher: the domain and payload type differ.
  EXPECT_FALSE(open_voucher(span_of(peer_record::seal(relay_key, 1, {addr("/ip4/1.2.3.4/tcp/1")}))));
}

}  // namespace
}  // namespace agentmesh::wire::circuit
