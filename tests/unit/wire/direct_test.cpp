#include "wire/direct.hpp"

#include <gtest/gtest.h>

#include "wire/error.hpp"

namespace agentmesh::wire::direct {
namespace {

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

Envelope sample() {
  Envelope e;
  e.request_id.fill(0x11);
  e.sender.fill(0xaa);
  e.recipient.fill(0xbb);
  e.sender_peer = std::string(38, '\x01');
  e.created_ms = 1795376853409;
  e.expires_ms = 1795376973409;
  e.ciphertext = std::string(24 + 16 + 5, '\x42');
  return e;
}

TEST(DirectCodecTest, EnvelopeBodyAndAckRoundTrip) {
  const auto e = sample();
  auto back = decode_envelope(bytes(encode(e)));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, e);

  Body b;
  b.payload = std::string("\0binary\xff", 8);
  b.content_type = "text/plain";
  b.performative = "request";
  b.conversation_id = "c-1";
  b.reply_with = "r-1";
  b.in_reply_to = "r-0";
  b.protocol = "fipa-request";
  b.metadata = {{"k", "v"}, {"k2", ""}};
  b.signature.emplace();
  b.signature->fill(7);
  auto body = decode_body(bytes(encode(b)));
  ASSERT_TRUE(body);
  EXPECT_EQ(*body, b);

  Ack a;
  a.request_id.fill(0x11);
  a.sender.fill(0xaa);
  a.recipient.fill(0xbb);
  a.outcome = Outcome::rejected;
  a.reason = "blocked";
  a.mac = std::string(40, '\x09');
  auto ack = decode_ack(bytes(encode(a)));
  ASSERT_TRUE(ack);
  EXPECT_EQ(*ack, a);
}

TEST(DirectCodecTest, MalformedAndOversizedInputIsRejected) {
  auto short_id = sample();
  auto encoded = encode(short_id);
  // A request id of 15 bytes: rebuild through the codec's own checks.
  std::string truncated = encoded;
  const auto at = truncated.find(std::string(16, '\x11'));
  ASSERT_NE(at, std::string::npos);
  truncated.erase(at, 1);
  truncated[at - 1] = 15;
  EXPECT_EQ(decode_envelope(bytes(truncated)).error(), error::bad_protobuf);
  auto no_ct = sample();
  no_ct.ciphertext = std::string(39, 'x');  // shorter than nonce + tag
  EXPECT_EQ(decode_envelope(bytes(encode(no_ct))).error(), error::bad_protobuf);
  auto no_peer = sample();
  no_peer.sender_peer.clear();
  EXPECT_EQ(decode_envelope(bytes(encode(no_peer))).error(), error::bad_protobuf);
  Limits small;
  small.max_envelope_bytes = 64;
  EXPECT_EQ(decode_envelope(bytes(encode(sample())), small).error(), error::frame_too_large);
  EXPECT_EQ(decode_envelope(bytes("\xff\xff")).error(), error::bad_protobuf);
  Body b;
  b.content_type = std::string(2000, 'x');
  EXPECT_EQ(decode_body(bytes(encode(b))).error(), error::bad_protobuf);
  Body many;
  for (int i = 0; i < 65; ++i) many.metadata.emplace_back("k", "v");
  EXPECT_EQ(decode_body(bytes(encode(many))).error(), error::bad_protobuf);
  Ack a;
  a.mac = std::string(39, 'x');
  EXPECT_EQ(decode_ack(bytes(encode(a))).error(), error::bad_protobuf);
  a.mac = std::string(40, 'x');
  a.outcome = static_cast<Outcome>(4);
  EXPECT_EQ(decode_ack(bytes(encode(a))).error(), error::bad_protobuf);
}

TEST(DirectCodecTest, HeaderBytesCoverEveryHeaderField) {
  const auto base = header_bytes(sample());
  auto changed = [&](auto mutate) {
    auto e = sample();
    mutate(e);
    return header_bytes(e) != base;
  };
  EXPECT_TRUE(changed([](Envelope& e) { e.version = 2; }));
  EXPECT_TRUE(changed([](Envelope& e) { e.request_id[0] ^= 1; }));
  EXPECT_TRUE(changed([](Envelope& e) { e.sender[31] ^= 1; }));
  EXPECT_TRUE(changed([](Envelope& e) { e.recipient[0] ^= 1; }));
  EXPECT_TRUE(changed([](Envelope& e) { e.sender_peer += "x"; }));
  EXPECT_TRUE(changed([](Envelope& e) { e.created_ms += 1; }));
  EXPECT_TRUE(changed([](Envelope& e) { e.expires_ms += 1; }));
  EXPECT_FALSE(changed([](Envelope& e) { e.ciphertext += "x"; }));  // the AEAD covers that
}

TEST(DirectCodecTest, InboxItemCarriesExactlyOneOfEnvelopeOrAck) {
  InboxItem env{InboxItem::Kind::envelope, encode(sample())};
  auto back = decode_inbox_item(bytes(encode(env)));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, env);
  InboxItem ack{InboxItem::Kind::ack, "ackbytes"};
  back = decode_inbox_item(bytes(encode(ack)));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->kind, InboxItem::Kind::ack);
  EXPECT_EQ(back->bytes, "ackbytes");
  // Neither, both, and garbage are refused.
  EXPECT_EQ(decode_inbox_item(bytes("")).error(), make_error_code(error::bad_protobuf));
  const std::string both = encode(env) + encode(ack);  // protobuf concatenation sets both fields
  EXPECT_EQ(decode_inbox_item(bytes(both)).error(), make_error_code(error::bad_protobuf));
  EXPECT_FALSE(decode_inbox_item(bytes("\xff\xff\xff")));
  Limits small;
  small.max_ack_bytes = 4;
  EXPECT_EQ(decode_inbox_item(bytes(encode(ack)), small).error(), make_error_code(error::frame_too_large));
}

}  // namespace
}  // namespace agentmesh::wire::direct
