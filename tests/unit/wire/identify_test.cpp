#include "wire/identify.hpp"

#include <gtest/gtest.h>

#include "crypto/crypto.hpp"
#include "wire/error.hpp"

namespace agentmesh::wire::identify {
namespace {

std::span<const std::uint8_t> b(const std::string& s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

TEST(IdentifyTest, RoundTrip) {
  auto key = crypto::SigningKey::generate();
  Info info(core::PeerId::from_ed25519(key.public_key()));
  info.protocol_version = std::string(kProtocolVersion);
  info.agent_version = "agentmesh/0.1.0";
  info.listen_addrs = {core::Multiaddr::parse("/ip4/127.0.0.1/tcp/4001").value(),
                       core::Multiaddr::parse("/ip6/::1/tcp/4001").value()};
  info.observed_addr = core::Multiaddr::parse("/ip4/127.0.0.1/tcp/55555").value();
  info.protocols = {"/ipfs/id/1.0.0", "/ipfs/ping/1.0.0"};
  auto d = decode(b(encode(info))).value();
  EXPECT_EQ(d.peer, info.peer);
  EXPECT_EQ(d.agent_version, "agentmesh/0.1.0");
  EXPECT_EQ(d.listen_addrs, info.listen_addrs);
  EXPECT_EQ(d.observed_addr, info.observed_addr);
  EXPECT_EQ(d.protocols, info.protocols);
}

TEST(IdentifyTest, MissingOrForeignKeyIsRejected) {
  // agentVersion only (field 6).
  EXPECT_EQ(decode(b(std::string("\x32\x01x", 3))).error(), error::bad_identify);
  // A secp256k1 PublicKey protobuf (type 2).
  std::string pk = std::string("\x08\x02\x12\x21", 4) + std::string(33, '\x02');
  std::string msg = std::string("\x0a") + static_cast<char>(pk.size()) + pk;
  EXPECT_EQ(decode(b(msg)).error(), error::bad_identify);
}

TEST(IdentifyTest, LimitsAndGarbage) {
  EXPECT_EQ(decode(b(std::string(kMaxMessage + 1, '\0'))).error(), error::frame_too_large);
  EXPECT_EQ(decode(b(std::string("\x0a\x7f", 2))).error(), error::bad_protobuf);
  auto key = crypto::SigningKey::generate();
  Info info(core::PeerId::from_ed25519(key.public_key()));
  for (std::size_t i = 0; i <= kMaxProtocols; ++i) info.protocols.push_back("/p");
  EXPECT_EQ(decode(b(encode(info))).error(), error::bad_protobuf);
}

TEST(IdentifyTest, MalformedListenAddressesAreDropped) {
  auto key = crypto::SigningKey::generate();
  Info info(core::PeerId::from_ed25519(key.public_key()));
  auto good = encode(info);
  std::string bad_addr = "\x12\x03\xff\xff\xff";  // listenAddrs: junk
  auto d = decode(b(good + bad_addr)).value();
  EXPECT_TRUE(d.listen_addrs.empty());
}

}  // namespace
}  // namespace agentmesh::wire::identify
