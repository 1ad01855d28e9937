// Conversation views in both store backends: counting, participants, the
// kept messages and their bound, the per-agent bound, reply lookup,
// expiry-based listing, purging, totals.

#include <gtest/gtest.h>

#include "unit/store/store_fixture.hpp"

namespace agentmesh::store {
namespace {

class ConversationStoreTest : public StoreTest {
 protected:
  ConversationMessage message(const AgentId& agent, const std::string& conversation, bool sent, const AgentId& peer,
                              UnixMs time_ms, std::string body, std::string reply_with = {}) {
    ConversationMessage m;
    m.agent = agent;
    m.conversation = conversation;
    m.sent = sent;
    m.peer = peer;
    m.request_id = crypto::new_request_id();
    m.seq = Seq{sent ? 0u : 7u};
    m.time_ms = time_ms;
    m.content.content_type = "text/plain";
    m.content.body = std::move(body);
    m.content.conversation_id = conversation;
    m.content.reply_with = std::move(reply_with);
    m.content.protocol = "fipa-request";
    return m;
  }
  bool note(ConversationMessage m, ConversationLimits limits = {}) {
    bool created = false;
    txn([&] {
      auto r = store_->note_conversation(m, limits);
      ASSERT_TRUE(r) << r.error().message();
      created = *r;
    });
    return created;
  }
  std::vector<std::string> bodies(const AgentId& agent, const std::string& id, std::uint64_t after = 0) {
    std::vector<std::string> out;
    for (const auto& m : store_->list_conversation_messages(agent, id, after, 100).value())
      out.push_back(m.content.body);
    return out;
  }
};

TEST_P(ConversationStoreTest, AViewCountsMessagesBothWaysWithItsParticipants) {
  const auto alice = random_agent();
  const auto bob = random_agent();
  const auto carol = random_agent();
  EXPECT_TRUE(note(message(alice, "c1", true, bob, 100, "hello")));
  EXPECT_FALSE(note(message(alice, "c1", false, bob, 250, "hi back")));
  EXPECT_FALSE(note(message(alice, "c1", false, carol, 200, "me too")));  // arrived late: last stays 250
  EXPECT_TRUE(note(message(bob, "c1", false, alice, 100, "hello")));      // bob's own view
  auto c = store_->get_conversation(alice, "c1").value();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->messages, 3u);
  EXPECT_EQ(c->first_ms, 100);
  EXPECT_EQ(c->last_ms, 250);
  EXPECT_EQ(c->protocol, "fipa-request");
  std::vector<AgentId> who = {alice, bob, carol};
  std::sort(who.begin(), who.end());
  EXPECT_EQ(c->participants, who);
  EXPECT_EQ(bodies(alice, "c1"), (std::vector<std::string>{"hello", "hi back", "me too"}));
  EXPECT_EQ(bodies(alice, "c1", 2), (std::vector<std::string>{"me too"}));
  auto msgs = store_->list_conversation_messages(alice, "c1", 0, 10).value();
  EXPECT_TRUE(msgs[0].sent);
  EXPECT_FALSE(msgs[1].sent);
  EXPECT_EQ(msgs[1].peer, bob);
  EXPECT_EQ(msgs[1].seq, Seq{7});
  EXPECT_EQ(store_->get_conversation(bob, "c1").value()->messages, 1u);
  EXPECT_FALSE(store_->get_conversation(carol, "c1").value());
}

TEST_P(ConversationStoreTest, OnlyTheNewestMessagesAndViewsAreKept) {
  const auto alice = random_agent();
  const auto bob = random_agent();
  ConversationLimits limits;
  limits.max_messages = 2;
  limits.max_per_agent = 2;
  for (int i = 1; i <= 4; ++i) note(message(alice, "long", false, bob, i, "m" + std::to_string(i)), limits);
  EXPECT_EQ(store_->get_conversation(alice, "long").value()->messages, 4u);  // all counted
  EXPECT_EQ(bodies(alice, "long"), (std::vector<std::string>{"m3", "m4"}));
  note(message(alice, "second", false, bob, 10, "x"), limits);
  note(message(alice, "third", false, bob, 20, "y"), limits);  // over the bound: "long" (last 4) goes
  EXPECT_FALSE(store_->get_conversation(alice, "long").value());
  EXPECT_TRUE(bodies(alice, "long").empty());
  EXPECT_TRUE(store_->get_conversation(alice, "second").value());
  EXPECT_TRUE(store_->get_conversation(alice, "third").value());
}

TEST_P(ConversationStoreTest, ARepliedToMessageIsFoundByReplyWithOrRequestId) {
  const auto alice = random_agent();
  const auto bob = random_agent();
  auto asked = message(alice, "c1", false, bob, 100, "question", "q-1");
  const auto id = asked.request_id;
  note(asked);
  note(message(alice, "c1", true, bob, 110, "sent, not received", "q-2"));
  auto by_ref = store_->find_received(alice, "q-1", std::nullopt).value();
  ASSERT_TRUE(by_ref);
  EXPECT_EQ(by_ref->peer, bob);
  EXPECT_EQ(by_ref->conversation, "c1");
  auto by_id = store_->find_received(alice, id.to_string(), id).value();
  ASSERT_TRUE(by_id);
  EXPECT_EQ(by_id->content.body, "question");
  EXPECT_FALSE(store_->find_received(alice, "q-2", std::nullopt).value());  // alice sent that one
  EXPECT_FALSE(store_->find_received(bob, "q-1", std::nullopt).value());    // not bob's view
  EXPECT_FALSE(store_->find_received(alice, "", std::nullopt).value());
}

// The SQLite backend indexes a view by the minute of its last message: the
// order and the cut-offs must still follow the exact times across minutes.
TEST_P(ConversationStoreTest, RecencyAcrossMinutesFollowsTheExactTimes) {
  const auto alice = random_agent();
  const auto bob = random_agent();
  ConversationLimits limits;
  limits.max_per_agent = 3;
  note(message(alice, "early", false, bob, 1'000, "1"), limits);        // minute 0 ...
  note(message(alice, "middle", false, bob, 61'000, "1"), limits);      // minute 1
  note(message(alice, "late-in-1", false, bob, 119'000, "1"), limits);  // minute 1, later
  note(message(alice, "early", true, bob, 150'000, "2"), limits);       // ... moved to minute 2
  note(message(alice, "new", false, bob, 151'000, "1"), limits);        // over the bound: "middle" goes
  EXPECT_FALSE(store_->get_conversation(alice, "middle").value());
  for (const char* kept : {"early", "late-in-1", "new"}) EXPECT_TRUE(store_->get_conversation(alice, kept).value());
  const auto idle = store_->conversations_idle_between(100'000, 150'500).value();
  ASSERT_EQ(idle.size(), 2u);  // late-in-1 (119,000) and early (150,000), not new (151,000)
  txn([&] { EXPECT_EQ(store_->purge_conversations(119'000).value(), 0u); });
  txn([&] { EXPECT_EQ(store_->purge_conversations(150'001).value(), 2u); });
  EXPECT_TRUE(store_->get_conversation(alice, "new").value());
  EXPECT_FALSE(store_->get_conversation(alice, "early").value());
  // Purged and evicted views no longer count toward the bound: two new ones
  // make three, and nothing goes.
  note(message(alice, "x", false, bob, 160'000, "1"), limits);
  note(message(alice, "y", false, bob, 161'000, "1"), limits);
  for (const char* kept : {"new", "x", "y"}) EXPECT_TRUE(store_->get_conversation(alice, kept).value());
}

TEST_P(ConversationStoreTest, ListsByStatePurgesIdleViewsAndTotals) {
  const auto alice = random_agent();
  const auto bob = random_agent();
  note(message(alice, "a-old", false, bob, 100, "1"));
  note(message(alice, "b-new", false, bob, 1000, "1"));
  note(message(alice, "b-new", true, bob, 1500, "2"));
  note(message(bob, "z", true, alice, 900, "1"));
  ConversationQuery q;
  q.agent = alice;
  q.active_since = 500;
  auto ids = [&] {
    std::vector<std::string> out;
    for (const auto& c : store_->list_conversations(q).value()) out.push_back(c.id);
    return out;
  };
  EXPECT_EQ(ids(), (std::vector<std::string>{"a-old", "b-new"}));
  q.state = ConversationQuery::State::active;
  EXPECT_EQ(ids(), (std::vector<std::string>{"b-new"}));
  q.state = ConversationQuery::State::expired;
  EXPECT_EQ(ids(), (std::vector<std::string>{"a-old"}));
  q.state = ConversationQuery::State::any;
  q.after = "a-old";
  EXPECT_EQ(ids(), (std::vector<std::string>{"b-new"}));
  auto t = store_->conversation_totals(500).value();
  EXPECT_EQ(t.views, 3u);
  EXPECT_EQ(t.active, 2u);
  EXPECT_EQ(t.messages, 4u);
  EXPECT_EQ(t.duration_ms, 500);
  txn([&] { EXPECT_EQ(store_->purge_conversations(100).value(), 0u); });
  txn([&] { EXPECT_EQ(store_->purge_conversations(950).value(), 2u); });
  EXPECT_FALSE(store_->get_conversation(alice, "a-old").value());
  EXPECT_TRUE(bodies(alice, "a-old").empty());
  EXPECT_TRUE(store_->get_conversation(alice, "b-new").value());
}

TEST_P(ConversationStoreTest, DeletingAnAgentDeletesItsViews) {
  auto a = make_agent("conv-a");
  txn([&] { ASSERT_TRUE(store_->insert_agent(a)); });
  note(message(a.id, "c", false, random_agent(), 1, "x"));
  txn([&] { ASSERT_TRUE(store_->delete_agent(a.id)); });
  EXPECT_FALSE(store_->get_conversation(a.id, "c").value());
  EXPECT_TRUE(bodies(a.id, "c").empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, ConversationStoreTest, ::testing::Values("memory", "sqlite"));

}  // namespace
}  // namespace agentmesh::store
