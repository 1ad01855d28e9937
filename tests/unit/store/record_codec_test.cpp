#include "store/record_codec.hpp"

#include <gtest/gtest.h>

#include "store/error.hpp"

namespace agentmesh::store {
namespace {

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(RecordCodecTest, StringListRoundTrips) {
  for (const auto& list : {std::vector<std::string>{}, std::vector<std::string>{""},
                           std::vector<std::string>{"a", std::string(300, 'b'), std::string("\0x", 2)}}) {
    const auto enc = encode_string_list(list);
    auto dec = decode_string_list(bytes(enc));
    ASSERT_TRUE(dec);
    EXPECT_EQ(*dec, list);
  }
}

TEST(RecordCodecTest, MetadataRoundTripsInOrder) {
  const Metadata md{{"z", "1"}, {"a", ""}, {"k", std::string(200, 'v')}};
  auto dec = decode_metadata(bytes(encode_metadata(md)));
  ASSERT_TRUE(dec);
  EXPECT_EQ(*dec, md);
}

TEST(RecordCodecTest, RejectsTruncatedTrailingAndOversized) {
  const auto enc = encode_string_list({"abc", "def"});
  for (std::size_t n = 0; n < enc.size(); ++n) {
    EXPECT_EQ(decode_string_list(bytes(enc.substr(0, n))).error(), error::corrupt) << n;
  }
  EXPECT_EQ(decode_string_list(bytes(enc + "x")).error(), error::corrupt);
  // A count far larger than the bytes that follow is rejected before allocating.
  EXPECT_EQ(decode_string_list(bytes(std::string("\xff\xff\xff\xff\x0f", 5))).error(), error::corrupt);
  CodecLimits tight;
  tight.max_item_bytes = 2;
  EXPECT_EQ(decode_string_list(bytes(enc), tight).error(), error::corrupt);
  // A non-minimal varint (80 00 is a second spelling of 0): found by the fuzzer.
  EXPECT_EQ(decode_string_list(bytes(std::string("\x80\x00", 2))).error(), error::corrupt);
  EXPECT_EQ(decode_string_list(bytes(std::string("\x01\x80\x00", 3))).error(), error::corrupt);
  // An over-long varint.
  EXPECT_EQ(decode_metadata(bytes(std::string(11, '\x80'))).error(), error::corrupt);
}

}  // namespace
}  // namespace agentmesh::store
