#include "wire/peer_record.hpp"

#include <gtest/gtest.h>

#include <array>

#include "core/varint.hpp"
#include "wire/error.hpp"

namespace agentmesh::wire::peer_record {
namespace {

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// A length-delimited protobuf field, written by hand so the test checks the
// format independently of the codec.
std::string field(int number, const std::string& value) {
  std::string out(1, static_cast<char>(number << 3 | 2));
  core::append_uvarint(out, value.size());
  return out + value;
}

std::string lp(std::string_view v) {
  std::string out;
  core::append_lp(out, v);
  return out;
}

struct Parts {
  std::string record_peer;  // multihash in the record
  std::string type = std::string(kPayloadType);
  std::uint64_t seq = 7;
  bool sign = true;
};

std::string envelope(const crypto::SigningKey& key, Parts p) {
  std::string payload = field(1, p.record_peer);
  payload.push_back(0x10);  // seq = 2, varint
  core::append_uvarint(payload, p.seq);
  payload += field(3, field(1, core::Multiaddr::parse("/ip4/127.0.0.1/tcp/4001").value().to_bytes()));
  const auto sig = key.sign(bytes(lp(kDomain) + lp(p.type) + lp(payload)));
  std::string env = field(1, core::PeerId::from_ed25519(key.public_key()).public_key_protobuf()) + field(2, p.type) +
                    field(3, payload);
  if (p.sign) env += field(5, std::string(sig.begin(), sig.end()));
  return env;
}

TEST(PeerRecordTest, SealedRecordsOpenWithTheSignersIdSeqAndAddresses) {
  auto key = crypto::SigningKey::generate();
  const std::vector<core::Multiaddr> addrs{core::Multiaddr::parse("/ip4/127.0.0.1/tcp/4001").value(),
                                           core::Multiaddr::parse("/ip6/::1/tcp/4002").value()};
  auto rec = open(bytes(seal(key, 42, addrs)));
  ASSERT_TRUE(rec) << rec.error().message();
  EXPECT_EQ(rec->peer, core::PeerId::from_ed25519(key.public_key()));
  EXPECT_EQ(rec->seq, 42u);
  ASSERT_EQ(rec->addrs.size(), 2u);
  EXPECT_EQ(rec->addrs[1].to_string(), "/ip6/::1/tcp/4002");
  // A record built by hand from the format notes opens too.
  const auto me = core::PeerId::from_ed25519(key.public_key()).multihash();
  auto manual = open(bytes(envelope(key, {me})));
  ASSERT_TRUE(manual) << manual.error().message();
  EXPECT_EQ(manual->seq, 7u);
  EXPECT_EQ(manual->addrs.at(0).to_string(), "/ip4/127.0.0.1/tcp/4001");
}

TEST(PeerRecordTest, TamperedForeignAndMalformedRecordsAreRejected) {
  const std::array<std::uint8_t, 32> seed{1, 2, 3};  // fixed: the byte search below is deterministic
  auto key = crypto::SigningKey::from_seed(seed).value();
  const auto me = core::PeerId::from_ed25519(key.public_key()).multihash();
  // One flipped bit in the payload (the seq) breaks the signature.
  auto tampered = envelope(key, {me});
  const auto seq_at = tampered.find(std::string("\x10\x07", 2));
  ASSERT_NE(seq_at, std::string::npos);
  tampered[seq_at + 1] = 0x08;
  EXPECT_EQ(open(bytes(tampered)).error(), error::bad_identity_signature);
  // Another payload type, correctly signed.
  EXPECT_EQ(open(bytes(envelope(key, {me, "\x03\x02"}))).error(), error::bad_protobuf);
  // Signed by one key for another peer's id: a record must be its signer's.
  const auto other = core::PeerId::from_ed25519(crypto::SigningKey::generate().public_key()).multihash();
  EXPECT_EQ(open(bytes(envelope(key, {other}))).error(), error::bad_protobuf);
  // No signature, garbage, oversize.
  Parts unsigned_parts{me};
  unsigned_parts.sign = false;
  EXPECT_EQ(open(bytes(envelope(key, unsigned_parts))).error(), error::bad_protobuf);
  EXPECT_EQ(open(bytes("\xff\xff\xff")).error(), error::bad_protobuf);
  EXPECT_EQ(open(bytes(std::string(kMaxBytes + 1, '\x0a'))).error(), error::frame_too_large);
}

}  // namespace
}  // namespace agentmesh::wire::peer_record
