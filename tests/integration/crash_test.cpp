// Crash safety: 2,000 messages between local agents from 8 concurrent
// clients; kill -9 the daemon at a random moment; restart; every message that
// got a 202 is in the inbox exactly once and sequence numbers have no gaps.
// Repeated 10 times with different kill points.

#include <atomic>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "integration/fixture.hpp"

namespace agentmesh::testutil {
namespace {

namespace json = boost::json;

constexpr int kMessages = 2000;
constexpr int kClients = 8;
constexpr int kRuns = 10;

TEST(CrashTest, EveryAcceptedMessageSurvivesKill9ExactlyOnce) {
  std::mt19937 rng(std::random_device{}());
  for (int run = 0; run < kRuns; ++run) {
    TempDir dir;
    Daemon daemon(dir.path() / "data");
    daemon.start();
    for (auto name : {"alice", "bob"}) {
      auto r = daemon.admin().request("POST", "/v1/agents", R"({"name":")" + std::string(name) + "\"}");
      ASSERT_TRUE(r && r->status == 201);
    }
    // Kill once this many messages have been accepted (spread over the whole run).
    const int kill_after = std::uniform_int_distribution<int>(1, kMessages - 1)(rng);
    std::mutex mu;
    std::set<std::string> accepted;  // bodies that got a 202
    std::atomic<int> next{0};
    std::atomic<int> accepted_count{0};
    std::atomic<bool> killed{false};
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&] {
        auto client = daemon.client(daemon.admin_token(), true);  // one connection per client
        for (int i; (i = next.fetch_add(1)) < kMessages && !killed;) {
          const std::string body = "run" + std::to_string(run) + "-msg" + std::to_string(i);
          auto r = client.request("POST", "/v1/agents/alice/messages",
                                  json::serialize(json::object{{"to", "bob"}, {"body", body}}));
          if (!r) continue;  // the daemon died mid-request: outcome unknown, not counted
          if (r->status == 202) {
            std::lock_guard lock(mu);
            accepted.insert(body);
          }
          if (accepted_count.fetch_add(1) + 1 == kill_after) {
            killed = true;
            daemon.kill9();
          }
        }
      });
    }
    for (auto& t : clients) t.join();
    if (!killed) daemon.kill9();

    daemon.start();
    std::vector<std::string> bodies;
    std::uint64_t expected_seq = 1;
    for (std::uint64_t after = 0;;) {
      auto r = daemon.admin().request("GET", "/v1/agents/bob/inbox?after=" + std::to_string(after) + "&limit=1000");
      ASSERT_TRUE(r && r->status == 200);
      const auto v = json::parse(r->body);
      const auto& msgs = v.at("messages").as_array();
      if (msgs.empty()) break;
      for (const auto& m : msgs) {
        EXPECT_EQ(m.at("seq").as_int64(), static_cast<std::int64_t>(expected_seq)) << "gap in run " << run;
        ++expected_seq;
        bodies.emplace_back(m.at("body").as_string());
      }
      after = msgs.back().at("seq").to_number<std::uint64_t>();
    }
    const std::set<std::string> unique(bodies.begin(), bodies.end());
    EXPECT_EQ(unique.size(), bodies.size()) << "duplicate delivery in run " << run;
    for (const auto& b : accepted) {
      EXPECT_TRUE(unique.contains(b)) << "acknowledged message lost in run " << run << ": " << b;
    }
    EXPECT_GE(bodies.size(), accepted.size());
    EXPECT_EQ(daemon.stop(), 0);
  }
}

}  // namespace
}  // namespace agentmesh::testutil
