#include "task_phase.hpp"

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "bench_util.hpp"
#include "cli/http_client.hpp"

namespace agentmesh::bench {
namespace {

namespace json = boost::json;

constexpr int kPairs = 16;  // requester threads on A, worker agents on B
const std::string kArtifact(256, 'a');

struct Worker {
  std::string id;
  std::string token;
};

// Calls `on_event` with the JSON of each `data:` line of an SSE byte stream
// (events are single-line JSON here); stops when it returns false.
class SseLines {
 public:
  template <class F>
  bool feed(std::string_view bytes, F&& on_event) {
    buf_.append(bytes);
    for (std::size_t nl; (nl = buf_.find('\n')) != std::string::npos;) {
      const auto line = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      if (!line.starts_with("data: ")) continue;
      boost::system::error_code ec;
      auto v = json::parse(line.substr(6), ec);
      if (!ec && v.is_object() && !on_event(v.as_object())) return false;
    }
    return true;
  }

 private:
  std::string buf_;
};

std::string text_of(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

// A worker: accepts what is offered to it, completes what it accepted.
void run_worker(const TaskBenchSetup& s, const Worker& w, const std::atomic<bool>& stop) {
  Conn act(s.port_b, w.token);
  const std::string base = "/v1/agents/" + w.id + "/tasks/";
  const auto done = json::serialize(json::object{
      {"artifacts",
       json::array{json::object{{"name", "result"},
                                {"index", 0},
                                {"last", true},
                                {"parts", json::array{json::object{{"kind", "text"}, {"text", kArtifact}}}}}}}});
  while (!stop) {
    SseLines sse;
    std::string error_body;
    cli::HttpClient(std::string("127.0.0.1"), s.port_b, w.token)
        .stream(
            "/v1/agents/" + w.id + "/tasks/events", {},
            [&](std::string_view bytes) {
              return sse.feed(bytes, [&](const json::object& e) {
                const auto kind = text_of(e, "kind");
                const auto id = text_of(e, "task_id");
                if ((kind == "created" || kind == "offered") && text_of(e, "assignee") == w.id) {
                  act.request("POST", base + id + "/accept", "{}");
                } else if (kind == "accepted") {
                  act.request("POST", base + id + "/complete", done);
                }
                return !stop.load();
              });
            },
            error_body);
  }
}

// A task from alice to `worker`; its id, or "" when refused.
std::string create_task(const TaskBenchSetup& s, Conn& create, const std::string& worker) {
  const auto body = json::serialize(json::object{{"to", worker},
                                                 {"input", json::array{json::object{{"kind", "text"}, {"text", "x"}}}},
                                                 {"acceptance_timeout_ms", 600'000}});
  std::string out;
  if (create.request("POST", "/v1/agents/" + s.requester_id + "/tasks", body, &out) != 202) return {};
  boost::system::error_code ec;
  auto t = json::parse(out, ec);
  return ec || !t.is_object() ? std::string() : text_of(t.as_object(), "task_id");
}

// One task from alice to `worker`: created, then followed until completed.
// Returns the milliseconds from the create to the completed step, or < 0.
double lifecycle(const TaskBenchSetup& s, Conn& create, const std::string& worker) {
  const auto t0 = now_ns();
  const auto id = create_task(s, create, worker);
  if (id.empty()) return -1;
  bool completed = false;
  SseLines sse;
  std::string error_body;
  cli::HttpClient(std::string("127.0.0.1"), s.port_a, s.requester_token)
      .stream(
          "/v1/agents/" + s.requester_id + "/tasks/" + id + "/events", {},
          [&](std::string_view bytes) {
            return sse.feed(bytes, [&](const json::object& e) {
              completed = text_of(e, "kind") == "completed";
              return !completed;
            });
          },
          error_body);
  return completed ? (now_ns() - t0) / 1e6 : -1;
}

}  // namespace

bool task_phase(const TaskBenchSetup& s, int seconds, int rate) {
  Conn admin_b(s.port_b, s.admin_b);
  Conn admin_a(s.port_a, s.admin_a);
  std::vector<Worker> workers;
  for (int i = 0; i < kPairs; ++i) {
    std::string out;
    if (admin_b.request("POST", "/v1/agents", R"({"name":"worker-)" + std::to_string(i) + "\"}", &out) != 201) {
      std::fprintf(stderr, "dm_bench: could not create the task workers\n");
      return false;
    }
    auto v = json::parse(out);
    workers.push_back({std::string(v.at("agent_id").as_string()), std::string(v.at("token").as_string())});
  }
  for (const auto& w : workers) {
    if (!wait_until([&] { return get_json(admin_a, "/v1/directory/" + w.id).is_object(); }, std::chrono::seconds(30))) {
      std::fprintf(stderr, "dm_bench: a task worker never reached the requester's directory\n");
      return false;
    }
  }
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (const auto& w : workers) threads.emplace_back([&s, &w, &stop] { run_worker(s, w, stop); });

  // Throughput: 16 requesters, closed loop.
  std::atomic<long> done{0};
  std::atomic<long> failed{0};
  std::atomic<bool> stop_load{false};
  std::vector<std::thread> requesters;
  const auto start = Clock::now();
  const double cpu_a0 = cpu_seconds(s.pid_a), cpu_b0 = cpu_seconds(s.pid_b);
  const auto store_a0 = store_times(admin_a), store_b0 = store_times(admin_b);
  for (int i = 0; i < kPairs; ++i) {
    requesters.emplace_back([&, i] {
      Conn create(s.port_a, s.requester_token);
      while (!stop_load) (lifecycle(s, create, workers[i].id) >= 0 ? done : failed)++;
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop_load = true;
  for (auto& t : requesters) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const double lifecycles = std::max<double>(1, done.load());
  std::printf("task_lifecycles_per_s=%.0f\ntask_failures=%ld\ntask_cpu_ms_a=%.3f\ntask_cpu_ms_b=%.3f\n",
              done.load() / elapsed, failed.load(), 1e3 * (cpu_seconds(s.pid_a) - cpu_a0) / lifecycles,
              1e3 * (cpu_seconds(s.pid_b) - cpu_b0) / lifecycles);
  const auto store_a1 = store_times(admin_a), store_b1 = store_times(admin_b);
  print_store_breakdown("task_a", store_a0, store_a1);
  print_store_breakdown("task_b", store_b0, store_b1);
  std::printf("task_commits_per_lifecycle_a=%.2f\ntask_commits_per_lifecycle_b=%.2f\n",
              (store_a1.commit_count - store_a0.commit_count) / lifecycles,
              (store_b1.commit_count - store_b0.commit_count) / lifecycles);
  std::fflush(stdout);

  // Latency at `rate` offered, spread over the workers.
  std::mutex mu;
  std::vector<double> lat;
  const long total = static_cast<long>(rate) * seconds;
  const auto t_start = Clock::now();
  requesters.clear();
  for (int i = 0; i < kPairs; ++i) {
    requesters.emplace_back([&, i] {
      Conn create(s.port_a, s.requester_token);
      std::vector<double> mine;
      for (long n = i; n < total; n += kPairs) {
        std::this_thread::sleep_until(t_start + std::chrono::microseconds(1'000'000LL * n / rate));
        if (const auto ms = lifecycle(s, create, workers[i].id); ms >= 0) mine.push_back(ms);
      }
      std::lock_guard lock(mu);
      lat.insert(lat.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : requesters) t.join();
  std::printf("task_latency_rate=%d\ntask_latency_samples=%zu\ntask_latency_p50_ms=%.3f\ntask_latency_p99_ms=%.3f\n",
              rate, lat.size(), percentile(lat, 0.5), percentile(lat, 0.99));
  std::fflush(stdout);
  stop = true;
  // Each worker's stream ends at its next event: offer each one a last task
  // (left unfinished).
  Conn create(s.port_a, s.requester_token);
  for (const auto& w : workers) create_task(s, create, w.id);
  for (auto& t : threads) t.join();
  return true;
}

}  // namespace agentmesh::bench
