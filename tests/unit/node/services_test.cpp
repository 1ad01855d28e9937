// The node's services on the memory store with a ManualClock and no sockets:
// timing is driven by the test (clock + tick()), never by sleeps.

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <future>

#include "core/condition.hpp"
#include "crypto/crypto.hpp"
#include "direct/error.hpp"
#include "node/error.hpp"
#include "store/error.hpp"
#include "store/memory_store.hpp"
#include "transport/error.hpp"
#include "unit/node/rig.hpp"
#include "wire/advert.hpp"
#include "wire/direct.hpp"

namespace agentmesh::node::test {
namespace {

using namespace std::chrono_literals;

class ServicesTest : public ::testing::Test {
 protected:
  std::shared_ptr<core::ManualClock> clock_ = std::make_shared<core::ManualClock>();
  testutil::TempDir dir_;
  boost::asio::io_context ioc_;

  std::unique_ptr<Rig> rig(const std::string& name, std::shared_ptr<spdlog::logger> log = nullptr) {
    return std::make_unique<Rig>(ioc_, clock_, dir_.path() / name, std::move(log));
  }
  // Links two rigs and lets a learn from b's advert where b's agents live.
  void link_and_advertise(Rig& a, Rig& b) {
    Rig::link(a, b);
    clock_->advance(1s);
    b.directory->tick();
  }
  // An attempt of `id` has ended: the message waits (queued) with that many attempts.
  static bool settled(Rig& r, const core::AgentId& sender, const core::RequestId& id, std::uint32_t attempts) {
    return r.run_until([&] {
      auto s = r.direct->status(sender, id);
      return s->attempts == attempts && s->state == direct::MessageState::queued;
    });
  }
  // `count` more attempts of `id`, each when the retry schedule (250 ms, then
  // doubling) makes it due, and each ending queued again.
  ::testing::AssertionResult retried(Rig& r, const core::AgentId& sender, const core::RequestId& id, int count) {
    const auto first = r.direct->status(sender, id)->attempts;
    for (int i = 0; i < count; ++i) {
      clock_->advance(std::chrono::milliseconds(250 << (first - 1 + static_cast<std::uint32_t>(i))));
      r.direct->tick();
      if (!settled(r, sender, id, first + 1 + static_cast<std::uint32_t>(i))) {
        return ::testing::AssertionFailure() << "retry " << i << " did not end";
      }
    }
    return ::testing::AssertionSuccess();
  }
  static SendRequest message(std::string to, std::string body, std::optional<std::string> key = std::nullopt) {
    SendRequest r;
    r.to = std::move(to);
    r.content.body = std::move(body);
    r.content.content_type = "text/plain";
    r.idempotency_key = std::move(key);
    return r;
  }
};

TEST_F(ServicesTest, LoopbackSendsAreCommittedInOrderAndAckedCumulatively) {
  auto a = rig("a");
  const auto alice = a->create_agent("alice");
  const auto bob = a->create_agent("bob");
  for (int i = 1; i <= 3; ++i) {
    auto r = a->await(a->direct->send(alice, message("bob", "m" + std::to_string(i))));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->seq.value, static_cast<std::uint64_t>(i));
    EXPECT_EQ(r->path, direct::Path::loopback);
  }
  auto page = a->inboxes->read(bob, core::Seq{1}, 10);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].content.body, "m2");
  auto acked = a->await(a->inboxes->ack(bob, core::Seq{2}));
  ASSERT_TRUE(acked);
  EXPECT_EQ(acked->acked.value, 2u);
  EXPECT_EQ(a->await(a->inboxes->ack(bob, core::Seq{9})).error(), store::error::beyond_last);
  EXPECT_EQ(a->inboxes->position(bob)->unacked(), 1u);
}

// Retention: acked messages older than acked_retention_ms and dedup rows past
// their expiry go at the first pass after them; unacked messages never do.
TEST_F(ServicesTest, RetentionPrunesAckedMessagesAndExpiredDedupRows) {
  auto a = rig("a");
  const auto alice = a->create_agent("alice");
  const auto bob = a->create_agent("bob");
  ASSERT_TRUE(a->await(a->direct->send(alice, message("bob", "keyed", "k1"))));
  ASSERT_TRUE(a->await(a->direct->send(alice, message("bob", "second"))));
  ASSERT_TRUE(a->await(a->inboxes->ack(bob, core::Seq{1})));
  // The same key and content within the retention: a duplicate, no new seq.
  auto dup = a->await(a->direct->send(alice, message("bob", "keyed", "k1")));
  ASSERT_TRUE(dup);
  EXPECT_TRUE(dup->duplicate);
  EXPECT_EQ(dup->seq.value, 1u);

  // Not yet due: nothing is purged.
  EXPECT_EQ(a->inboxes->tick(), clock_->now_ms() + 60'000);
  clock_->advance(24h - 1ms);  // just inside the idempotency and acked retention: both kept
  auto kept = a->await(a->inboxes->purge(clock_->now_ms()));
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->dedup, 0u);
  EXPECT_EQ(kept->acked, 0u);
  clock_->advance(1min);
  a->inboxes->tick();  // the pass, as its ticker runs it
  ASSERT_TRUE(a->run_until([&] { return a->inboxes->stats().purged_acked == 1; }));
  EXPECT_EQ(a->inboxes->stats().purged_dedup, 1u);
  auto left = a->inboxes->read(bob, core::Seq{0}, 10);
  ASSERT_TRUE(left);
  ASSERT_EQ(left->size(), 1u);  // the unacked one stays
  EXPECT_EQ((*left)[0].content.body, "second");
  // The key is forgotten: the same send is a new message now.
  auto again = a->await(a->direct->send(alice, message("bob", "keyed", "k1")));
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->duplicate);
  EXPECT_EQ(again->seq.value, 3u);
}

// Presence: online while its daemon is heard (adverts, beacons); suspect
// after 4 s of silence, offline after 12 s (registry/liveness); one beacon
// brings it back; offline for an hour after its advert expired, then gone
// (here and in the store).
TEST_F(ServicesTest, PresenceFollowsTheDaemonAndTheEntryGoesAnHourAfterItsAdvert) {
  auto a = rig("a");
  auto b = rig("b");
  const auto bob = b->create_agent("bob", {"translate"});
  Rig::link(*a, *b);
  b->directory->tick();  // a round: bob was created
  auto online = a->directory->search("translate", true);
  ASSERT_EQ(online.size(), 1u);
  EXPECT_EQ(online[0].agent_id, bob.to_string());
  EXPECT_EQ(online[0].peer_id, b->mesh->self().to_string());
  EXPECT_EQ(online[0].presence, "online");
  b->mesh->forward = nullptr;  // b goes quiet
  clock_->advance(4s - 1ms);
  EXPECT_EQ(a->directory->entry(bob)->presence, "online");
  clock_->advance(1ms);
  EXPECT_EQ(a->directory->entry(bob)->presence, "suspect");
  EXPECT_TRUE(a->directory->entry(bob)->online);  // suspect still counts as online
  clock_->advance(8s);
  EXPECT_EQ(a->directory->entry(bob)->presence, "offline");
  EXPECT_FALSE(a->directory->entry(bob)->online);
  EXPECT_TRUE(a->directory->search("translate", true).empty());
  EXPECT_EQ(a->directory->search("translate", false).size(), 1u);
  a->directory->on_beacon(b->mesh->self());  // b is back
  EXPECT_EQ(a->directory->entry(bob)->presence, "online");
  // The advert's expiry still rules: past it, offline whatever the beacons say.
  clock_->advance(std::chrono::milliseconds(DirectoryService::kAdvertLifetimeMs));
  a->directory->on_beacon(b->mesh->self());
  EXPECT_EQ(a->directory->entry(bob)->presence, "offline");
  clock_->advance(1h);
  a->directory->tick();
  EXPECT_FALSE(a->directory->entry(bob));
  EXPECT_EQ(a->directory->stats().agents, 0u);
}

// An agent created or changed is advertised alone, at once: a second agent
// created just after the first does not wait for the next round (a round
// publishes every agent and waits kAdvertMinGap after the last one), and one
// agent's changes are advertised at most once per kAdvertMinGap.
TEST_F(ServicesTest, AgentsCreatedOrChangedAreAdvertisedAtOnceEachAtMostOncePerGap) {
  auto a = rig("a");
  auto b = rig("b");
  Rig::link(*a, *b);
  clock_->advance(1s);
  b->directory->tick();  // the first round (no agents yet)
  const auto published = b->directory->stats().published;
  const auto bob = b->create_agent("bob");
  b->directory->tick();
  ASSERT_TRUE(a->directory->entry(bob));
  clock_->advance(10ms);
  const auto carol = b->create_agent("carol", {"draw"});
  b->directory->tick();
  ASSERT_TRUE(a->directory->entry(carol)) << "carol waited for the round after bob's";
  EXPECT_EQ(b->directory->stats().published, published + 2);  // one advert each, no round

  // carol changes twice within the gap: the first change waits for the gap
  // after her advert, and both go as one advert.
  clock_->advance(10ms);
  UpdateAgentRequest paint;
  paint.capabilities = std::vector<std::string>{"paint"};
  ASSERT_TRUE(b->await(b->agents->update(carol, paint)));
  UpdateAgentRequest sculpt;
  sculpt.capabilities = std::vector<std::string>{"sculpt"};
  ASSERT_TRUE(b->await(b->agents->update(carol, sculpt)));
  b->directory->tick();
  EXPECT_TRUE(a->directory->search("sculpt", true).empty());
  clock_->advance(DirectoryService::kAdvertMinGap - 10ms - 1ms);  // 1 ms before carol's advert is that old
  b->directory->tick();
  EXPECT_TRUE(a->directory->search("sculpt", true).empty());
  EXPECT_EQ(b->directory->stats().published, published + 2);
  clock_->advance(1ms);
  b->directory->tick();
  ASSERT_EQ(a->directory->search("sculpt", true).size(), 1u);
  EXPECT_TRUE(a->directory->search("draw", true).empty());
  EXPECT_EQ(b->directory->stats().published, published + 3);
}

TEST_F(ServicesTest, ADeletedAgentIsWithdrawnAtOnce) {
  auto a = rig("a");
  auto b = rig("b");
  const auto bob = b->create_agent("bob");
  link_and_advertise(*a, *b);
  ASSERT_TRUE(a->directory->entry(bob)->online);
  clock_->advance(10ms);
  ASSERT_TRUE(b->await(b->agents->remove(bob)));
  EXPECT_FALSE(a->directory->entry(bob)->online);  // the withdrawal, not the expiry
}

// An agent that publishes itself to A2A clients carries its profile in its
// adverts: whole when small, without its skills past 4 KiB, gone when it
// stops publishing.
TEST_F(ServicesTest, AdvertsCarryAPublishedA2aProfile) {
  auto a = rig("a");
  auto b = rig("b");
  const auto bob = b->create_agent("bob", {"translate"});
  link_and_advertise(*a, *b);
  EXPECT_FALSE(a->directory->entry(bob)->a2a);
  EXPECT_FALSE(a->directory->published(bob));
  auto publish = [&](a2a::Profile p) {
    UpdateAgentRequest req;
    req.a2a = std::move(p);
    ASSERT_TRUE(b->await(b->agents->update(bob, std::move(req))));
    clock_->advance(1s);
    b->directory->tick();
  };
  a2a::Profile small{true, "Translates.", {a2a::Skill{"fr", "French", "to French", {"fr"}, {}}}};
  publish(small);
  ASSERT_TRUE(a->directory->entry(bob)->a2a);
  EXPECT_EQ(*a->directory->entry(bob)->a2a, small);
  EXPECT_TRUE(a->directory->published(bob));
  // A new advert whose profile has the same size: the view follows it (the
  // directory keeps each advert's profile decoded, by the advert's seq).
  a2a::Profile renamed = small;
  renamed.description = "Translator.";
  publish(renamed);
  EXPECT_EQ(a->directory->entry(bob)->a2a->description, "Translator.");
  a2a::Profile big = small;
  for (int i = 0; i < 8; ++i) {
    big.skills.push_back(a2a::Skill{"s" + std::to_string(i), "skill", std::string(900, 'd'), {}, {}});
  }
  publish(big);
  ASSERT_TRUE(a->directory->entry(bob)->a2a);
  EXPECT_EQ(a->directory->entry(bob)->a2a->description, "Translates.");
  EXPECT_TRUE(a->directory->entry(bob)->a2a->skills.empty());  // over 4 KiB: travels without skills
  small.enabled = false;
  publish(small);
  EXPECT_FALSE(a->directory->entry(bob)->a2a);
  EXPECT_FALSE(a->directory->published(bob));
}

// The direct-message timing, end to end between two rigs over the gossip
// inbox (there is no network for the direct path: its dial fails).
TEST_F(ServicesTest, RemoteSendFallsBackToTheGossipInboxAndIsAckedOnce) {
  auto a = rig("a");
  auto b = rig("b");
  const auto alice = a->create_agent("alice");
  const auto bob = b->create_agent("bob");
  link_and_advertise(*a, *b);  // a learns where bob lives
  auto queued = a->await(a->direct->send(alice, message(bob.to_string(), "over the mesh")));
  ASSERT_TRUE(queued) << queued.error().message();
  EXPECT_EQ(queued->state, direct::MessageState::queued);
  a->direct->tick();  // the attempt: direct first (the dial fails), then gossip
  ASSERT_TRUE(a->run_until([&] {
    auto s = a->direct->status(alice, queued->request_id);
    return s && s->state == direct::MessageState::accepted;
  }));
  auto status = a->direct->status(alice, queued->request_id);
  EXPECT_EQ(status->path, direct::Path::gossip);
  EXPECT_EQ(status->attempts, 1u);
  EXPECT_EQ(status->seq.value, 1u);
  EXPECT_EQ(a->mesh->dials, 1u);
  auto inbox = b->inboxes->read(bob, core::Seq{}, 10);
  ASSERT_TRUE(inbox);
  ASSERT_EQ(inbox->size(), 1u);
  EXPECT_EQ((*inbox)[0].content.body, "over the mesh");
  EXPECT_EQ((*inbox)[0].from, alice);
  const auto stats = a->direct->stats();
  EXPECT_EQ(stats.sent.attempts_direct, 1u);
  EXPECT_EQ(stats.sent.attempts_gossip, 1u);
  EXPECT_EQ(stats.sent.accepted, 1u);
  EXPECT_EQ(stats.pending, 0u);
}

// No neighbour carries bob's inbox topic (b is reachable only across the
// mesh): the message goes on the relay topic, b takes it for bob and acks
// the same way; c, a daemon hosting neither, passes both on without taking
// them. Then a forged item: an envelope under another daemon's name is
// rejected, and an author over its budget is ignored.
TEST_F(ServicesTest, WithoutAnInboxRouteAMessageCrossesTheMeshOnTheRelayTopic) {
  auto a = rig("a");
  auto b = rig("b");
  auto c = rig("c");
  const auto alice = a->create_agent("alice");
  const auto bob = b->create_agent("bob");
  const std::string relay(wire::direct::kRelayTopic);
  for (auto* r : {a.get(), b.get(), c.get()}) r->mesh->joined.insert(relay);  // as DirectService::start does
  Rig::link(*a, *b);
  a->mesh->forward = [&](const wire::pubsub::Message& m) {
    b->deliver_from_mesh(m);
    c->deliver_from_mesh(m);
  };
  b->mesh->forward = [&](const wire::pubsub::Message& m) {
    a->deliver_from_mesh(m);
    c->deliver_from_mesh(m);
  };
  for (auto* r : {a.get(), b.get()}) {
    std::erase_if(r->mesh->peers_by_topic,
                  [](const auto& e) { return e.first.starts_with(wire::direct::kInboxTopicPrefix); });
  }
  clock_->advance(1s);
  b->directory->tick();
  ASSERT_TRUE(a->directory->find(bob));
  auto queued = a->await(a->direct->send(alice, message(bob.to_string(), "across the mesh")));
  ASSERT_TRUE(queued) << queued.error().message();
  a->direct->tick();  // direct first (the dial fails), then the relay topic
  ASSERT_TRUE(a->run_until([&] {
    auto s = a->direct->status(alice, queued->request_id);
    return s && s->state == direct::MessageState::accepted;
  }));
  const auto status = a->direct->status(alice, queued->request_id);
  EXPECT_EQ(status->path, direct::Path::gossip_relay);
  EXPECT_EQ(status->attempts, 1u);
  auto inbox = b->inboxes->read(bob, core::Seq{}, 10);
  ASSERT_TRUE(inbox);
  ASSERT_EQ(inbox->size(), 1u);
  EXPECT_EQ((*inbox)[0].content.body, "across the mesh");
  const auto sa = a->direct->stats();
  EXPECT_EQ(sa.sent.attempts_relay, 1u);
  EXPECT_EQ(sa.relay.published, 1u);  // the envelope
  EXPECT_EQ(sa.relay.for_local, 1u);  // the ack
  const auto sb = b->direct->stats();
  EXPECT_EQ(sb.received.received_relay, 1u);
  EXPECT_EQ(sb.relay.for_local, 1u);
  EXPECT_EQ(sb.relay.published, 1u);  // the ack
  const auto sc = c->direct->stats();
  EXPECT_EQ(sc.relay.forwarded, 2u);
  EXPECT_EQ(sc.relay.for_local, 0u);
  EXPECT_EQ(sc.received.received_relay, 0u);

  // An envelope a sealed, published under c's name: rejected, not forwarded.
  const auto& envelope_item = a->mesh->published.back();
  ASSERT_EQ(envelope_item.topic, relay);
  EXPECT_EQ(b->direct->validate_relay(c->mesh->message(relay, envelope_item.data)), pubsub::Validation::reject);
  EXPECT_EQ(b->direct->validate_relay(c->mesh->message(relay, "not an item")), pubsub::Validation::reject);
  EXPECT_EQ(b->direct->stats().relay.dropped_invalid, 2u);
  // a's own envelope again and again: ignored once over a's budget.
  std::size_t ignored = 0;
  for (int i = 0; i < 600; ++i) {
    ignored += b->direct->validate_relay(a->mesh->message(relay, envelope_item.data)) == pubsub::Validation::ignore;
  }
  EXPECT_EQ(ignored, 600u - 499u);  // the burst of 500, one used by the first envelope
  EXPECT_EQ(b->direct->stats().relay.dropped_rate, ignored);
}

TEST_F(ServicesTest, AnUnreachableRecipientIsRetriedWithBackoffThenDeadLettered) {
  auto a = rig("a");
  auto b = rig("b");
  const auto alice = a->create_agent("alice");
  const auto bob = b->create_agent("bob");
  link_and_advertise(*a, *b);
  a->mesh->forward = nullptr;       // b is gone...
  a->mesh->peers_by_topic.clear();  // ...and nobody carries its inbox topic
  auto req = message(bob.to_string(), "lost");
  req.ttl_ms = 10'000;
  auto queued = a->await(a->direct->send(alice, std::move(req)));
  ASSERT_TRUE(queued);
  a->direct->tick();
  ASSERT_TRUE(settled(*a, alice, queued->request_id, 1));
  auto status = a->direct->status(alice, queued->request_id);
  EXPECT_EQ(status->reason,
            "dial_failed: " + make_error_code(transport::error::dial_failed).message() + "; gossip: no_route");
  // Retries: 250 ms, then 500 ms, ... each failing the same way.
  ASSERT_TRUE(retried(*a, alice, queued->request_id, 4));
  clock_->advance(10s);
  a->direct->tick();
  ASSERT_TRUE(a->run_until([&] {
    auto s = a->direct->status(alice, queued->request_id);
    return s && s->state == direct::MessageState::expired;
  }));
  auto letters = a->inboxes->dead_letters(0, 10);
  ASSERT_TRUE(letters);
  ASSERT_TRUE(a->run_until([&] { return a->inboxes->dead_letters(0, 10)->size() == 1; }));
  letters = a->inboxes->dead_letters(0, 10);
  EXPECT_EQ((*letters)[0].content.body, "lost");
  EXPECT_NE((*letters)[0].reason.find("no_route"), std::string::npos);
  EXPECT_EQ((*letters)[0].attempts, 5u);
}

// The direct path's breaker opened on the address b's adverts gave. A
// republished advert with the same address changes nothing; one with a new
// address (a relay circuit, say) closes the breaker and the message is tried
// there at once, not after the breaker's 30 s.
TEST_F(ServicesTest, ANewAdvertisedAddressClosesItsDaemonsBreaker) {
  auto a = rig("a");
  auto b = rig("b");
  const auto alice = a->create_agent("alice");
  const auto bob = b->create_agent("bob");
  link_and_advertise(*a, *b);
  a->mesh->forward = nullptr;       // b's answers are gone...
  a->mesh->peers_by_topic.clear();  // ...and nobody carries its inbox topic
  auto queued = a->await(a->direct->send(alice, message(bob.to_string(), "at the new address")));
  ASSERT_TRUE(queued);
  a->direct->tick();
  ASSERT_TRUE(settled(*a, alice, queued->request_id, 1));
  ASSERT_TRUE(retried(*a, alice, queued->request_id, 5));  // the sixth finds the breaker open (5 failures)
  EXPECT_EQ(a->mesh->dials, 5u);
  auto breakers = a->direct->stats().breakers;
  ASSERT_EQ(breakers.size(), 1u);
  EXPECT_EQ(breakers[0].state, direct::CircuitBreaker::State::open);

  // b republishes with the same address: still open, and nothing is due (the
  // next attempt is 8 s after the sixth).
  b->directory->wake();
  clock_->advance(1s);
  b->directory->tick();
  a->direct->tick();
  ASSERT_TRUE(settled(*a, alice, queued->request_id, 6));
  EXPECT_EQ(a->direct->stats().breakers.size(), 1u);

  // b gains an address: the breaker goes and the message is tried there now.
  b->mesh->set_listen_addrs({core::Multiaddr::parse("/ip4/127.0.0.1/tcp/4001").value(),
                             core::Multiaddr::parse("/ip4/127.0.0.1/tcp/4002").value()});
  b->directory->wake();
  clock_->advance(1s);
  b->directory->tick();
  EXPECT_TRUE(a->direct->stats().breakers.empty());
  a->direct->tick();
  ASSERT_TRUE(settled(*a, alice, queued->request_id, 7));
  EXPECT_EQ(a->mesh->dials, 6u);
}

// A message without an idempotency key leaves while its outbox row commits
// (issue 19): with a's writer held, the envelope reaches bob and is acked
// before the row is stored, and the answer still waits for the commit. When
// that commit fails the answer is outcome_unknown: bob has the message, once,
// and nothing resends it. A keyed send commits first: a failure sends nothing.
TEST_F(ServicesTest, AnUnkeyedMessageLeavesWhileItsRowCommits) {
  auto a = rig("a");
  auto b = rig("b");
  const auto alice = a->create_agent("alice");
  const auto bob = b->create_agent("bob");
  link_and_advertise(*a, *b);
  auto& memory = dynamic_cast<store::MemoryStore&>(a->ctx.storage->reader());  // shares the writer's faults
  // Pauses a's writer as its next transaction begins (readers go on) until
  // the returned promise is kept: jobs submitted meanwhile commit together after.
  auto hold = [&] {
    auto release = std::make_shared<std::promise<void>>();
    auto holding = std::make_shared<std::atomic<bool>>(false);
    memory.before_transactions([holding, released = release->get_future().share()] {
      if (holding->exchange(true)) return;
      released.wait();
    });
    EXPECT_TRUE(a->ctx.storage->submit_detached([](store::Store&) -> Result<void> { return {}; }));
    EXPECT_TRUE(testutil::eventually([&] { return holding->load(); }));
    return release;
  };
  auto inbox_of_bob = [&] { return b->inboxes->read(bob, core::Seq{}, 10).value(); };
  // Starts a send; returns once its job is queued (behind the held one).
  auto spawn_send = [&](SendRequest req, std::optional<Result<SendReceipt>>& out) {
    boost::asio::co_spawn(ioc_, a->direct->send(alice, std::move(req)),
                          [&out](std::exception_ptr, Result<SendReceipt> r) { out.emplace(std::move(r)); });
    ioc_.restart();
    ioc_.poll();
  };
  auto send_held = [&](const std::string& body, std::optional<Result<SendReceipt>>& out) {
    spawn_send(message(bob.to_string(), body), out);
    EXPECT_EQ(a->direct->stats().pending, 1u);  // the tracker has it before its row commits
    a->direct->tick();                          // the attempt: the dial fails, then gossip; b commits and acks
    EXPECT_TRUE(a->run_until([&] { return inbox_of_bob().size() == 1 + (body == "unknown" ? 1u : 0u); }));
    EXPECT_TRUE(a->run_until([&] { return a->direct->stats().pending == 0; }));  // acked, not yet answered
    EXPECT_FALSE(out.has_value());
  };

  auto release = hold();
  std::optional<Result<SendReceipt>> first;
  send_held("early", first);
  release->set_value();
  ASSERT_TRUE(a->run_until([&] { return first.has_value(); }));
  ASSERT_TRUE(*first) << first->error().message();
  EXPECT_EQ((*first)->state, direct::MessageState::accepted);

  release = hold();
  memory.fail_next_commits(2);  // the paused transaction, then the send's
  std::optional<Result<SendReceipt>> second;
  send_held("unknown", second);
  release->set_value();
  ASSERT_TRUE(a->run_until([&] { return second.has_value(); }));
  ASSERT_FALSE(*second);
  EXPECT_EQ(second->error(), make_error_code(error::outcome_unknown));
  // Delivered once; nothing pending, nothing dead-lettered, nothing sent again.
  const auto published = a->mesh->published.size();
  clock_->advance(60s);
  a->direct->tick();
  ASSERT_TRUE(a->run_until([&] { return a->direct->stats().pending == 0; }));
  EXPECT_EQ(a->mesh->published.size(), published);
  EXPECT_EQ(inbox_of_bob().size(), 2u);
  EXPECT_TRUE(a->inboxes->dead_letters(0, 10)->empty());

  release = hold();
  memory.fail_next_commits(2);
  std::optional<Result<SendReceipt>> keyed;
  spawn_send(message(bob.to_string(), "keyed", "k1"), keyed);
  EXPECT_EQ(a->direct->stats().pending, 0u);  // not before its commit
  release->set_value();
  ASSERT_TRUE(a->run_until([&] { return keyed.has_value(); }));
  ASSERT_FALSE(*keyed);
  EXPECT_EQ(keyed->error(), make_error_code(store::error::io));
  EXPECT_EQ(a->direct->stats().pending, 0u);
  // A sentinel sent after it arrives alone: the keyed message never left.
  auto sentinel = a->await(a->direct->send(alice, message(bob.to_string(), "sentinel")));
  ASSERT_TRUE(sentinel);
  a->direct->tick();
  ASSERT_TRUE(a->run_until([&] { return inbox_of_bob().size() == 3; }));
  EXPECT_EQ(inbox_of_bob()[2].content.body, "sentinel");
}

// The pressure log of a slow live subscriber: INFO above half full, at most
// once per 30 s; WARN above 80% (after the interval).
TEST_F(ServicesTest, PressureLogsAreRateLimitedPerQueue) {
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(64);
  auto log = std::make_shared<spdlog::logger>("test", sink);
  auto a = rig("a", log);
  const auto alice = a->create_agent("alice");
  auto sub = a->topics->subscribe("news", [] {});
  ASSERT_TRUE(sub);
  auto publish = [&](int n) {
    for (int i = 0; i < n; ++i) ASSERT_TRUE(a->topics->publish(alice, "news", "text/plain", "x"));
  };
  auto pressure_lines = [&] {
    int n = 0;
    for (const auto& line : sink->last_formatted()) n += line.find("is slow") != std::string::npos;
    return n;
  };
  publish(512);
  EXPECT_EQ(pressure_lines(), 0);  // exactly half: not above
  publish(1);
  EXPECT_EQ(pressure_lines(), 1);
  publish(400);  // over 80% now, but within the interval
  EXPECT_EQ(pressure_lines(), 1);
  clock_->advance(29'999ms);
  publish(1);
  EXPECT_EQ(pressure_lines(), 1);
  clock_->advance(1ms);
  publish(1);
  EXPECT_EQ(pressure_lines(), 2);
  EXPECT_NE(sink->last_formatted().back().find("over 80% full"), std::string::npos);
  EXPECT_EQ((*sub)->queue.size(), 915u);
}

// An exception that ends a spawned coroutine is logged with where it
// happened and counted, never lost: here a stream's waker that throws while
// a durable subscription delivers a topic message.
TEST_F(ServicesTest, AnExceptionInASpawnedCoroutineIsCounted) {
  auto a = rig("a");
  const auto alice = a->create_agent("alice");
  const auto bob = a->create_agent("bob");
  ASSERT_TRUE(a->await(a->topics->subscribe_durable(bob, "news")));
  a->inboxes->watch(bob, [] { throw std::runtime_error("a broken waker"); });
  ASSERT_TRUE(a->topics->publish(alice, "news", "text/plain", "hello"));
  ASSERT_TRUE(a->run_until([&] { return a->ctx.tasks->total() == 1; }));
  EXPECT_EQ(a->ctx.tasks->counts().at("topic_delivery"), 1u);
  EXPECT_EQ(a->inboxes->position(bob)->last.value, 1u);  // committed before the waker threw
}

TEST_F(ServicesTest, AgentsAreValidatedAndTheirDeletionReachesEveryService) {
  auto a = rig("a");
  CreateAgentRequest bad;
  bad.name = "x";
  bad.capabilities = {"Not Valid"};
  EXPECT_EQ(a->await(a->agents->create(bad)).error(), error::invalid_capability);
  const auto alice = a->create_agent("alice");
  const auto bob = a->create_agent("bob");
  ASSERT_TRUE(a->await(a->direct->send(alice, message("bob", "unacked"))));
  ASSERT_TRUE(a->await(a->topics->subscribe_durable(bob, "news")));
  ASSERT_TRUE(a->await(a->inboxes->block(bob, alice)));
  EXPECT_TRUE(a->mesh->joined.contains("news"));
  auto moved = a->await(a->agents->remove(bob));
  ASSERT_TRUE(moved);
  EXPECT_EQ(*moved, 1u);
  EXPECT_FALSE(a->inboxes->position(bob));
  EXPECT_TRUE(a->topics->durable_topics(bob).empty());
  EXPECT_FALSE(a->mesh->joined.contains("news"));  // nobody here needs it now
  EXPECT_FALSE(a->mesh->joined.contains(std::string(wire::direct::kInboxTopicPrefix) + bob.to_string()));
  EXPECT_FALSE(a->inboxes->blocks(bob, alice));
  EXPECT_EQ(a->inboxes->dead_letters(0, 10)->at(0).reason, "agent_deleted");
  EXPECT_EQ(a->await(a->direct->send(alice, message("bob", "x"))).error(), direct::error::unknown_recipient);
}

TEST(ServicesDeathTest, AServiceCalledOffItsThreadAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // the rig runs a writer thread
  testutil::TempDir dir;
  boost::asio::io_context ioc;
  Rig a(ioc, std::make_shared<core::ManualClock>(), dir.path() / "a");
  a.create_agent("alice");  // binds the services to this thread
  EXPECT_DEATH(std::thread([&] { (void)a.agents->info("alice"); }).join(), "called off its thread");
}

}  // namespace
}  // namespace agentmesh::node::test
