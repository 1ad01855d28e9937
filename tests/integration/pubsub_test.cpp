// Topics across daemons on 127.0.0.1: publish as an agent, live subscribers
// on other daemons, exactly-once delivery along a line, attribution.

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "testutil/testutil.hpp"
#include "testutil/topic_reader.hpp"

namespace agentmesh::testutil {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

TEST(PubsubIntegrationTest, ThreeDaemonsInALineDeliverEveryMessageOnceWithItsAgent) {
  TempDir dir;
  std::vector<std::unique_ptr<Daemon>> d;
  for (int i = 0; i < 3; ++i) {
    std::vector<std::string> args;
    if (i > 0) args = {"--bootstrap", p2p_addr(*d[i - 1])};
    d.push_back(std::make_unique<Daemon>(dir.path() / ("d" + std::to_string(i)), args));
    d.back()->start();
  }
  auto created = d[1]->admin().request("POST", "/v1/agents", R"({"name":"alice"})", "application/json");
  ASSERT_TRUE(created && created->status == 201);
  const auto alice = json::parse(created->body).as_object();
  const std::string alice_id(alice.at("agent_id").as_string());
  const std::string alice_token(alice.at("token").as_string());

  TopicReader end0(*d[0], "news");
  TopicReader end2(*d[2], "news");
  // Both ends' subscriptions reach the middle daemon.
  ASSERT_TRUE(eventually(
      [&] {
        auto t = get_json(*d[1], "/v1/topics");
        return t.is_object() && t.at("topics").as_array().size() == 1 &&
               t.at("topics").as_array()[0].at("peers").to_number<int>() == 2;
      },
      20s));

  // The middle daemon publishes as alice with her own token (no "as").
  for (int i = 0; i < 20; ++i) {
    auto r = d[1]->client(alice_token)
                 .request("POST", "/v1/topics/news/messages", R"({"body":"m)" + std::to_string(i) + "\"}",
                          "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
  }
  // The middle daemon has not joined: both ends got the messages by flood
  // publishing, once each.
  ASSERT_TRUE(eventually([&] { return end0.messages().size() >= 20 && end2.messages().size() >= 20; }, 20s));
  std::this_thread::sleep_for(300ms);  // (duplicates would arrive within this)
  for (auto* reader : {&end0, &end2}) {
    auto msgs = reader->messages();
    ASSERT_EQ(msgs.size(), 20u);
    std::set<std::string> bodies;
    for (const auto& m : msgs) {
      bodies.insert(std::string(m.at("body").as_string()));
      EXPECT_EQ(m.at("from_agent").as_string(), alice_id);
      EXPECT_EQ(m.at("topic").as_string(), "news");
    }
    EXPECT_EQ(bodies.size(), 20u);
  }
  // The middle daemon counts its agent's 20 apart from its own adverts and beacons.
  const auto figures = get_json(*d[1], "/v1/diagnostics/pubsub").at("messages");
  EXPECT_EQ(figures.at("agents_published_total").to_number<int>(), 20);
  EXPECT_GE(figures.at("published_total").to_number<int>(), 20);

  // An end publishes: the other end gets it through the middle, which
  // forwards only topics it has joined; so it joins now (a live subscriber).
  TopicReader middle(*d[1], "news");
  ASSERT_TRUE(eventually(
      [&] {
        auto p = get_json(*d[1], "/v1/topics");
        return p.is_object() && !p.at("topics").as_array().empty() &&
               p.at("topics").as_array()[0].at("mesh").to_number<int>() == 2;
      },
      20s));
  auto bob = d[0]->admin().request("POST", "/v1/agents", R"({"name":"bob"})", "application/json");
  ASSERT_TRUE(bob && bob->status == 201);
  auto r = d[0]->admin().request("POST", "/v1/topics/news/messages", R"({"body":"from the end","as":"bob"})",
                                 "application/json");
  ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "");
  auto has = [](TopicReader& reader, const std::string& body) {
    int n = 0;
    for (const auto& m : reader.messages()) n += m.at("body").as_string() == body ? 1 : 0;
    return n;
  };
  ASSERT_TRUE(eventually([&] { return has(end2, "from the end") == 1 && has(middle, "from the end") == 1; }, 20s));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(has(end2, "from the end"), 1);
  EXPECT_EQ(has(end0, "from the end"), 1);  // local subscribers see their own daemon's messages

  // Errors: admin without "as", an agent token publishing as another agent.
  auto no_as = d[0]->admin().request("POST", "/v1/topics/news/messages", R"({"body":"x"})", "application/json");
  EXPECT_EQ(no_as->status, 400);
  auto spoof = d[1]->client(alice_token)
                   .request("POST", "/v1/topics/news/messages", R"({"body":"x","as":"someone"})", "application/json");
  EXPECT_EQ(spoof->status, 403);
  auto bad_topic =
      d[0]->admin().request("POST", "/v1/topics/%01/messages", R"({"body":"x","as":"bob"})", "application/json");
  EXPECT_EQ(bad_topic->status, 400);

  // The CLI.
  auto cli = run_cli({"publish", "news", "via the cli", "--as", "bob", "--data-dir", d[0]->data_dir().string()});
  EXPECT_EQ(cli.status, 0) << cli.err;
  ASSERT_TRUE(eventually([&] { return has(end2, "via the cli") == 1; }, 20s));
  auto topics = run_cli({"topics", "--data-dir", d[2]->data_dir().string()});
  EXPECT_NE(topics.out.find("news  subscribers 1"), std::string::npos) << topics.out;

  for (auto& daemon : d) EXPECT_EQ(daemon->stop(), 0) << daemon->log();
}

TEST(PubsubIntegrationTest, DurableSubscriptionsFillTheInboxOnceAndSurviveARestart) {
  TempDir dir;
  Daemon pub(dir.path() / "pub");
  pub.start();
  Daemon sub(dir.path() / "sub", {"--bootstrap", p2p_addr(pub)});
  sub.start();
  ASSERT_EQ(pub.admin().request("POST", "/v1/agents", R"({"name":"bob"})", "application/json")->status, 201);
  ASSERT_EQ(sub.admin().request("POST", "/v1/agents", R"({"name":"carol"})", "application/json")->status, 201);
  // bob subscribes too, so the publishing daemon is in the topic and retains
  // its messages for replay to a daemon that restarts.
  ASSERT_EQ(
      pub.admin().request("POST", "/v1/agents/bob/subscriptions", R"({"topic":"news"})", "application/json")->status,
      201);
  auto publish = [&](const std::string& body) {
    auto p = pub.admin().request("POST", "/v1/topics/news/messages", R"({"body":")" + body + R"(","as":"bob"})",
                                 "application/json");
    ASSERT_TRUE(p && p->status == 200) << (p ? p->body : "");
  };
  publish("before carol subscribed");  // retained by pub, but never carol's
  auto r = sub.admin().request("POST", "/v1/agents/carol/subscriptions", R"({"topic":"news"})", "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(
      sub.admin().request("POST", "/v1/agents/carol/subscriptions", R"({"topic":"news"})", "application/json")->status,
      409);
  auto inbox = [&] { return get_json(sub, "/v1/agents/carol/inbox?limit=1000").at("messages").as_array(); };
  // Wait until the publisher sees carol's daemon subscribed.
  ASSERT_TRUE(eventually(
      [&] {
        auto t = get_json(pub, "/v1/topics");
        return t.is_object() && !t.at("topics").as_array().empty() &&
               t.at("topics").as_array()[0].at("peers").to_number<int>() == 1;
      },
      20s));
  for (int i = 0; i < 10; ++i) publish("n" + std::to_string(i));
  ASSERT_TRUE(eventually([&] { return inbox().size() >= 10; }, 20s));
  std::this_thread::sleep_for(300ms);
  auto msgs = inbox();
  ASSERT_EQ(msgs.size(), 10u);
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    const auto& m = msgs[i].as_object();
    EXPECT_EQ(m.at("seq").to_number<std::size_t>(), i + 1);
    EXPECT_EQ(m.at("body").as_string(), "n" + std::to_string(i));
    EXPECT_EQ(m.at("metadata").at("topic").as_string(), "news");
  }

  // The subscription survives a restart of its daemon, and what was published
  // while it was down arrives through topic replay from pub: no gap.
  ASSERT_EQ(sub.stop(), 0);
  ASSERT_TRUE(eventually(
      [&] {
        auto t = get_json(pub, "/v1/topics");
        return t.at("topics").as_array()[0].at("peers").to_number<int>() == 0;
      },
      20s));
  for (int i = 10; i < 15; ++i) publish("n" + std::to_string(i));
  sub.start();
  auto listed = get_json(sub, "/v1/agents/carol/subscriptions");
  ASSERT_EQ(listed.at("subscriptions").as_array().size(), 1u);
  ASSERT_TRUE(eventually(
      [&] {
        auto t = get_json(pub, "/v1/topics");
        return t.is_object() && !t.at("topics").as_array().empty() &&
               t.at("topics").as_array()[0].at("peers").to_number<int>() == 1;
      },
      20s));
  for (int i = 15; i < 20; ++i) publish("n" + std::to_string(i));
  ASSERT_TRUE(eventually([&] { return inbox().size() >= 20; }, 20s)) << sub.log();
  std::this_thread::sleep_for(300ms);
  msgs = inbox();
  ASSERT_EQ(msgs.size(), 20u);
  std::set<std::string> bodies;
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    EXPECT_EQ(msgs[i].at("seq").to_number<std::size_t>(), i + 1);
    bodies.insert(std::string(msgs[i].at("body").as_string()));
  }
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(bodies.contains("n" + std::to_string(i))) << i;
  auto diag = get_json(pub, "/v1/diagnostics/pubsub");
  EXPECT_GE(diag.at("replay").at("served_total").to_number<int>(), 1);

  // Unsubscribed: nothing more arrives.
  auto del = sub.admin().request("DELETE", "/v1/agents/carol/subscriptions?topic=news", "", "");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 200) << del->body;
  EXPECT_EQ(sub.admin().request("DELETE", "/v1/agents/carol/subscriptions?topic=news", "", "")->status, 404);
  ASSERT_TRUE(eventually(
      [&] {
        auto t = get_json(pub, "/v1/topics");
        return t.is_object() &&
               (t.at("topics").as_array().empty() || t.at("topics").as_array()[0].at("peers").to_number<int>() == 0);
      },
      20s));
  publish("after");
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(inbox().size(), 20u);
  EXPECT_EQ(pub.stop(), 0);
  EXPECT_EQ(sub.stop(), 0);
}

// Two durable subscribers on one daemon each get every message once (the
// inbox request id is per subscriber: with one id for both, the dedup table
// took the second agent's copy for a duplicate and dropped it).
TEST(PubsubIntegrationTest, TwoDurableSubscribersOnOneDaemonEachGetEveryMessage) {
  TempDir dir;
  Daemon pub(dir.path() / "pub");
  pub.start();
  Daemon sub(dir.path() / "sub", {"--bootstrap", p2p_addr(pub)});
  sub.start();
  ASSERT_EQ(pub.admin().request("POST", "/v1/agents", R"({"name":"bob"})", "application/json")->status, 201);
  for (const auto* name : {"carol", "dave"}) {
    ASSERT_EQ(sub.admin()
                  .request("POST", "/v1/agents", std::string(R"({"name":")") + name + R"("})", "application/json")
                  ->status,
              201);
    ASSERT_EQ(sub.admin()
                  .request("POST", std::string("/v1/agents/") + name + "/subscriptions", R"({"topic":"pair"})",
                           "application/json")
                  ->status,
              201);
  }
  ASSERT_TRUE(eventually(
      [&] {
        auto t = get_json(pub, "/v1/topics");
        return t.is_object() && !t.at("topics").as_array().empty() &&
               t.at("topics").as_array()[0].at("peers").to_number<int>() == 1;
      },
      20s));
  for (const auto* body : {"m1", "m2", "m3", "sentinel"}) {
    auto p = pub.admin().request("POST", "/v1/topics/pair/messages",
                                 std::string(R"({"body":")") + body + R"(","as":"bob"})", "application/json");
    ASSERT_TRUE(p && p->status == 200) << (p ? p->body : "");
  }
  for (const auto* name : {"carol", "dave"}) {
    auto inbox = [&] { return get_json(sub, std::string("/v1/agents/") + name + "/inbox").at("messages").as_array(); };
    auto bodies = [&] {
      std::multiset<std::string> out;
      for (const auto& m : inbox()) out.insert(std::string(m.at("body").as_string()));
      return out;
    };
    ASSERT_TRUE(eventually([&] { return bodies().size() >= 4; }, 20s)) << name << " " << sub.log();
    EXPECT_EQ(bodies(), (std::multiset<std::string>{"m1", "m2", "m3", "sentinel"})) << name;
  }
  EXPECT_EQ(pub.stop(), 0);
  EXPECT_EQ(sub.stop(), 0);
}

// Peer exchange end to end: a and c know only the hub b, their bootstrap
// peer. When b leaves the topic, its PRUNE to c offers a with a's signed peer
// record, and c dials a from it at once: a daemon named in --bootstrap is
// trusted for peer exchange from the start (an application-specific score at
// accept_px), where any other peer must first earn that score (10 s in the
// mesh with first deliveries).
TEST(PubsubIntegrationTest, PeerExchangeFromTheBootstrapPeerConnectsPeersThatOnlyKnewIt) {
  TempDir dir;
  Daemon b(dir.path() / "b");
  b.start();
  Daemon a(dir.path() / "a", {"--bootstrap", p2p_addr(b)});
  a.start();
  Daemon c(dir.path() / "c", {"--bootstrap", p2p_addr(b)});
  c.start();
  const auto peer_id = [](const Daemon& d) { return std::string(get_json(d, "/v1/node").at("peer_id").as_string()); };
  const auto a_id = peer_id(a);
  const auto b_id = peer_id(b);
  const auto connected = [&](const Daemon& d, const std::string& id) {
    const auto peers = get_json(d, "/v1/peers");
    for (const auto& p : peers.at("peers").as_array()) {
      if (p.at("peer_id").as_string() == id) return true;
    }
    return false;
  };
  for (auto* d : {&a, &b, &c}) {
    ASSERT_EQ(d->admin().request("POST", "/v1/agents", R"({"name":"ag"})", "application/json")->status, 201);
    ASSERT_EQ(
        d->admin().request("POST", "/v1/agents/ag/subscriptions", R"({"topic":"px"})", "application/json")->status,
        201);
  }
  ASSERT_TRUE(eventually(
      [&] {
        auto t = get_json(b, "/v1/topics");
        return t.is_object() && !t.at("topics").as_array().empty() &&
               t.at("topics").as_array()[0].at("mesh").to_number<int>() == 2;
      },
      20s));
  ASSERT_FALSE(connected(c, a_id));
  // c's score of b is its trust as a bootstrap peer (10), before any message
  // on the topic; b's score of c is not.
  const auto score_of = [](const Daemon& d, const std::string& id) -> std::optional<double> {
    auto diag = get_json(d, "/v1/diagnostics/pubsub");
    for (const auto& e : diag.at("scores").at("highest").as_array()) {
      if (e.at("peer_id").as_string() == id) return e.at("score").to_number<double>();
    }
    return std::nullopt;
  };
  const auto c_trusts_b = score_of(c, b_id);
  const auto b_scores_c = score_of(b, peer_id(c));
  ASSERT_TRUE(c_trusts_b && b_scores_c);
  EXPECT_GE(*c_trusts_b, 10.0);
  EXPECT_LT(*b_scores_c, 10.0);
  auto del = b.admin().request("DELETE", "/v1/agents/ag/subscriptions?topic=px", "", "");
  ASSERT_TRUE(del && del->status == 200);
  ASSERT_TRUE(eventually([&] { return connected(c, a_id); }, 20s))
      << json::serialize(get_json(c, "/v1/diagnostics/pubsub")) << c.log();
  // b's PRUNEs tell a of c and c of a: whichever hears and dials first makes
  // the connection (the other may not have had its PRUNE yet).
  const auto px_received = [](const Daemon& d) {
    return get_json(d, "/v1/diagnostics/pubsub").at("control").at("px_received_total").to_number<int>();
  };
  const auto px_dials = [](const Daemon& d) {
    return get_json(d, "/v1/diagnostics/transport").at("protocols").at("px_dials_total").to_number<int>();
  };
  EXPECT_GE(px_received(a) + px_received(c), 1);
  EXPECT_GE(px_dials(a) + px_dials(c), 1);
  EXPECT_GE(get_json(b, "/v1/diagnostics/pubsub").at("control").at("px_sent_total").to_number<int>(), 1);
  for (auto* d : {&a, &b, &c}) EXPECT_EQ(d->stop(), 0);
}

// The agent directory between two daemons: adverts on agentmesh/adverts/1,
// capability search, lookup by id, updates after a change; the CLI.
TEST(PubsubIntegrationTest, TheDirectoryFindsAgentsOnOtherDaemonsByCapability) {
  TempDir dir;
  Daemon a(dir.path() / "a");
  a.start();
  Daemon b(dir.path() / "b", {"--bootstrap", p2p_addr(a)});
  b.start();
  auto created = a.admin().request(
      "POST", "/v1/agents", R"({"name":"alice","display_name":"Alice","capabilities":["translate","summarize"]})",
      "application/json");
  ASSERT_TRUE(created && created->status == 201) << (created ? created->body : "");
  const std::string alice = std::string(json::parse(created->body).at("agent_id").as_string());
  const std::string a_peer = std::string(get_json(a, "/v1/node").at("peer_id").as_string());
  json::value found;
  ASSERT_TRUE(eventually(
      [&] {
        found = get_json(b, "/v1/directory?capability=translate&online=true");
        return found.is_object() && found.at("agents").as_array().size() == 1;
      },
      20s))
      << b.log();
  const auto& e = found.at("agents").as_array()[0];
  EXPECT_EQ(e.at("agent_id").as_string(), alice);
  EXPECT_EQ(e.at("peer_id").as_string(), a_peer);
  EXPECT_EQ(e.at("display_name").as_string(), "Alice");
  EXPECT_TRUE(e.at("online").as_bool());
  EXPECT_FALSE(e.at("local").as_bool());
  EXPECT_FALSE(e.at("addrs").as_array().empty());
  EXPECT_TRUE(get_json(b, "/v1/directory?capability=dance").at("agents").as_array().empty());
  auto one = get_json(b, "/v1/directory/" + alice);
  EXPECT_EQ(one.at("capabilities").as_array().size(), 2u);
  EXPECT_GT(one.at("last_seen_ms").to_number<std::int64_t>(), 0);
  // On a, alice is local.
  EXPECT_TRUE(get_json(a, "/v1/directory/" + alice).at("local").as_bool());
  // Errors.
  EXPECT_EQ(b.admin().request("GET", "/v1/directory/" + std::string(64, 'a'), "", "")->status, 404);
  EXPECT_EQ(b.admin().request("GET", "/v1/directory/nothex", "", "")->status, 400);
  EXPECT_EQ(b.admin().request("GET", "/v1/directory?online=maybe", "", "")->status, 400);
  // The adverts topic is the daemons' own: hidden from /v1/topics unless asked for, closed to the API.
  EXPECT_TRUE(get_json(b, "/v1/topics").at("topics").as_array().empty());
  EXPECT_EQ(get_json(b, "/v1/topics?internal=true").at("topics").as_array().at(0).at("topic").as_string(),
            "agentmesh/adverts/1");
  EXPECT_EQ(a.admin()
                .request("POST", "/v1/topics/agentmesh%2Fadverts%2F1/messages", R"({"body":"x","as":"alice"})",
                         "application/json")
                ->status,
            400);
  // A change is republished at once (not after the minute).
  auto patched = a.admin().request("PATCH", "/v1/agents/alice", R"({"capabilities":["dance"]})", "application/json");
  ASSERT_TRUE(patched && patched->status == 200) << (patched ? patched->body : "");
  ASSERT_TRUE(eventually(
      [&] { return get_json(b, "/v1/directory?capability=dance").at("agents").as_array().size() == 1; }, 20s));
  EXPECT_TRUE(get_json(b, "/v1/directory?capability=translate").at("agents").as_array().empty());
  // The CLI.
  auto out = run_cli({"find", "--capability", "dance", "--data-dir", b.data_dir().string()});
  EXPECT_EQ(out.status, 0) << out.err;
  EXPECT_NE(out.out.find(alice), std::string::npos) << out.out;
  EXPECT_NE(out.out.find("online"), std::string::npos);
  // The directory is kept in SQLite: with a gone, a restarted b still knows alice.
  EXPECT_EQ(a.stop(), 0);
  EXPECT_EQ(b.stop(), 0);
  b.start();
  auto kept = get_json(b, "/v1/directory/" + alice);
  ASSERT_TRUE(kept.is_object()) << b.log();
  EXPECT_EQ(kept.at("capabilities").as_array().at(0).as_string(), "dance");
  EXPECT_TRUE(kept.at("online").as_bool());  // its advert has not expired yet
  EXPECT_EQ(b.stop(), 0);
}

// An agent that stops running or is deleted is withdrawn at once (a signed
// advert whose expiry is its seq), not left online until its advert expires.
// Presence (issue 16): a daemon killed with -9 withdraws nothing; its agents
// show suspect within 5 s and offline within 15 s on the daemons still
// connected (beacons and the lost connection), and online again within 2 s
// of its return.
TEST(PubsubIntegrationTest, AKilledDaemonsAgentsGoSuspectThenOfflineAndComeBack) {
  TempDir dir;
  Daemon a(dir.path() / "a");
  a.start();
  Daemon c(dir.path() / "c", {"--bootstrap", p2p_addr(a)});
  c.start();
  auto created =
      c.admin().request("POST", "/v1/agents", R"({"name":"victim","capabilities":["x"]})", "application/json");
  ASSERT_TRUE(created && created->status == 201);
  const auto victim = std::string(json::parse(created->body).at("agent_id").as_string());
  auto presence = [&] {
    auto e = get_json(a, "/v1/directory/" + victim);
    return e.is_object() ? std::string(e.at("presence").as_string()) : std::string();
  };
  ASSERT_TRUE(eventually([&] { return presence() == "online"; }, 20s)) << a.log();
  // Beacons are flowing: a hears c's.
  ASSERT_TRUE(eventually(
      [&] {
        return get_json(a, "/v1/diagnostics/pubsub").at("presence").at("beacons_received_total").to_number<int>() >= 2;
      },
      20s));

  c.kill9();
  const auto killed = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually([&] { return presence() == "suspect"; }, 5s));
  EXPECT_TRUE(get_json(a, "/v1/directory/" + victim).at("online").as_bool());  // suspect is still listed online
  ASSERT_TRUE(eventually(
      [&] { return presence() == "offline"; },
      15s - std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - killed)));
  EXPECT_FALSE(get_json(a, "/v1/directory/" + victim).at("online").as_bool());
  EXPECT_TRUE(get_json(a, "/v1/directory?capability=x&online=true").at("agents").as_array().empty());
  auto diag = get_json(a, "/v1/diagnostics/pubsub").at("presence");
  EXPECT_EQ(diag.at("daemons_offline").to_number<int>(), 1);
  EXPECT_GE(diag.at("became_offline_total").to_number<int>(), 1);

  c.start();
  ASSERT_TRUE(eventually([&] { return presence() == "online"; }, 2s)) << c.log();
  EXPECT_EQ(get_json(a, "/v1/directory?capability=x&online=true").at("agents").as_array().size(), 1u);
  auto metrics = a.admin().request("GET", "/metrics", "", "");
  ASSERT_TRUE(metrics && metrics->status == 200);
  EXPECT_NE(metrics->body.find("agentmesh_presence_daemons{state=\"online\"} 1"), std::string::npos) << metrics->body;
  EXPECT_EQ(a.stop(), 0);
  EXPECT_EQ(c.stop(), 0);
}

// Directory convergence (issue 16): a daemon that joins through one
// neighbour sees the agents hosted further away within 2 s (it replays the
// adverts the neighbour received), not at their next republish a minute later.
TEST(PubsubIntegrationTest, ADaemonJoiningThroughOneNeighbourSeesFartherAgentsAtOnce) {
  TempDir dir;
  Daemon a(dir.path() / "a");
  a.start();
  Daemon b(dir.path() / "b", {"--bootstrap", p2p_addr(a)});
  b.start();
  auto created = a.admin().request("POST", "/v1/agents", R"({"name":"far","capabilities":["x"]})", "application/json");
  ASSERT_TRUE(created && created->status == 201);
  const auto far = std::string(json::parse(created->body).at("agent_id").as_string());
  auto sees_far = [&](Daemon& d) {
    auto list = get_json(d, "/v1/directory?capability=x&online=true");
    return list.is_object() && list.at("agents").as_array().size() == 1;
  };
  ASSERT_TRUE(eventually([&] { return sees_far(b); }, 20s)) << b.log();

  Daemon c(dir.path() / "c", {"--bootstrap", p2p_addr(b)});  // knows only b
  c.start();
  ASSERT_TRUE(eventually([&] { return sees_far(c); }, 2s)) << c.log();
  EXPECT_EQ(get_json(c, "/v1/directory/" + far).at("presence").as_string(), "online");
  auto adverts = get_json(c, "/v1/diagnostics/pubsub").at("adverts");
  EXPECT_GE(adverts.at("catch_ups_total").to_number<int>(), 1);
  EXPECT_GE(adverts.at("caught_up_total").to_number<int>(), 1);
  // c is not connected to a: the advert came through b's replay.
  auto peers = get_json(c, "/v1/peers").at("peers").as_array();
  for (const auto& p : peers) EXPECT_NE(p.at("peer_id").as_string(), get_json(a, "/v1/node").at("peer_id").as_string());
  EXPECT_EQ(c.stop(), 0);
  EXPECT_EQ(b.stop(), 0);
  EXPECT_EQ(a.stop(), 0);
}

TEST(PubsubIntegrationTest, StoppedAndDeletedAgentsGoOfflineInOtherDirectoriesAtOnce) {
  TempDir dir;
  Daemon a(dir.path() / "a");
  a.start();
  Daemon b(dir.path() / "b", {"--bootstrap", p2p_addr(a)});
  b.start();
  std::map<std::string, std::string> ids;
  for (const auto* name : {"alice", "amos"}) {
    auto created =
        a.admin().request("POST", "/v1/agents", R"({"name":")" + std::string(name) + "\"}", "application/json");
    ASSERT_TRUE(created && created->status == 201);
    ids[name] = std::string(json::parse(created->body).at("agent_id").as_string());
  }
  auto online = [&](const std::string& name) {
    auto v = get_json(b, "/v1/directory/" + ids[name]);
    return v.is_object() && v.at("online").as_bool();
  };
  ASSERT_TRUE(eventually([&] { return online("alice") && online("amos"); }, 20s));
  auto stopped = a.admin().request("PATCH", "/v1/agents/alice", R"({"state":"stopped"})", "application/json");
  ASSERT_TRUE(stopped && stopped->status == 200);
  ASSERT_TRUE(eventually([&] { return !online("alice"); }, 10s)) << json::serialize(get_json(b, "/v1/directory"));
  EXPECT_TRUE(get_json(b, "/v1/directory?online=true").at("agents").as_array().size() == 1);
  auto deleted = a.admin().request("DELETE", "/v1/agents/amos", "", "");
  ASSERT_TRUE(deleted && deleted->status == 200);
  ASSERT_TRUE(eventually([&] { return !online("amos"); }, 10s));
  EXPECT_TRUE(get_json(b, "/v1/directory?online=true").at("agents").as_array().empty());
  // Running again: advertised again.
  auto resumed = a.admin().request("PATCH", "/v1/agents/alice", R"({"state":"running"})", "application/json");
  ASSERT_TRUE(resumed && resumed->status == 200);
  ASSERT_TRUE(eventually([&] { return online("alice"); }, 10s));
  EXPECT_EQ(a.stop(), 0);
  EXPECT_EQ(b.stop(), 0);
}

// 5 daemons, every one subscribed; two publishers at the ends (line) or on
// leaves (star) send 500 messages each; every subscriber gets all 1,000
// exactly once. Then a daemon in the middle restarts and rejoins the mesh.
class PubsubTopologyTest : public ::testing::TestWithParam<std::string> {};

TEST_P(PubsubTopologyTest, ThousandMessagesFromTwoPublishersReachEverySubscriberOnce) {
  const bool star = GetParam() == "star";
  TempDir dir;
  std::vector<std::unique_ptr<Daemon>> d;
  for (int i = 0; i < 5; ++i) {
    std::vector<std::string> args;
    if (i > 0) args = {"--bootstrap", p2p_addr(*d[star ? 0 : i - 1])};
    d.push_back(std::make_unique<Daemon>(dir.path() / ("d" + std::to_string(i)), args));
    d.back()->start();
  }
  std::vector<std::unique_ptr<TopicReader>> readers;
  for (auto& daemon : d) readers.push_back(std::make_unique<TopicReader>(*daemon, "load"));
  // Every daemon's mesh for the topic has all its neighbours.
  auto meshed = [&] {
    for (int i = 0; i < 5; ++i) {
      auto t = get_json(*d[i], "/v1/topics");
      const int want = star ? (i == 0 ? 4 : 1) : (i == 0 || i == 4 ? 1 : 2);
      if (!t.is_object() || t.at("topics").as_array().empty() ||
          t.at("topics").as_array()[0].at("mesh").to_number<int>() != want) {
        return false;
      }
    }
    return true;
  };
  ASSERT_TRUE(eventually(meshed, 30s));
  const int pub_a = star ? 1 : 0, pub_b = 4;
  for (int p : {pub_a, pub_b}) {
    ASSERT_EQ(d[p]->admin().request("POST", "/v1/agents", R"({"name":"pub"})", "application/json")->status, 201);
  }
  // The two publishers publish at the same time, each from its own client.
  auto publish = [&](int p, int from, int to, std::atomic<int>& failures) {
    auto client = d[p]->admin();
    for (int i = from; i < to; ++i) {
      const auto body = i < 500 ? std::to_string(p) + ":" + std::to_string(i) : "end:" + std::to_string(p);
      auto r = client.request("POST", "/v1/topics/load/messages", R"({"as":"pub","body":")" + body + "\"}",
                              "application/json");
      if (!r || r->status != 200) ++failures;
    }
  };
  std::atomic<int> failures{0};
  {
    std::jthread a([&] { publish(pub_a, 0, 500, failures); });
    std::jthread b([&] { publish(pub_b, 0, 500, failures); });
  }
  ASSERT_EQ(failures.load(), 0);
  // Then one last message from each: on these trees a publisher's messages
  // reach a subscriber along one path, in order, so once both have arrived
  // (and nothing was lost on the way, which would have to be fetched again)
  // nothing of the 1,000 is still on its way.
  publish(pub_a, 500, 501, failures);
  publish(pub_b, 500, 501, failures);
  ASSERT_EQ(failures.load(), 0);
  auto has = [](TopicReader& reader, const std::string& body) {
    for (const auto& m : reader.messages()) {
      if (m.at("body").as_string() == body) return true;
    }
    return false;
  };
  ASSERT_TRUE(eventually(
      [&] {
        for (auto& r : readers) {
          if (r->count() < 1002 || !has(*r, "end:" + std::to_string(pub_a)) ||
              !has(*r, "end:" + std::to_string(pub_b))) {
            return false;
          }
        }
        return true;
      },
      60s));
  for (std::size_t i = 0; i < readers.size(); ++i) {
    const auto msgs = readers[i]->messages();
    EXPECT_EQ(msgs.size(), 1002u) << "daemon " << i;
    std::set<std::string> bodies;
    for (const auto& m : msgs) bodies.insert(std::string(m.at("body").as_string()));
    EXPECT_EQ(bodies.size(), 1002u) << "daemon " << i;
  }

  // The daemon in the middle (line) or the hub (star) restarts and rejoins.
  const int mid = star ? 0 : 2;
  const auto mid_addr = p2p_addr(*d[mid]);
  std::vector<std::string> args{"--listen", mid_addr.substr(0, mid_addr.find("/p2p/"))};  // same port: others redial
  if (!star) args.insert(args.end(), {"--bootstrap", p2p_addr(*d[mid - 1])});
  ASSERT_EQ(d[mid]->stop(), 0);  // (its subscriber's stream ends with the daemon: no PRUNE is sent)
  readers[mid].reset();
  d[mid]->set_extra_args(args);
  d[mid]->start();
  readers[mid] = std::make_unique<TopicReader>(*d[mid], "load");
  ASSERT_TRUE(eventually(meshed, 30s)) << d[mid]->log();
  auto r = d[pub_a]->admin().request("POST", "/v1/topics/load/messages", R"({"as":"pub","body":"after restart"})",
                                     "application/json");
  ASSERT_TRUE(r && r->status == 200);
  auto count = [](TopicReader& reader, const std::string& body) {
    int n = 0;
    for (const auto& m : reader.messages()) n += m.at("body").as_string() == body ? 1 : 0;
    return n;
  };
  ASSERT_TRUE(eventually(
      [&] {
        for (auto& reader : readers) {
          if (count(*reader, "after restart") != 1) return false;
        }
        return true;
      },
      20s));
  readers.clear();
  for (auto& daemon : d) EXPECT_EQ(daemon->stop(), 0) << daemon->log();
}

INSTANTIATE_TEST_SUITE_P(Topologies, PubsubTopologyTest, ::testing::Values("line", "star"));

}  // namespace
}  // namespace agentmesh::testutil
