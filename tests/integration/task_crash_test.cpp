// Crash safety of tasks across daemons (issue 13): alice on daemon A asks bob
// on daemon B for 500 tasks from 16 requester threads; 16 workers on B
// accept and complete each with a 256-byte artifact; A (the requester's
// daemon, the tasks' home) or B is killed -9 at a random moment and
// restarted. Every call carries an idempotency key or request id, so the
// clients simply retry what got no answer. Afterwards every task is
// completed on both daemons with the same state_sequence and its artifact
// exactly once, and each agent's inbox holds each step once.
// Each (victim, run) pair is its own test. `make test` makes 3 runs per
// victim (about 40 s each here, two at a time; issue 13 asks 10, but a cold
// `make test` must stay under 30 minutes on 2 cores, and the fault harness
// kills daemons under load across six hosts too); `make soak` runs
// SOAK_RUNS per victim (AGENTMESH_TASK_CRASH_RUNS).

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "testutil/testutil.hpp"

namespace agentmesh::testutil {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr int kTasks = 500;
constexpr int kThreads = 16;
// Bounds a hang, not the speed: a run takes about 40 s alone, and more than
// 60 s when other tests share the two cores (four of these at once took 68 to
// 88 s, and the workers' deadline, not a lost step, failed them).
constexpr auto kDeadline = 180s;
const std::string kArtifact(256, 'a');

struct Answer {
  int status = 0;  // 0: no answer (the daemon is down or died mid-call)
  json::value body;
};

// One keep-alive connection per thread; a lost connection is reopened by
// the next call.
Answer call(cli::HttpClient& c, const std::string& method, const std::string& path, const json::value& body) {
  auto r = c.request(method, path, body.is_null() ? "" : json::serialize(body), "application/json");
  Answer a;
  if (!r) return a;
  a.status = r->status;
  boost::system::error_code ec;
  a.body = json::parse(r->body, ec);
  return a;
}

std::string field(const json::value& v, std::string_view key) {
  if (!v.is_object() || !v.as_object().contains(key)) return {};
  const auto& f = v.at(key);
  return f.is_string() ? std::string(f.as_string()) : json::serialize(f);
}

// A thread's connection to one daemon. A restarted daemon listens on a new
// port: after a call gets no answer, the next one connects to the port the
// daemon has now (read under `restart`, which a restart holds).
struct Client {
  const Daemon& daemon;
  std::string token;
  std::mutex& restart;
  std::optional<cli::HttpClient> http;

  Answer call(const std::string& method, const std::string& path, const json::value& body) {
    if (!http) {
      std::lock_guard lock(restart);
      http.emplace(daemon.client(token, true));
    }
    auto a = testutil::call(*http, method, path, body);
    if (a.status == 0) http.reset();
    return a;
  }
  // Calls until an answer other than "no answer" comes, or the deadline.
  Answer until_answered(const std::string& method, const std::string& path, const json::value& body,
                        std::chrono::steady_clock::time_point deadline) {
    for (;;) {
      auto a = call(method, path, body);
      if (a.status != 0 || std::chrono::steady_clock::now() > deadline) return a;
      std::this_thread::sleep_for(20ms);  // the daemon is restarting: poll again
    }
  }
};

// Every task step in `agent`'s inbox: task id -> its step sequences, in inbox order.
std::map<std::string, std::vector<int>> steps_in_inbox(const Daemon& d, const TestAgent& agent) {
  std::map<std::string, std::vector<int>> out;
  for (std::uint64_t after = 0;;) {
    auto r = request(d, agent, "GET", "/v1/agents/" + agent.id + "/inbox?limit=1000&after=" + std::to_string(after));
    if (r.status != 200) return out;
    const auto& msgs = r.body.at("messages").as_array();
    if (msgs.empty()) return out;
    for (const auto& m : msgs) {
      const auto& e = m.at("task_event");
      out[field(e, "task_id")].push_back(e.at("state_sequence").to_number<int>());
    }
    after = msgs.back().at("seq").to_number<std::uint64_t>();
  }
}

class TaskCrashTest : public ::testing::TestWithParam<std::tuple<std::string, int>> {};

TEST_P(TaskCrashTest, EveryTaskEndsCompletedOnceOnBothDaemonsAfterKill9) {
  const auto& [victim_name, run] = GetParam();
  std::mt19937 rng(std::random_device{}());
  TempDir dir;
  AliceAndBob mesh(dir.path());
  ASSERT_TRUE(mesh.ready()) << mesh.a.log();
  Daemon &a = mesh.a, &b = mesh.b;
  const TestAgent &alice = mesh.alice, &bob = mesh.bob;
  Daemon& victim = victim_name == "requester" ? a : b;
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  const std::string tasks_a = "/v1/agents/" + alice.id + "/tasks";
  const std::string tasks_b = "/v1/agents/" + bob.id + "/tasks";

  // Kill after this many answered calls (creates, accepts, completes).
  const int kill_after = std::uniform_int_distribution<int>(1, 3 * kTasks - 1)(rng);
  std::atomic<int> answered{0};
  std::atomic<bool> killed{false};
  std::mutex kill_mu;
  auto count_answer = [&] {
    if (answered.fetch_add(1) + 1 != kill_after) return;
    std::lock_guard lock(kill_mu);
    victim.kill9();
    killed = true;
    try {
      victim.start();  // the clients' calls fail meanwhile and are retried
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
    }
  };

  std::mutex mu;
  std::map<std::string, int> created;  // task id -> index
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      Client client{a, alice.token, kill_mu, {}};
      for (int i; (i = next.fetch_add(1)) < kTasks;) {
        const json::object body{
            {"to", bob.id},
            {"input", json::array{json::object{{"kind", "text"}, {"text", "t" + std::to_string(i)}}}},
            {"acceptance_timeout_ms", 600'000},
            {"idempotency_key", "task-" + std::to_string(i)}};
        auto r = client.until_answered("POST", tasks_a, body, deadline);
        if (r.status != 200 && r.status != 202) {
          ADD_FAILURE() << "create " << i << ": " << r.status << " " << json::serialize(r.body);
          return;
        }
        count_answer();
        std::lock_guard lock(mu);
        created[field(r.body, "task_id")] = i;
      }
    });
  }

  // B: a dispatcher finds offered tasks; workers accept and complete them.
  std::deque<std::string> queue;
  std::set<std::string> seen;
  std::atomic<int> finished{0};
  std::atomic<bool> stop{false};
  threads.emplace_back([&] {
    Client client{b, bob.token, kill_mu, {}};
    while (!stop && std::chrono::steady_clock::now() < deadline) {
      auto r = client.call("GET", tasks_b + "?role=assignee&state=submitted&limit=1000", nullptr);
      if (r.status != 200) {
        std::this_thread::sleep_for(20ms);
        continue;
      }
      {
        std::lock_guard lock(mu);
        for (const auto& t : r.body.at("tasks").as_array()) {
          const auto id = field(t, "task_id");
          if (seen.insert(id).second) queue.push_back(id);
        }
      }
      // A poll every few milliseconds keeps the workers fed without taking
      // a core from the daemons (two cores in CI).
      std::this_thread::sleep_for(5ms);
    }
  });
  // Waits until B's copy of `id` is working, so that B lets bob complete it
  // (the accept's step comes back from A as an event; after a 202 pending,
  // once the outbox delivered the accept). Polls with a growing interval.
  auto working = [&](Client& c, const std::string& id) {
    for (auto wait = 2ms; std::chrono::steady_clock::now() < deadline; wait = std::min(wait * 2, 100ms)) {
      auto r = c.call("GET", tasks_b + "/" + id, nullptr);
      const auto now = field(r.body, "state");
      if (now == "working" || now == "completed") return true;
      std::this_thread::sleep_for(wait);
    }
    return false;
  };
  for (int w = 0; w < kThreads; ++w) {
    threads.emplace_back([&] {
      Client client{b, bob.token, kill_mu, {}};
      while (finished < kTasks && std::chrono::steady_clock::now() < deadline) {
        std::string id;
        {
          std::lock_guard lock(mu);
          if (!queue.empty()) {
            id = queue.front();
            queue.pop_front();
          }
        }
        if (id.empty()) {
          std::this_thread::sleep_for(5ms);
          continue;
        }
        const json::object accept{{"request_id", "accept-" + id}};
        auto r = client.until_answered("POST", tasks_b + "/" + id + "/accept", accept, deadline);
        ASSERT_TRUE(r.status == 200 || r.status == 202) << "accept: " << json::serialize(r.body);
        count_answer();
        ASSERT_TRUE(working(client, id)) << id;
        const json::object done{
            {"request_id", "complete-" + id},
            {"artifacts",
             json::array{json::object{{"name", "result"},
                                      {"index", 0},
                                      {"last", true},
                                      {"parts", json::array{json::object{{"kind", "text"}, {"text", kArtifact}}}}}}}};
        r = client.until_answered("POST", tasks_b + "/" + id + "/complete", done, deadline);
        ASSERT_TRUE(r.status == 200 || r.status == 202) << "complete: " << json::serialize(r.body);
        count_answer();
        ++finished;  // both daemons are checked for the completed task at the end
      }
    });
  }
  for (std::size_t t = 0; t < kThreads; ++t) threads[t].join();  // the requesters
  const bool all_done = eventually([&] { return finished == kTasks; }, kDeadline);
  stop = true;
  for (std::size_t t = kThreads; t < threads.size(); ++t) threads[t].join();
  if (!all_done) {
    // Where the unfinished tasks stand on each side.
    std::map<std::string, int> home_states, copy_states;
    for (const auto& [id, i] : created) {
      ++home_states[request(a, alice, "GET", tasks_a + "/" + id).text("state")];
      ++copy_states[request(b, bob, "GET", tasks_b + "/" + id).text("state")];
    }
    for (const auto& [s, n] : home_states) ADD_FAILURE() << "at the requester's daemon: " << n << " " << s;
    for (const auto& [s, n] : copy_states) ADD_FAILURE() << "at the assignee's daemon: " << n << " " << s;
    ADD_FAILURE() << "A direct: " << json::serialize(get_json(a, "/v1/diagnostics/direct"));
    ADD_FAILURE() << "B direct: " << json::serialize(get_json(b, "/v1/diagnostics/direct"));
    ADD_FAILURE() << "A tasks: " << json::serialize(get_json(a, "/v1/diagnostics/tasks"));
    ADD_FAILURE() << "B tasks: " << json::serialize(get_json(b, "/v1/diagnostics/tasks"));
  }
  ASSERT_TRUE(all_done) << finished << " of " << kTasks << " tasks completed; kill after " << kill_after;
  ASSERT_EQ(created.size(), static_cast<std::size_t>(kTasks));
  if (!killed) {
    victim.kill9();
    victim.start();
  }

  // Both daemons agree on every task, and each step reached each inbox once.
  for (const auto& [id, i] : created) {
    Reply home, copy;
    ASSERT_TRUE(eventually(
        [&] {
          home = request(a, alice, "GET", tasks_a + "/" + id);
          copy = request(b, bob, "GET", tasks_b + "/" + id);
          return home.text("state") == "completed" && copy.text("state") == "completed";
        },
        60s))
        << id << ": " << home.text("state") << " / " << copy.text("state");
    EXPECT_EQ(home.text("state_sequence"), "3") << id;
    EXPECT_EQ(copy.text("state_sequence"), "3") << id;
    for (const auto* t : {&home, &copy}) {
      const auto& arts = t->body.at("artifacts").as_array();
      ASSERT_EQ(arts.size(), 1u) << id;
      EXPECT_EQ(arts[0].at("chunks").to_number<int>(), 1) << id;
      const auto& parts = arts[0].at("parts").as_array();
      ASSERT_EQ(parts.size(), 1u) << id;
      EXPECT_EQ(parts[0].at("text").as_string(), kArtifact) << id;
    }
  }
  const std::vector<int> once = {1, 2, 3};
  for (const auto* side : {&a, &b}) {
    const auto& who = side == &a ? alice : bob;
    auto steps = steps_in_inbox(*side, who);
    EXPECT_EQ(steps.size(), created.size());
    for (const auto& [id, seqs] : steps) EXPECT_EQ(seqs, once) << (side == &a ? "alice " : "bob ") << id;
  }
  EXPECT_EQ(a.stop(), 0);
  EXPECT_EQ(b.stop(), 0);
}

INSTANTIATE_TEST_SUITE_P(Victims, TaskCrashTest,
                         ::testing::Combine(::testing::Values("requester", "assignee"),
                                            ::testing::Range(0, crash_runs("AGENTMESH_TASK_CRASH_RUNS", 3))),
                         [](const auto& p) { return victim_run_name(p.param); });

}  // namespace
}  // namespace agentmesh::testutil
