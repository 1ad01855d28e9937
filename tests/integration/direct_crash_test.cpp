// Crash safety across daemons (issue 5): 5,000 messages from alice on daemon
// A to bob on daemon B from 16 concurrent clients; kill -9 the sender's
// daemon at a random moment in one run, the receiver's in another; restart
// it. Every message that got a 202 ends in bob's inbox exactly once.
// Each (victim, run) pair is its own test so ctest spreads them over the
// cores: 3 per victim in make test (tests/netsim adds kill -9 of random
// daemons under load across six hosts); `make soak` runs more of them
// (AGENTMESH_CRASH_RUNS).

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <cstdlib>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "testutil/testutil.hpp"

namespace agentmesh::testutil {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr int kMessages = 5000;
constexpr int kClients = 16;

using Agent = TestAgent;

// Every body in the agent's inbox, in seq order.
std::vector<std::string> bodies(const Daemon& d, const std::string& agent) {
  std::vector<std::string> out;
  for (std::uint64_t after = 0;;) {
    auto v = get_json(d, "/v1/agents/" + agent + "/inbox?after=" + std::to_string(after) + "&limit=1000");
    if (!v.is_object()) return out;
    const auto& msgs = v.at("messages").as_array();
    if (msgs.empty()) return out;
    for (const auto& m : msgs) out.emplace_back(m.at("body").as_string());
    after = msgs.back().at("seq").to_number<std::uint64_t>();
  }
}

class DirectCrashTest : public ::testing::TestWithParam<std::tuple<std::string, int>> {};

TEST_P(DirectCrashTest, EveryAcceptedMessageArrivesExactlyOnceAfterKill9) {
  const auto& [victim_name, run] = GetParam();
  const bool kill_sender = victim_name == "sender";
  std::mt19937 rng(std::random_device{}());
  TempDir dir;
  AliceAndBob mesh(dir.path());
  ASSERT_TRUE(mesh.ready()) << mesh.a.log();
  Daemon& a = mesh.a;
  Daemon& b = mesh.b;
  const auto& alice = mesh.alice;
  const auto& bob = mesh.bob;
  Daemon& victim = kill_sender ? a : b;

  const int kill_after = std::uniform_int_distribution<int>(1, kMessages - 1)(rng);
  std::mutex mu;
  std::set<std::string> accepted;  // bodies that got a 202
  std::atomic<int> next{0};
  std::atomic<int> answered{0};
  std::atomic<bool> killed{false};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&] {
      auto client = a.client(alice.token, true);  // one connection per client, reopened after the kill
      for (int i; (i = next.fetch_add(1)) < kMessages && !(killed && kill_sender);) {
        const std::string body = victim_name + std::to_string(run) + "-msg" + std::to_string(i);
        auto r = client.request("POST", "/v1/agents/" + alice.id + "/messages",
                                json::serialize(json::object{{"to", bob.id}, {"body", body}}), "application/json");
        if (!r) continue;  // the daemon died mid-request: outcome unknown, not counted
        if (r->status == 202) {
          std::lock_guard lock(mu);
          accepted.insert(body);
        }
        if (answered.fetch_add(1) + 1 == kill_after) {
          killed = true;
          victim.kill9();
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  if (!killed) victim.kill9();
  victim.start();
  ASSERT_GT(accepted.size(), 0u);

  // Everything acknowledged arrives (the outbox resends; B's dedup answers
  // what it had committed before the crash).
  std::vector<std::string> got;
  const bool all = eventually(
      [&] {
        got = bodies(b, bob.id);
        std::set<std::string> have(got.begin(), got.end());
        for (const auto& body : accepted) {
          if (!have.contains(body)) return false;
        }
        return true;
      },
      120s);
  // Let the outbox settle so late duplicates, if any, would show.
  EXPECT_TRUE(eventually(
      [&] {
        auto d = get_json(a, "/v1/diagnostics/direct");
        return d.is_object() && d.at("outbox").at("pending").to_number<int>() == 0;
      },
      60s));
  got = bodies(b, bob.id);
  std::set<std::string> unique(got.begin(), got.end());
  EXPECT_EQ(unique.size(), got.size()) << "a message was delivered twice";
  std::size_t lost = 0;
  for (const auto& body : accepted) lost += unique.contains(body) ? 0 : 1;
  EXPECT_TRUE(all);
  EXPECT_EQ(lost, 0u) << lost << " of " << accepted.size() << " acknowledged messages lost; kill after " << kill_after;
  // Nothing arrives that was never sent.
  for (const auto& body : unique) EXPECT_EQ(body.rfind(victim_name + std::to_string(run) + "-msg", 0), 0u) << body;
  EXPECT_EQ(a.stop(), 0);
  EXPECT_EQ(b.stop(), 0);
}

INSTANTIATE_TEST_SUITE_P(Victims, DirectCrashTest,
                         ::testing::Combine(::testing::Values("sender", "receiver"),
                                            ::testing::Range(0, crash_runs("AGENTMESH_CRASH_RUNS", 3))),
                         [](const auto& p) { return victim_run_name(p.param); });

}  // namespace
}  // namespace agentmesh::testutil
