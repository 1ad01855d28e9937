// Daemons connecting to each other over 127.0.0.1: bootstrap, identify,
// ping, restarts, the peers API and CLI.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "testutil/testutil.hpp"

namespace agentmesh::testutil {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

std::string peer_id(const Daemon& d) { return std::string(get_json(d, "/v1/node").at("peer_id").as_string()); }
// The peer entry for `id` once identify and ping completed, else null.
json::value identified_peer(const Daemon& d, const std::string& id) {
  auto v = get_json(d, "/v1/peers");
  if (!v.is_object()) return {};
  for (const auto& p : v.at("peers").as_array()) {
    const auto& o = p.as_object();
    if (o.at("peer_id").as_string() == id && !o.at("agent_version").as_string().empty() &&
        o.at("ping_rtt_ms").is_number()) {
      return p;
    }
  }
  return {};
}

bool connected(const Daemon& a, const Daemon& b) {
  return !identified_peer(a, peer_id(b)).is_null() && !identified_peer(b, peer_id(a)).is_null();
}

std::size_t peer_count(const Daemon& d) {
  auto v = get_json(d, "/v1/peers");
  return v.is_object() ? v.at("peers").as_array().size() : 0;
}

class P2pTest : public ::testing::Test {
 protected:
  Daemon& add(std::vector<std::string> args = {}) {
    daemons_.push_back(
        std::make_unique<Daemon>(dir_.path() / ("d" + std::to_string(daemons_.size())), std::move(args)));
    daemons_.back()->start();
    return *daemons_.back();
  }
  void TearDown() override {
    for (auto& d : daemons_) {
      if (d->running()) {
        EXPECT_EQ(d->stop(), 0) << d->log();
      }
    }
  }
  TempDir dir_;
  std::vector<std::unique_ptr<Daemon>> daemons_;
};

TEST_F(P2pTest, TwoDaemonsConnectThroughABootstrapAddressIdentifyAndPing) {
  auto& a = add();
  auto& b = add({"--bootstrap", p2p_addr(a)});
  ASSERT_TRUE(eventually([&] { return connected(a, b); }, 20s)) << b.log();
  auto seen = identified_peer(b, peer_id(a)).as_object();
  EXPECT_EQ(seen.at("direction").as_string(), "outbound");
  EXPECT_EQ(seen.at("agent_version").as_string(), std::string("agentmesh/") + AGENTMESH_VERSION);
  EXPECT_GT(seen.at("ping_rtt_ms").to_number<double>(), 0.0);
  EXPECT_GT(seen.at("bytes_in").to_number<double>(), 0.0);
  const auto& protocols = seen.at("protocols").as_array();
  EXPECT_NE(std::find(protocols.begin(), protocols.end(), json::value("/ipfs/ping/1.0.0")), protocols.end());
  EXPECT_EQ(identified_peer(a, peer_id(b)).at("direction").as_string(), "inbound");

  auto diag = get_json(a, "/v1/diagnostics/transport");
  EXPECT_EQ(diag.at("connections").at("inbound").to_number<int>(), 1);
  EXPECT_GE(diag.at("handshakes").at("ok_total").to_number<int>(), 1);
  // Queue figures per peer and traffic class: identify and ping are control.
  const auto& queues = diag.at("queues").as_array();
  ASSERT_EQ(queues.size(), 1u) << json::serialize(diag);
  EXPECT_EQ(queues[0].at("peer_id").as_string(), peer_id(b));
  const auto& control = queues[0].at("traffic").at("control");
  EXPECT_GT(control.at("out").at("sent_bytes_total").to_number<double>(), 0.0);
  EXPECT_GT(control.at("in").at("read_bytes_total").to_number<double>(), 0.0);
  const auto& pacing = queues[0].at("pacing");
  EXPECT_GT(pacing.at("write_budget_bytes").to_number<double>(), 0.0);
  // The bulk window is measured from the first write: never below 4 KiB nor the write budget.
  EXPECT_GE(pacing.at("bulk_window_bytes").to_number<double>(), 4096.0);
  EXPECT_GE(pacing.at("bulk_window_bytes").to_number<double>(), pacing.at("write_budget_bytes").to_number<double>());
  EXPECT_TRUE(pacing.as_object().contains("in_flight_bytes")) << json::serialize(pacing);
  auto metrics = a.admin().request("GET", "/metrics", "", "");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("agentmesh_p2p_connections{direction=\"inbound\"} 1"), std::string::npos);
  EXPECT_NE(metrics->body.find("agentmesh_p2p_queue_sent_bytes_total{peer=\"" + peer_id(b) + "\",traffic=\"control\"}"),
            std::string::npos);
}

// AutoNAT between daemons: b asks a (which serves it) to dial it back and
// reports itself public in GET /v1/node and /metrics; a has no one to ask
// (b does not serve) and stays unknown.
TEST_F(P2pTest, ADaemonLearnsItIsReachableFromAnAutoNatServer) {
  auto& a = add({"--autonat-service"});
  auto& b = add({"--bootstrap", p2p_addr(a)});
  auto reach = [](const Daemon& d) { return get_json(d, "/v1/node").at("reachability"); };
  ASSERT_TRUE(eventually([&] { return reach(b).at("state").as_string() == "public"; }, 20s))
      << json::serialize(reach(b)) << b.log();
  const auto r = reach(b);
  EXPECT_EQ(r.at("votes_public").to_number<int>(), 1);
  EXPECT_EQ(r.at("votes_private").to_number<int>(), 0);
  EXPECT_FALSE(r.at("service").as_bool());
  ASSERT_EQ(r.at("observed_addrs").as_array().size(), 1u) << json::serialize(r);
  const std::string public_addr(r.at("public_addr").as_string());
  EXPECT_EQ(p2p_addr(b).rfind(public_addr + "/p2p/", 0), 0u) << public_addr << " vs " << p2p_addr(b);
  EXPECT_EQ(reach(a).at("state").as_string(), "unknown");
  EXPECT_TRUE(reach(a).at("service").as_bool());
  const auto diag = get_json(a, "/v1/diagnostics/transport").at("autonat");
  EXPECT_EQ(diag.at("server").at("dialed_back_total").to_number<int>(), 1) << json::serialize(diag);
  EXPECT_EQ(get_json(b, "/v1/diagnostics/transport").at("autonat").at("answers_total").at("OK").to_number<int>(), 1);
  auto metrics = b.admin().request("GET", "/metrics", "", "");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("agentmesh_reachability{state=\"public\"} 1"), std::string::npos);
  EXPECT_NE(metrics->body.find("agentmesh_reachability{state=\"private\"} 0"), std::string::npos);
}

TEST_F(P2pTest, FiveDaemonsInALineAllConnectToTheirNeighbours) {
  add();
  for (int i = 1; i < 5; ++i) add({"--bootstrap", p2p_addr(*daemons_[i - 1])});
  ASSERT_TRUE(eventually(
      [&] {
        for (int i = 1; i < 5; ++i) {
          if (!connected(*daemons_[i - 1], *daemons_[i])) return false;
        }
        return true;
      },
      30s));
  EXPECT_EQ(peer_count(*daemons_[0]), 1u);
  EXPECT_EQ(peer_count(*daemons_[2]), 2u);
  EXPECT_EQ(peer_count(*daemons_[4]), 1u);
}

TEST_F(P2pTest, ReconnectsAfterEitherSideRestarts) {
  auto& a = add();
  const auto a_addr = p2p_addr(a);
  auto& b = add({"--bootstrap", a_addr});
  ASSERT_TRUE(eventually([&] { return connected(a, b); }, 20s));

  // The dialing side restarts: it dials its bootstrap peer again.
  ASSERT_EQ(b.stop(), 0);
  ASSERT_TRUE(eventually([&] { return peer_count(a) == 0; }, 10s));
  b.start();
  ASSERT_TRUE(eventually([&] { return connected(a, b); }, 20s)) << b.log();

  // The dialed side restarts on the same address: the other redials it.
  const auto port = a_addr.substr(0, a_addr.find("/p2p/"));
  ASSERT_EQ(a.stop(), 0);
  ASSERT_TRUE(eventually([&] { return peer_count(b) == 0; }, 10s));
  a.set_extra_args({"--listen", port});
  a.start();
  ASSERT_TRUE(eventually([&] { return connected(a, b); }, 30s)) << b.log();
}

TEST_F(P2pTest, APeerConnectedThroughTheApiIsRememberedAcrossARestart) {
  auto& a = add();
  auto& b = add();
  auto r = b.admin().request("POST", "/v1/peers", R"({"addr":")" + p2p_addr(a) + "\"}", "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(std::string(json::parse(r->body).at("peer_id").as_string()), peer_id(a));
  ASSERT_TRUE(eventually([&] { return connected(a, b); }, 20s));
  // No bootstrap: the peer store brings the connection back.
  ASSERT_EQ(b.stop(), 0);
  b.start();
  ASSERT_TRUE(eventually([&] { return connected(a, b); }, 20s)) << b.log();

  // DELETE forgets it: no reconnect after the next restart either.
  auto del = b.admin().request("DELETE", "/v1/peers/" + peer_id(a), "", "");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 200) << del->body;
  ASSERT_TRUE(eventually([&] { return peer_count(a) == 0 && peer_count(b) == 0; }, 10s));
  ASSERT_EQ(b.stop(), 0);
  b.start();
  auto again = b.admin().request("GET", "/v1/diagnostics/transport", "", "");
  ASSERT_TRUE(again);
  EXPECT_FALSE(eventually([&] { return peer_count(b) > 0; }, 2s));
  auto unknown = b.admin().request("DELETE", "/v1/peers/" + peer_id(a), "", "");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
}

TEST_F(P2pTest, DialErrorsAreReportedAndChangeNothing) {
  auto& a = add();
  auto& b = add();
  auto post = [&](const std::string& body) {
    auto r = b.admin().request("POST", "/v1/peers", body, "application/json");
    EXPECT_TRUE(r);
    return r ? *r : cli::HttpResponse{};
  };
  auto code = [](const cli::HttpResponse& r) { return std::string(json::parse(r.body).at("error").as_string()); };
  auto refused = post(R"({"addr":"/ip4/127.0.0.1/tcp/1"})");
  EXPECT_EQ(refused.status, 502);
  EXPECT_EQ(code(refused), "dial_failed");
  EXPECT_NE(refused.body.find("refused"), std::string::npos) << refused.body;
  // The right address with another peer's id: the Noise handshake catches it.
  const auto a_addr = p2p_addr(a);
  // (The spec's PeerId for seed 0x01 x 32: nobody here has that key.)
  const auto wrong =
      a_addr.substr(0, a_addr.find("/p2p/")) + "/p2p/12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5";
  auto mismatch = post(R"({"addr":")" + wrong + "\"}");
  EXPECT_EQ(mismatch.status, 502);
  EXPECT_NE(mismatch.body.find("differs"), std::string::npos) << mismatch.body;
  const auto own = a_addr.substr(0, a_addr.find("/p2p/")) + "/p2p/" + peer_id(b);
  EXPECT_NE(post(R"({"addr":")" + own + "\"}").body.find("this node"), std::string::npos);
  EXPECT_EQ(post(R"({"addr":"not-a-multiaddr"})").status, 400);
  EXPECT_EQ(code(post(R"({"addr":"not-a-multiaddr"})")), "invalid_multiaddr");
  EXPECT_EQ(code(post(R"({"addr":42})")), "invalid_field");
  EXPECT_EQ(code(post(R"({"addr":"/ip4/127.0.0.1/tcp/1","x":1})")), "unknown_field");
  EXPECT_EQ(code(post(R"({})")), "missing_field");
  auto bad_id = b.admin().request("DELETE", "/v1/peers/not-a-peer", "", "");
  ASSERT_TRUE(bad_id);
  EXPECT_EQ(bad_id->status, 400);
  EXPECT_EQ(peer_count(b), 0u);
  auto diag = get_json(b, "/v1/diagnostics/transport");
  EXPECT_EQ(diag.at("handshakes").at("failed_total").at("peer_id_mismatch").to_number<int>(), 1);
  EXPECT_EQ(diag.at("dial_failures_total").at("connection_refused").to_number<int>(), 1);
}

// A daemon that lost every peer while bootstrap peers are configured is cut
// off from the mesh: its health says so (and the CLI exits 1) until a peer
// is back.
TEST_F(P2pTest, HealthIsDegradedWhileEveryConfiguredPeerIsLost) {
  auto& a = add();
  auto& b = add({"--bootstrap", p2p_addr(a)});
  ASSERT_TRUE(eventually([&] { return connected(a, b); }, 20s));
  auto status = [&] {
    auto h = get_json(b, "/v1/health");
    return h.is_object() ? std::string(h.at("status").as_string()) : std::string("<none>");
  };
  EXPECT_EQ(status(), "ok");
  a.kill9();
  ASSERT_TRUE(eventually([&] { return status() == "degraded"; }, 20s)) << status();
  const auto transport = get_json(b, "/v1/health").at("components").at("transport");
  EXPECT_EQ(transport.at("status").as_string(), "degraded");
  EXPECT_NE(std::string(transport.at("detail").as_string()).find("no peer connected"), std::string::npos);
  auto r = run_cli({"health", "--data-dir", b.data_dir().string()});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("status: degraded"), std::string::npos) << r.out;
  a.start();  // b redials its bootstrap peer
  ASSERT_TRUE(eventually([&] { return status() == "ok"; }, 30s)) << status();
}

TEST_F(P2pTest, CliNodePeersConnectDisconnect) {
  auto& a = add();
  auto& b = add();
  const auto dir = b.data_dir().string();
  auto node = run_cli({"node", "--data-dir", dir});
  ASSERT_EQ(node.status, 0) << node.err;
  EXPECT_NE(node.out.find(peer_id(b)), std::string::npos);
  EXPECT_NE(node.out.find("/ipfs/id/1.0.0"), std::string::npos);
  auto addr = run_cli({"node", "--addr", "--data-dir", dir});  // what --bootstrap and connect take
  ASSERT_EQ(addr.status, 0) << addr.err;
  EXPECT_EQ(addr.out, p2p_addr(b) + "\n");
  auto conn = run_cli({"connect", p2p_addr(a), "--data-dir", dir});
  ASSERT_EQ(conn.status, 0) << conn.err;
  EXPECT_EQ(conn.out, "connected to " + peer_id(a) + "\n");
  ASSERT_TRUE(eventually([&] { return connected(a, b); }, 20s));
  auto peers = run_cli({"peers", "--data-dir", dir});
  EXPECT_NE(peers.out.find(peer_id(a)), std::string::npos) << peers.out;
  EXPECT_NE(peers.out.find("(1 peers)"), std::string::npos) << peers.out;
  auto fail = run_cli({"connect", "/ip4/127.0.0.1/tcp/1", "--data-dir", dir});
  EXPECT_NE(fail.status, 0);
  EXPECT_NE(fail.err.find("dial_failed"), std::string::npos) << fail.err;
  auto disc = run_cli({"disconnect", peer_id(a), "--data-dir", dir});
  EXPECT_EQ(disc.status, 0) << disc.err;
  ASSERT_TRUE(eventually([&] { return peer_count(b) == 0; }, 10s));
}

// Circuit relay v2 between daemons: a holds a reservation on r (--relay), b
// dials a through r's circuit, the peers API and CLI say relayed, and a direct
// message between their agents crosses the circuit.
TEST_F(P2pTest, ADaemonReachedThroughARelayGetsDirectMessagesOverTheCircuit) {
  auto& r = add({"--relay-service"});
  // On loopback hole punching would replace the circuit at once (the next test).
  auto& a = add({"--relay", p2p_addr(r), "--no-hole-punching"});
  auto relay_addrs = [&] { return get_json(a, "/v1/node").at("relay_addrs").as_array(); };
  ASSERT_TRUE(eventually([&] { return relay_addrs().size() == 1; }, 20s)) << a.log();
  const std::string via(relay_addrs()[0].as_string());
  EXPECT_NE(via.find("/p2p/" + peer_id(r) + "/p2p-circuit/p2p/" + peer_id(a)), std::string::npos) << via;
  auto& b = add();
  const auto dir = b.data_dir().string();
  auto conn = run_cli({"connect", via, "--data-dir", dir});
  ASSERT_EQ(conn.status, 0) << conn.err << b.log();
  ASSERT_TRUE(eventually([&] { return connected(a, b); }, 20s));
  EXPECT_EQ(identified_peer(b, peer_id(a)).at("relay").as_string(), peer_id(r));
  EXPECT_EQ(identified_peer(a, peer_id(b)).at("relay").as_string(), peer_id(r));
  auto peers = run_cli({"peers", "--data-dir", dir});
  EXPECT_NE(peers.out.find("relayed via " + peer_id(r)), std::string::npos) << peers.out;

  const auto alice = create_agent(a, "alice");
  const auto bob = create_agent(b, "bob");
  // b learns alice from the directory over the circuit (gossip runs on it too).
  ASSERT_TRUE(eventually([&] { return online_remote(b, alice.id); }, 30s)) << b.log();
  json::object msg{{"to", alice.id}, {"body", "through the relay"}, {"wait", "ack"}};
  auto sent = b.client(bob.token).request("POST", "/v1/agents/" + bob.id + "/messages", json::serialize(msg),
                                          "application/json");
  ASSERT_TRUE(sent);
  ASSERT_EQ(sent->status, 200) << sent->body << b.log();
  EXPECT_EQ(json::parse(sent->body).at("path").as_string(), "direct") << sent->body;
  EXPECT_TRUE(identified_peer(b, peer_id(a)).at("relay").is_string());  // still the relayed connection

  const auto service = get_json(r, "/v1/diagnostics/transport").at("circuit_relay").at("service");
  EXPECT_EQ(service.at("reservations").to_number<int>(), 1) << json::serialize(service);
  EXPECT_EQ(service.at("circuits").to_number<int>(), 1) << json::serialize(service);
  EXPECT_GT(service.at("bytes_total").to_number<double>(), 0.0);
  auto metrics = r.admin().request("GET", "/metrics", "", "");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("agentmesh_circuit_reservations{side=\"served\"} 1"), std::string::npos);
  EXPECT_NE(metrics->body.find("agentmesh_circuit_service_circuits 1"), std::string::npos);
}

// DCUtR between daemons: b reaches a through r's circuit, a starts the
// upgrade, and the two end up on a direct connection (on loopback nothing
// stands between them); the diagnostics and metrics count it.
TEST_F(P2pTest, ADaemonReachedThroughARelayMovesToADirectConnection) {
  auto& r = add({"--relay-service"});
  auto& a = add({"--relay", p2p_addr(r)});
  auto relay_addrs = [&] { return get_json(a, "/v1/node").at("relay_addrs").as_array(); };
  ASSERT_TRUE(eventually([&] { return relay_addrs().size() == 1; }, 20s)) << a.log();
  auto& b = add();
  auto conn = run_cli({"connect", std::string(relay_addrs()[0].as_string()), "--data-dir", b.data_dir().string()});
  ASSERT_EQ(conn.status, 0) << conn.err << b.log();
  auto punch = [&] { return get_json(a, "/v1/diagnostics/transport").at("circuit_relay").at("hole_punch"); };
  // An attempt may fail under load before one succeeds (DCUtR retries): wait for the direct result.
  ASSERT_TRUE(eventually([&] { return punch().at("results_total").as_object().contains("direct"); }, 20s))
      << json::serialize(punch()) << a.log();
  EXPECT_EQ(punch().at("results_total").at("direct").to_number<int>(), 1) << json::serialize(punch());
  EXPECT_TRUE(punch().at("last_upgrade_ms").is_number());
  ASSERT_TRUE(eventually([&] {
    return connected(a, b) && identified_peer(a, peer_id(b)).at("relay").is_null() &&
           identified_peer(b, peer_id(a)).at("relay").is_null();
  }, 20s));
  auto metrics = a.admin().request("GET", "/metrics", "", "");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("agentmesh_hole_punch_total{result=\"direct\"} 1"), std::string::npos);
}

}  // namespace
}  // namespace agentmesh::testutil
