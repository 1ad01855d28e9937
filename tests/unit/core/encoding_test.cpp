#include <gtest/gtest.h>

#include "core/base64.hpp"
#include "core/hex.hpp"
#include "core/metrics.hpp"
#include "core/utf8.hpp"

namespace agentmesh::core {
namespace {

TEST(HexTest, RoundTrips) {
  const std::vector<std::uint8_t> bytes{0x00, 0x7f, 0x80, 0xff};
  EXPECT_EQ(to_hex(bytes), "007f80ff");
  auto back = from_hex("007f80ff");
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, bytes);
  EXPECT_FALSE(from_hex("0"));
  EXPECT_FALSE(from_hex("0G"));
}

// RFC 4648 section 10 test vectors.
TEST(Base64Test, Rfc4648Vectors) {
  const std::pair<std::string, std::string> vectors[] = {{"", ""},          {"f", "Zg=="},         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},   {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded);
    auto d = base64_decode(encoded);
    ASSERT_TRUE(d) << encoded;
    EXPECT_EQ(*d, plain);
  }
}

TEST(Base64Test, DecodesEveryByteValue) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  auto d = base64_decode(base64_encode(all));
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, all);
}

TEST(Base64Test, RejectsMalformedInput) {
  for (auto bad : {"Zg=", "Zg", "Z===", "Zm9v\n", "Zh==", "Zm9=", "Zm=v", "====", "Zm9v Zg==", "Zm9-"}) {
    EXPECT_FALSE(base64_decode(bad)) << bad;
  }
}

TEST(Utf8Test, AcceptsValidAndRejectsInvalidSequences) {
  EXPECT_TRUE(is_valid_utf8("hello"));
  EXPECT_TRUE(is_valid_utf8("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("\xc3"));            // truncated
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));        // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));    // surrogate
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xff"));
}

TEST(HistogramTest, QuantilesComeFromBucketBounds) {
  Histogram h{1, 2, 5, 10};
  for (int i = 0; i < 90; ++i) h.observe(0.5);
  for (int i = 0; i < 10; ++i) h.observe(7);
  const auto s = h.snapshot();
  EXPECT_EQ(s.count, 100u);
  EXPECT_EQ(s.quantile(0.5), 1);
  EXPECT_EQ(s.quantile(0.95), 10);
  EXPECT_NEAR(s.sum, 45 + 70, 1e-6);
}

}  // namespace
}  // namespace agentmesh::core
