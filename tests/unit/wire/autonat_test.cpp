#include "wire/autonat.hpp"

#include <gtest/gtest.h>

#include "autonat.pb.h"
#include "wire/error.hpp"

namespace agentmesh::wire::autonat {
namespace {

std::span<const std::uint8_t> span_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

core::Multiaddr addr(std::string_view text) { return core::Multiaddr::parse(text).value(); }

TEST(AutoNatWireTest, DialAndResponseRoundTrip) {
  Dial dial{"\x00\x24peer-multihash", {addr("/ip4/10.0.0.2/tcp/7782"), addr("/ip6/::1/tcp/7782")}};
  auto back = decode(span_of(encode(Message{dial})));
  ASSERT_TRUE(back);
  EXPECT_EQ(std::get<Dial>(*back), dial);
  DialResponse ok{Status::ok, "", addr("/ip4/10.0.0.2/tcp/7782")};
  auto r = decode(span_of(encode(Message{ok})));
  ASSERT_TRUE(r);
  EXPECT_EQ(std::get<DialResponse>(*r), ok);
  DialResponse refused{Status::dial_refused, "rate limited", std::nullopt};
  EXPECT_EQ(std::get<DialResponse>(*decode(span_of(encode(Message{refused})))), refused);
}

// The bytes of the spec's schema, written field by field with protobuf's own
// types: what another implementation sends decodes the same.
TEST(AutoNatWireTest, DecodesTheSpecsFieldNumbersAndDropsBadAddresses) {
  pb::AutoNat m;
  m.set_type(pb::AutoNat::DIAL);
  auto* peer = m.mutable_dial()->mutable_peer();
  peer->set_id("id");
  peer->add_addrs(addr("/ip4/1.2.3.4/tcp/1").to_bytes());
  peer->add_addrs("\xff\xff not a multiaddr");
  auto d = decode(span_of(m.SerializeAsString()));
  ASSERT_TRUE(d);
  EXPECT_EQ(std::get<Dial>(*d).addrs, std::vector<core::Multiaddr>{addr("/ip4/1.2.3.4/tcp/1")});
  pb::AutoNat resp;
  resp.set_type(pb::AutoNat::DIAL_RESPONSE);
  resp.mutable_dialresponse()->set_status(pb::AutoNat::E_DIAL_ERROR);
  resp.mutable_dialresponse()->set_statustext("no dial succeeded");
  auto r = decode(span_of(resp.SerializeAsString()));
  ASSERT_TRUE(r);
  EXPECT_EQ(std::get<DialResponse>(*r).status, Status::dial_error);
  EXPECT_EQ(to_string(std::get<DialResponse>(*r).status), "E_DIAL_ERROR");
}

TEST(AutoNatWireTest, RefusesWhatNoPeerShouldSend) {
  EXPECT_EQ(decode(span_of(std::string("\x0a\xff", 2))).error(), error::bad_protobuf);  // truncated
  pb::AutoNat no_type;
  no_type.mutable_dial()->mutable_peer()->set_id("x");
  EXPECT_EQ(decode(span_of(no_type.SerializeAsString())).error(), error::bad_protobuf);
  pb::AutoNat dial_without_peer;
  dial_without_peer.set_type(pb::AutoNat::DIAL);
  EXPECT_EQ(decode(span_of(dial_without_peer.SerializeAsString())).error(), error::bad_protobuf);
  pb::AutoNat response_without_body;
  response_without_body.set_type(pb::AutoNat::DIAL_RESPONSE);
  EXPECT_EQ(decode(span_of(response_without_body.SerializeAsString())).error(), error::bad_protobuf);
  pb::AutoNat many;
  many.set_type(pb::AutoNat::DIAL);
  for (std::size_t i = 0; i <= kMaxAddrs; ++i) many.mutable_dial()->mutable_peer()->add_addrs("a");
  EXPECT_EQ(decode(span_of(many.SerializeAsString())).error(), error::bad_protobuf);
  EXPECT_EQ(decode(span_of(std::string(kMaxMessage + 1, '\0'))).error(), error::frame_too_large);
}

}  // namespace
}  // namespace agentmesh::wire::autonat
