#include "wire/dcutr.hpp"

#include <gtest/gtest.h>

#include "wire/error.hpp"

namespace agentmesh::wire::dcutr {
namespace {

std::span<const std::uint8_t> span_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

core::Multiaddr addr(std::string_view text) { return core::Multiaddr::parse(text).value(); }

TEST(DcutrWireTest, ConnectAndSyncRoundTrip) {
  HolePunch connect{HolePunch::Type::connect, {addr("/ip4/192.0.2.7/tcp/4001"), addr("/ip6/2001:db8::1/tcp/4001")}};
  EXPECT_EQ(decode(span_of(encode(connect))).value(), connect);
  HolePunch sync{HolePunch::Type::sync, {}};
  EXPECT_EQ(decode(span_of(encode(sync))).value(), sync);
}

// The spec's field numbers and enum values, written byte by byte: type = 1
// (CONNECT 100, SYNC 300), ObsAddrs = 2.
TEST(DcutrWireTest, DecodesTheSpecsBytes) {
  const auto ma = addr("/ip4/192.0.2.7/tcp/4001").to_bytes();
  std::string connect = "\x08\x64";
  connect += '\x12';
  connect += static_cast<char>(ma.size());
  connect += ma;
  auto got = decode(span_of(connect)).value();
  EXPECT_EQ(got.type, HolePunch::Type::connect);
  ASSERT_EQ(got.addrs.size(), 1u);
  EXPECT_EQ(got.addrs[0].to_string(), "/ip4/192.0.2.7/tcp/4001");
  EXPECT_EQ(decode(span_of(std::string("\x08\xac\x02", 3))).value().type, HolePunch::Type::sync);
  EXPECT_EQ(encode(HolePunch{HolePunch::Type::sync, {}}), std::string("\x08\xac\x02", 3));
}

TEST(DcutrWireTest, RejectsMissingOrUnknownTypesAndOversizedMessages) {
  EXPECT_EQ(decode(span_of(std::string())).error(), make_error_code(error::bad_protobuf));   // no type
  EXPECT_EQ(decode(span_of(std::string("\x08\x01"))).error(), make_error_code(error::bad_protobuf));  // type 1
  EXPECT_EQ(decode(span_of(std::string("\xff\xff"))).error(), make_error_code(error::bad_protobuf));
  HolePunch many{HolePunch::Type::connect, {}};
  for (std::size_t i = 0; i <= kMaxAddrs; ++i) many.addrs.push_back(addr("/ip4/192.0.2.7/tcp/4001"));
  EXPECT_EQ(decode(span_of(encode(many))).error(), make_error_code(error::bad_protobuf));
  std::string big = "\x08\x64\x12\x82\x20" + std::string(kMaxMessage, 'x');
  EXPECT_EQ(decode(span_of(big)).error(), make_error_code(error::frame_too_large));
}

TEST(DcutrWireTest, DropsAddressesThatDoNotParse) {
  std::string msg = "\x08\x64\x12\x03\xff\xff\xff";
  const auto ma = addr("/ip4/192.0.2.7/tcp/4001").to_bytes();
  msg += '\x12';
  msg += static_cast<char>(ma.size());
  msg += ma;
  auto got = decode(span_of(msg)).value();
  ASSERT_EQ(got.addrs.size(), 1u);
  EXPECT_EQ(got.addrs[0].to_string(), "/ip4/192.0.2.7/tcp/4001");
}

}  // namespace
}  // namespace agentmesh::wire::dcutr
