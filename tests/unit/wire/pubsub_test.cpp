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


// Bytes of a length-delimited field.
std::string ld(int field, const std::string& value) {
  std::string out(1, static_cast<char>(field << 3 | 2));
  out.push_back(static_cast<char>(value.size()));  // tests keep values < 128 bytes
  return out + value;
}

TEST(PubsubRpcTest, DecodesWhatProtobufAcceptsFieldByField) {
  // Unknown fields of every wire type, at every level, are skipped: varint
  // (field 9), fixed64 (10), length-delimited (11), fixed32 (12) and a group
  // (13) holding a nested field and a nested group.
  const std::string unknown = std::string("\x48\x96\x01", 3) + "\x51" + std::string(8, 'x') + ld(11, "zz") + "\x65" +
                              std::string(4, 'y') + "\x6b\x08\x01\x73\x08\x02\x74\x6c";
  const std::string sub = unknown + "\x08\x01" + ld(2, "t1");
  // A message: `data` first sent as a varint (wrong wire type: an unknown
  // field, so absent), `seqno` twice (the last wins), fields out of order.
  const std::string msg = ld(4, "t1") + std::string("\x10\x05", 2) + ld(3, "first") + unknown + ld(3, "seqno-2") +
                          ld(1, "from");
  // Two control fields: protobuf merges them.
  const std::string control1 = ld(1, ld(1, "t1") + ld(2, "id-1"));  // ihave
  const std::string control2 = ld(3, ld(1, "t1"));                  // graft
  // Out of order: control before publish before subscriptions; a non-minimal
  // 5-byte length; a tag of 5 bytes whose bits past 32 protobuf drops.
  const std::string six_in_five_bytes("\x86\x80\x80\x80\x00", 5);
  const std::string bytes = unknown + ld(3, control1) + ld(2, msg) + "\x0a" + six_in_five_bytes +
                            std::string("\x08\x00", 2) + ld(2, "t2") + ld(1, sub) + ld(3, control2) +
                            std::string("\xb8\xb8\xb8\xb8\x2b\x6f", 6);  // field 0x16e381c7, varint
  auto rpc = decode(b(bytes));
  ASSERT_TRUE(rpc) << rpc.error().message();
  EXPECT_EQ(rpc->subscriptions, (std::vector<SubOpt>{{false, "t2"}, {true, "t1"}}));
  ASSERT_EQ(rpc->publish.size(), 1u);
  EXPECT_EQ(rpc->publish[0].from, "from");
  EXPECT_FALSE(rpc->publish[0].data.has_value());
  EXPECT_EQ(rpc->publish[0].seqno, "seqno-2");
  EXPECT_EQ(rpc->publish[0].topic, "t1");
  EXPECT_FALSE(rpc->publish[0].signature.has_value());
  EXPECT_EQ(rpc->control.ihave, (std::vector<IHave>{{"t1", {"id-1"}}}));
  EXPECT_EQ(rpc->control.graft, (std::vector<Graft>{{"t1"}}));
}

TEST(PubsubRpcTest, MalformedWireFormatIsRejected) {
  const std::vector<std::string> bad = {
      std::string("\x12\x05\x0a\x01", 4),          // a length past the end
      std::string("\x00\x01", 2),                  // field number 0
      std::string("\x0c", 1),                      // an end-group with no start
      std::string("\x6b\x08\x01", 3),              // a group never ended
      std::string("\x6b\x74", 2),                  // a group ended with another field number
      std::string("\x0e\x01", 2),                  // wire type 6
      std::string("\x48\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12),  // an 11-byte varint
      std::string("\x0a\x81\x80\x80\x80\x80\x00\x00", 8),  // a 6-byte length
      std::string("\x0a\x80\x80\x80\x80\x08", 6),           // a length of 2^31
      std::string("\xc8\x80\x80\x80\x80\x01\x00", 7),      // a 6-byte tag
      ld(2, std::string("\x0a\x09\x01", 3)),       // a truncated field inside a message
      ld(1, std::string("\x12\x7f", 2)),           // ... inside a subscription
      ld(3, std::string("\x0a\x7f", 2)),           // ... inside the control message
  };
  for (const auto& bytes : bad) EXPECT_EQ(decode(b(bytes)).error(), error::bad_protobuf) << core::to_hex(b(bytes));
  // Groups nest at most kMaxGroupDepth deep.
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "\x6b";
  for (int i = 0; i < 40; ++i) deep += "\x6c";
  EXPECT_EQ(decode(b(deep)).error(), error::bad_protobuf);
}

TEST(PubsubRpcTest, TheFilterDropsMessagesBeforeTheyAreCopiedButLimitsCountThem) {
  auto rpc = sample();
  std::vector<std::string> seen;
  auto keep_first = [&](const MessageView& m) {
    seen.emplace_back(m.topic.value_or("(none)"));
    return seen.size() == 1;
  };
  auto out = decode(b(encode(rpc)), {}, keep_first).value();
  EXPECT_EQ(seen, (std::vector<std::string>{"agents/test", "(none)"}));
  ASSERT_EQ(out.publish.size(), 1u);
  EXPECT_EQ(out.publish[0], rpc.publish[0]);
  EXPECT_EQ(out.subscriptions, rpc.subscriptions);
  EXPECT_EQ(out.control, rpc.control);
  Limits one;
  one.max_messages = 1;
  EXPECT_EQ(decode(b(encode(rpc)), one, [](const MessageView&) { return false; }).error(), error::bad_protobuf);
}

TEST(PubsubRpcTest, EncodedMessagesAreWrittenAsPublishEntries) {
  auto rpc = sample();
  Rpc shared = rpc;
  shared.publish.clear();
  for (const auto& m : rpc.publish) shared.encoded_publish.push_back(encode_shared(m));
  EXPECT_EQ(encode(shared), encode(rpc));
  EXPECT_EQ(decode(b(encode(shared))).value(), rpc);
}

}  // namespace
}  // namespace agentmesh::wire::pubsub
