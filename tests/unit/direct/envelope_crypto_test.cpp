#include "direct/envelope_crypto.hpp"

#include <gtest/gtest.h>

#include "crypto/error.hpp"

namespace agentmesh::direct {
namespace {

struct Pair {
  crypto::SigningKey alice = crypto::SigningKey::generate();
  crypto::SigningKey bob = crypto::SigningKey::generate();
};

wire::direct::Envelope header(const crypto::SigningKey& from, const crypto::SigningKey& to) {
  wire::direct::Envelope e;
  e.request_id.fill(0x33);
  std::copy(from.public_key().begin(), from.public_key().end(), e.sender.begin());
  std::copy(to.public_key().begin(), to.public_key().end(), e.recipient.begin());
  e.sender_peer = std::string(38, '\x02');
  e.created_ms = 1000;
  e.expires_ms = 121000;
  return e;
}

wire::direct::Body body() {
  wire::direct::Body b;
  b.payload = "hello bob";
  b.content_type = "text/plain";
  b.performative = "inform";
  b.metadata = {{"k", "v"}};
  return b;
}

TEST(PairKeysTest, BothSidesDeriveTheSameKeyPerDirectionAndTheDirectionsDiffer) {
  Pair p;
  auto a = derive_pair_keys(p.alice, p.bob.agent_id());
  auto b = derive_pair_keys(p.bob, p.alice.agent_id());
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->send, b->receive);
  EXPECT_EQ(a->receive, b->send);
  EXPECT_NE(a->send, a->receive);
  // A third agent shares neither.
  auto carol = crypto::SigningKey::generate();
  auto c = derive_pair_keys(carol, p.bob.agent_id());
  ASSERT_TRUE(c);
  EXPECT_NE(c->send, a->send);
  // A remote key that is not a valid point.
  core::AgentId::Bytes bogus{};
  bogus.fill(0xff);
  EXPECT_FALSE(derive_pair_keys(p.alice, core::AgentId::from_array(bogus)));
}

TEST(EnvelopeCryptoTest, SealedBodiesOpenOnlyForThePairAndUnaltered) {
  Pair p;
  const auto ka = derive_pair_keys(p.alice, p.bob.agent_id()).value();
  const auto kb = derive_pair_keys(p.bob, p.alice.agent_id()).value();
  auto env = header(p.alice, p.bob);
  seal(env, body(), ka.send);
  auto opened = open(env, kb.receive);
  ASSERT_TRUE(opened) << opened.error().message();
  EXPECT_EQ(*opened, body());
  EXPECT_FALSE(opened->signature);
  // Tampered ciphertext, header fields, the wrong key.
  auto tampered = env;
  tampered.ciphertext[30] ^= 0x01;
  EXPECT_EQ(open(tampered, kb.receive).error(), make_error_code(crypto::error::decrypt_failed));
  auto later = env;
  later.expires_ms += 1;
  EXPECT_FALSE(open(later, kb.receive));
  auto other_id = env;
  other_id.request_id[0] ^= 1;
  EXPECT_FALSE(open(other_id, kb.receive));
  EXPECT_FALSE(open(env, kb.send));  // the reverse direction's key
  auto carol = crypto::SigningKey::generate();
  EXPECT_FALSE(open(env, derive_pair_keys(carol, p.alice.agent_id()).value().receive));  // wrong recipient
  // Two seals of the same body differ (random nonce).
  auto again = header(p.alice, p.bob);
  seal(again, body(), ka.send);
  EXPECT_NE(again.ciphertext, env.ciphertext);
}

TEST(EnvelopeCryptoTest, TheOptionalSignatureVerifiesForAnyoneAndFailsWhenForged) {
  Pair p;
  const auto ka = derive_pair_keys(p.alice, p.bob.agent_id()).value();
  const auto kb = derive_pair_keys(p.bob, p.alice.agent_id()).value();
  auto env = header(p.alice, p.bob);
  seal(env, body(), ka.send, &p.alice);
  auto opened = open(env, kb.receive);
  ASSERT_TRUE(opened);
  ASSERT_TRUE(opened->signature);
  // A third party with the body, the header and the signature checks it.
  crypto::Signature sig{};
  std::copy(opened->signature->begin(), opened->signature->end(), sig.begin());
  const auto signed_bytes = wire::direct::body_signing_bytes(env, *opened);
  EXPECT_TRUE(crypto::verify(p.alice.public_key(),
                             {reinterpret_cast<const std::uint8_t*>(signed_bytes.data()), signed_bytes.size()}, sig));
  // Bob (who holds the pair key) cannot make a body "signed by alice".
  auto forged = header(p.alice, p.bob);
  auto b = body();
  b.signature.emplace();
  b.signature->fill(1);
  seal(forged, b, kb.receive);  // bob seals with the same pair key
  EXPECT_EQ(open(forged, kb.receive).error(), make_error_code(crypto::error::bad_signature));
}

TEST(EnvelopeCryptoTest, AcksAreMadeOnlyWithThePairKey) {
  Pair p;
  const auto ka = derive_pair_keys(p.alice, p.bob.agent_id()).value();
  const auto kb = derive_pair_keys(p.bob, p.alice.agent_id()).value();
  wire::direct::Ack ack;
  ack.request_id.fill(0x33);
  std::copy(p.alice.public_key().begin(), p.alice.public_key().end(), ack.sender.begin());
  std::copy(p.bob.public_key().begin(), p.bob.public_key().end(), ack.recipient.begin());
  ack.outcome = wire::direct::Outcome::accepted;
  ack.seq = 17;
  mac_ack(ack, kb.send);  // bob acks to alice
  EXPECT_TRUE(verify_ack(ack, ka.receive));
  auto changed = ack;
  changed.seq = 18;
  EXPECT_FALSE(verify_ack(changed, ka.receive));
  auto rejected = ack;
  rejected.outcome = wire::direct::Outcome::rejected;
  EXPECT_FALSE(verify_ack(rejected, ka.receive));
  // A third daemon's agent, with its own pair key towards alice, cannot forge it.
  auto mallory = crypto::SigningKey::generate();
  auto forged = ack;
  mac_ack(forged, derive_pair_keys(mallory, p.alice.agent_id()).value().send);
  EXPECT_FALSE(verify_ack(forged, ka.receive));
  auto garbage = ack;
  garbage.mac = std::string(40, '\0');
  EXPECT_FALSE(verify_ack(garbage, ka.receive));
}

TEST(PairKeyCacheTest, HitsMissesAndEviction) {
  Pair p;
  PairKeyCache cache(2);
  auto c1 = crypto::SigningKey::generate();
  auto c2 = crypto::SigningKey::generate();
  ASSERT_TRUE(cache.get(p.alice, p.bob.agent_id()));
  ASSERT_TRUE(cache.get(p.alice, p.bob.agent_id()));
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 1u);
  ASSERT_TRUE(cache.get(p.alice, c1.agent_id()));
  ASSERT_TRUE(cache.get(p.alice, c2.agent_id()));  // evicts (alice, bob), the least recent
  EXPECT_EQ(cache.size(), 2u);
  ASSERT_TRUE(cache.get(p.alice, p.bob.agent_id()));
  EXPECT_EQ(cache.misses(), 4u);
  EXPECT_EQ(cache.get(p.alice, p.bob.agent_id()).value().send,
            derive_pair_keys(p.alice, p.bob.agent_id()).value().send);
}

}  // namespace
}  // namespace agentmesh::direct
