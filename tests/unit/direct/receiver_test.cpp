// Every receiver rejection reason, in the order the checks run; the retry
// schedule and the circuit breaker with a manual clock.
#include "direct/receiver.hpp"

#include <gtest/gtest.h>

#include "direct/error.hpp"
#include "direct/retry.hpp"
#include "wire/error.hpp"

namespace agentmesh::direct {
namespace {

using namespace std::chrono_literals;
constexpr std::uint64_t kNow = 1'795'000'000'000;

class ReceiverTest : public ::testing::Test {
 protected:
  crypto::SigningKey alice_ = crypto::SigningKey::generate();
  crypto::SigningKey bob_ = crypto::SigningKey::generate();
  ReceiverConfig config_;
  PairKeyCache keys_;
  HostedKey hosted_ = [this](const core::AgentId& id) -> const crypto::SigningKey* {
    return id == bob_.agent_id() ? &bob_ : nullptr;
  };

  // alice -> bob, sealed with the real pair key unless `with` is given.
  std::string envelope(std::function<void(wire::direct::Envelope&, wire::direct::Body&)> edit = {},
                       const crypto::SigningKey* signer = nullptr) {
    wire::direct::Envelope e;
    e.request_id.fill(0x44);
    std::copy(alice_.public_key().begin(), alice_.public_key().end(), e.sender.begin());
    std::copy(bob_.public_key().begin(), bob_.public_key().end(), e.recipient.begin());
    e.sender_peer = std::string(38, '\x03');
    e.created_ms = kNow;
    e.expires_ms = kNow + 120'000;
    wire::direct::Body b;
    b.payload = "hi";
    if (edit) edit(e, b);
    seal(e, b, derive_pair_keys(alice_, core::AgentId::from_array(e.recipient)).value().send, signer);
    return wire::direct::encode(e);
  }
  Result<Received> check(const std::string& encoded, std::uint64_t now = kNow) {
    return check_envelope({reinterpret_cast<const std::uint8_t*>(encoded.data()), encoded.size()}, now, config_,
                          hosted_, keys_);
  }
};

TEST_F(ReceiverTest, AValidEnvelopeIsAcceptedWithItsBody) {
  auto r = check(envelope({}, &alice_));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->body.payload, "hi");
  EXPECT_TRUE(r->body.signature);
  EXPECT_EQ(core::AgentId::from_array(r->envelope.sender), alice_.agent_id());
}

// Within max_skew after its expiry an envelope is still authenticated, so a
// sender's confirming attempt can learn the original outcome; it is marked
// expired, never to be committed. Unauthenticated, it is refused as before.
TEST_F(ReceiverTest, AnEnvelopeJustPastItsExpiryIsAuthenticatedAndMarkedExpired) {
  auto before = check(envelope(), kNow + 119'999);
  ASSERT_TRUE(before);
  EXPECT_FALSE(before->expired);
  auto at = check(envelope(), kNow + 120'000);
  ASSERT_TRUE(at) << at.error().message();
  EXPECT_TRUE(at->expired);
  auto last = check(envelope(), kNow + 149'999);
  ASSERT_TRUE(last);
  EXPECT_TRUE(last->expired);
  EXPECT_EQ(check(envelope(), kNow + 150'000).error(), error::expired);
  auto encoded = envelope();
  auto e = wire::direct::decode_envelope({reinterpret_cast<const std::uint8_t*>(encoded.data()), encoded.size()})
               .value();
  e.ciphertext[40] ^= 1;
  EXPECT_EQ(check(wire::direct::encode(e), kNow + 120'000).error(), error::not_authenticated);
}

TEST_F(ReceiverTest, EachCheckRejectsWithItsReason) {
  // 1. size
  config_.limits.max_envelope_bytes = 100;
  EXPECT_EQ(check(envelope()).error(), error::payload_too_large);
  config_.limits = {};
  EXPECT_EQ(check("\xff\xff").error(), wire::error::bad_protobuf);
  // 2. version
  EXPECT_EQ(check(envelope([](auto& e, auto&) { e.version = 2; })).error(), error::unsupported_version);
  // 3. clock window
  EXPECT_EQ(check(envelope([](auto& e, auto&) { e.created_ms = kNow + 31'000; e.expires_ms = kNow + 60'000; }))
                .error(),
            error::clock_skew);
  EXPECT_TRUE(check(envelope([](auto& e, auto&) { e.created_ms = kNow + 29'000; })));  // within the skew
  EXPECT_EQ(check(envelope(), kNow + 150'000).error(), error::expired);  // past the expiry by max_skew
  EXPECT_EQ(check(envelope([](auto& e, auto&) { e.expires_ms = kNow + 600'001; })).error(), error::lifetime_too_long);
  EXPECT_EQ(check(envelope([](auto& e, auto&) { e.expires_ms = kNow - 1; }), kNow - 2).error(),
            error::lifetime_too_long);  // expires before it was created
  // 4. recipient hosted here
  auto carol = crypto::SigningKey::generate();
  EXPECT_EQ(check(envelope([&](auto& e, auto&) {
              std::copy(carol.public_key().begin(), carol.public_key().end(), e.recipient.begin());
            })).error(),
            error::unknown_recipient);
  // 5. authentication: tampered ciphertext, a forged sender, a bad signature
  auto encoded = envelope();
  auto e = wire::direct::decode_envelope({reinterpret_cast<const std::uint8_t*>(encoded.data()), encoded.size()})
               .value();
  e.ciphertext[40] ^= 1;
  EXPECT_EQ(check(wire::direct::encode(e)).error(), error::not_authenticated);
  auto forged = envelope();  // sealed by alice, then the sender is rewritten to carol
  auto f = wire::direct::decode_envelope({reinterpret_cast<const std::uint8_t*>(forged.data()), forged.size()}).value();
  std::copy(carol.public_key().begin(), carol.public_key().end(), f.sender.begin());
  EXPECT_EQ(check(wire::direct::encode(f)).error(), error::not_authenticated);
  EXPECT_EQ(check(envelope([](auto&, auto& b) {
              b.signature.emplace();
              b.signature->fill(9);
            })).error(),
            error::bad_signature);
  // 6. payload limit
  config_.max_payload_bytes = 1;
  EXPECT_EQ(check(envelope()).error(), error::payload_too_large);
}

TEST(RetryScheduleTest, ExponentialWithJitterAndACap) {
  RetryConfig c;
  EXPECT_EQ(retry_delay(c, 1, 0.5), 250ms);
  EXPECT_EQ(retry_delay(c, 2, 0.5), 500ms);
  EXPECT_EQ(retry_delay(c, 5, 0.5), 4000ms);
  EXPECT_EQ(retry_delay(c, 9, 0.5), 60'000ms);   // 64 s capped at 60 s
  EXPECT_EQ(retry_delay(c, 30, 0.5), 60'000ms);
  EXPECT_EQ(retry_delay(c, 1, 0.0), 200ms);      // -20%
  EXPECT_EQ(retry_delay(c, 1, 0.999999), 299ms); // just under +20%
  EXPECT_EQ(retry_delay(c, 9, 0.0), 48'000ms);
}

TEST(CircuitBreakerTest, OpensAfterFiveFailuresThenProbesOnceWhenHalfOpen) {
  using State = CircuitBreaker::State;
  CircuitBreaker b;
  const CircuitBreaker::Time t0{};
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(b.allow(t0));
    b.on_failure(t0);
  }
  EXPECT_EQ(b.state(t0), State::closed);
  b.on_failure(t0);  // the fifth
  EXPECT_EQ(b.state(t0), State::open);
  EXPECT_FALSE(b.allow(t0 + 29s));
  EXPECT_EQ(b.state(t0 + 30s), State::half_open);
  EXPECT_TRUE(b.allow(t0 + 30s));   // the probe
  EXPECT_FALSE(b.allow(t0 + 31s));  // only one
  b.on_failure(t0 + 31s);           // probe failed: open again, for 30 s from now
  EXPECT_EQ(b.state(t0 + 60s), State::open);
  EXPECT_TRUE(b.allow(t0 + 61s));
  b.on_success();
  EXPECT_EQ(b.state(t0 + 61s), State::closed);
  EXPECT_EQ(b.consecutive_failures(), 0u);
  EXPECT_TRUE(b.allow(t0 + 61s));
  b.on_failure(t0 + 62s);  // one failure after closing does not open it
  EXPECT_EQ(b.state(t0 + 62s), State::closed);
}

}  // namespace
}  // namespace agentmesh::direct
