#include "store/store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>

#include "unit/store/store_fixture.hpp"

namespace agentmesh::store {
namespace {

TEST_P(StoreTest, AgentsInsertListUpdateDelete) {
  auto a = make_agent("alice");
  txn([&] { ASSERT_TRUE(store_->insert_agent(a)); });
  auto list = store_->list_agents();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].name, "alice");
  EXPECT_EQ((*list)[0].capabilities, a.capabilities);
  EXPECT_EQ((*list)[0].token_hash, a.token_hash);

  EXPECT_EQ(store_->list_agents()->at(0).a2a, "");  // never set
  a.state = AgentState::draining;
  a.capabilities = {"x"};
  a.a2a = std::string("{\"v\":1}\0bytes", 13);  // opaque to the store, binary-safe
  txn([&] { ASSERT_TRUE(store_->update_agent(a)); });
  EXPECT_EQ(store_->list_agents()->at(0).state, AgentState::draining);
  EXPECT_EQ(store_->list_agents()->at(0).capabilities, std::vector<std::string>{"x"});
  EXPECT_EQ(store_->list_agents()->at(0).a2a, a.a2a);

  txn([&] { ASSERT_TRUE(store_->delete_agent(a.id)); });
  EXPECT_TRUE(store_->list_agents()->empty());
  txn([&] { EXPECT_EQ(store_->delete_agent(a.id).error(), error::not_found); });
}

TEST_P(StoreTest, PeersAreKeptByRecencyAndSurviveReopen) {
  txn([&] {
    ASSERT_TRUE(store_->put_peer({"peerA", {"/ip4/127.0.0.1/tcp/1", "/ip6/::1/tcp/1"}, 10}, 2));
    ASSERT_TRUE(store_->put_peer({"peerB", {"/ip4/127.0.0.1/tcp/2"}, 30}, 2));
    ASSERT_TRUE(store_->put_peer({"peerA", {"/ip4/127.0.0.1/tcp/3"}, 20}, 2));  // replaces
    ASSERT_TRUE(store_->put_peer({"peerC", {}, 40}, 2));                        // pushes out the oldest
  });
  auto reopened = open();
  auto peers = reopened->list_peers(10).value();
  ASSERT_EQ(peers.size(), 2u);
  EXPECT_EQ(peers[0].peer_id, "peerC");
  EXPECT_TRUE(peers[0].addrs.empty());
  EXPECT_EQ(peers[1].peer_id, "peerB");
  EXPECT_EQ(peers[1].addrs, std::vector<std::string>{"/ip4/127.0.0.1/tcp/2"});
  txn([&] {
    ASSERT_TRUE(store_->delete_peer("peerC"));
    ASSERT_TRUE(store_->delete_peer("never-seen"));
  });
  EXPECT_EQ(store_->list_peers(1).value().size(), 1u);
  EXPECT_EQ(store_->list_peers(10).value().size(), 1u);
}

TEST_P(StoreTest, A2aTokensBelongToTheirAgentAndKeepOnlyAHash) {
  auto a = make_agent("a2a-a");
  auto b = make_agent("a2a-b");
  auto token = [](std::uint8_t n, const AgentRecord& agent, UnixMs created) {
    A2aTokenRecord r;
    r.id = core::TokenId::from_array({n});
    r.agent = agent.id;
    r.label = "caller " + std::to_string(n);
    r.token_hash.fill(n);
    r.created_ms = created;
    r.expires_ms = n == 2 ? 0 : created + 1000;
    return r;
  };
  const auto t1 = token(1, a, 200), t2 = token(2, a, 100), t3 = token(3, b, 300);
  txn([&] {
    ASSERT_TRUE(store_->insert_agent(a));
    ASSERT_TRUE(store_->insert_agent(b));
    for (const auto& t : {t1, t2, t3}) ASSERT_TRUE(store_->put_a2a_token(t));
    EXPECT_EQ(store_->put_a2a_token(t1).error(), error::conflict);  // same id
    auto same_hash = token(9, a, 1);
    same_hash.token_hash = t1.token_hash;
    EXPECT_EQ(store_->put_a2a_token(same_hash).error(), error::conflict);
    EXPECT_EQ(store_->put_a2a_token(token(8, make_agent("nobody"), 1)).error(), error::not_found);
  });
  auto reopened = open();
  EXPECT_EQ(reopened->list_a2a_tokens().value(), (std::vector<A2aTokenRecord>{t2, t1, t3}));  // by creation
  txn([&] {
    ASSERT_TRUE(store_->delete_a2a_token(t1.id));
    EXPECT_EQ(store_->delete_a2a_token(t1.id).error(), error::not_found);
    ASSERT_TRUE(store_->delete_agent(a.id));  // takes its tokens along
  });
  EXPECT_EQ(store_->list_a2a_tokens().value(), std::vector<A2aTokenRecord>{t3});
  // An agent of another daemon (no local record): put only when marked remote.
  auto far = token(10, make_agent("far-away"), 9);
  txn([&] { EXPECT_EQ(store_->put_a2a_token(far).error(), error::not_found); });
  far.remote = true;
  txn([&] { ASSERT_TRUE(store_->put_a2a_token(far)); });
  far.remote = false;  // not stored
  const auto listed = open()->list_a2a_tokens().value();
  EXPECT_EQ(listed.size(), 2u);
  EXPECT_NE(std::find(listed.begin(), listed.end(), far), listed.end());
}

TEST_P(StoreTest, SubscriptionsBelongToTheirAgent) {
  auto a = make_agent("sub-a");
  auto other = crypto::SigningKey::generate().agent_id();
  txn([&] {
    ASSERT_TRUE(store_->insert_agent(a));
    ASSERT_TRUE(store_->put_subscription(a.id, "news", 1000));
    ASSERT_TRUE(store_->put_subscription(a.id, "agents/x", 2000));
    EXPECT_EQ(store_->put_subscription(a.id, "news", 3000).error(), error::conflict);
    EXPECT_EQ(store_->put_subscription(other, "news", 1000).error(), error::not_found);
  });
  auto reopened = open();
  auto subs = reopened->list_subscriptions().value();
  ASSERT_EQ(subs.size(), 2u);
  EXPECT_EQ(subs[0].topic, "agents/x");
  EXPECT_EQ(subs[0].created_ms, 2000);
  EXPECT_EQ(subs[1].created_ms, 1000);
  txn([&] {
    ASSERT_TRUE(store_->delete_subscription(a.id, "agents/x"));
    EXPECT_EQ(store_->delete_subscription(a.id, "agents/x").error(), error::not_found);
    ASSERT_TRUE(store_->delete_agent(a.id));
  });
  EXPECT_TRUE(store_->list_subscriptions().value().empty());
}

TEST_P(StoreTest, BlockListsBelongToTheirAgent) {
  auto a = make_agent("blocker");
  const auto s1 = crypto::SigningKey::generate().agent_id();
  const auto s2 = crypto::SigningKey::generate().agent_id();
  txn([&] {
    ASSERT_TRUE(store_->insert_agent(a));
    ASSERT_TRUE(store_->put_block(a.id, s1, 1));
    ASSERT_TRUE(store_->put_block(a.id, s2, 2));
    EXPECT_EQ(store_->put_block(a.id, s1, 3).error(), error::conflict);
    EXPECT_EQ(store_->put_block(s1, s2, 3).error(), error::not_found);  // s1 is not an agent here
  });
  auto reopened = open();
  EXPECT_EQ(reopened->list_blocks().value().size(), 2u);
  txn([&] {
    ASSERT_TRUE(store_->delete_block(a.id, s1));
    EXPECT_EQ(store_->delete_block(a.id, s1).error(), error::not_found);
  });
  ASSERT_EQ(store_->list_blocks().value().size(), 1u);
  EXPECT_EQ(store_->list_blocks().value()[0].second, s2);
  txn([&] { ASSERT_TRUE(store_->delete_agent(a.id)); });
  EXPECT_TRUE(store_->list_blocks().value().empty());
}

TEST_P(StoreTest, DirectoryRowsReplacePurgeAndListByRecency) {
  const auto a = crypto::SigningKey::generate().agent_id();
  const auto b = crypto::SigningKey::generate().agent_id();
  txn([&] {
    ASSERT_TRUE(store_->put_directory({a, std::string("advert-a1\0x", 11), 100, 1000}));
    ASSERT_TRUE(store_->put_directory({b, "advert-b", 200, 2000}));
    ASSERT_TRUE(store_->put_directory({a, "advert-a2", 300, 3000}));  // replaces a's row
  });
  auto reopened = open();
  auto rows = reopened->list_directory(10).value();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].agent, a);  // most recently seen first
  EXPECT_EQ(rows[0].advert, "advert-a2");
  EXPECT_EQ(rows[1].advert, "advert-b");
  EXPECT_EQ(rows[1].expires_ms, 2000);
  EXPECT_EQ(reopened->list_directory(1).value().size(), 1u);
  txn([&] { EXPECT_EQ(store_->purge_directory(2500).value(), 1u); });
  rows = store_->list_directory(10).value();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].agent, a);
}

TEST_P(StoreTest, DuplicateNameOrIdConflicts) {
  auto a = make_agent("alice");
  auto b = make_agent("alice");
  txn([&] {
    ASSERT_TRUE(store_->insert_agent(a));
    ASSERT_TRUE(store_->savepoint());
    EXPECT_EQ(store_->insert_agent(b).error(), error::conflict);
    store_->rollback_to_savepoint();
  });
  EXPECT_EQ(store_->list_agents()->size(), 1u);
}

TEST_P(StoreTest, InboxAssignsGapFreeSeqsAndReadsAfter) {
  auto a = make_agent("alice"), b = make_agent("bob");
  txn([&] {
    ASSERT_TRUE(store_->insert_agent(a));
    ASSERT_TRUE(store_->insert_agent(b));
  });
  txn([&] {
    for (int i = 1; i <= 5; ++i) {
      auto m = make_message(b.id, a.id, "m" + std::to_string(i));
      auto seq = store_->append_inbox(m);
      ASSERT_TRUE(seq);
      EXPECT_EQ(seq->value, static_cast<std::uint64_t>(i));
    }
  });
  auto all = store_->read_inbox(b.id, Seq{0}, 100);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 5u);
  EXPECT_EQ((*all)[0].content.body, "m1");
  EXPECT_EQ((*all)[0].content.metadata, (Metadata{{"k", "v"}, {"empty", ""}}));
  EXPECT_EQ((*all)[0].content.performative, "inform");
  EXPECT_EQ((*all)[0].sender, a.id);
  auto tail = store_->read_inbox(b.id, Seq{3}, 1);
  ASSERT_EQ(tail->size(), 1u);
  EXPECT_EQ(tail->front().seq.value, 4u);
  EXPECT_TRUE(store_->read_inbox(a.id, Seq{0}, 10)->empty());
  EXPECT_EQ(store_->read_inbox(random_agent(), Seq{0}, 10).error(), error::not_found);
}

TEST_P(StoreTest, EmptyBodyAndBinaryBodyRoundTrip) {
  auto a = make_agent("alice");
  txn([&] { ASSERT_TRUE(store_->insert_agent(a)); });
  std::string binary("\0\xff\x01", 3);
  txn([&] {
    auto m1 = make_message(a.id, a.id, "");
    auto m2 = make_message(a.id, a.id, binary);
    ASSERT_TRUE(store_->append_inbox(m1));
    ASSERT_TRUE(store_->append_inbox(m2));
  });
  auto msgs = store_->read_inbox(a.id, Seq{0}, 10);
  ASSERT_TRUE(msgs);
  EXPECT_EQ((*msgs)[0].content.body, "");
  EXPECT_EQ((*msgs)[1].content.body, binary);
}

TEST_P(StoreTest, AckMovesForwardOnlyAndNotBeyondLast) {
  auto a = make_agent("alice");
  txn([&] { ASSERT_TRUE(store_->insert_agent(a)); });
  txn([&] {
    for (int i = 0; i < 3; ++i) {
      auto m = make_message(a.id, a.id, "x");
      ASSERT_TRUE(store_->append_inbox(m));
    }
  });
  txn([&] {
    EXPECT_EQ(store_->ack_inbox(a.id, Seq{2})->acked.value, 2u);
    EXPECT_EQ(store_->ack_inbox(a.id, Seq{1})->acked.value, 2u);
    EXPECT_EQ(store_->ack_inbox(a.id, Seq{4}).error(), error::beyond_last);
    EXPECT_EQ(store_->ack_inbox(random_agent(), Seq{1}).error(), error::not_found);
  });
  auto c = store_->inbox_cursor(a.id);
  EXPECT_EQ(c->last.value, 3u);
  EXPECT_EQ(c->acked.value, 2u);
}

TEST_P(StoreTest, PruneRemovesOnlyAckedMessagesPastRetention) {
  auto a = make_agent("alice"), b = make_agent("bob");
  txn([&] {
    ASSERT_TRUE(store_->insert_agent(a));
    ASSERT_TRUE(store_->insert_agent(b));
  });
  txn([&] {
    for (int i = 0; i < 4; ++i) {
      auto m = make_message(a.id, b.id, "m");
      m.received_ms = 100 * (i + 1);  // 100, 200, 300, 400
      ASSERT_TRUE(store_->append_inbox(m));
      auto n = make_message(b.id, a.id, "n");
      n.received_ms = 100;
      ASSERT_TRUE(store_->append_inbox(n));
    }
  });
  txn([&] { ASSERT_TRUE(store_->ack_inbox(a.id, Seq{3})); });    // bob's inbox: nothing acked
  txn([&] { EXPECT_EQ(*store_->prune_acked_inbox(250), 2u); });  // seq 1, 2: acked and old
  auto left = store_->read_inbox(a.id, Seq{0}, 10);
  ASSERT_EQ(left->size(), 2u);
  EXPECT_EQ(left->front().seq.value, 3u);                         // acked but recent: kept
  EXPECT_EQ(store_->read_inbox(b.id, Seq{0}, 10)->size(), 4u);    // unacked: never pruned
  txn([&] { EXPECT_EQ(*store_->prune_acked_inbox(1000), 1u); });  // seq 3; seq 4 is unacked
  // Sequence numbers continue after pruning.
  txn([&] {
    auto m = make_message(a.id, b.id, "after");
    EXPECT_EQ(store_->append_inbox(m)->value, 5u);
  });
}

TEST_P(StoreTest, DedupFindPutPurge) {
  DedupRecord d;
  d.sender = random_agent();
  d.request_id = crypto::new_request_id();
  d.recipient = random_agent();
  d.seq = Seq{9};
  d.body_digest[3] = 1;
  d.expires_ms = 100;
  txn([&] { ASSERT_TRUE(store_->put_dedup(d)); });
  auto found = store_->find_dedup(d.sender, d.request_id);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->seq.value, 9u);
  EXPECT_EQ((*found)->body_digest, d.body_digest);
  EXPECT_FALSE(*store_->find_dedup(d.sender, crypto::new_request_id()));
  txn([&] { EXPECT_EQ(*store_->purge_dedup(99), 0u); });
  txn([&] { EXPECT_EQ(*store_->purge_dedup(100), 1u); });
  EXPECT_FALSE(*store_->find_dedup(d.sender, d.request_id));
}

TEST_P(StoreTest, DeadLettersAddListGetDelete) {
  DeadLetterRecord d;
  d.request_id = crypto::new_request_id();
  d.sender = random_agent();
  d.recipient = random_agent();
  d.content.body = "lost";
  d.reason = "agent_deleted";
  d.attempts = 2;
  txn([&] {
    ASSERT_TRUE(store_->add_dead_letter(d));
    auto second = d;
    ASSERT_TRUE(store_->add_dead_letter(second));
    EXPECT_GT(second.id, d.id);
  });
  auto list = store_->list_dead_letters(0, 10);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ(list->front().reason, "agent_deleted");
  EXPECT_EQ(list->front().attempts, 2u);
  EXPECT_EQ(store_->list_dead_letters(d.id, 10)->size(), 1u);
  EXPECT_TRUE(*store_->get_dead_letter(d.id));
  txn([&] { ASSERT_TRUE(store_->delete_dead_letter(d.id)); });
  EXPECT_FALSE(*store_->get_dead_letter(d.id));
  txn([&] { EXPECT_EQ(store_->delete_dead_letter(d.id).error(), error::not_found); });
}

TEST_P(StoreTest, OutboxPutReplaceListDelete) {
  OutboxRecord o;
  o.request_id = crypto::new_request_id();
  o.sender = random_agent();
  o.recipient = random_agent();
  o.expires_ms = 10;
  o.next_attempt_ms = 5;
  o.content.body = "pending";
  txn([&] { ASSERT_TRUE(store_->put_outbox(o)); });
  o.attempts = 3;
  o.last_error = "timeout";
  txn([&] { ASSERT_TRUE(store_->put_outbox(o)); });
  auto list = store_->list_outbox(10);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->front().attempts, 3u);
  EXPECT_EQ(list->front().last_error, "timeout");
  txn([&] { ASSERT_TRUE(store_->delete_outbox(o.request_id)); });
  EXPECT_TRUE(store_->list_outbox(10)->empty());
}

TEST_P(StoreTest, OutboxKeepsFinishedRowsForStatusUntilPurged) {
  OutboxRecord pending;
  pending.request_id = crypto::new_request_id();
  pending.sender = random_agent();
  pending.recipient = random_agent();
  pending.next_attempt_ms = 50;
  pending.sign = true;
  pending.digest.fill(7);
  OutboxRecord earlier = pending;
  earlier.request_id = crypto::new_request_id();
  earlier.next_attempt_ms = 10;
  OutboxRecord done = pending;
  done.request_id = crypto::new_request_id();
  done.state = OutboxState::accepted;
  done.seq = Seq{42};
  done.path = "direct";
  done.keep_until_ms = 100;
  txn([&] {
    ASSERT_TRUE(store_->put_outbox(pending));
    ASSERT_TRUE(store_->put_outbox(earlier));
    ASSERT_TRUE(store_->put_outbox(done));
  });
  auto list = store_->list_outbox(10);  // pending only, earliest attempt first
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].request_id, earlier.request_id);
  EXPECT_EQ((*list)[1].request_id, pending.request_id);
  EXPECT_TRUE((*list)[1].sign);
  EXPECT_EQ((*list)[1].digest, pending.digest);
  auto got = store_->get_outbox(done.request_id);
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->state, OutboxState::accepted);
  EXPECT_EQ((*got)->seq, Seq{42});
  EXPECT_EQ((*got)->path, "direct");
  EXPECT_FALSE(*store_->get_outbox(crypto::new_request_id()));
  // finish_outbox records the outcome in place and clears the content.
  OutboxRecord outcome = pending;
  outcome.content.body = "kept?";
  outcome.state = OutboxState::rejected;
  outcome.last_error = "blocked";
  outcome.attempts = 3;
  outcome.keep_until_ms = 100;
  txn([&] { ASSERT_TRUE(store_->finish_outbox(outcome)); });
  auto finished = store_->get_outbox(pending.request_id);
  ASSERT_TRUE(finished && *finished);
  EXPECT_EQ((*finished)->state, OutboxState::rejected);
  EXPECT_EQ((*finished)->last_error, "blocked");
  EXPECT_EQ((*finished)->attempts, 3u);
  EXPECT_TRUE((*finished)->content.body.empty());
  EXPECT_EQ((*finished)->digest, pending.digest);  // the rest of the row stays
  EXPECT_EQ(store_->list_outbox(10)->size(), 1u);
  OutboxRecord absent = outcome;
  absent.request_id = crypto::new_request_id();
  txn([&] { ASSERT_TRUE(store_->finish_outbox(absent)); });  // no row: inserted, content cleared
  EXPECT_TRUE((*store_->get_outbox(absent.request_id))->content.body.empty());
  txn([&] { EXPECT_EQ(*store_->purge_outbox(99), 0u); });
  txn([&] { EXPECT_EQ(*store_->purge_outbox(100), 3u); });  // pending rows are never purged
  EXPECT_FALSE(*store_->get_outbox(done.request_id));
  EXPECT_EQ(store_->list_outbox(10)->size(), 1u);
}

TEST_P(StoreTest, RollbackDiscardsEverything) {
  auto a = make_agent("alice");
  ASSERT_TRUE(store_->begin());
  ASSERT_TRUE(store_->insert_agent(a));
  store_->rollback();
  EXPECT_TRUE(store_->list_agents()->empty());
}

TEST_P(StoreTest, ReadersSeeOnlyCommittedData) {
  auto reader = store_->open_reader();
  ASSERT_TRUE(reader);
  auto a = make_agent("alice");
  txn([&] { ASSERT_TRUE(store_->insert_agent(a)); });
  EXPECT_EQ((*reader)->list_agents()->size(), 1u);
}

TEST_P(StoreTest, DeleteAgentRemovesItsInbox) {
  auto a = make_agent("alice");
  txn([&] { ASSERT_TRUE(store_->insert_agent(a)); });
  txn([&] {
    auto m = make_message(a.id, a.id, "x");
    ASSERT_TRUE(store_->append_inbox(m));
  });
  txn([&] { ASSERT_TRUE(store_->delete_agent(a.id)); });
  txn([&] { ASSERT_TRUE(store_->insert_agent(a)); });  // same id again starts from seq 0
  EXPECT_TRUE(store_->read_inbox(a.id, Seq{0}, 10)->empty());
  EXPECT_EQ(store_->inbox_cursor(a.id)->last.value, 0u);
}

TaskRecord make_task(std::uint8_t id, const AgentId& requester, const AgentId& assignee, std::uint8_t state,
                     bool terminal) {
  TaskRecord t;
  core::TaskId::Bytes b{};
  b[0] = id;
  t.id = core::TaskId::from_array(b);
  t.requester = requester;
  t.assignee = assignee;
  t.home = true;
  t.context_id = id % 2 ? "odd" : "even";
  t.state = state;
  t.terminal = terminal;
  t.sequence = id;
  t.updated_ms = 100 * id;
  t.body = std::string("body\0") + static_cast<char>(id);
  return t;
}

TEST_P(StoreTest, TasksFilterByRoleStateContextAndPage) {
  const auto alice = random_agent();
  const auto bob = random_agent();
  txn([&] {
    ASSERT_TRUE(store_->put_task(make_task(1, alice, bob, 0, false)));
    ASSERT_TRUE(store_->put_task(make_task(2, alice, bob, 4, true)));
    ASSERT_TRUE(store_->put_task(make_task(3, bob, alice, 1, false)));
  });
  auto got = store_->get_task(make_task(2, alice, bob, 4, true).id);
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->body, make_task(2, alice, bob, 4, true).body);
  EXPECT_TRUE((*got)->terminal);
  auto list = [&](TaskQuery q) {
    std::vector<std::uint8_t> ids;
    for (const auto& t : store_->list_tasks(q).value()) ids.push_back(t.id.bytes()[0]);
    return ids;
  };
  TaskQuery q;
  q.agent = alice;
  EXPECT_EQ(list(q), (std::vector<std::uint8_t>{1, 2, 3}));
  q.role = TaskQuery::Role::requester;
  EXPECT_EQ(list(q), (std::vector<std::uint8_t>{1, 2}));
  q.role = TaskQuery::Role::assignee;
  EXPECT_EQ(list(q), (std::vector<std::uint8_t>{3}));
  q.role = TaskQuery::Role::any;
  q.state = 4;
  EXPECT_EQ(list(q), (std::vector<std::uint8_t>{2}));
  q.state.reset();
  q.context_id = "odd";
  EXPECT_EQ(list(q), (std::vector<std::uint8_t>{1, 3}));
  q.context_id.clear();
  q.after = make_task(1, alice, bob, 0, false).id;
  q.limit = 1;
  EXPECT_EQ(list(q), (std::vector<std::uint8_t>{2}));
  EXPECT_EQ(store_->list_open_tasks().value().size(), 2u);
  // Replacing a row moves it between the open and ended sets.
  txn([&] { ASSERT_TRUE(store_->put_task(make_task(1, alice, bob, 6, true))); });
  EXPECT_EQ(store_->list_open_tasks().value().size(), 1u);
  // ...and between assignees (a requeue); the other columns follow too.
  const auto carol = random_agent();
  auto moved = make_task(3, bob, carol, 2, false);
  moved.sequence = 9;
  moved.body = "moved";
  txn([&] { ASSERT_TRUE(store_->put_task(moved)); });
  q = TaskQuery{};
  q.agent = alice;
  q.role = TaskQuery::Role::assignee;
  EXPECT_TRUE(list(q).empty());
  q.agent = carol;
  EXPECT_EQ(list(q), (std::vector<std::uint8_t>{3}));
  auto again = store_->get_task(moved.id).value();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->state, 2);
  EXPECT_EQ(again->sequence, 9u);
  EXPECT_EQ(again->body, "moved");
  txn([&] { EXPECT_EQ(*store_->purge_tasks(1'000'000), 2u); });  // the two ended ones
  EXPECT_EQ(store_->list_open_tasks().value().size(), 1u);
}

TEST_P(StoreTest, TaskEventsAppendInOrderAndArePurgedWithTheirTask) {
  const auto alice = random_agent();
  const auto t = make_task(5, alice, random_agent(), 4, true);
  txn([&] {
    ASSERT_TRUE(store_->put_task(t));
    for (std::uint64_t s = 1; s <= 3; ++s) ASSERT_TRUE(store_->put_task_event({t.id, s, "e" + std::to_string(s)}));
  });
  ASSERT_TRUE(store_->begin());
  EXPECT_EQ(store_->put_task_event({t.id, 2, "again"}).error(), error::conflict);
  store_->rollback();
  auto events = store_->list_task_events(t.id, 1, 10).value();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].body, "e2");
  EXPECT_EQ(events[1].sequence, 3u);
  txn([&] { EXPECT_EQ(*store_->purge_tasks(t.updated_ms), 0u); });
  txn([&] { EXPECT_EQ(*store_->purge_tasks(t.updated_ms + 1), 1u); });
  EXPECT_FALSE(*store_->get_task(t.id));
  EXPECT_TRUE(store_->list_task_events(t.id, 0, 10).value().empty());
}

TEST_P(StoreTest, A2aPushConfigsAreReplacedByIdAndPurgedWithTheirTask) {
  const auto t = make_task(6, random_agent(), random_agent(), 4, true);
  A2aPushConfigRecord a{
      t.id,  "a", t.assignee, core::TokenId::from_array({1}), "http://127.0.0.1:9/h", "tok", "Bearer", "secret",
      false, 0,   2000};
  auto b = a;
  b.id = "b";
  b.created_ms = 1000;
  b.legacy = true;
  txn([&] {
    ASSERT_TRUE(store_->put_task(t));
    ASSERT_TRUE(store_->put_a2a_push_config(a));
    ASSERT_TRUE(store_->put_a2a_push_config(b));
    a.delivered = 7;  // the cursor moves by replacing the row
    ASSERT_TRUE(store_->put_a2a_push_config(a));
  });
  EXPECT_EQ(open()->list_a2a_push_configs().value(), (std::vector<A2aPushConfigRecord>{b, a}));  // by creation
  txn([&] {
    ASSERT_TRUE(store_->delete_a2a_push_config(t.id, "b"));
    EXPECT_EQ(store_->delete_a2a_push_config(t.id, "b").error(), error::not_found);
  });
  EXPECT_EQ(store_->list_a2a_push_configs().value(), std::vector<A2aPushConfigRecord>{a});
  txn([&] { EXPECT_EQ(*store_->purge_tasks(t.updated_ms + 1), 1u); });
  EXPECT_TRUE(store_->list_a2a_push_configs().value().empty());
}

TEST_P(StoreTest, TaskRequestsFindPutPurge) {
  TaskRequestRecord r;
  r.agent = random_agent();
  r.request_id = "req-1";
  r.digest[5] = 7;
  r.task = make_task(9, r.agent, r.agent, 0, false).id;
  r.sequence = 4;
  r.expires_ms = 50;
  txn([&] { ASSERT_TRUE(store_->put_task_request(r)); });
  auto found = store_->get_task_request(r.agent, "req-1");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->digest, r.digest);
  EXPECT_EQ((*found)->task, r.task);
  EXPECT_EQ((*found)->sequence, 4u);
  EXPECT_FALSE(*store_->get_task_request(r.agent, "req-2"));
  EXPECT_FALSE(*store_->get_task_request(random_agent(), "req-1"));
  txn([&] { EXPECT_EQ(*store_->purge_task_requests(49), 0u); });
  txn([&] { EXPECT_EQ(*store_->purge_task_requests(50), 1u); });
  EXPECT_FALSE(*store_->get_task_request(r.agent, "req-1"));
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values("memory", "sqlite"));

TEST(SqliteStoreTest, MigratesFromEmptyAndPersistsAcrossReopen) {
  testutil::TempDir dir;
  const auto path = dir.path() / "a.db";
  auto a = make_agent("alice");
  {
    auto s = open_sqlite_store(path);
    ASSERT_TRUE(s);
    ASSERT_TRUE((*s)->begin());
    ASSERT_TRUE((*s)->insert_agent(a));
    auto m = make_message(a.id, a.id, "persisted");
    ASSERT_TRUE((*s)->append_inbox(m));
    ASSERT_TRUE((*s)->commit());
  }
  auto s = open_sqlite_store(path);  // runs migrations again: must be a no-op
  ASSERT_TRUE(s);
  EXPECT_EQ((*s)->list_agents()->size(), 1u);
  EXPECT_EQ((*s)->read_inbox(a.id, Seq{0}, 10)->at(0).content.body, "persisted");
  EXPECT_GE(sqlite_schema_version(), 1u);
}

// Migration 12 rebuilt tasks, task_events and conversations as rowid tables: a
// database of schema 11 (their WITHOUT ROWID shape, rebuilt here by hand) keeps
// its tasks, their open/ended split, their event logs and its conversations.
TEST(SqliteStoreTest, Schema11TasksAndConversationsSurviveMigration12) {
  testutil::TempDir dir;
  const auto path = dir.path() / "v11.db";
  const auto alice = random_agent(), bob = random_agent();
  const auto open = make_task(1, alice, bob, 1, false), ended = make_task(2, bob, alice, 4, true);
  const auto request = crypto::new_request_id();
  {
    auto s = open_sqlite_store(path);
    ASSERT_TRUE(s);
    ASSERT_TRUE((*s)->begin());
    ASSERT_TRUE((*s)->put_task(open));
    ASSERT_TRUE((*s)->put_task(ended));
    for (std::uint64_t q = 1; q <= 2; ++q) ASSERT_TRUE((*s)->put_task_event({open.id, q, "e" + std::to_string(q)}));
    ASSERT_TRUE((*s)->put_task_event({ended.id, 1, "x"}));
    ConversationMessage m;
    m.agent = alice;
    m.conversation = "ctx";
    m.peer = bob;
    m.request_id = request;
    m.time_ms = 90'000;
    m.content.body = "hello";
    ASSERT_TRUE((*s)->note_conversation(m, {}));
    ASSERT_TRUE((*s)->commit());
  }
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    const char* v11 = R"sql(
      BEGIN;
      CREATE TABLE t11(id BLOB PRIMARY KEY, requester BLOB NOT NULL, assignee BLOB NOT NULL, home INTEGER NOT NULL,
        context_id TEXT NOT NULL, state INTEGER NOT NULL, terminal INTEGER NOT NULL, sequence INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL, body BLOB NOT NULL) WITHOUT ROWID;
      INSERT INTO t11 SELECT id, requester, assignee, home, context_id, state, terminal, sequence, updated_ms, body
        FROM tasks;
      DROP TABLE tasks;
      ALTER TABLE t11 RENAME TO tasks;
      CREATE INDEX tasks_requester ON tasks(requester, id);
      CREATE INDEX tasks_assignee ON tasks(assignee, id);
      CREATE INDEX tasks_open ON tasks(terminal, updated_ms);
      CREATE TABLE e11(task BLOB NOT NULL, sequence INTEGER NOT NULL, body BLOB NOT NULL,
        PRIMARY KEY(task, sequence)) WITHOUT ROWID;
      INSERT INTO e11 SELECT task, sequence, body FROM task_events;
      DROP TABLE task_events;
      ALTER TABLE e11 RENAME TO task_events;
      CREATE TABLE c11(agent BLOB NOT NULL, id TEXT NOT NULL, protocol TEXT NOT NULL, messages INTEGER NOT NULL,
        first_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL, PRIMARY KEY(agent, id)) WITHOUT ROWID;
      INSERT INTO c11 SELECT agent, id, protocol, messages, first_ms, last_ms FROM conversations;
      DROP TABLE conversations;
      ALTER TABLE c11 RENAME TO conversations;
      CREATE INDEX conversations_last ON conversations(last_ms);
      CREATE INDEX conversations_agent_last ON conversations(agent, last_ms);
      DROP TABLE conversation_counts;
      CREATE TABLE m11(agent BLOB NOT NULL, conversation TEXT NOT NULL, idx INTEGER NOT NULL, sent INTEGER NOT NULL,
        peer BLOB NOT NULL, request_id BLOB NOT NULL, seq INTEGER NOT NULL, time_ms INTEGER NOT NULL,
        content_type TEXT NOT NULL, body BLOB NOT NULL, performative TEXT NOT NULL, conversation_id TEXT NOT NULL,
        reply_with TEXT NOT NULL, in_reply_to TEXT NOT NULL, protocol TEXT NOT NULL, metadata BLOB NOT NULL,
        PRIMARY KEY(agent, conversation, idx));
      INSERT INTO m11 SELECT agent, conversation, idx, sent, peer, request_id, seq, time_ms, content_type, body,
        performative, conversation_id, reply_with, in_reply_to, protocol, metadata FROM conversation_messages;
      DROP TABLE conversation_messages;
      ALTER TABLE m11 RENAME TO conversation_messages;
      CREATE INDEX conversation_messages_reply ON conversation_messages(agent, reply_with)
        WHERE sent = 0 AND reply_with != '';
      CREATE INDEX conversation_messages_request ON conversation_messages(agent, request_id) WHERE sent = 0;
      PRAGMA user_version = 11;
      COMMIT;)sql";
    char* err = nullptr;
    const int rc = sqlite3_exec(db, v11, nullptr, nullptr, &err);
    EXPECT_EQ(rc, SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK);
  }
  auto s = open_sqlite_store(path);
  ASSERT_TRUE(s);
  auto got = (*s)->get_task(open.id).value();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->body, open.body);
  EXPECT_EQ(got->assignee, bob);
  const auto open_now = (*s)->list_open_tasks().value();
  ASSERT_EQ(open_now.size(), 1u);
  EXPECT_EQ(open_now[0].id, open.id);
  const auto events = (*s)->list_task_events(open.id, 0, 10).value();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].body, "e2");
  ASSERT_TRUE((*s)->begin());
  EXPECT_EQ(*(*s)->purge_tasks(1'000'000), 1u);
  ASSERT_TRUE((*s)->commit());
  EXPECT_TRUE((*s)->list_task_events(ended.id, 0, 10).value().empty());
  EXPECT_EQ((*s)->list_task_events(open.id, 0, 10).value().size(), 2u);
  auto conversation = (*s)->get_conversation(alice, "ctx").value();
  ASSERT_TRUE(conversation);
  EXPECT_EQ(conversation->messages, 1u);
  EXPECT_EQ(conversation->last_ms, 90'000);
  const auto kept = (*s)->list_conversation_messages(alice, "ctx", 0, 10).value();
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].content.body, "hello");
  auto replied = (*s)->find_received(alice, "nothing", request).value();
  ASSERT_TRUE(replied);  // the partial index by request id came through too
  EXPECT_EQ(replied->content.body, "hello");
  ASSERT_TRUE((*s)->begin());
  // The migration counted alice's one view: two more pass the bound of 2,
  // and the least recent one (the migrated view) goes.
  ConversationLimits two;
  two.max_per_agent = 2;
  for (const char* id : {"ctx2", "ctx3"}) {
    ConversationMessage more;
    more.agent = alice;
    more.conversation = id;
    more.peer = bob;
    more.request_id = crypto::new_request_id();
    more.time_ms = 95'000;
    ASSERT_TRUE((*s)->note_conversation(more, two));
  }
  EXPECT_FALSE((*s)->get_conversation(alice, "ctx").value());
  EXPECT_TRUE((*s)->list_conversation_messages(alice, "ctx", 0, 10).value().empty());
  EXPECT_EQ(*(*s)->purge_conversations(95'001), 2u);
  ASSERT_TRUE((*s)->commit());
}

// An idle daemon gives its page caches back (store.hpp: release_memory): the
// pages a read brought in are freed, and the next read brings them back.
TEST(SqliteStoreTest, ReleaseMemoryFreesTheReadersPageCacheAndReadsStillWork) {
  testutil::TempDir dir;
  auto s = open_sqlite_store(dir.path() / "cache.db");
  ASSERT_TRUE(s);
  auto a = make_agent("alice");
  ASSERT_TRUE((*s)->begin());
  ASSERT_TRUE((*s)->insert_agent(a));
  for (int i = 0; i < 400; ++i) {
    auto m = make_message(a.id, a.id, std::string(1000, static_cast<char>('a' + i % 26)));
    ASSERT_TRUE((*s)->append_inbox(m));
  }
  ASSERT_TRUE((*s)->commit());
  auto reader = (*s)->open_reader();
  ASSERT_TRUE(reader);
  ASSERT_EQ((*reader)->read_inbox(a.id, Seq{0}, 1000)->size(), 400u);  // about 100 pages into its cache
  const auto cached = sqlite3_memory_used();
  (*reader)->release_memory();
  EXPECT_LT(sqlite3_memory_used(), cached - 200'000);
  EXPECT_EQ((*reader)->read_inbox(a.id, Seq{0}, 1000)->size(), 400u);
  EXPECT_GT(sqlite3_memory_used(), cached - 100'000);  // the pages are back
}

TEST(SqliteStoreTest, RefusesANewerSchema) {
  testutil::TempDir dir;
  const auto path = dir.path() / "future.db";
  { ASSERT_TRUE(open_sqlite_store(path)); }  // closing checkpoints the WAL into the file
  // Pretend a newer binary migrated this database: set user_version in the file header.
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(60);  // SQLite header: user_version at byte offset 60, big-endian
  const char v[4] = {0, 0, 0, 99};
  f.write(v, 4);
  f.close();
  auto s = open_sqlite_store(path);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), error::schema_too_new);
}

}  // namespace
}  // namespace agentmesh::store
