// gossipsub routers on an in-memory network with a manual clock: no sockets,
// no threads, reproducible (fixed seeds).

#include <gtest/gtest.h>

#include <array>
#include <deque>
#include <map>
#include <random>
#include <set>

#include "pubsub/error.hpp"
#include "pubsub/message.hpp"
#include "pubsub/router.hpp"

namespace agentmesh::pubsub {
namespace {

using namespace std::chrono_literals;
using Time = Router::Time;
constexpr const char* kTopic = "agents/test";

class SimNet {
 public:
  struct Node {
    explicit Node(crypto::SigningKey k) : key(std::move(k)), id(core::PeerId::from_ed25519(key.public_key())) {}
    crypto::SigningKey key;
    core::PeerId id;
    std::unique_ptr<Router> router;
    std::map<MessageId, int> delivered;  // id -> times delivered
    std::uint64_t seqno = 1;
  };

  SimNet(std::size_t n, GossipConfig config = {}, std::uint64_t seed = 42) : rng_(seed) {
    for (std::size_t i = 0; i < n; ++i) {
      // Keys from seeds: the same PeerIds, hence the same run, every time.
      std::array<std::uint8_t, 32> key_seed{};
      for (std::size_t b = 0; b < 8; ++b) key_seed[b] = static_cast<std::uint8_t>((seed + i) >> (8 * b));
      key_seed[31] = 0xa5;
      nodes_.push_back(std::make_unique<Node>(crypto::SigningKey::from_seed(key_seed).value()));
      index_.emplace(nodes_.back()->id, i);
    }
    for (std::size_t i = 0; i < n; ++i) {
      auto& node = *nodes_[i];
      node.router = std::make_unique<Router>(
          node.id, config, [this, i](const core::PeerId& to, wire::pubsub::Rpc rpc) {
            queue_.push_back({i, index_.at(to), std::move(rpc)});
          },
          seed + i);
      node.router->set_deliver([&node](const MessageId& id, const wire::pubsub::Message&, const core::PeerId&,
                                       const core::PeerId&) { ++node.delivered[id]; });
    }
  }

  Node& node(std::size_t i) { return *nodes_[i]; }
  std::size_t size() const { return nodes_.size(); }
  Time now() const { return now_; }

  void connect(std::size_t a, std::size_t b) {
    if (a == b || !links_.insert({std::min(a, b), std::max(a, b)}).second) return;
    nodes_[a]->router->add_peer(nodes_[b]->id, true, now_);
    nodes_[b]->router->add_peer(nodes_[a]->id, false, now_);
  }
  // Each node dials `degree` random others.
  void random_topology(std::size_t degree) {
    std::uniform_int_distribution<std::size_t> pick(0, nodes_.size() - 1);
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      for (std::size_t k = 0; k < degree; ++k) connect(i, pick(rng_));
    }
  }
  // Connects the nodes in a line (0-1-2-...), joins every one to kTopic and
  // lets the meshes form.
  void line_joined() {
    for (std::size_t i = 1; i < nodes_.size(); ++i) connect(i - 1, i);
    for (auto& n : nodes_) n->router->join(kTopic, now_);
    run();
    tick(2);
  }
  // Drops published messages (not control) sent to node `to` while set.
  std::set<std::size_t> drop_publish_to;
  // Replaces what node `i` forwards (a node that never forwards).
  std::set<std::size_t> silent;

  void run() {
    for (int guard = 0; !queue_.empty() && guard < 1'000'000; ++guard) {
      auto [from, to, rpc] = std::move(queue_.front());
      queue_.pop_front();
      if (drop_publish_to.contains(to) || silent.contains(from)) {
        rpc.publish.clear();
        rpc.encoded_publish.clear();
      }
      // Through the codec, as on the wire (encoded_publish becomes publish).
      const auto bytes = wire::pubsub::encode(rpc);
      auto decoded = wire::pubsub::decode({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
      ASSERT_TRUE(decoded) << decoded.error().message();
      nodes_[to]->router->on_rpc(nodes_[from]->id, *decoded, now_);
    }
  }
  void tick(int heartbeats = 1) {
    for (int h = 0; h < heartbeats; ++h) {
      now_ += 1s;
      for (auto& n : nodes_) n->router->heartbeat(now_);
      run();
    }
  }
  MessageId publish(std::size_t i, std::string data) {
    auto& n = *nodes_[i];
    wire::pubsub::Message m;
    m.topic = kTopic;
    m.data = std::move(data);
    sign(m, n.key, n.seqno++);
    EXPECT_TRUE(n.router->publish(m, now_));
    run();
    return message_id(m);
  }

 private:
  struct InFlight {
    std::size_t from;
    std::size_t to;
    wire::pubsub::Rpc rpc;
  };
  std::mt19937_64 rng_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::map<core::PeerId, std::size_t> index_;
  std::set<std::pair<std::size_t, std::size_t>> links_;
  std::deque<InFlight> queue_;
  Time now_{};
};

TEST(GossipSimTest, FiftyNodesRandomTopologyEveryMessageReachesEverySubscriberOnce) {
  SimNet net(50);
  net.random_topology(6);
  for (std::size_t i = 0; i < net.size(); ++i) net.node(i).router->join(kTopic, net.now());
  net.run();
  net.tick(5);
  const GossipConfig config;
  for (std::size_t i = 0; i < net.size(); ++i) {
    const auto degree = net.node(i).router->mesh(kTopic).size();
    const auto available = net.node(i).router->topic_peers(kTopic).size();
    EXPECT_LE(degree, config.d_high) << i;
    EXPECT_GE(degree, std::min(config.d_low, available)) << i;
  }
  std::vector<MessageId> ids;
  std::mt19937 pick(7);
  for (int m = 0; m < 40; ++m) ids.push_back(net.publish(pick() % net.size(), "message " + std::to_string(m)));
  net.tick(3);
  for (std::size_t i = 0; i < net.size(); ++i) {
    auto& node = net.node(i);
    for (const auto& id : ids) {
      const bool own = id.substr(0, 36) == node.id.public_key_protobuf();
      EXPECT_EQ(node.delivered[id], own ? 0 : 1) << "node " << i;
    }
  }
}

TEST(GossipSimTest, IHaveIWantRepairsMessagesLostOnMeshLinks) {
  // Dense enough that every node has neighbours outside its mesh: gossip goes
  // to those (mesh peers are expected to forward). Several topologies.
  for (std::uint64_t seed : {1, 2, 3, 4, 5, 6, 7, 8}) {
    SimNet net(20, {}, seed);
    net.random_topology(10);
    for (std::size_t i = 0; i < net.size(); ++i) net.node(i).router->join(kTopic, net.now());
    net.run();
    net.tick(3);
    // Nodes 10..19 lose every forwarded message: only gossip can reach them.
    for (std::size_t i = 10; i < 20; ++i) net.drop_publish_to.insert(i);
    const auto id = net.publish(0, "repair me");
    for (std::size_t i = 10; i < 20; ++i) EXPECT_EQ(net.node(i).delivered[id], 0) << i;
    net.drop_publish_to.clear();
    net.tick(3);  // IHAVE from neighbours, IWANT back, the message served from their caches
    std::uint64_t iwants = 0;
    for (std::size_t i = 1; i < net.size(); ++i) {
      EXPECT_EQ(net.node(i).delivered[id], 1) << "seed " << seed << " node " << i;
      iwants += net.node(i).router->counters().iwant_sent;
    }
    EXPECT_GT(iwants, 0u) << seed;  // (a repaired node also forwards to its mesh)
  }
}

TEST(GossipSimTest, PruneBackoffIsHonoured) {
  GossipConfig config;
  SimNet net(2, config);
  net.connect(0, 1);
  net.node(0).router->join(kTopic, net.now());
  net.node(1).router->join(kTopic, net.now());
  net.run();
  net.tick();
  ASSERT_EQ(net.node(0).router->mesh(kTopic).size(), 1u);
  // Node 1 leaves and rejoins: its PRUNE carries the 10 s unsubscribe backoff,
  // which both sides honour before grafting each other again.
  net.node(1).router->leave(kTopic, net.now());
  net.run();
  EXPECT_TRUE(net.node(0).router->mesh(kTopic).empty());
  EXPECT_TRUE(net.node(0).router->in_backoff(kTopic, net.node(1).id, net.now()));
  net.node(1).router->join(kTopic, net.now());
  net.run();
  const auto grafts0 = net.node(0).router->counters().graft_sent;
  const auto grafts1 = net.node(1).router->counters().graft_sent;
  net.tick(5);
  EXPECT_EQ(net.node(0).router->counters().graft_sent, grafts0);  // no GRAFT during the backoff
  EXPECT_EQ(net.node(1).router->counters().graft_sent, grafts1);
  EXPECT_TRUE(net.node(0).router->mesh(kTopic).empty());
  // A GRAFT that ignores the backoff is answered with PRUNE.
  wire::pubsub::Rpc graft;
  graft.control.graft.push_back({kTopic});
  net.node(0).router->on_rpc(net.node(1).id, graft, net.now());
  net.run();
  EXPECT_EQ(net.node(0).router->counters().graft_in_backoff, 1u);
  EXPECT_TRUE(net.node(0).router->mesh(kTopic).empty());
  // That PRUNE restarted a 60 s backoff; after it (and a heartbeat of slack)
  // the two mesh again.
  net.tick(55);
  EXPECT_TRUE(net.node(0).router->mesh(kTopic).empty());
  net.tick(10);
  EXPECT_EQ(net.node(0).router->mesh(kTopic).size(), 1u);
  EXPECT_EQ(net.node(1).router->mesh(kTopic).size(), 1u);
}

TEST(GossipSimTest, InvalidAndRejectedMessagesAreNeitherDeliveredNorForwarded) {
  SimNet net(3);
  net.line_joined();
  // A forged message (signed, then altered) injected by node 0.
  wire::pubsub::Message m;
  m.topic = kTopic;
  m.data = "original";
  sign(m, net.node(0).key, 99);
  m.data = "altered";
  wire::pubsub::Rpc rpc;
  rpc.publish = {m};
  net.node(1).router->on_rpc(net.node(0).id, rpc, net.now());
  net.run();
  EXPECT_EQ(net.node(1).router->counters().invalid, 1u);
  EXPECT_TRUE(net.node(1).delivered.empty());
  EXPECT_TRUE(net.node(2).delivered.empty());
  // The application validator: reject and ignore.
  net.node(1).router->set_validator([](const core::PeerId&, const wire::pubsub::Message& msg) {
    return *msg.data == "bad" ? Validation::reject : *msg.data == "meh" ? Validation::ignore : Validation::accept;
  });
  net.publish(0, "bad");
  net.publish(0, "meh");
  const auto good = net.publish(0, "good");
  EXPECT_EQ(net.node(1).router->counters().invalid, 2u);
  EXPECT_EQ(net.node(1).router->counters().ignored, 1u);
  EXPECT_EQ(net.node(2).delivered.size(), 1u);
  EXPECT_EQ(net.node(2).delivered[good], 1);
}

// The seen cache is consulted before the signature check (duplicates cost no
// verification), but only a verified message enters it: a forgery that claims
// the real message's id (same author and seqno) first does not shadow it.
TEST(GossipSimTest, AForgeryWithTheRealIdDoesNotShadowTheRealMessage) {
  SimNet net(3);
  net.line_joined();
  wire::pubsub::Message real;
  real.topic = kTopic;
  real.data = "real";
  sign(real, net.node(0).key, 7);
  auto forged = real;
  forged.data = "forged";
  wire::pubsub::Rpc rpc;
  rpc.publish = {forged};
  net.node(1).router->on_rpc(net.node(2).id, rpc, net.now());
  net.run();
  EXPECT_EQ(net.node(1).router->counters().invalid, 1u);
  EXPECT_TRUE(net.node(1).delivered.empty());
  rpc.publish = {real};
  net.node(1).router->on_rpc(net.node(0).id, rpc, net.now());
  net.run();
  EXPECT_EQ(net.node(1).delivered[message_id(real)], 1);
  EXPECT_EQ(net.node(2).delivered[message_id(real)], 1);
  // The same forgery again is now a duplicate of a verified id: dropped
  // without a verification, neither delivered nor counted invalid.
  rpc.publish = {forged};
  net.node(1).router->on_rpc(net.node(2).id, rpc, net.now());
  net.run();
  EXPECT_EQ(net.node(1).router->counters().invalid, 1u);
  EXPECT_EQ(net.node(1).router->counters().duplicates, 1u);
  EXPECT_EQ(net.node(1).delivered[message_id(real)], 1);
  // A router publishes only its own messages.
  wire::pubsub::Message other;
  other.topic = kTopic;
  other.data = "not node 1's";
  sign(other, net.node(0).key, 8);
  EXPECT_EQ(net.node(1).router->publish(other, net.now()).error(), make_error_code(error::bad_author));
}

// Peer exchange: a PRUNE offers the other topic peers with their records;
// receivers act on it only from peers scoring at least accept_px, which a
// trusted peer (a daemon's bootstrap peers: P5, the application's score)
// does from the start.
TEST(GossipSimTest, PruneOffersPeerExchangeWhichIsAcceptedOnlyFromWellScoredPeers) {
  for (const auto& [accept_px, trust_hub] : {std::pair{10.0, false}, std::pair{0.0, false}, std::pair{10.0, true}}) {
    GossipConfig config;
    config.score.thresholds.accept_px = accept_px;
    std::optional<core::PeerId> hub;  // set once the net names node 0
    if (trust_hub) config.score.app_specific = [&hub](const core::PeerId& p) { return p == hub ? 1.0 : 0.0; };
    SimNet net(5, config);
    hub = net.node(0).id;
    for (std::size_t i = 1; i < 5; ++i) net.connect(0, i);  // a star: the leaves know only node 0
    std::map<std::size_t, std::vector<wire::pubsub::PrunePeer>> offered;
    for (std::size_t i = 0; i < 5; ++i) {
      net.node(i).router->set_px_record([&net](const core::PeerId& p) -> std::optional<std::string> {
        for (std::size_t j = 0; j < net.size(); ++j) {
          if (net.node(j).id == p) return "record-" + std::to_string(j);
        }
        return std::nullopt;
      });
      net.node(i).router->set_on_px([&offered, i](const core::PeerId&, const std::vector<wire::pubsub::PrunePeer>& peers) {
        offered[i] = peers;
      });
      net.node(i).router->join(kTopic, net.now());
    }
    net.run();
    net.tick(3);
    ASSERT_EQ(net.node(0).router->mesh(kTopic).size(), 4u);
    net.node(0).router->leave(kTopic, net.now());  // PRUNE with PX to each leaf
    net.run();
    EXPECT_EQ(net.node(0).router->counters().px_sent, 4u * 3u);
    for (std::size_t i = 1; i < 5; ++i) {
      const auto& c = net.node(i).router->counters();
      if (accept_px > 0 && !trust_hub) {  // node 0's score is below 10: offers ignored
        EXPECT_EQ(c.px_ignored, 3u) << i;
        EXPECT_FALSE(offered.contains(i));
        continue;
      }
      EXPECT_EQ(c.px_received, 3u) << i;
      ASSERT_EQ(offered[i].size(), 3u) << i;
      for (const auto& p : offered[i]) {
        EXPECT_NE(p.peer_id, net.node(i).id.multihash());  // never the pruned peer itself
        EXPECT_NE(p.peer_id, net.node(0).id.multihash());
        EXPECT_EQ(p.signed_peer_record.rfind("record-", 0), 0u);
      }
    }
  }
}

TEST(GossipSimTest, ControlLimitsIHaveFloodAndIWantRetransmissionCap) {
  SimNet net(2);
  net.connect(0, 1);
  net.node(0).router->join(kTopic, net.now());
  net.node(1).router->join(kTopic, net.now());
  net.run();
  // 11 IHAVEs in one heartbeat: the 11th is ignored.
  wire::pubsub::Rpc flood;
  for (int i = 0; i < 11; ++i) flood.control.ihave.push_back({kTopic, {"unknown-id-" + std::to_string(i)}});
  net.node(1).router->on_rpc(net.node(0).id, flood, net.now());
  EXPECT_EQ(net.node(1).router->counters().ihave_over_limit, 1u);
  EXPECT_EQ(net.node(1).router->counters().iwant_sent, 10u);
  // Unfulfilled IWANT promises are counted after the follow-up time.
  net.tick(4);
  EXPECT_GE(net.node(1).router->counters().broken_promises, 10u);
  // IWANT for a cached message: served three times, then refused.
  const auto id = net.publish(0, "cached");
  wire::pubsub::Rpc ask;
  ask.control.iwant.push_back({{id}});
  for (int i = 0; i < 4; ++i) net.node(0).router->on_rpc(net.node(1).id, ask, net.now());
  EXPECT_EQ(net.node(0).router->counters().iwant_over_cap, 1u);
}

TEST(GossipSimTest, FanoutPublishingWithoutJoiningAndMeshBoundsWithManyPeers) {
  SimNet net(30);
  for (std::size_t i = 1; i < 30; ++i) net.connect(0, i);  // node 0 sees 29 subscribers
  for (std::size_t i = 1; i < 30; ++i) net.node(i).router->join(kTopic, net.now());
  net.run();
  // Node 0 publishes without joining: flood publish reaches all 29; fanout
  // remembers D of them.
  const auto id = net.publish(0, "from outside");
  for (std::size_t i = 1; i < 30; ++i) EXPECT_EQ(net.node(i).delivered[id], 1) << i;
  EXPECT_EQ(net.node(0).router->fanout(kTopic).size(), GossipConfig{}.d);
  // Now node 0 joins: its mesh is D, and stays within bounds as 29 peers graft it.
  net.node(0).router->join(kTopic, net.now());
  net.run();
  net.tick(3);
  const auto degree = net.node(0).router->mesh(kTopic).size();
  EXPECT_GE(degree, GossipConfig{}.d_low);
  EXPECT_LE(degree, GossipConfig{}.d_high);
  EXPECT_TRUE(net.node(0).router->fanout(kTopic).empty());
  // The fanout of a topic we stop publishing to expires.
  net.node(5).router->publish([&] {
    wire::pubsub::Message m;
    m.topic = "elsewhere";
    m.data = "x";
    sign(m, net.node(5).key, 1000);
    return m;
  }(), net.now());
  net.tick(61);
  EXPECT_TRUE(net.node(5).router->fanout("elsewhere").empty());
}

// A hub with more subscribers than D_high prunes most of them, and each
// pruned one waits out a backoff before it grafts again. Those peers still
// get the hub's gossip: the peers in backoff are drawn at random with the
// others, not after them (when they came last, the same ones were cut off at
// every heartbeat and a daemon that joined a star missed every advert until
// the minute's republish).
TEST(GossipSimTest, PeersPrunedIntoBackoffStillGetGossipFromAStarsHub) {
  SimNet net(20);
  for (std::size_t i = 1; i < 20; ++i) net.connect(i, 0);
  for (std::size_t i = 0; i < 20; ++i) net.node(i).router->join(kTopic, net.now());
  net.run();
  net.tick(3);
  const auto& hub = *net.node(0).router;
  std::size_t pruned = 0;
  for (std::size_t i = 1; i < 20; ++i) pruned += hub.in_backoff(kTopic, net.node(i).id, net.now()) ? 1 : 0;
  ASSERT_GT(pruned, GossipConfig{}.d_lazy);  // more peers in backoff than one heartbeat's gossip reaches
  for (int round = 0; round < 3; ++round) {
    const auto from = 1 + static_cast<std::size_t>(round);
    const auto id = net.publish(from, "from a leaf " + std::to_string(round));
    net.tick(3);  // the message stays in the gossip window for 3 heartbeats
    for (std::size_t i = 0; i < 20; ++i) {
      if (i != from) {
        EXPECT_EQ(net.node(i).delivered[id], 1) << "round " << round << ", node " << i;
      }
    }
  }
}

// A peer already subscribed whose GRAFT comes after a message went to the
// mesh, before the next heartbeat's gossip (which skips mesh peers), is
// offered what arrived since it subscribed when it enters the mesh, and
// fetches it. What was published before it subscribed is not offered.
TEST(GossipSimTest, APeerEnteringTheMeshIsOfferedWhatArrivedSinceItSubscribed) {
  SimNet net(4);
  for (std::size_t i = 1; i < 3; ++i) net.connect(i, 0);
  for (std::size_t i = 0; i < 3; ++i) net.node(i).router->join(kTopic, net.now());
  net.run();
  net.tick(2);
  const auto before = net.publish(1, "before node 3 subscribed");
  net.node(3).router->join(kTopic, net.now());  // alone: its mesh stays empty
  net.connect(3, 0);                            // the hub learns the subscription
  net.run();
  const auto after = net.publish(2, "after node 3 subscribed");
  EXPECT_EQ(net.node(1).delivered[after], 1);
  EXPECT_EQ(net.node(3).delivered[after], 0);  // not in the hub's mesh yet
  net.node(3).router->heartbeat(net.now());    // its heartbeat grafts the hub
  net.run();
  const auto hub_mesh = net.node(0).router->mesh(kTopic);
  ASSERT_NE(std::find(hub_mesh.begin(), hub_mesh.end(), net.node(3).id), hub_mesh.end());
  EXPECT_EQ(net.node(3).delivered[after], 1);  // through the IHAVE the graft brought, before the hub's heartbeat
  EXPECT_EQ(net.node(3).delivered[before], 0);
  net.tick(3);
  EXPECT_EQ(net.node(3).delivered[after], 1);
  EXPECT_EQ(net.node(3).delivered[before], 0);
}

TEST(GossipSimTest, AnInvalidSenderAndANonForwarderEndNegativeAndArePruned) {
  // P3 (mesh delivery deficit) is off by default; a deployment with a steady
  // message rate turns it on to catch peers that never forward.
  GossipConfig config;
  config.score.topic.mesh_deliveries_weight = -1;
  config.score.topic.mesh_deliveries_threshold = 1;
  config.score.topic.mesh_deliveries_activation = std::chrono::seconds(3);
  SimNet net(12, config, 99);
  for (std::size_t i = 0; i < net.size(); ++i) {
    for (std::size_t j = i + 1; j < net.size(); ++j) net.connect(i, j);  // everyone sees everyone
  }
  for (std::size_t i = 0; i < net.size(); ++i) net.node(i).router->join(kTopic, net.now());
  net.run();
  net.tick(2);
  const std::size_t silent = 10, liar = 11;
  net.silent.insert(silent);  // forwards nothing (and answers no IWANT)
  for (int round = 0; round < 15; ++round) {
    net.publish(round % 5, "m" + std::to_string(round));
    // The liar sends a forged message to everyone each round.
    wire::pubsub::Message forged;
    forged.topic = kTopic;
    forged.data = "original";
    sign(forged, net.node(liar).key, 1000 + static_cast<std::uint64_t>(round));
    forged.data = "forged";
    wire::pubsub::Rpc rpc;
    rpc.publish = {forged};
    for (std::size_t i = 0; i < 10; ++i) net.node(i).router->on_rpc(net.node(liar).id, rpc, net.now());
    net.run();
    net.tick();
  }
  for (std::size_t i = 0; i < 10; ++i) {
    auto& r = *net.node(i).router;
    EXPECT_LT(r.score(net.node(liar).id, net.now()), 0) << i;
    const auto mesh = r.mesh(kTopic);
    EXPECT_EQ(std::count(mesh.begin(), mesh.end(), net.node(liar).id), 0) << i;
    if (std::find(mesh.begin(), mesh.end(), net.node(silent).id) != mesh.end()) {
      ADD_FAILURE() << "node " << i << " kept the silent node in its mesh";
    }
  }
  std::uint64_t pruned = 0;
  for (std::size_t i = 0; i < 10; ++i) pruned += net.node(i).router->counters().pruned_for_score;
  EXPECT_GT(pruned, 0u);
  // Honest nodes still deliver everything.
  const auto id = net.publish(3, "after");
  net.tick(2);
  for (std::size_t i = 0; i < 10; ++i) {
    if (i != 3) {
      EXPECT_EQ(net.node(i).delivered[id], 1) << i;
    }
  }
}

TEST(GossipSimTest, SeenMessagesAreDroppedBeforeDecodingAndCountedAsDuplicates) {
  SimNet net(2);
  net.line_joined();
  auto& n0 = net.node(0);
  auto& r1 = *net.node(1).router;
  wire::pubsub::Message m;
  m.topic = kTopic;
  m.data = "once";
  sign(m, n0.key, n0.seqno++);
  const auto view = [](const wire::pubsub::Message& x) {
    wire::pubsub::MessageView v;
    v.from = *x.from;
    v.seqno = *x.seqno;
    return v;
  };
  EXPECT_FALSE(r1.drop_seen(n0.id, view(m)));  // not seen yet: decoded and verified
  ASSERT_TRUE(n0.router->publish(m, net.now()));
  net.run();
  EXPECT_EQ(net.node(1).delivered[message_id(m)], 1);
  const auto duplicates = r1.counters().duplicates;
  EXPECT_TRUE(r1.drop_seen(n0.id, view(m)));
  EXPECT_EQ(r1.counters().duplicates, duplicates + 1);
  // Not the canonical identity multihash, or from a peer the router does not
  // know: the full path decides.
  auto odd = view(m);
  std::string from = *m.from;
  from[1] = 0x25;
  odd.from = from;
  EXPECT_FALSE(r1.drop_seen(n0.id, odd));
  const auto stranger = core::PeerId::from_ed25519(crypto::SigningKey::generate().public_key());
  EXPECT_FALSE(r1.drop_seen(stranger, view(m)));
  EXPECT_EQ(r1.counters().duplicates, duplicates + 1);
}

}  // namespace
}  // namespace agentmesh::pubsub
