// Scale simulation (issue 16, "Scale simulation"; `make scale` runs it for
// 100 to 1,000 nodes and writes docs/scaling.md). NODES daemons' gossipsub
// routers (pubsub::Router, the state machine each daemon runs) on an
// in-memory network with a manual clock. Every RPC goes through the wire
// codec as in pubsub/service.cpp (encoded, then decoded with the seen-cache
// filter), so the bytes counted are the RPCs' protobuf bytes; the length
// prefix and the yamux and Noise framing around them are not counted.
//
// The network: node i sits in region i mod 6 (the round trips of
// tests/netsim/scenarios/six_regions.toml, 4 ms within a region) behind an
// access link of 1-5 ms one way; a packet between two nodes takes half their
// regions' round trip plus both access delays. No loss and no bandwidth
// limit: what is measured is what the protocol sends. Each node dials 8
// random others (a daemon's connections come from its bootstrap peers and
// peer exchange).
//
// Phases:
//   1. every node joins the adverts topic, the beacons topic and a test
//      topic; 10 s for the meshes to form;
//   2. spread: 50 messages of 256 bytes published from random nodes, 10 a
//      second: each node's first delivery against the one-way delay of the
//      shortest path over the connections; every node must receive each
//      message exactly once;
//   3. directory: AGENTS agents spread evenly over the nodes; each daemon
//      publishes its agents' adverts (real signed adverts, wire/advert) once a
//      minute, the daemons' rounds spread over the minute, and a beacon every
//      second (node/directory.hpp), at these real rates for WINDOW seconds:
//      bytes and messages sent per node, per minute. Every node keeps what it
//      receives in the directory's state machines (registry::Directory for
//      the adverts, registry::Liveness for the beacons), which must end
//      complete: every advert published, every beaconing daemon online;
//   4. direct messages: 500 messages of 256 bytes between agents on random
//      daemons, 50 a second, through the direct path's state machines: the
//      sender's direct::AckTracker (outbox, attempt, ack deadline, breaker),
//      the envelope sealed under the pair key, the recipient daemon's
//      direct::check_envelope and a dedup on (sender, request id), the MAC'd
//      ack verified by the sender; one hop, as a daemon dials the recipient's
//      daemon. Every message must be accepted and delivered exactly once.
//
// Not simulated: the daemons' validators (the advert signature check costs
// CPU, not traffic), scoring's effect over hours, and the stores behind the
// inbox and the outbox (the dedup is a set here).
//
// Usage: scale_sim NODES [AGENTS] [WINDOW_SECONDS] [SEED]. Prints key=value
// lines and `spread_ms=` (every first delivery's latency, for the plots).
// Exits 1 when a message was lost or delivered twice.

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "crypto/crypto.hpp"
#include "direct/ack_tracker.hpp"
#include "direct/envelope_crypto.hpp"
#include "direct/receiver.hpp"
#include "pubsub/message.hpp"
#include "pubsub/router.hpp"
#include "registry/directory.hpp"
#include "registry/liveness.hpp"
#include "wire/advert.hpp"
#include "wire/direct.hpp"
#include "wire/pubsub.hpp"

namespace {

using namespace agentmesh;
using namespace std::chrono_literals;
using Time = pubsub::Router::Time;
using Clock = std::chrono::steady_clock;

constexpr int kRegions = 6;
// Round trips in ms: nyc, sfo, helsinki, nuremberg, singapore, sydney.
constexpr std::array<std::array<int, kRegions>, kRegions> kRttMs{{{4, 70, 90, 85, 230, 250},
                                                                   {70, 4, 160, 150, 170, 150},
                                                                   {90, 160, 4, 25, 170, 280},
                                                                   {85, 150, 25, 4, 160, 270},
                                                                   {230, 170, 170, 160, 4, 90},
                                                                   {250, 150, 280, 270, 90, 4}}};
constexpr std::size_t kDialed = 8;
// The simulated clock's start as Unix time, for the state machines that keep wall time.
constexpr std::int64_t kUnixEpochMs = 1'800'000'000'000;
constexpr int kSpreadMessages = 50;
const std::string kSpreadTopic = "agents/scale-sim";

struct Sent {
  std::uint64_t bytes = 0;
  std::uint64_t rpcs = 0;
  std::uint64_t copies = 0;  // messages carried (publish entries)
};

double ms(std::chrono::microseconds d) { return static_cast<double>(d.count()) / 1000.0; }

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
}

class Sim {
 public:
  struct Node {
    explicit Node(crypto::SigningKey k) : key(std::move(k)), id(core::PeerId::from_ed25519(key.public_key())) {}
    crypto::SigningKey key;
    core::PeerId id;
    std::unique_ptr<pubsub::Router> router;
    int region = 0;
    std::chrono::microseconds access{};
    std::uint64_t seqno = 1;
    Sent sent;
    std::vector<std::size_t> links;
  };
  // node, message id, message, author
  using OnDeliver = std::function<void(std::size_t, const pubsub::MessageId&, const wire::pubsub::Message&,
                                       const core::PeerId&)>;

  Sim(std::size_t n, std::uint64_t seed) : rng_(seed) {
    std::uniform_int_distribution<int> access_us(1000, 5000);
    for (std::size_t i = 0; i < n; ++i) {
      // Keys from the seed: the same PeerIds, hence the same run, every time.
      std::array<std::uint8_t, 32> key_seed{};
      for (std::size_t b = 0; b < 8; ++b) key_seed[b] = static_cast<std::uint8_t>(seed >> (8 * b));
      for (std::size_t b = 0; b < 8; ++b) key_seed[8 + b] = static_cast<std::uint8_t>(i >> (8 * b));
      nodes_.push_back(std::make_unique<Node>(crypto::SigningKey::from_seed(key_seed).value()));
      auto& node = *nodes_.back();
      node.region = static_cast<int>(i % kRegions);
      node.access = std::chrono::microseconds(access_us(rng_));
      index_.emplace(node.id, i);
      node.router = std::make_unique<pubsub::Router>(
          node.id, pubsub::GossipConfig{},
          [this, i](const core::PeerId& to, wire::pubsub::Rpc rpc) { send(i, index_.at(to), rpc); }, seed + i);
      node.router->set_deliver([this, i](const pubsub::MessageId& id, const wire::pubsub::Message& m,
                                         const core::PeerId&, const core::PeerId& author) {
        if (on_deliver_) on_deliver_(i, id, m, author);
      });
      // Heartbeats spread over the second, as independent daemons' are.
      schedule({start_ + std::chrono::microseconds(1'000'000 * i / n), seq_++, i, i, kHeartbeat});
    }
  }

  std::size_t size() const { return nodes_.size(); }
  Node& node(std::size_t i) { return *nodes_[i]; }
  Time now() const { return now_; }
  Time start() const { return start_; }
  void set_on_deliver(OnDeliver f) { on_deliver_ = std::move(f); }

  std::chrono::microseconds delay(std::size_t a, std::size_t b) const {
    const auto& x = *nodes_[a];
    const auto& y = *nodes_[b];
    return std::chrono::microseconds(kRttMs[x.region][y.region] * 500) + x.access + y.access;
  }

  void connect_random() {
    std::uniform_int_distribution<std::size_t> pick(0, nodes_.size() - 1);
    std::set<std::pair<std::size_t, std::size_t>> links;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      for (std::size_t k = 0; k < kDialed; ++k) {
        const auto j = pick(rng_);
        if (j == i || !links.insert(std::minmax(i, j)).second) continue;
        nodes_[i]->router->add_peer(nodes_[j]->id, true, now_);
        nodes_[j]->router->add_peer(nodes_[i]->id, false, now_);
        nodes_[i]->links.push_back(j);
        nodes_[j]->links.push_back(i);
      }
    }
  }

  // One-way delay of the fastest path from `from` to every node.
  std::vector<std::chrono::microseconds> shortest_paths(std::size_t from) const {
    constexpr auto kInf = std::chrono::microseconds::max();
    std::vector<std::chrono::microseconds> best(nodes_.size(), kInf);
    using Item = std::pair<std::chrono::microseconds, std::size_t>;
    std::priority_queue<Item, std::vector<Item>, std::greater<>> open;
    best[from] = {};
    open.push({{}, from});
    while (!open.empty()) {
      const auto [d, u] = open.top();
      open.pop();
      if (d > best[u]) continue;
      for (const auto v : nodes_[u]->links) {
        const auto dv = d + delay(u, v);
        if (dv < best[v]) open.push({best[v] = dv, v});
      }
    }
    return best;
  }

  // Runs `f` at `at`, after the events already due then.
  void at(Time at, std::function<void()> f) {
    schedule({at, seq_++, 0, 0, store(calls_, free_calls_, std::move(f)), true});
  }

  // Runs every event due up to `until`.
  void run_until(Time until) {
    while (!events_.empty() && events_.top().at <= until) {
      const auto e = events_.top();
      events_.pop();
      now_ = e.at;
      if (e.call) {
        auto f = std::move(calls_[e.slot]);
        free_calls_.push_back(e.slot);
        f();
        continue;
      }
      if (e.slot == kHeartbeat) {
        nodes_[e.to]->router->heartbeat(now_);
        schedule({now_ + 1s, seq_++, e.to, e.to, kHeartbeat});
        continue;
      }
      const auto bytes = std::move(slots_[e.slot]);
      free_.push_back(e.slot);
      auto& router = *nodes_[e.to]->router;
      const auto& from = nodes_[e.from]->id;
      const auto keep = [&](const wire::pubsub::MessageView& m) { return !router.drop_seen(from, m); };
      auto rpc = wire::pubsub::decode({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}, {}, keep);
      if (!rpc) {
        std::fprintf(stderr, "scale_sim: an RPC did not decode: %s\n", rpc.error().message().c_str());
        std::exit(2);
      }
      router.on_rpc(from, *rpc, now_);
    }
    now_ = std::max(now_, until);
  }

  pubsub::MessageId publish(std::size_t i, const std::string& topic, std::string data) {
    auto& n = *nodes_[i];
    wire::pubsub::Message m;
    m.topic = topic;
    m.data = std::move(data);
    pubsub::sign(m, n.key, n.seqno++);
    (void)n.router->publish(m, now_);
    return pubsub::message_id(m);
  }

  Sent total_sent() const {
    Sent t;
    for (const auto& n : nodes_) {
      t.bytes += n->sent.bytes;
      t.rpcs += n->sent.rpcs;
      t.copies += n->sent.copies;
    }
    return t;
  }
  // IHAVE ignored for the per-heartbeat limits, over every node.
  std::uint64_t ihave_over_limit() const {
    std::uint64_t t = 0;
    for (const auto& n : nodes_) t += n->router->counters().ihave_over_limit;
    return t;
  }

 private:
  static constexpr std::uint32_t kHeartbeat = 0xffffffffU;
  struct Event {
    Time at;
    std::uint64_t seq;
    std::size_t from;
    std::size_t to;
    std::uint32_t slot;  // the RPC's bytes in slots_, or kHeartbeat; with `call`, the closure in calls_
    bool call = false;
    bool operator>(const Event& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };

  void schedule(Event e) { events_.push(e); }
  // Puts `v` in a free slot of `slots` (reused through `free`); its index.
  template <class T>
  static std::uint32_t store(std::vector<T>& slots, std::vector<std::uint32_t>& free, T v) {
    if (free.empty()) {
      slots.push_back(std::move(v));
      return static_cast<std::uint32_t>(slots.size() - 1);
    }
    const auto slot = free.back();
    free.pop_back();
    slots[slot] = std::move(v);
    return slot;
  }

  void send(std::size_t from, std::size_t to, const wire::pubsub::Rpc& rpc) {
    auto& sent = nodes_[from]->sent;
    ++sent.rpcs;
    sent.copies += rpc.publish.size() + rpc.encoded_publish.size();
    auto bytes = wire::pubsub::encode(rpc);
    sent.bytes += bytes.size();
    schedule({now_ + delay(from, to), seq_++, from, to, store(slots_, free_, std::move(bytes))});
  }

  std::mt19937_64 rng_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::map<core::PeerId, std::size_t> index_;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  std::vector<std::string> slots_;
  std::vector<std::uint32_t> free_;
  std::vector<std::function<void()>> calls_;
  std::vector<std::uint32_t> free_calls_;
  std::uint64_t seq_ = 0;
  Time start_ = Time{} + 1h;
  Time now_ = start_;
  OnDeliver on_deliver_;
};

void print(const char* key, double value) { std::printf("%s=%.6g\n", key, value); }

Sent since(const Sent& now, const Sent& before) {
  return {now.bytes - before.bytes, now.rpcs - before.rpcs, now.copies - before.copies};
}

// Phase 2. Returns the messages lost plus those delivered twice.
int spread_phase(Sim& sim, std::mt19937_64& rng) {
  const auto n = sim.size();
  struct Tracked {
    std::size_t publisher;
    Time at;
    std::vector<int> count;
    std::vector<Time> first;
  };
  std::vector<Tracked> tracked;
  std::map<pubsub::MessageId, std::size_t> ids;
  sim.set_on_deliver([&](std::size_t node, const pubsub::MessageId& id, const wire::pubsub::Message& m,
                         const core::PeerId&) {
    if (m.topic != kSpreadTopic) return;
    auto& t = tracked.at(ids.at(id));
    if (t.count[node]++ == 0) t.first[node] = sim.now();
  });
  const auto before = sim.total_sent();
  const auto t0 = sim.now();
  std::uniform_int_distribution<std::size_t> pick(0, n - 1);
  for (int k = 0; k < kSpreadMessages; ++k) {
    sim.run_until(t0 + k * 100ms);
    const auto from = pick(rng);
    tracked.push_back({from, sim.now(), std::vector<int>(n, 0), std::vector<Time>(n)});
    ids.emplace(sim.publish(from, kSpreadTopic, std::string(256, 'x')), tracked.size() - 1);
  }
  sim.run_until(sim.now() + 10s);
  const auto sent = since(sim.total_sent(), before);
  sim.set_on_deliver({});

  int lost = 0, doubled = 0;
  std::vector<double> latency, excess, ratio;
  for (const auto& t : tracked) {
    const auto paths = sim.shortest_paths(t.publisher);
    for (std::size_t i = 0; i < n; ++i) {
      if (i == t.publisher) continue;
      if (t.count[i] == 0) {
        ++lost;
        continue;
      }
      doubled += t.count[i] > 1;
      const auto took = std::chrono::duration_cast<std::chrono::microseconds>(t.first[i] - t.at);
      latency.push_back(ms(took));
      excess.push_back(ms(took - paths[i]));
      ratio.push_back(static_cast<double>(took.count()) / static_cast<double>(std::max<long>(1, paths[i].count())));
    }
  }
  const auto per = static_cast<double>(kSpreadMessages) * static_cast<double>(n);
  print("spread_messages", kSpreadMessages);
  print("spread_lost", lost);
  print("spread_doubled", doubled);
  print("spread_p50_ms", quantile(latency, 0.5));
  print("spread_p99_ms", quantile(latency, 0.99));
  print("spread_max_ms", quantile(latency, 1.0));
  print("spread_excess_p50_ms", quantile(excess, 0.5));
  print("spread_excess_p99_ms", quantile(excess, 0.99));
  print("spread_ratio_p50", quantile(ratio, 0.5));
  print("spread_ratio_p99", quantile(ratio, 0.99));
  print("per_message_bytes_per_node", static_cast<double>(sent.bytes) / per);
  print("per_message_copies_per_node", static_cast<double>(sent.copies) / per);
  print("per_message_rpcs_per_node", static_cast<double>(sent.rpcs) / per);
  std::printf("spread_ms=");
  for (std::size_t i = 0; i < latency.size(); ++i) std::printf(i ? ",%.2f" : "%.2f", latency[i]);
  std::printf("\n");
  return lost + doubled;
}

// Real signed adverts (wire/advert), `count` agents on node `node`.
std::vector<std::string> adverts_of(Sim& sim, std::size_t node, std::size_t count) {
  std::vector<std::string> out;
  const auto addr = core::Multiaddr::parse("/ip4/10." + std::to_string(node / 65536 % 256) + "." +
                                           std::to_string(node / 256 % 256) + "." + std::to_string(node % 256) +
                                           "/tcp/4001");
  for (std::size_t a = 0; a < count; ++a) {
    wire::advert::Advert advert(sim.node(node).id);
    advert.addrs = {*addr};
    advert.capabilities = {"translate", "summarize"};
    advert.display_name = "agent-" + std::to_string(node) + "-" + std::to_string(a);
    advert.seq = 1;
    advert.expires_ms = kUnixEpochMs + 180'000;
    wire::advert::sign(advert, crypto::SigningKey::generate());
    out.push_back(wire::advert::encode(advert));
  }
  return out;
}

// Phase 3. Returns the messages lost plus those delivered twice.
int directory_phase(Sim& sim, std::size_t agents, int window_s) {
  const auto n = sim.size();
  std::vector<std::vector<std::string>> adverts(n);
  std::size_t advert_bytes = 0;
  for (std::size_t i = 0; i < n; ++i) {
    adverts[i] = adverts_of(sim, i, agents / n + (i < agents % n ? 1 : 0));
    for (const auto& a : adverts[i]) advert_bytes += a.size();
  }
  struct Action {
    Time at;
    std::size_t node;
    bool round;  // the node's adverts, or a beacon
  };
  const auto t0 = sim.now();
  const auto window = std::chrono::seconds(window_s);
  std::vector<Action> actions;
  for (std::size_t i = 0; i < n; ++i) {
    const auto round_at = t0 + std::chrono::microseconds(60'000'000LL * static_cast<long long>(i) /
                                                         static_cast<long long>(n));
    if (round_at < t0 + window) actions.push_back({round_at, i, true});
    for (int s = 0; s < window_s; ++s) {
      actions.push_back({t0 + std::chrono::seconds(s) +
                             std::chrono::microseconds(1'000'000LL * static_cast<long long>(i) /
                                                       static_cast<long long>(n)),
                         i, false});
    }
  }
  std::sort(actions.begin(), actions.end(), [](const Action& a, const Action& b) { return a.at < b.at; });
  std::map<pubsub::MessageId, int> count;
  // Each node's directory and liveness detector, fed what it receives as node/directory.cpp does.
  std::vector<registry::Directory> directories(n);
  std::vector<registry::Liveness> liveness(n);
  std::uint64_t not_upserted = 0;
  const auto unix_ms = [&] {
    return kUnixEpochMs + std::chrono::duration_cast<std::chrono::milliseconds>(sim.now() - sim.start()).count();
  };
  sim.set_on_deliver([&](std::size_t node, const pubsub::MessageId& id, const wire::pubsub::Message& m,
                         const core::PeerId& author) {
    if (m.topic == wire::advert::kBeaconTopic) {
      ++count[id];
      liveness[node].heard(author, unix_ms());
      return;
    }
    if (m.topic != wire::advert::kTopic || !m.data) return;
    ++count[id];
    auto advert = wire::advert::decode(
        {reinterpret_cast<const std::uint8_t*>(m.data->data()), m.data->size()});
    if (!advert) {
      ++not_upserted;
      return;
    }
    registry::DirectoryEntry e(advert->peer);
    e.agent = core::AgentId::from_array(advert->agent);
    e.addrs = std::move(advert->addrs);
    e.capabilities = std::move(advert->capabilities);
    e.display_name = std::move(advert->display_name);
    e.seq = advert->seq;
    e.expires_ms = static_cast<std::int64_t>(advert->expires_ms);
    e.last_seen_ms = unix_ms();
    const auto upsert = directories[node].upsert(std::move(e));
    not_upserted += upsert != registry::Directory::Upsert::added && upsert != registry::Directory::Upsert::updated;
  });
  std::vector<Sent> before(n);
  for (std::size_t i = 0; i < n; ++i) before[i] = sim.node(i).sent;
  const auto over_limit_before = sim.ihave_over_limit();
  std::size_t published_adverts = 0, published_beacons = 0;
  std::vector<bool> published_by(n, false);
  std::vector<pubsub::MessageId> mine;
  for (const auto& a : actions) {
    sim.run_until(a.at);
    if (!a.round) {
      mine.push_back(sim.publish(a.node, std::string(wire::advert::kBeaconTopic), std::string()));
      ++published_beacons;
      continue;
    }
    published_by[a.node] = true;
    for (const auto& advert : adverts[a.node]) {
      mine.push_back(sim.publish(a.node, std::string(wire::advert::kTopic), advert));
      ++published_adverts;
    }
  }
  sim.run_until(t0 + window);
  std::vector<double> bytes_per_min, copies_per_min;
  const double scale = 60.0 / window_s;
  for (std::size_t i = 0; i < n; ++i) {
    const auto d = since(sim.node(i).sent, before[i]);
    bytes_per_min.push_back(static_cast<double>(d.bytes) * scale);
    copies_per_min.push_back(static_cast<double>(d.copies) * scale);
  }
  const auto over_limit = sim.ihave_over_limit() - over_limit_before;
  sim.run_until(sim.now() + 1s);  // the last beacons arrive
  // Presence as each node judges it now: every daemon that beaconed online.
  std::uint64_t not_online = 0;
  const auto now_ms = unix_ms();
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      if (i != j && liveness[i].presence(sim.node(j).id, now_ms) != registry::Presence::online) ++not_online;
    }
  }
  sim.run_until(sim.now() + 9s);  // what was sent last arrives
  sim.set_on_deliver({});
  // Every node's directory holds every advert the others published.
  std::uint64_t missing_entries = 0;
  double entries = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t others = 0;
    for (std::size_t j = 0; j < n; ++j) {
      if (j != i && published_by[j]) others += adverts[j].size();
    }
    missing_entries += others - std::min(others, directories[i].size());
    entries += static_cast<double>(directories[i].size()) / static_cast<double>(n);
  }
  int lost = 0, doubled = 0;
  for (const auto& id : mine) {
    const auto it = count.find(id);
    const int got = it == count.end() ? 0 : it->second;
    lost += std::max(0, static_cast<int>(n) - 1 - got);
    doubled += std::max(0, got - (static_cast<int>(n) - 1));
  }
  double mean_bytes = 0, mean_copies = 0;
  for (std::size_t i = 0; i < n; ++i) {
    mean_bytes += bytes_per_min[i] / static_cast<double>(n);
    mean_copies += copies_per_min[i] / static_cast<double>(n);
  }
  print("dir_agents", static_cast<double>(agents));
  print("dir_window_s", window_s);
  print("dir_advert_bytes", static_cast<double>(advert_bytes) / static_cast<double>(std::max<std::size_t>(1, agents)));
  print("dir_adverts_published", static_cast<double>(published_adverts));
  print("dir_beacons_published", static_cast<double>(published_beacons));
  print("dir_lost", lost);
  print("dir_doubled", doubled);
  print("dir_bytes_per_node_per_min", mean_bytes);
  print("dir_bytes_per_node_per_min_p99", quantile(bytes_per_min, 0.99));
  print("dir_bytes_per_node_per_min_max", quantile(bytes_per_min, 1.0));
  print("dir_copies_per_node_per_min", mean_copies);
  print("dir_ihave_over_limit", static_cast<double>(over_limit));
  print("dir_entries_per_node", entries);
  print("dir_missing_entries", static_cast<double>(missing_entries));
  print("dir_not_upserted", static_cast<double>(not_upserted));
  print("dir_presence_not_online", static_cast<double>(not_online));
  if (missing_entries + not_upserted + not_online > 0) {
    std::fprintf(stderr, "scale_sim: directories incomplete: %llu entries missing, %llu adverts not taken, %llu "
                 "presences not online\n", static_cast<unsigned long long>(missing_entries),
                 static_cast<unsigned long long>(not_upserted), static_cast<unsigned long long>(not_online));
  }
  return lost + doubled + static_cast<int>(missing_entries + not_upserted + not_online);
}

// Phase 4. Returns the messages not accepted or not delivered exactly once.
int direct_phase(Sim& sim, std::mt19937_64& rng) {
  constexpr int kMessages = 500;
  constexpr auto kGap = 20ms;  // 50 a second
  const auto n = sim.size();
  const auto unix_ms = [&] {
    return kUnixEpochMs + std::chrono::duration_cast<std::chrono::milliseconds>(sim.now() - sim.start()).count();
  };
  // One agent per daemon; a daemon's outbox and ack tracker, its pair keys, its dedup rows.
  struct Daemon {
    std::unique_ptr<crypto::SigningKey> agent;
    core::AgentId agent_id;
    std::unique_ptr<direct::AckTracker> tracker;
    direct::PairKeyCache keys;
    std::set<std::pair<core::AgentId, core::RequestId>> dedup;
    std::uint64_t seq = 0;
    std::uint64_t bytes = 0;
    std::set<std::size_t> dialed;
  };
  std::vector<Daemon> daemons(n);
  std::map<core::AgentId, std::size_t> host_of;
  for (std::size_t i = 0; i < n; ++i) {
    auto& d = daemons[i];
    d.agent = std::make_unique<crypto::SigningKey>(crypto::SigningKey::generate());
    d.agent_id = d.agent->agent_id();
    host_of.emplace(d.agent_id, i);
    d.tracker = std::make_unique<direct::AckTracker>(
        direct::AckTrackerConfig{},
        [&](const core::AgentId& recipient) {
          const auto it = host_of.find(recipient);
          if (it == host_of.end()) return direct::Route{};
          return direct::Route{sim.node(it->second).id, true};
        },
        i + 1);
  }
  std::map<core::RequestId, std::pair<Time, int>> sent_at;  // when sent, deliveries
  std::vector<double> latency, over_rtt;
  std::uint64_t accepted = 0, not_accepted = 0, attempt_failures = 0, not_authenticated = 0;
  const direct::ReceiverConfig receiver;

  std::function<void(std::size_t, direct::AckTracker::Actions)> perform;
  // The recipient's daemon r gets an envelope from daemon s: checked, deduplicated, acked.
  const auto receive = [&](std::size_t r, std::size_t s, std::string encoded) {
    auto& d = daemons[r];
    const auto hosted = [&](const core::AgentId& a) { return a == d.agent_id ? d.agent.get() : nullptr; };
    auto got = direct::check_envelope({reinterpret_cast<const std::uint8_t*>(encoded.data()), encoded.size()},
                                      static_cast<std::uint64_t>(unix_ms()), receiver, hosted, d.keys);
    if (!got) {
      ++not_authenticated;
      return;
    }
    const auto sender = core::AgentId::from_array(got->envelope.sender);
    const auto id = core::RequestId::from_array(got->envelope.request_id);
    wire::direct::Ack ack;
    ack.request_id = got->envelope.request_id;
    ack.sender = got->envelope.sender;
    ack.recipient = got->envelope.recipient;
    if (d.dedup.emplace(sender, id).second) {
      ++sent_at.at(id).second;
      ack.seq = ++d.seq;
    } else {
      ack.outcome = wire::direct::Outcome::duplicate;
    }
    direct::mac_ack(ack, d.keys.get(*d.agent, sender)->send);
    auto bytes = wire::direct::encode(ack);
    d.bytes += bytes.size();
    sim.at(sim.now() + sim.delay(r, s), [&, s, bytes = std::move(bytes)] {
      auto& back = daemons[s];
      auto decoded = wire::direct::decode_ack({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
      if (!decoded) return;
      const auto keys = back.keys.get(*back.agent, core::AgentId::from_array(decoded->recipient));
      const bool verified = keys && direct::verify_ack(*decoded, keys->receive);
      perform(s, back.tracker->on_ack(*decoded, verified, direct::Path::direct, unix_ms()));
    });
  };
  perform = [&](std::size_t s, direct::AckTracker::Actions actions) {
    auto& d = daemons[s];
    for (auto& a : actions) {
      switch (a.kind) {
        case direct::Action::Kind::send_direct: {
          const auto* rec = d.tracker->find(a.id);
          const auto r = host_of.at(rec->recipient);
          wire::direct::Envelope env;
          std::copy_n(rec->request_id.span().begin(), 16, env.request_id.begin());
          std::copy_n(rec->sender.span().begin(), 32, env.sender.begin());
          std::copy_n(rec->recipient.span().begin(), 32, env.recipient.begin());
          env.sender_peer = sim.node(s).id.multihash();
          env.created_ms = static_cast<std::uint64_t>(rec->created_ms);
          env.expires_ms = static_cast<std::uint64_t>(rec->expires_ms);
          wire::direct::Body body;
          body.payload = rec->content.body;
          body.content_type = rec->content.content_type;
          direct::seal(env, body, d.keys.get(*d.agent, rec->recipient)->send);
          auto bytes = wire::direct::encode(env);
          d.bytes += bytes.size();
          d.dialed.insert(r);
          d.tracker->sent(a.id, unix_ms());
          sim.at(sim.now() + sim.delay(s, r), [&, r, s, bytes = std::move(bytes)] { receive(r, s, bytes); });
          break;
        }
        case direct::Action::Kind::send_gossip:  // only after the direct path failed, which it does not here
          perform(s, d.tracker->failed(a.id, {direct::Failure::no_route, "not simulated"}, unix_ms()));
          break;
        case direct::Action::Kind::persist:
          ++attempt_failures;
          break;
        case direct::Action::Kind::finish: {
          if (a.outcome.state != direct::MessageState::accepted) {
            ++not_accepted;
            break;
          }
          ++accepted;
          const auto s_at = sent_at.at(a.id).first;
          const auto r = host_of.at(a.record.recipient);
          const auto took = std::chrono::duration_cast<std::chrono::microseconds>(sim.now() - s_at);
          latency.push_back(ms(took));
          const auto rtt = 2 * sim.delay(s, r);
          over_rtt.push_back(static_cast<double>(took.count()) / static_cast<double>(rtt.count()));
          break;
        }
      }
    }
  };
  // Each daemon's tracker ticks every 100 ms, as its timer would (deadlines, retries), until nothing is pending
  // (no event of this phase outlives it).
  bool sending = true;
  std::function<void()> tick_all = [&] {
    bool pending = false;
    for (std::size_t i = 0; i < n; ++i) {
      if (daemons[i].tracker->size() == 0) continue;
      perform(i, daemons[i].tracker->tick(unix_ms()));
      pending = true;
    }
    if (sending || pending) sim.at(sim.now() + 100ms, tick_all);
  };
  sim.at(sim.now() + 100ms, tick_all);

  std::uniform_int_distribution<std::size_t> pick(0, n - 1);
  const auto t0 = sim.now();
  for (int k = 0; k < kMessages; ++k) {
    sim.run_until(t0 + k * kGap);
    const auto s = pick(rng);
    auto r = pick(rng);
    while (r == s) r = pick(rng);
    store::OutboxRecord rec;
    rec.request_id = crypto::new_request_id();
    rec.sender = daemons[s].agent_id;
    rec.recipient = daemons[r].agent_id;
    rec.created_ms = unix_ms();
    rec.expires_ms = rec.created_ms + 120'000;
    rec.next_attempt_ms = rec.created_ms;
    rec.content.body = std::string(256, 'x');
    rec.content.content_type = "text/plain";
    sent_at.emplace(rec.request_id, std::make_pair(sim.now(), 0));
    daemons[s].tracker->add(std::move(rec));
    perform(s, daemons[s].tracker->tick(unix_ms()));
  }
  sending = false;
  sim.run_until(sim.now() + 10s);
  int delivered_once = 0, doubled = 0;
  for (const auto& [id, at] : sent_at) {
    delivered_once += at.second == 1;
    doubled += at.second > 1;
  }
  double bytes = 0, dialed = 0;
  for (const auto& d : daemons) {
    bytes += static_cast<double>(d.bytes);
    dialed += static_cast<double>(d.dialed.size()) / static_cast<double>(n);
  }
  print("direct_messages", kMessages);
  print("direct_accepted", static_cast<double>(accepted));
  print("direct_delivered_once", delivered_once);
  print("direct_doubled", doubled);
  print("direct_attempt_failures", static_cast<double>(attempt_failures));
  print("direct_p50_ms", quantile(latency, 0.5));
  print("direct_p99_ms", quantile(latency, 0.99));
  print("direct_round_trips_p99", quantile(over_rtt, 0.99));
  print("direct_bytes_per_message", bytes / kMessages);
  print("direct_peers_dialed_per_node", dialed);
  const auto bad = static_cast<int>(kMessages - accepted) + (kMessages - delivered_once) +
                   static_cast<int>(not_authenticated);
  if (bad > 0) {
    std::fprintf(stderr, "scale_sim: direct messages: %llu accepted, %d delivered once, %d twice, %llu not "
                 "authenticated, of %d\n", static_cast<unsigned long long>(accepted), delivered_once, doubled,
                 static_cast<unsigned long long>(not_authenticated), kMessages);
  }
  return bad;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: scale_sim NODES [AGENTS] [WINDOW_SECONDS] [SEED]\n");
    return 2;
  }
  const auto nodes = static_cast<std::size_t>(std::stoul(argv[1]));
  const auto agents = argc > 2 ? static_cast<std::size_t>(std::stoul(argv[2])) : 10'000;
  const int window_s = argc > 3 ? std::stoi(argv[3]) : 2;
  const auto seed = argc > 4 ? std::stoull(argv[4]) : 1;
  if (nodes < 2 || window_s < 1) {
    std::fprintf(stderr, "scale_sim: NODES must be at least 2 and WINDOW_SECONDS at least 1\n");
    return 2;
  }
  const auto wall = Clock::now();
  std::mt19937_64 rng(seed);
  Sim sim(nodes, seed);
  sim.connect_random();
  const std::array<std::string, 3> topics{std::string(wire::advert::kTopic), std::string(wire::advert::kBeaconTopic),
                                          kSpreadTopic};
  for (std::size_t i = 0; i < nodes; ++i) {
    for (const auto& topic : topics) sim.node(i).router->join(topic, sim.now());
  }
  sim.run_until(sim.now() + 10s);
  std::size_t links = 0, mesh = 0;
  for (std::size_t i = 0; i < nodes; ++i) {
    links += sim.node(i).links.size();
    mesh += sim.node(i).router->mesh(kSpreadTopic).size();
  }
  print("nodes", static_cast<double>(nodes));
  print("connections_per_node", static_cast<double>(links) / static_cast<double>(nodes));
  print("mesh_per_node", static_cast<double>(mesh) / static_cast<double>(nodes));
  int anomalies = spread_phase(sim, rng);
  anomalies += directory_phase(sim, agents, window_s);
  anomalies += direct_phase(sim, rng);
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  print("sim_wall_s", std::chrono::duration<double>(Clock::now() - wall).count());
  print("sim_max_rss_mb", static_cast<double>(usage.ru_maxrss) / 1024.0);
  if (anomalies > 0) std::fprintf(stderr, "scale_sim: %d messages lost or delivered twice\n", anomalies);
  return anomalies > 0 ? 1 : 0;
}
