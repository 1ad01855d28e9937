#include "wire/pubsub.hpp"

#include <gtest/gtest.h>

#include "core/hex.hpp"
#include "wire/error.hpp"

namespace agentmesh::wire::pubsub {
namespace {

std::span<const std::uint8_t> b(const std::string& s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

Rpc sample() {
  Rpc rpc;
  rpc.subscriptions = {{true, "agents/test"}, {false, "old"}};
  Message m;
  m.from = std::string(38, '\x01');
  m.data = "";  // present but empty: must stay present
  m.seqno = std::string("\x00\x00\x00\x00\x00\x00\x00\x2a", 8);
  m.topic = "agents/test";
  m.signature = std::string(64, 's');
  m.key = std::string(36, 'k');
  rpc.publish = {m, Message{}};
  rpc.control.ihave = {{"agents/test", {"id1", "id2"}}};
  rpc.control.iwant = {{{"id3"}}};
  rpc.control.graft = {{"agents/test"}};
  rpc.control.prune = {{"other", {{"peer", ""}}, 60}};
  return rpc;
}

TEST(PubsubRpcTest, RoundTripKeepsPresence) {
  const auto rpc = sample();
  auto back = decode(b(encode(rpc))).value();
  EXPECT_EQ(back, rpc);
  ASSERT_TRUE(back.publish[0].data.has_value());
  EXPECT_TRUE(back.publish[0].data->empty());
  EXPECT_FALSE(back.publish[1].data.has_value());
  EXPECT_TRUE(decode(b(std::string())).value().empty());
}

TEST(PubsubRpcTest, SigningBytesClearSignatureAndKeyAndKeepFieldOrder) {
  Message m;
  m.from = "F";
  m.data = "D";
  m.seqno = "S";
  m.topic = "T";
  m.signature = "sig";
  m.key = "key";
  // "libp2p-pubsub:" || 0a 01 'F' 12 01 'D' 1a 01 'S' 22 01 'T'
  EXPECT_EQ(core::to_hex(b(signing_bytes(m))),
            core::to_hex(b(std::string("libp2p-pubsub:") + "\x0a\x01" "F\x12\x01" "D\x1a\x01" "S\x22\x01" "T")));
  m.data = "";
  EXPECT_NE(signing_bytes(m).find(std::string("\x12\x00", 2)), std::string::npos);  // empty data still present
}

TEST(PubsubRpcTest, LimitsAreEnforced) {
  Limits tight;
  tight.max_subscriptions = 1;
  tight.max_message_ids = 2;
  tight.max_topic_bytes = 8;
  const auto bytes = encode(sample());
  EXPECT_EQ(decode(b(bytes), tight).error(), error::bad_protobuf);
  Limits small;
  small.max_rpc_bytes = 10;
  EXPECT_EQ(decode(b(bytes), small).error(), error::frame_too_large);
  EXPECT_EQ(decode(b(std::string("\x0a\x7f", 2))).error(), error::bad_protobuf);
}

}  // namespace
}  // namespace agentmesh::wire::pubsub
