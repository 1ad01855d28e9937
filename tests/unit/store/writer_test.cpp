#include "store/writer.hpp"

#include <atomic>
#include <future>
#include <gtest/gtest.h>
#include <thread>

#include "crypto/crypto.hpp"
#include "store/memory_store.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "testutil/testutil.hpp"

namespace agentmesh::store {
namespace {

AgentRecord agent(const std::string& name) {
  AgentRecord a;
  a.id = crypto::SigningKey::generate().agent_id();
  a.name = name;
  return a;
}

// Submits a job and returns a future for its completion.
std::future<error_code> submit(Writer& w, std::function<error_code(Store&)> work) {
  auto p = std::make_shared<std::promise<error_code>>();
  auto f = p->get_future();
  auto r = w.submit({std::move(work), [p](error_code ec) { p->set_value(ec); }});
  if (!r) p->set_value(r.error());
  return f;
}

TEST(WriterTest, CommitsBeforeCompletingAndBatchesConcurrentJobs) {
  testutil::TempDir dir;
  auto store = open_sqlite_store(dir.path() / "w.db").value();
  auto reader = store->open_reader().value();
  Writer w(std::move(store));
  auto a = agent("a");
  ASSERT_FALSE(submit(w, [&](Store& s) { return s.insert_agent(a).has_error() ? error::io : error_code{}; }).get());

  // 8 threads x 500 appends: every completion sees its row committed, seqs are gap-free.
  constexpr int kThreads = 8, kPer = 500;
  std::atomic<int> visible_at_completion{0};  // completions observed
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPer; ++i) {
        auto seq = std::make_shared<Seq>();
        auto done = submit(w, [&, seq](Store& s) -> error_code {
          InboxRecord r;
          r.agent = a.id;
          r.sender = a.id;
          r.request_id = crypto::new_request_id();
          r.content.body = std::string(256, 'x');
          auto got = s.append_inbox(r);
          if (!got) return got.error();
          *seq = *got;
          return {};
        });
        ASSERT_FALSE(done.get());
        visible_at_completion.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  const auto cursor = reader->inbox_cursor(a.id);
  ASSERT_TRUE(cursor);
  EXPECT_EQ(visible_at_completion.load(), kThreads * kPer);
  EXPECT_EQ(cursor->last.value, static_cast<std::uint64_t>(kThreads * kPer));
  auto all = reader->read_inbox(a.id, Seq{0}, kThreads * kPer + 1);
  ASSERT_EQ(all->size(), static_cast<std::size_t>(kThreads * kPer));
  for (std::size_t i = 0; i < all->size(); ++i) EXPECT_EQ((*all)[i].seq.value, i + 1);
  // With 8 concurrent submitters at least some commits carried several jobs.
  EXPECT_LT(w.commits(), static_cast<std::uint64_t>(kThreads * kPer + 1));
  EXPECT_GT(w.batch_sizes().snapshot().sum, static_cast<double>(w.commits()));
}

TEST(WriterTest, CompletionRunsOnlyAfterCommitIsVisibleToReaders) {
  testutil::TempDir dir;
  auto store = open_sqlite_store(dir.path() / "w.db").value();
  auto reader = store->open_reader().value();
  Writer w(std::move(store));
  auto a = agent("visible");
  std::promise<bool> seen;
  auto r = w.submit({[&](Store& s) { return s.insert_agent(a).has_error() ? error_code(error::io) : error_code{}; },
                     [&](error_code) {
                       // Runs on the writer thread after COMMIT: another connection must see the row.
                       auto list = reader->list_agents();
                       seen.set_value(list && list->size() == 1);
                     }});
  ASSERT_TRUE(r);
  EXPECT_TRUE(seen.get_future().get());
}

TEST(WriterTest, AFailingJobRollsBackAloneAndOthersCommit) {
  auto mem = std::make_shared<MemoryStore>();
  auto reader = mem->open_reader().value();
  Writer w(mem->open_reader().value());
  auto a = agent("same"), b = agent("same"), c = agent("other");
  auto f1 = submit(w, [&](Store& s) { return s.insert_agent(a) ? error_code{} : error_code(error::io); });
  auto f2 = submit(w, [&](Store& s) {
    auto r = s.insert_agent(b);  // name conflict
    return r ? error_code{} : r.error();
  });
  auto f3 = submit(w, [&](Store& s) { return s.insert_agent(c) ? error_code{} : error_code(error::io); });
  EXPECT_FALSE(f1.get());
  EXPECT_EQ(f2.get(), error::conflict);
  EXPECT_FALSE(f3.get());
  EXPECT_EQ(reader->list_agents()->size(), 2u);
}

TEST(WriterTest, CommitFailureFailsEveryJobInTheBatchAndRollsBack) {
  auto mem = std::make_shared<MemoryStore>();
  auto reader = mem->open_reader().value();
  Writer w(mem->open_reader().value());
  mem->fail_next_commits(1);
  auto a = agent("a");
  EXPECT_EQ(submit(w, [&](Store& s) { return s.insert_agent(a) ? error_code{} : error_code(error::io); }).get(),
            error::io);
  EXPECT_TRUE(reader->list_agents()->empty());
  EXPECT_EQ(w.commit_failures(), 1u);
  EXPECT_TRUE(w.last_commit_failed());
  // The next batch commits normally.
  EXPECT_FALSE(submit(w, [&](Store& s) { return s.insert_agent(a) ? error_code{} : error_code(error::io); }).get());
  EXPECT_EQ(reader->list_agents()->size(), 1u);
  EXPECT_FALSE(w.last_commit_failed());  // health recovers with the next good commit
}

TEST(WriterTest, FullQueueRejectsAndCountsDrops) {
  auto mem = std::make_shared<MemoryStore>();
  WriterConfig cfg;
  cfg.queue_capacity = 2;
  Writer w(mem->open_reader().value(), cfg);
  // Block the writer thread inside a job so the queue fills behind it.
  std::promise<void> release;
  auto gate = release.get_future().share();
  std::promise<void> entered;
  auto blocker = submit(w, [&, gate](Store&) {
    entered.set_value();
    gate.wait();
    return error_code{};
  });
  entered.get_future().wait();
  auto q1 = submit(w, [](Store&) { return error_code{}; });
  auto q2 = submit(w, [](Store&) { return error_code{}; });
  auto q3 = submit(w, [](Store&) { return error_code{}; });
  EXPECT_EQ(q3.get(), error::queue_full);
  const auto stats = w.queue_stats();
  EXPECT_EQ(stats.dropped, 1u);
  EXPECT_EQ(stats.depth, 2u);
  EXPECT_EQ(stats.capacity, 2u);
  release.set_value();
  EXPECT_FALSE(blocker.get());
  EXPECT_FALSE(q1.get());
  EXPECT_FALSE(q2.get());
}

TEST(WriterTest, StopFinishesQueuedJobsThenRefusesNewOnes) {
  auto mem = std::make_shared<MemoryStore>();
  auto reader = mem->open_reader().value();
  auto w = std::make_unique<Writer>(mem->open_reader().value());
  std::vector<std::future<error_code>> futures;
  std::vector<AgentRecord> agents;
  for (int i = 0; i < 100; ++i) agents.push_back(agent("a" + std::to_string(i)));
  for (auto& a : agents) {
    futures.push_back(submit(*w, [&a](Store& s) { return s.insert_agent(a) ? error_code{} : error_code(error::io); }));
  }
  w->stop();
  for (auto& f : futures) EXPECT_FALSE(f.get());
  EXPECT_EQ(reader->list_agents()->size(), 100u);
  EXPECT_EQ(submit(*w, [](Store&) { return error_code{}; }).get(), error::stopped);
}

}  // namespace
}  // namespace agentmesh::store
