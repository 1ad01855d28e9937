// agentmesh <-> js-libp2p (libp2p 3 stack, pinned in interop/package.json):
// Noise, yamux, identify and ping in both directions. These tests fail, and
// never skip, when node or the packages are missing.

#include <gtest/gtest.h>

#include "js_peer.hpp"
#include "testutil/testutil.hpp"

namespace agentmesh::testutil {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

json::value get(const Daemon& d, const std::string& target) {
  auto r = d.admin().request("GET", target, "", "application/json");
  if (!r || r->status != 200) return {};
  return json::parse(r->body);
}

bool is(const json::object& e, std::string_view event, const std::string& peer) {
  return e.at("event").as_string() == event && e.contains("peer") && e.at("peer").as_string() == peer;
}

// The daemon's view of `peer` once identify and our ping completed.
std::optional<json::object> identified(const Daemon& d, const std::string& peer) {
  auto v = get(d, "/v1/peers");
  if (!v.is_object()) return std::nullopt;
  for (const auto& p : v.at("peers").as_array()) {
    const auto& o = p.as_object();
    if (o.at("peer_id").as_string() == peer && !o.at("agent_version").as_string().empty() &&
        o.at("ping_rtt_ms").is_number()) {
      return o;
    }
  }
  return std::nullopt;
}

class InteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    daemon_ = std::make_unique<Daemon>(dir_.path() / "data");
    daemon_->start();
    auto node = get(*daemon_, "/v1/node");
    peer_id_ = std::string(node.at("peer_id").as_string());
    addr_ = std::string(node.at("listen_addrs").as_array().at(0).as_string());
  }
  void TearDown() override {
    if (daemon_->running()) {
      EXPECT_EQ(daemon_->stop(), 0) << daemon_->log();
    }
  }

  // What js must see of us after identify.
  void expect_js_identified_us(JsPeer& js) {
    auto id = js.wait_for([&](const json::object& e) { return is(e, "identify", peer_id_); });
    ASSERT_TRUE(id) << js.transcript();
    EXPECT_EQ(id->at("agentVersion").as_string(), std::string("agentmesh/") + AGENTMESH_VERSION);
    EXPECT_EQ(id->at("protocolVersion").as_string(), "ipfs/0.1.0");
    const auto& protocols = id->at("protocols").as_array();
    for (const char* p : {"/ipfs/id/1.0.0", "/ipfs/id/push/1.0.0", "/ipfs/ping/1.0.0"}) {
      EXPECT_NE(std::find(protocols.begin(), protocols.end(), json::value(p)), protocols.end()) << p;
    }
    // The PublicKey protobuf of an Ed25519 key: 08 01 12 20 || key.
    const std::string key(id->at("publicKey").as_string());
    EXPECT_EQ(key.size(), 72u);
    EXPECT_EQ(key.substr(0, 8), "08011220");
    EXPECT_FALSE(id->at("listenAddrs").as_array().empty());
  }
  // Pings both ways: js -> us through the js API, us -> js shown in /v1/peers.
  void expect_pings_both_ways(JsPeer& js) {
    js.command("ping " + peer_id_);
    auto ping = js.wait_for([&](const json::object& e) { return is(e, "ping", peer_id_); });
    ASSERT_TRUE(ping) << js.transcript();
    EXPECT_GE(ping->at("rttMs").to_number<double>(), 0.0);
    std::optional<json::object> seen;
    ASSERT_TRUE(eventually([&] { return (seen = identified(*daemon_, js.peer_id())).has_value(); }, 20s))
        << daemon_->log();
    EXPECT_EQ(std::string(seen->at("agent_version").as_string()).rfind("js-libp2p/", 0), 0u);
    EXPECT_GT(seen->at("ping_rtt_ms").to_number<double>(), 0.0);
    const auto& protocols = seen->at("protocols").as_array();
    EXPECT_NE(std::find(protocols.begin(), protocols.end(), json::value("/ipfs/ping/1.0.0")), protocols.end());
  }

  TempDir dir_;
  std::unique_ptr<Daemon> daemon_;
  std::string peer_id_;
  std::string addr_;
};

TEST_F(InteropTest, JsLibp2pDialsTheDaemon) {
  JsPeer js;
  ASSERT_EQ(js.startup_error(), "");
  js.command("dial " + addr_);
  auto dialed = js.wait_for([&](const json::object& e) { return is(e, "dialed", peer_id_); });
  ASSERT_TRUE(dialed) << js.transcript();
  expect_js_identified_us(js);
  expect_pings_both_ways(js);
  EXPECT_EQ(identified(*daemon_, js.peer_id())->at("direction").as_string(), "inbound");
}

TEST_F(InteropTest, TheDaemonDialsJsLibp2p) {
  JsPeer js;
  ASSERT_EQ(js.startup_error(), "");
  auto r = daemon_->admin().request("POST", "/v1/peers", R"({"addr":")" + js.addr() + "\"}", "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body << daemon_->log();
  EXPECT_EQ(json::parse(r->body).at("peer_id").as_string(), js.peer_id());
  ASSERT_TRUE(js.wait_for([&](const json::object& e) { return is(e, "connect", peer_id_); })) << js.transcript();
  expect_js_identified_us(js);
  expect_pings_both_ways(js);
  EXPECT_EQ(identified(*daemon_, js.peer_id())->at("direction").as_string(), "outbound");
}

TEST_F(InteropTest, AJsPeerWithAnotherIdIsRejectedInTheHandshake) {
  JsPeer js;
  ASSERT_EQ(js.startup_error(), "");
  const auto host = js.addr().substr(0, js.addr().find("/p2p/"));
  auto r = daemon_->admin().request(
      "POST", "/v1/peers", R"({"addr":")" + host + "/p2p/12D3KooWK99VoVxNE7XzyBwXEzW7xhK7Gpv85r9F3V3fyKSUKPH5\"}",
      "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502) << r->body;
  EXPECT_NE(r->body.find("differs"), std::string::npos) << r->body;
  EXPECT_EQ(get(*daemon_, "/v1/peers").at("peers").as_array().size(), 0u);
}

}  // namespace
}  // namespace agentmesh::testutil
