#include "node/health.hpp"

#include <gtest/gtest.h>

#include "core/clock.hpp"

namespace agentmesh::node {
namespace {

const ComponentHealth& component(const HealthReport& r, std::string_view name) {
  for (const auto& c : r.components) {
    if (c.name == name) return c;
  }
  throw std::runtime_error("no component " + std::string(name));
}

class HealthTest : public ::testing::Test {
 protected:
  HealthTest() {
    d_.store.writer_queue.capacity = 100;
    d_.direct.capacity = 1000;
    d_.direct.capacity_bytes = 1 << 20;
  }
  core::UnixMs now() const { return clock_.now_ms(); }
  void advance(std::int64_t ms) { clock_.advance(std::chrono::milliseconds(ms)); }
  // The monitor samples every 10 s, as the node's ticker does.
  void run_for(std::int64_t ms) {
    for (std::int64_t t = 0; t < ms; t += HealthMonitor::kSampleIntervalMs) {
      monitor_.sample(now(), d_);
      advance(HealthMonitor::kSampleIntervalMs);
    }
    monitor_.sample(now(), d_);
  }
  HealthReport report(bool draining = false) { return monitor_.evaluate(now(), d_, draining); }

  core::ManualClock clock_;
  Diagnostics d_;
  HealthMonitor monitor_;
};

TEST_F(HealthTest, AnIdleDaemonWithoutConfiguredPeersIsOk) {
  run_for(60'000);
  const auto r = report();
  EXPECT_EQ(r.status, HealthStatus::ok);
  for (const auto& c : r.components) EXPECT_EQ(c.status, HealthStatus::ok) << c.name << ": " << c.reason;
}

TEST_F(HealthTest, LosingEveryPeerWithBootstrapPeersConfiguredIsDegraded) {
  d_.bootstrap_peers = 2;
  d_.transport.connections_outbound = 1;
  EXPECT_EQ(report().status, HealthStatus::ok);
  d_.transport.connections_outbound = 0;
  const auto r = report();
  EXPECT_EQ(r.status, HealthStatus::degraded);
  EXPECT_NE(component(r, "transport").reason.find("no peer connected"), std::string::npos);
}

TEST_F(HealthTest, AFailedCommitIsUnhealthyAndAFullQueueDegraded) {
  d_.store.writer_queue.depth = 81;
  EXPECT_EQ(component(report(), "store").status, HealthStatus::degraded);
  d_.store.last_commit_failed = true;
  d_.store.last_failure = "disk I/O error";
  const auto r = report();
  EXPECT_EQ(r.status, HealthStatus::unhealthy);
  EXPECT_NE(component(r, "store").reason.find("disk I/O error"), std::string::npos);
}

TEST_F(HealthTest, SlowCommitsOverTheLastMinuteDegradeTheStore) {
  core::Histogram latency{1, 10, 100, 1000};
  for (int i = 0; i < 100; ++i) latency.observe(0.5);
  d_.store.commit_latency_ms = latency.snapshot();
  run_for(60'000);
  EXPECT_EQ(component(report(), "store").status, HealthStatus::ok);
  for (int i = 0; i < 100; ++i) latency.observe(900);  // a bad minute
  d_.store.commit_latency_ms = latency.snapshot();
  EXPECT_EQ(component(report(), "store").status, HealthStatus::degraded);
  run_for(70'000);  // it passed
  EXPECT_EQ(component(report(), "store").status, HealthStatus::ok);
}

TEST_F(HealthTest, DropsAndDeadLettersDegradeWhileRecent) {
  run_for(20'000);
  d_.pubsub.service.rpcs_dropped = 5;
  d_.messages.dead_lettered = 3;
  auto r = report();
  EXPECT_EQ(component(r, "queues").status, HealthStatus::degraded);
  EXPECT_NE(component(r, "queues").reason.find("5 gossip RPCs"), std::string::npos);
  EXPECT_EQ(component(r, "dead_letters").status, HealthStatus::degraded);
  run_for(70'000);
  EXPECT_EQ(component(report(), "queues").status, HealthStatus::ok);  // a minute without drops
  EXPECT_EQ(component(report(), "dead_letters").status, HealthStatus::degraded);
  run_for(5 * 60'000);
  EXPECT_EQ(report().status, HealthStatus::ok);
}

TEST_F(HealthTest, AnOutboxBacklogOrAnOldMessageDegrades) {
  d_.direct.pending = 801;
  EXPECT_EQ(component(report(), "outbox").status, HealthStatus::degraded);
  d_.direct.pending = 3;
  d_.direct.oldest_pending_ms = now() - 6 * 60'000;
  const auto r = report();
  EXPECT_EQ(component(r, "outbox").status, HealthStatus::degraded);
  EXPECT_NE(component(r, "outbox").reason.find("the oldest for 360 s"), std::string::npos);
}

TEST_F(HealthTest, CoroutineExceptionsAndDrainingAreReported) {
  d_.task_exceptions["dm_receive"] = 1;
  EXPECT_EQ(component(report(), "tasks").status, HealthStatus::degraded);
  const auto r = report(true);
  EXPECT_EQ(r.status, HealthStatus::unhealthy);
  EXPECT_EQ(component(r, "api").reason, "draining: the daemon is shutting down");
}

}  // namespace
}  // namespace agentmesh::node
