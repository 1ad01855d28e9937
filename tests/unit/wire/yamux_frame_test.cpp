#include "wire/yamux_frame.hpp"

#include <gtest/gtest.h>

#include "core/hex.hpp"
#include "wire/error.hpp"

namespace agentmesh::wire::yamux {
namespace {

std::vector<std::uint8_t> unhex(std::string_view h) { return core::from_hex(h).value(); }

TEST(YamuxFrameTest, EncodesBigEndianAndRoundTrips) {
  const FrameHeader syn{FrameType::window_update, kSyn, 1, 0};
  EXPECT_EQ(core::to_hex(encode(syn)), "000100010000000100000000");
  const FrameHeader data{FrameType::data, kFin, 0x01020304, 5};
  EXPECT_EQ(core::to_hex(encode(data)), "000000040102030400000005");
  for (const auto& h : {syn, data, FrameHeader{FrameType::ping, kAck, 0, 0xdeadbeef},
                        FrameHeader{FrameType::go_away, 0, 0, 1}}) {
    const auto bytes = encode(h);
    auto back = decode(bytes);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, h);
  }
}

TEST(YamuxFrameTest, RejectsMalformedHeaders) {
  EXPECT_EQ(decode(unhex("0000000000000001")).error(), error::bad_length);             // short
  EXPECT_EQ(decode(unhex("010000000000000100000000")).error(), error::bad_yamux_frame);  // version 1
  EXPECT_EQ(decode(unhex("000400000000000100000000")).error(), error::bad_yamux_frame);  // type 4
  EXPECT_EQ(decode(unhex("000000100000000100000000")).error(), error::bad_yamux_frame);  // flag 16
  EXPECT_EQ(decode(unhex("000200010000000500000000")).error(), error::bad_yamux_frame);  // ping on a stream
  EXPECT_EQ(decode(unhex("000000000000000000000001")).error(), error::bad_yamux_frame);  // data on stream 0
  EXPECT_EQ(decode(unhex("000300000000000000000003")).error(), error::bad_yamux_frame);  // go_away code 3
}

TEST(YamuxFrameTest, DataLengthIsCheckedAgainstTheLimitBeforeReading) {
  const FrameHeader big{FrameType::data, 0, 3, kInitialWindow + 1};
  EXPECT_EQ(decode(encode(big)).error(), error::frame_too_large);
  EXPECT_TRUE(decode(encode(big), kInitialWindow + 1));
  // A window update may carry any delta.
  EXPECT_TRUE(decode(encode(FrameHeader{FrameType::window_update, 0, 3, 0xffffffff})));
}

}  // namespace
}  // namespace agentmesh::wire::yamux
