#include "direct/delivery.hpp"

#include <gtest/gtest.h>

#include "crypto/crypto.hpp"
#include "direct/error.hpp"
#include "store/memory_store.hpp"

namespace agentmesh::direct {
namespace {

class DeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    recipient_.id = crypto::SigningKey::generate().agent_id();
    recipient_.name = "bob";
    ASSERT_TRUE(store_.begin());
    ASSERT_TRUE(store_.insert_agent(recipient_));
    ASSERT_TRUE(store_.commit());
  }
  Delivery make(const std::string& body, const core::RequestId& rid, core::UnixMs dedup_expires) {
    Delivery d;
    d.record.agent = recipient_.id;
    d.record.sender = sender_;
    d.record.request_id = rid;
    d.record.content.body = body;
    d.digest = content_digest(recipient_.id, d.record.content);
    d.dedup_expires_ms = dedup_expires;
    return d;
  }
  Result<DeliveryResult> run(Delivery& d) {
    EXPECT_TRUE(store_.begin());
    auto r = deliver(store_, d);
    EXPECT_TRUE(store_.commit());
    return r;
  }

  store::MemoryStore store_;
  store::AgentRecord recipient_;
  core::AgentId sender_ = crypto::SigningKey::generate().agent_id();
};

TEST_F(DeliveryTest, SameRequestSameContentIsADuplicateWithTheOriginalSeq) {
  const auto rid = crypto::new_request_id();
  auto first = make("hello", rid, 1000);
  auto r1 = run(first);
  ASSERT_TRUE(r1);
  EXPECT_FALSE(r1->duplicate);
  auto again = make("hello", rid, 1000);
  auto r2 = run(again);
  ASSERT_TRUE(r2);
  EXPECT_TRUE(r2->duplicate);
  EXPECT_EQ(r2->seq, r1->seq);
  EXPECT_EQ(store_.read_inbox(recipient_.id, core::Seq{0}, 10)->size(), 1u);
}

TEST_F(DeliveryTest, SameRequestDifferentContentIsAConflictAndDeliversNothing) {
  const auto rid = crypto::new_request_id();
  auto first = make("hello", rid, 1000);
  ASSERT_TRUE(run(first));
  auto other = make("HELLO", rid, 1000);
  EXPECT_EQ(run(other).error(), error::idempotency_conflict);
  EXPECT_EQ(store_.read_inbox(recipient_.id, core::Seq{0}, 10)->size(), 1u);
}

TEST_F(DeliveryTest, WithoutDedupEveryDeliveryAppends) {
  const auto rid = crypto::new_request_id();
  auto a = make("x", rid, 0);
  auto b = make("x", rid, 0);
  EXPECT_EQ(run(a)->seq.value, 1u);
  EXPECT_EQ(run(b)->seq.value, 2u);
  EXPECT_FALSE(*store_.find_dedup(sender_, rid));
}

TEST_F(DeliveryTest, UnknownRecipientIsNotFound) {
  auto d = make("x", crypto::new_request_id(), 1000);
  d.record.agent = crypto::SigningKey::generate().agent_id();
  EXPECT_EQ(run(d).error(), store::error::not_found);
}

TEST(ContentDigestTest, EveryFieldAndTheRecipientCount) {
  const auto to = crypto::SigningKey::generate().agent_id();
  store::MessageContent c;
  c.body = "b";
  const auto base = content_digest(to, c);
  EXPECT_EQ(content_digest(to, c), base);
  EXPECT_NE(content_digest(crypto::SigningKey::generate().agent_id(), c), base);
  std::vector<std::function<void(store::MessageContent&)>> changes = {
      [](auto& m) { m.body = "B"; },          [](auto& m) { m.content_type = "x"; },
      [](auto& m) { m.performative = "x"; },  [](auto& m) { m.conversation_id = "x"; },
      [](auto& m) { m.reply_with = "x"; },    [](auto& m) { m.in_reply_to = "x"; },
      [](auto& m) { m.protocol = "x"; },      [](auto& m) { m.metadata = {{"k", "v"}}; },
  };
  for (const auto& change : changes) {
    auto m = c;
    change(m);
    EXPECT_NE(content_digest(to, m), base);
  }
  // Length prefixes keep field boundaries: moving a byte between fields changes the digest.
  store::MessageContent x, y;
  x.body = "ab";
  y.body = "a";
  y.content_type = "b";
  EXPECT_NE(content_digest(to, x), content_digest(to, y));
}

TEST(IdempotencyKeyTest, DeterministicPerSenderAndKey) {
  const auto a = crypto::SigningKey::generate().agent_id();
  const auto b = crypto::SigningKey::generate().agent_id();
  EXPECT_EQ(request_id_for_key(a, "k1"), request_id_for_key(a, "k1"));
  EXPECT_NE(request_id_for_key(a, "k1"), request_id_for_key(a, "k2"));
  EXPECT_NE(request_id_for_key(a, "k1"), request_id_for_key(b, "k1"));
}

}  // namespace
}  // namespace agentmesh::direct
