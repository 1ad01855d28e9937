#include "core/ids.hpp"

#include <gtest/gtest.h>
#include <unordered_set>

#include "core/error.hpp"

namespace agentmesh::core {
namespace {

const std::string kHex64 = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

TEST(AgentIdTest, ParsesLowercaseHexAndRoundTrips) {
  auto id = AgentId::parse(kHex64);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->to_string(), kHex64);
  EXPECT_EQ(id->bytes()[0], 0xd7);
  EXPECT_EQ(fmt::format("{}", *id), kHex64);
}

TEST(AgentIdTest, RejectsUppercaseWrongLengthAndNonHex) {
  std::string upper = kHex64;
  upper[0] = 'D';
  EXPECT_EQ(AgentId::parse(upper).error(), error::invalid_hex);
  EXPECT_EQ(AgentId::parse(kHex64.substr(2)).error(), error::invalid_hex);
  EXPECT_EQ(AgentId::parse(kHex64 + "00").error(), error::invalid_hex);
  std::string bad = kHex64;
  bad[10] = 'g';
  EXPECT_FALSE(AgentId::parse(bad));
  EXPECT_FALSE(AgentId::parse(""));
}

TEST(AgentIdTest, FromBytesChecksLength) {
  std::vector<std::uint8_t> b(32, 7);
  ASSERT_TRUE(AgentId::from_bytes(b));
  b.pop_back();
  EXPECT_EQ(AgentId::from_bytes(b).error(), error::invalid_length);
}

TEST(RequestIdTest, IsSixteenBytesAndHashesAndOrders) {
  auto a = RequestId::parse("000102030405060708090a0b0c0d0e0f");
  auto b = RequestId::parse("000102030405060708090a0b0c0d0e10");
  ASSERT_TRUE(a && b);
  EXPECT_LT(*a, *b);
  EXPECT_NE(*a, *b);
  std::unordered_set<RequestId> set{*a, *b, *a};
  EXPECT_EQ(set.size(), 2u);
  EXPECT_FALSE(RequestId::parse(kHex64));
}

TEST(AgentNameTest, AcceptsTheDocumentedAlphabet) {
  for (const std::string& ok : {std::string("a"), std::string("bob"), std::string("agent-1"), std::string("x.y_z"),
                                std::string(64, 'z')}) {
    EXPECT_TRUE(validate_agent_name(ok)) << ok;
  }
}

TEST(AgentNameTest, RejectsPathsControlCharactersAndIdLookalikes) {
  const std::string with_nul("a\0b", 3);
  for (const std::string& bad :
       {std::string(""), std::string(65, 'a'), std::string("../x"), std::string("a/b"), std::string("Alice"),
        std::string("."), std::string(".."), with_nul, std::string("a b"), std::string("é"), kHex64}) {
    EXPECT_EQ(validate_agent_name(bad).error(), error::invalid_name) << bad;
  }
}

}  // namespace
}  // namespace agentmesh::core

#include "core/pressure.hpp"

namespace agentmesh::core {
namespace {

TEST(PressureGateTest, InfoAboveHalfWarnAbove80AtMostOncePer30s) {
  PressureGate gate;
  const PressureGate::Time t0{};
  EXPECT_EQ(gate.check(50, 100, t0), PressureGate::Level::none);
  EXPECT_EQ(gate.check(51, 100, t0), PressureGate::Level::info);
  EXPECT_EQ(gate.check(90, 100, t0 + std::chrono::seconds(10)), PressureGate::Level::none);  // rate limited
  EXPECT_EQ(gate.check(90, 100, t0 + std::chrono::seconds(31)), PressureGate::Level::warn);
  EXPECT_EQ(gate.check(10, 100, t0 + std::chrono::seconds(100)), PressureGate::Level::none);
  EXPECT_EQ(gate.check(1, 0, t0), PressureGate::Level::none);
}

}  // namespace
}  // namespace agentmesh::core
