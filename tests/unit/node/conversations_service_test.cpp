// node/conversations with a ManualClock and the memory store: both local
// participants' views from one loopback send, a reply that names neither
// recipient nor conversation, a conversation across two daemons, idle
// expiry and retention, and the figures.

#include <gtest/gtest.h>

#include "direct/error.hpp"
#include "node/conversations.hpp"
#include "node/error.hpp"
#include "unit/node/rig.hpp"

namespace agentmesh::node::test {
namespace {

using namespace std::chrono_literals;

class ConversationServiceTest : public ::testing::Test {
 protected:
  std::unique_ptr<Rig> rig(const std::string& name) { return std::make_unique<Rig>(ioc_, clock_, dir_.path() / name); }
  static SendRequest message(std::string to, std::string body, std::string conversation, std::string reply_with = {},
                             std::string in_reply_to = {}) {
    SendRequest r;
    r.to = std::move(to);
    r.content.body = std::move(body);
    r.content.content_type = "text/plain";
    r.content.conversation_id = std::move(conversation);
    r.content.reply_with = std::move(reply_with);
    r.content.in_reply_to = std::move(in_reply_to);
    return r;
  }
  static std::vector<std::string> bodies(const ConversationView& v) {
    std::vector<std::string> out;
    for (const auto& m : v.messages) out.push_back((m.sent ? "> " : "< ") + m.content.body);
    return out;
  }

  std::shared_ptr<core::ManualClock> clock_ = std::make_shared<core::ManualClock>();
  testutil::TempDir dir_;
  boost::asio::io_context ioc_;
};

TEST_F(ConversationServiceTest, ALoopbackExchangeAndAReplyFillEveryLocalView) {
  auto a = rig("a");
  const auto alice = a->create_agent("alice");
  const auto bob = a->create_agent("bob");
  ASSERT_TRUE(a->await(a->direct->send(alice, message("bob", "how much?", "deal-1", "q1"))));
  ASSERT_TRUE(a->await(a->direct->send(alice, message("bob", "untracked", ""))));  // no conversation: no view
  // bob answers q1 naming neither alice nor the conversation.
  auto reply = a->await(a->direct->send(bob, message("", "ten", "", "", "q1")));
  ASSERT_TRUE(reply) << reply.error().message();
  EXPECT_EQ(reply->recipient, alice);
  auto mine = a->conversations->get(alice, "deal-1", 0, 100);
  ASSERT_TRUE(mine) << mine.error().message();
  EXPECT_EQ(bodies(*mine), (std::vector<std::string>{"> how much?", "< ten"}));
  EXPECT_EQ(mine->conversation.messages, 2u);
  EXPECT_EQ(mine->conversation.state, ConversationState::active);
  std::vector<core::AgentId> both = {alice, bob};
  std::sort(both.begin(), both.end());
  EXPECT_EQ(mine->conversation.participants, both);
  auto theirs = a->conversations->get(bob, "deal-1", 0, 100).value();
  EXPECT_EQ(bodies(theirs), (std::vector<std::string>{"< how much?", "> ten"}));
  EXPECT_EQ(theirs.messages[0].seq.value, 1u);  // bob's inbox seq
  EXPECT_EQ(a->conversations->list(alice, {}).value().size(), 1u);
  // A reply whose reference matches nothing needs a recipient.
  EXPECT_EQ(a->await(a->direct->send(bob, message("", "?", "", "", "nope"))).error(), error::unknown_reply_target);
  EXPECT_EQ(a->conversations->get(alice, "other", 0, 10).error(), error::unknown_conversation);
  EXPECT_EQ(a->conversations->get(core::AgentId{}, "deal-1", 0, 10).error(), error::unknown_agent);
  auto stats = a->conversations->stats().value();
  EXPECT_EQ(stats.views, 2u);
  EXPECT_EQ(stats.created, 2u);
  EXPECT_DOUBLE_EQ(stats.average_messages, 2.0);
}

TEST_F(ConversationServiceTest, ARemoteConversationIsTrackedOnBothDaemons) {
  auto a = rig("a");
  auto b = rig("b");
  const auto alice = a->create_agent("alice");
  const auto carol = b->create_agent("carol");
  Rig::link(*a, *b);
  clock_->advance(1s);
  b->directory->tick();  // a learns where carol lives
  auto sent = a->await(a->direct->send(alice, message(carol.to_string(), "ping", "remote-1", "p1")));
  ASSERT_TRUE(sent) << sent.error().message();
  a->direct->tick();
  ASSERT_TRUE(b->run_until([&] { return b->conversations->get(carol, "remote-1", 0, 10).has_value(); }));
  EXPECT_EQ(bodies(a->conversations->get(alice, "remote-1", 0, 10).value()), (std::vector<std::string>{"> ping"}));
  auto at_b = b->conversations->get(carol, "remote-1", 0, 10).value();
  EXPECT_EQ(bodies(at_b), (std::vector<std::string>{"< ping"}));
  EXPECT_EQ(at_b.messages[0].from, alice);
  // carol's reply goes back to alice's daemon into the same conversation.
  auto reply = b->await(b->direct->send(carol, message("", "pong", "", "", "p1")));
  ASSERT_TRUE(reply) << reply.error().message();
  EXPECT_EQ(reply->recipient, alice);
  b->direct->tick();
  ASSERT_TRUE(a->run_until([&] {
    auto v = a->conversations->get(alice, "remote-1", 0, 10);
    return v && v->messages.size() == 2;
  }));
  EXPECT_EQ(bodies(a->conversations->get(alice, "remote-1", 0, 10).value()),
            (std::vector<std::string>{"> ping", "< pong"}));
}

TEST_F(ConversationServiceTest, AnIdleConversationExpiresThenIsPurgedAfterTheRetention) {
  auto a = rig("a");
  const auto alice = a->create_agent("alice");
  a->create_agent("bob");
  const auto& cfg = a->ctx.config->conversations;
  ASSERT_TRUE(a->await(a->direct->send(alice, message("bob", "1", "quiet"))));
  clock_->advance(1s);
  ASSERT_TRUE(a->await(a->direct->send(alice, message("bob", "2", "quiet"))));
  a->conversations->tick();  // starts watching for views that expire
  clock_->advance(std::chrono::milliseconds(cfg.idle_timeout_ms - 1));
  ASSERT_TRUE(a->await(a->direct->send(alice, message("bob", "new", "busy"))));
  clock_->advance(1ms);
  ConversationListQuery q;
  q.state = ConversationState::expired;
  auto expired = a->conversations->list(alice, q).value();
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].id, "quiet");
  EXPECT_EQ(expired[0].state, ConversationState::expired);
  q.state = ConversationState::active;
  ASSERT_EQ(a->conversations->list(alice, q).value().size(), 1u);
  EXPECT_EQ(a->conversations->stats().value().active, 2u);  // bob's view of "busy" and alice's
  // The expired views' lengths and durations are observed once.
  a->conversations->tick();
  a->conversations->tick();
  const auto ended = a->conversations->stats().value();
  EXPECT_EQ(ended.ended_messages.count, 2u);
  EXPECT_DOUBLE_EQ(ended.ended_messages.sum, 4.0);
  EXPECT_DOUBLE_EQ(ended.ended_duration_ms.sum, 2000.0);
  // Not purged a millisecond before the retention ends; purged at it.
  clock_->advance(std::chrono::milliseconds(cfg.retention_ms - 1));
  EXPECT_EQ(a->await(a->conversations->purge(clock_->now_ms())).value(), 0u);
  clock_->advance(1ms);
  EXPECT_EQ(a->await(a->conversations->purge(clock_->now_ms())).value(), 2u);  // alice's and bob's views
  EXPECT_EQ(a->conversations->get(alice, "quiet", 0, 10).error(), error::unknown_conversation);
  EXPECT_TRUE(a->conversations->get(alice, "busy", 0, 10));
  EXPECT_EQ(a->conversations->stats().value().purged, 2u);
}

}  // namespace
}  // namespace agentmesh::node::test
