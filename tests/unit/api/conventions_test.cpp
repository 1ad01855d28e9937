// The API's promises that are easy to break by accident: docs/api.md lists
// exactly the routes the table serves, /metrics follows Prometheus naming
// conventions, and the error table's `retryable` agrees with the conditions.

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "api/error_table.hpp"
#include "api/metrics.hpp"
#include "api/routes.hpp"
#include "core/condition.hpp"

namespace agentmesh::api {
namespace {

std::string auth_name(Auth a) {
  switch (a) {
    case Auth::none:
      return "none";
    case Auth::any:
      return "any";
    case Auth::agent:
      return "agent";
    case Auth::admin:
      return "admin";
  }
  return "?";
}

// "/v1/agents/{id-or-name}/inbox" and "/v1/agents/{agent}/inbox" are the same route.
std::string normalize(std::string path) { return std::regex_replace(path, std::regex(R"(\{[^}]*\})"), "{}"); }

TEST(RouteTableTest, DocsListExactlyTheRoutesTheTableServes) {
  std::ifstream doc(AGENTMESH_DOCS_DIR "/api.md");
  ASSERT_TRUE(doc) << "docs/api.md";
  std::string line;
  bool in_routes = false;
  std::set<std::string> documented;
  const std::regex row(R"(^\| (GET|POST|PATCH|DELETE) \| `([^`]+)` \| (none|any|agent|admin) \|)");
  while (std::getline(doc, line)) {
    if (line.starts_with("## ")) in_routes = line == "## Routes";
    std::smatch m;
    if (in_routes && std::regex_search(line, m, row)) {
      EXPECT_TRUE(documented.insert(m[1].str() + " " + normalize(m[2].str()) + " " + m[3].str()).second) << line;
    }
  }
  std::set<std::string> served;
  for (const auto& r : route_table()) {
    served.insert(std::string(r.method) + " " + normalize(std::string(r.pattern)) + " " + auth_name(r.auth));
  }
  EXPECT_FALSE(served.empty());
  for (const auto& r : served) EXPECT_TRUE(documented.contains(r)) << "not in docs/api.md's route table: " << r;
  for (const auto& r : documented) EXPECT_TRUE(served.contains(r)) << "documented but not served: " << r;
}

TEST(ErrorTableTest, RetryableAgreesWithTheRetryableCondition) {
  const auto entries = error_table_entries();
  EXPECT_GT(entries.size(), 40u);
  for (const auto& [ec, info] : entries) {
    EXPECT_EQ(info.retryable, ec == core::condition::retryable) << ec.category().name() << " " << info.code;
  }
}

// Prometheus conventions (https is not linked from the repository; see
// api/prometheus.hpp): `_total` exactly on counters, base units (no _ms, _us,
// _milliseconds; times in _seconds, sizes in _bytes), latencies and waits as
// histograms, every sample belongs to a declared family, every family has
// HELP and TYPE.
std::vector<std::string> convention_violations(const std::string& exposition) {
  std::vector<std::string> bad;
  std::map<std::string, std::string> types;
  std::set<std::string> helped;
  std::istringstream in(exposition);
  std::string line;
  const std::regex sample(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$)");
  while (std::getline(in, line)) {
    std::smatch m;
    if (line.starts_with("# HELP ")) {
      helped.insert(line.substr(7, line.find(' ', 7) - 7));
    } else if (line.starts_with("# TYPE ")) {
      std::istringstream t(line.substr(7));
      std::string name, type;
      t >> name >> type;
      if (types.contains(name)) bad.push_back("declared twice: " + name);
      types[name] = type;
      const bool total = name.ends_with("_total");
      if (type == "counter" && !total) bad.push_back("a counter without _total: " + name);
      if (type != "counter" && total) bad.push_back("_total on a " + type + ": " + name);
      for (const char* unit : {"_ms", "_us", "_milliseconds", "_microseconds", "_ms_total"}) {
        if (name.ends_with(unit)) bad.push_back("not a base unit: " + name);
      }
      const bool timing = std::regex_search(name, std::regex("latency|dwell|duration|wait"));
      if (timing && type != "histogram") bad.push_back("a time as a " + type + " (want a histogram): " + name);
      if (timing && !name.ends_with("_seconds")) bad.push_back("a time not in seconds: " + name);
      if (!helped.contains(name)) bad.push_back("no HELP: " + name);
    } else if (std::regex_match(line, m, sample)) {
      auto name = m[1].str();
      for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        const auto base = name.substr(0, name.size() - std::string_view(suffix).size());
        if (name.ends_with(suffix) && types.contains(base) && types[base] == "histogram") name = base;
      }
      if (!types.contains(name)) bad.push_back("a sample of an undeclared family: " + line);
    } else if (!line.empty()) {
      bad.push_back("not exposition format: " + line);
    }
  }
  return bad;
}

TEST(MetricsTest, EveryNameAndTypeFollowsPrometheusConventions) {
  node::Diagnostics d;
  d.inboxes.agents.push_back({"alice", node::InboxPosition{core::Seq{3}, core::Seq{1}}});
  d.task_exceptions["dm_receive"] = 1;
  d.direct.sent.failures_by_reason[direct::Failure::timeout] = 2;
  d.direct.received.rejected_by_reason[direct::error::blocked] = 1;
  d.transport.dial_failures["connection_refused"] = 1;
  transport::PeerQueues peer(core::PeerId::from_ed25519(core::PeerId::PublicKey{}));
  transport::TrafficFigures gossip;
  gossip.traffic = transport::Traffic::gossip;
  gossip.stats.out.queued_bytes = 4096;
  gossip.dropped = 3;
  gossip.stats.out.dwell.observe(std::chrono::milliseconds(30));
  peer.traffic.push_back(gossip);
  d.transport.queues.push_back(peer);
  core::Histogram commits{0.5, 1, 5};
  commits.observe(0.7);
  d.store.commit_latency_ms = commits.snapshot();
  d.store.batch_sizes = commits.snapshot();
  d.store.dwell_ms = commits.snapshot();
  d.store.wal_writes = 40;
  d.store.wal_write_calls = 2;
  ApiStats http;
  http.requests[{"/v1/health", 200}] = 3;
  auto process = node::read_process_figures();
  process.allocator.available = true;  // as under jemalloc (release builds); this build has no such allocator
  process.allocator.free_bytes = 5 << 20;
  process.allocator.trimmed_bytes_total = 16 << 20;
  const auto text = render_metrics(d, http, process);
  for (const auto& v : convention_violations(text)) ADD_FAILURE() << v;
  for (const char* needle :
       {"# TYPE agentmesh_store_commit_latency_seconds histogram",
        "agentmesh_store_commit_latency_seconds_bucket{le=\"0.001\"} 1",
        "# TYPE agentmesh_queue_dwell_seconds histogram", "# TYPE process_resident_memory_bytes gauge",
        "# TYPE process_cpu_seconds_total counter", "# TYPE process_open_fds gauge",
        "# TYPE agentmesh_store_database_bytes gauge", "agentmesh_store_wal_writes_total 40",
        "agentmesh_store_wal_write_calls_total 2", "agentmesh_task_exceptions_total{where=\"dm_receive\"} 1",
        "# TYPE agentmesh_inbox_unacked_messages gauge", "agentmesh_inbox_depth{agent=\"alice\"} 2",
        "# TYPE agentmesh_p2p_queue_dwell_seconds histogram",
        "agentmesh_p2p_queue_dwell_seconds_bucket{traffic=\"gossip\",direction=\"out\",le=\"0.05\"} 1",
        "traffic=\"gossip\",direction=\"out\"} 4096", "traffic=\"gossip\"} 3",
        "agentmesh_allocator_free_bytes 5242880", "agentmesh_allocator_trimmed_bytes_total 16777216"}) {
    EXPECT_NE(text.find(needle), std::string::npos) << needle;
  }
  EXPECT_EQ(text.find("_ms"), std::string::npos);
}

TEST(MetricsTest, TheCheckerCatchesWhatItShould) {
  const auto bad = convention_violations(
      "# HELP a_depth_total x\n# TYPE a_depth_total gauge\na_depth_total 1\n"
      "# HELP b_latency_ms x\n# TYPE b_latency_ms gauge\nb_latency_ms 2\n"
      "# TYPE c counter\nc 1\nd 4\n");
  EXPECT_EQ(bad.size(), 7u);
}

}  // namespace
}  // namespace agentmesh::api
