// Store benchmarks: group-commit throughput of 256-byte inbox appends with
// SQLite synchronous=FULL, as 8 concurrent producers see it (each keeps a
// window of requests in flight, like 8 HTTP clients with pipelined sends).

#include <benchmark/benchmark.h>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "crypto/crypto.hpp"
#include "direct/delivery.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/writer.hpp"

namespace {

using namespace agentmesh;

struct Fixture {
  std::filesystem::path dir;
  std::unique_ptr<store::Writer> writer;
  core::AgentId agent = crypto::SigningKey::generate().agent_id();

  Fixture() {
    dir = std::filesystem::temp_directory_path() / ("agentmesh-bench-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    auto s = store::open_sqlite_store(dir / "bench.db").value();
    store::AgentRecord a;
    a.id = agent;
    a.name = "bench";
    (void)s->begin();
    (void)s->insert_agent(a);
    (void)s->commit();
    writer = std::make_unique<store::Writer>(std::move(s));
  }
  ~Fixture() {
    writer.reset();
    std::filesystem::remove_all(dir);
  }
};

// Appends `total` messages from `producers` threads, each with at most
// `window` jobs outstanding; returns when every job has completed.
void run_appends(Fixture& f, int producers, int total, int window) {
  std::vector<std::thread> threads;
  const int per = total / producers;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&f, per, window] {
      std::mutex mu;
      std::condition_variable cv;
      int in_flight = 0;
      for (int i = 0; i < per; ++i) {
        {
          std::unique_lock lock(mu);
          cv.wait(lock, [&] { return in_flight < window; });
          ++in_flight;
        }
        store::Job job;
        job.work = [&f](store::Store& s) -> error_code {
          direct::Delivery d;
          d.record.agent = f.agent;
          d.record.sender = f.agent;
          d.record.request_id = crypto::new_request_id();
          d.record.content.content_type = "text/plain";
          d.record.content.body = std::string(256, 'x');
          auto r = direct::deliver(s, d);
          return r ? error_code{} : r.error();
        };
        job.done = [&](error_code) {
          std::lock_guard lock(mu);
          --in_flight;
          cv.notify_one();
        };
        while (!f.writer->submit(job)) std::this_thread::yield();
      }
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return in_flight == 0; });
    });
  }
  for (auto& t : threads) t.join();
}

// Args: producer threads, jobs each keeps in flight.
void BM_GroupCommitAppend256(benchmark::State& state) {
  Fixture f;
  const int total = 40000;
  for (auto _ : state) run_appends(f, static_cast<int>(state.range(0)), total, static_cast<int>(state.range(1)));
  state.SetItemsProcessed(state.iterations() * total);
  const auto batches = f.writer->batch_sizes().snapshot();
  state.counters["avg_batch"] = batches.count ? batches.sum / static_cast<double>(batches.count) : 0;
  state.counters["commit_p99_ms"] = f.writer->commit_latency_ms().snapshot().quantile(0.99);
}
BENCHMARK(BM_GroupCommitAppend256)
    ->Args({8, 1})
    ->Args({8, 64})
    ->Args({1, 8192})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(2.0);

void BM_ContentDigest(benchmark::State& state) {
  store::MessageContent c;
  c.body = std::string(256, 'x');
  c.content_type = "text/plain";
  const auto to = crypto::SigningKey::generate().agent_id();
  for (auto _ : state) benchmark::DoNotOptimize(direct::content_digest(to, c));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ContentDigest);

}  // namespace

BENCHMARK_MAIN();
