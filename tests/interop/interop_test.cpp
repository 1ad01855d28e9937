// agentmesh <-> js-libp2p (libp2p 3 stack, pinned in interop/package.json):
// Noise, yamux, identify and ping in both directions. These tests fail, and
// never skip, when node or the packages are missing.

#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "js_peer.hpp"
#include "testutil/testutil.hpp"
#include "testutil/topic_reader.hpp"

namespace agentmesh::testutil {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

bool is(const json::object& e, std::string_view event, const std::string& peer) {
  return e.at("event").as_string() == event && e.contains("peer") && e.at("peer").as_string() == peer;
}

// Whether js lists `peer` among the subscribers of `topic` (one query).
bool sees_subscriber(JsPeer& js, const std::string& topic, const std::string& peer) {
  js.command("subscribers " + topic);
  return js
      .wait_for([&](const json::object& e) {
        if (e.at("event").as_string() != "subscribers") return false;
        const auto& peers = e.at("peers").as_array();
        return std::find(peers.begin(), peers.end(), json::value(peer)) != peers.end();
      }, 200ms)
      .has_value();
}

// The daemon's view of `peer` once identify and our ping completed.
std::optional<json::object> identified(const Daemon& d, const std::string& peer) {
  auto v = get_json(d, "/v1/peers");
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
    auto node = get_json(*daemon_, "/v1/node");
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
    // js verified our signed peer record (it fails identify when it does not
    // hold), and the record lists the address we listen on.
    ASSERT_TRUE(id->at("signedPeerRecord").is_object()) << js.transcript();
    const auto& certified = id->at("signedPeerRecord").at("addresses").as_array();
    const auto listen = addr_.substr(0, addr_.find("/p2p/"));
    EXPECT_NE(std::find(certified.begin(), certified.end(), json::value(listen)), certified.end()) << listen;
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
    EXPECT_TRUE(seen->at("signed_peer_record").as_bool());  // js's record held under our checks
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
  EXPECT_EQ(get_json(*daemon_, "/v1/peers").at("peers").as_array().size(), 0u);
}

// gossipsub (/meshsub/1.1.0) with js-libp2p's @libp2p/gossipsub: a message
// each way on one topic, js's message id equal to ours, and js's score for
// our daemon not negative.
TEST_F(InteropTest, GossipsubMessagesFlowBothWays) {
  JsPeer js;
  ASSERT_EQ(js.startup_error(), "");
  const std::string topic = "agents/interop";
  js.command("subscribe " + topic);
  auto agent = daemon_->admin().request("POST", "/v1/agents", R"({"name":"alice"})", "application/json");
  ASSERT_TRUE(agent && agent->status == 201);

  // A live subscriber on the daemon (this joins the topic).
  TopicReader reader(*daemon_, "agents%2Finterop");
  ASSERT_TRUE(eventually([&] {
    auto t = get_json(*daemon_, "/v1/topics");
    return t.is_object() && !t.at("topics").as_array().empty() &&
           t.at("topics").as_array()[0].at("local_subscribers").to_number<int>() == 1;
  }));

  auto dial = daemon_->admin().request("POST", "/v1/peers", R"({"addr":")" + js.addr() + "\"}", "application/json");
  ASSERT_TRUE(dial && dial->status == 200);
  // Both sides see each other's subscription.
  ASSERT_TRUE(eventually([&] { return sees_subscriber(js, topic, peer_id_); }, 20s)) << js.transcript();
  ASSERT_TRUE(eventually([&] {
    auto t = get_json(*daemon_, "/v1/topics");
    return t.at("topics").as_array()[0].at("peers").to_number<int>() == 1;
  }, 20s));

  // agentmesh -> js
  auto pub = daemon_->admin().request("POST", "/v1/topics/agents%2Finterop/messages",
                                      R"({"body":"hello from agentmesh","as":"alice"})", "application/json");
  ASSERT_TRUE(pub);
  ASSERT_EQ(pub->status, 200) << pub->body;
  const auto ours = json::parse(pub->body).as_object();
  EXPECT_EQ(ours.at("peers").to_number<int>(), 1);
  auto got = js.wait_for([&](const json::object& e) { return e.at("event").as_string() == "message"; });
  ASSERT_TRUE(got) << js.transcript() << daemon_->log();
  EXPECT_EQ(got->at("topic").as_string(), topic);
  EXPECT_EQ(got->at("from").as_string(), peer_id_);
  EXPECT_EQ(got->at("msgId").as_string(), ours.at("message_id").as_string());  // the same message id
  EXPECT_NE(std::string(got->at("data").as_string()).find("hello from agentmesh"), std::string::npos);

  // js -> agentmesh
  js.command("publish " + topic + " hello from js");
  ASSERT_TRUE(eventually([&] { return reader.contains("hello from js"); }, 20s)) << js.transcript();
  for (const auto& event : reader.messages()) {
    if (event.at("body").as_string() != "hello from js") continue;
    EXPECT_EQ(event.at("from_peer").as_string(), js.peer_id());
    EXPECT_TRUE(event.at("from_agent").is_null());  // a plain libp2p publisher: no agent claim
    EXPECT_EQ(event.at("topic").as_string(), topic);
  }

  // js's score for us after the exchange.
  js.command("score " + peer_id_);
  auto score = js.wait_for([&](const json::object& e) { return e.at("event").as_string() == "score"; });
  ASSERT_TRUE(score);
  EXPECT_GE(score->at("score").to_number<double>(), 0.0);

  EXPECT_EQ(daemon_->stop(), 0) << daemon_->log();
}

// Two js nodes that only know our daemon: a message from one reaches the
// other through our router (validated, then forwarded on the mesh).
TEST_F(InteropTest, GossipsubRelaysBetweenJsNodesThatOnlyKnowTheDaemon) {
  JsPeer a;
  JsPeer b;
  ASSERT_EQ(a.startup_error(), "");
  ASSERT_EQ(b.startup_error(), "");
  const std::string topic = "agents/relay";
  a.command("subscribe " + topic);
  b.command("subscribe " + topic);
  // The daemon joins the topic through a live subscriber.
  TopicReader reader(*daemon_, "agents%2Frelay");
  ASSERT_TRUE(eventually([&] {
    auto t = get_json(*daemon_, "/v1/topics");
    return t.is_object() && !t.at("topics").as_array().empty();
  }));
  a.command("dial " + addr_);
  b.command("dial " + addr_);
  ASSERT_TRUE(a.wait_for([&](const json::object& e) { return is(e, "dialed", peer_id_); })) << a.transcript();
  ASSERT_TRUE(b.wait_for([&](const json::object& e) { return is(e, "dialed", peer_id_); })) << b.transcript();
  // Our mesh holds both js nodes.
  ASSERT_TRUE(eventually([&] {
    auto t = get_json(*daemon_, "/v1/topics");
    return t.at("topics").as_array()[0].at("mesh").to_number<int>() == 2;
  }, 20s));
  // And each js node sees our daemon subscribed.
  for (JsPeer* js : {&a, &b}) {
    ASSERT_TRUE(eventually([&] { return sees_subscriber(*js, topic, peer_id_); }, 20s));
  }
  a.command("publish " + topic + " relayed by agentmesh");
  auto got = b.wait_for([&](const json::object& e) {
    return e.at("event").as_string() == "message" && e.at("data").as_string() == "relayed by agentmesh";
  });
  ASSERT_TRUE(got) << b.transcript() << daemon_->log();
  EXPECT_EQ(got->at("from").as_string(), a.peer_id());  // the author, not our daemon
  b.command("publish " + topic + " and back");
  ASSERT_TRUE(a.wait_for([&](const json::object& e) {
    return e.at("event").as_string() == "message" && e.at("data").as_string() == "and back";
  })) << a.transcript();
  EXPECT_EQ(daemon_->stop(), 0) << daemon_->log();
}

// Delivery through IHAVE/IWANT both ways. The "lazy" js node has a mesh of
// one (--mesh-degree 1, no flood publishing) that a third js node fills
// first, so it prunes our GRAFT:
//  - a message from another js node that our daemon relays reaches it only
//    as our IHAVE, answered with its IWANT;
//  - its own message leaves it (towards us) only as IHAVE gossip, which our
//    daemon answers with IWANT before delivering to its subscriber.
TEST_F(InteropTest, GossipsubDeliversThroughIHaveAndIWantBothWays) {
  JsPeer publisher;
  JsPeer lazy({"--mesh-degree", "1"});
  JsPeer filler;
  ASSERT_EQ(publisher.startup_error(), "");
  ASSERT_EQ(lazy.startup_error(), "");
  ASSERT_EQ(filler.startup_error(), "");
  const std::string topic = "agents/gossip";
  for (JsPeer* js : {&publisher, &lazy, &filler}) js->command("subscribe " + topic);
  lazy.command("dial " + filler.addr());
  ASSERT_TRUE(eventually([&] {
    lazy.command("mesh " + topic);
    return lazy
        .wait_for([&](const json::object& e) {
          return e.at("event").as_string() == "mesh" && e.at("peers").as_array().size() == 1;
        }, 200ms)
        .has_value();
  }, 20s)) << lazy.transcript();
  TopicReader reader(*daemon_, "agents%2Fgossip");
  ASSERT_TRUE(eventually([&] {
    auto t = get_json(*daemon_, "/v1/topics");
    return t.is_object() && !t.at("topics").as_array().empty();
  }));
  // Our daemon dials the lazy node (so its GRAFT arrives on an inbound
  // connection, which a node at its Dhi prunes at once).
  auto dial = daemon_->admin().request("POST", "/v1/peers", R"({"addr":")" + lazy.addr() + "\"}", "application/json");
  ASSERT_TRUE(dial && dial->status == 200);
  publisher.command("dial " + addr_);
  ASSERT_TRUE(publisher.wait_for([&](const json::object& e) { return is(e, "dialed", peer_id_); }))
      << publisher.transcript();
  const auto control = [&](const char* name) {
    auto d = get_json(*daemon_, "/v1/diagnostics/pubsub");
    return d.at("control").at(name).to_number<std::uint64_t>();
  };
  // Our mesh: the publisher only (the lazy node pruned us); both are topic peers.
  ASSERT_TRUE(eventually([&] {
    auto t = get_json(*daemon_, "/v1/topics");
    const auto& o = t.at("topics").as_array()[0];
    return o.at("peers").to_number<int>() == 2 && o.at("mesh").to_number<int>() == 1 &&
           control("prune_received_total") >= 1;
  }, 20s)) << daemon_->log();
  ASSERT_TRUE(eventually([&] { return sees_subscriber(publisher, topic, peer_id_); }, 20s));

  // js -> agentmesh (mesh) -> IHAVE -> IWANT -> js
  const auto iwant_received = control("iwant_received_total");
  publisher.command("publish " + topic + " via gossip");
  auto got = lazy.wait_for([&](const json::object& e) {
    return e.at("event").as_string() == "message" && e.at("data").as_string() == "via gossip";
  });
  ASSERT_TRUE(got) << lazy.transcript() << daemon_->log();
  EXPECT_EQ(got->at("from").as_string(), publisher.peer_id());
  EXPECT_GT(control("iwant_received_total"), iwant_received);
  EXPECT_GE(control("ihave_sent_total"), 1u);

  // lazy js -> (its mesh: the filler only) ... IHAVE -> our IWANT -> our
  // subscriber, and on to the publisher through our mesh
  const auto iwant_sent = control("iwant_sent_total");
  lazy.command("publish " + topic + " gossiped to agentmesh");
  ASSERT_TRUE(eventually([&] { return reader.contains("gossiped to agentmesh"); }, 20s))
      << lazy.transcript() << daemon_->log();
  EXPECT_GT(control("iwant_sent_total"), iwant_sent);
  EXPECT_GE(control("ihave_received_total"), 1u);
  ASSERT_TRUE(publisher.wait_for([&](const json::object& e) {
    return e.at("event").as_string() == "message" && e.at("data").as_string() == "gossiped to agentmesh";
  })) << publisher.transcript();

  // Neither js node scores us negatively.
  for (JsPeer* js : {&publisher, &lazy}) {
    js->command("score " + peer_id_);
    auto score = js->wait_for([&](const json::object& e) { return e.at("event").as_string() == "score"; });
    ASSERT_TRUE(score);
    EXPECT_GE(score->at("score").to_number<double>(), 0.0);
  }
  EXPECT_EQ(daemon_->stop(), 0) << daemon_->log();
}

}  // namespace
}  // namespace agentmesh::testutil
