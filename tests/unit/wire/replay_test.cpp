#include "wire/replay.hpp"

#include <gtest/gtest.h>

#include "wire/error.hpp"

namespace agentmesh::wire::replay {
namespace {

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(ReplayCodecTest, RequestRoundTripsAndNeedsATopic) {
  Request r{"agents/news", 1795376853409, 500};
  auto back = decode_request(bytes(encode(r)));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->topic, r.topic);
  EXPECT_EQ(back->since_ms, r.since_ms);
  EXPECT_EQ(back->max_messages, r.max_messages);
  EXPECT_EQ(decode_request(bytes(encode(Request{"", 1, 0}))).error(), error::bad_protobuf);
  EXPECT_EQ(decode_request(bytes(encode(Request{std::string(257, 't'), 1, 0}))).error(), error::bad_protobuf);
  EXPECT_EQ(decode_request(bytes(std::string(kMaxRequestBytes + 1, 'x'))).error(), error::frame_too_large);
  EXPECT_EQ(decode_request(bytes("\xff\xff\xff")).error(), error::bad_protobuf);
}

TEST(ReplayCodecTest, BatchRoundTripsAndRejectsWhatIsNotOnlyPairedMessages) {
  Batch b;
  for (int i = 0; i < 3; ++i) {
    pubsub::Message m;
    m.topic = "t";
    m.data = "m" + std::to_string(i);
    m.seqno = std::string(8, static_cast<char>(i));
    b.rpc.publish.push_back(m);
    b.received_ms.push_back(1000 + i);
  }
  auto back = decode_batch(bytes(encode(b)));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->received_ms, b.received_ms);
  EXPECT_TRUE(back->rpc == b.rpc);
  auto unpaired = b;
  unpaired.received_ms.pop_back();
  EXPECT_EQ(decode_batch(bytes(encode(unpaired))).error(), error::bad_protobuf);
  auto with_control = b;
  with_control.rpc.control.graft.push_back({"t"});
  EXPECT_EQ(decode_batch(bytes(encode(with_control))).error(), error::bad_protobuf);
  auto with_subs = b;
  with_subs.rpc.subscriptions.push_back({true, "t"});
  EXPECT_EQ(decode_batch(bytes(encode(with_subs))).error(), error::bad_protobuf);
  pubsub::Limits small;
  small.max_messages = 2;
  EXPECT_FALSE(decode_batch(bytes(encode(b)), small));
}

}  // namespace
}  // namespace agentmesh::wire::replay
