#pragma once
// Router: gossipsub v1.1 (/meshsub/1.1.0) as a sans-I/O state machine. It is
// fed peers, RPCs and heartbeats with the current time and sends RPCs through
// the Send callback; it never touches a socket or a clock. The daemon drives
// it from the transport (one meshsub stream per peer each way); tests drive it
// with an in-memory network and a manual clock (tests/sim/).
//
// What it does (spec: libp2p/specs pubsub/gossipsub v1.0 and v1.1;
// docs/wire/pubsub.md):
//   - subscriptions: announces ours to every peer, tracks each peer's topics;
//   - mesh per joined topic, kept within [D_low, D_high] at each heartbeat with
//     at least D_out outbound peers; GRAFT/PRUNE with backoff (PRUNE carries
//     the backoff; a GRAFT during backoff is answered with PRUNE);
//   - fanout for topics we publish on without joining, forgotten after
//     fanout_ttl;
//   - message handling: StrictSign validation, seen cache, the application
//     validator (accept / reject / ignore), forwarding to the mesh except the
//     sender and the author, the message cache;
//   - gossip: IHAVE of the last mcache_gossip windows to D_lazy (or
//     gossip_factor of the) non-mesh topic peers; IWANT for unseen ids within
//     per-peer per-heartbeat limits; IWANT answered from the cache within the
//     retransmission cap; one promise tracked per IHAVE (broken promises are
//     counted);
//   - flood publishing of our own messages to every topic peer.
//
//   - peer scoring v1.1 (score.hpp): RPCs from graylisted peers are ignored;
//     gossip to and from peers below the gossip threshold is skipped; our
//     messages go only to peers at or above the publish threshold; negative
//     peers are pruned and never grafted; the mesh keeps its D_score best when
//     it shrinks; opportunistic grafting when the median mesh score is low;
//     invalid messages (P4), broken promises and GRAFTs during backoff (P7)
//     lower a peer's score, first deliveries (P2) and time in mesh (P1) raise it.
//
// Threading: none; the owner calls it from one thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/peer_id.hpp"
#include "core/result.hpp"
#include "pubsub/config.hpp"
#include "pubsub/message.hpp"
#include "pubsub/message_cache.hpp"
#include "pubsub/score.hpp"
#include "pubsub/seen_cache.hpp"
#include "wire/pubsub.hpp"

namespace agentmesh::pubsub {

struct RouterCounters {
  std::uint64_t published = 0;       // our own messages
  std::uint64_t delivered = 0;       // accepted messages on joined topics
  std::uint64_t duplicates = 0;
  std::uint64_t invalid = 0;         // failed signature or size checks, or rejected by the validator
  std::uint64_t ignored = 0;         // the validator said ignore
  std::uint64_t forwarded = 0;       // message copies sent to mesh peers
  std::uint64_t ihave_sent = 0, ihave_received = 0;
  std::uint64_t iwant_sent = 0, iwant_received = 0;
  std::uint64_t graft_sent = 0, graft_received = 0;
  std::uint64_t prune_sent = 0, prune_received = 0;
  std::uint64_t ihave_over_limit = 0;  // IHAVE ignored: per-heartbeat limits
  std::uint64_t iwant_over_cap = 0;    // IWANT not served: retransmission cap
  std::uint64_t broken_promises = 0;
  std::uint64_t graft_in_backoff = 0;
  std::uint64_t graylisted_rpcs = 0;  // RPCs ignored: the sender's score is below graylist
  std::uint64_t pruned_for_score = 0;
  std::uint64_t px_sent = 0;          // peers offered in our PRUNEs
  std::uint64_t px_received = 0;      // peers offered to us, from peers we accept PX from
  std::uint64_t px_ignored = 0;       // peers offered by peers scoring below accept_px
};

class Router {
 public:
  using Time = std::chrono::steady_clock::time_point;
  using Send = std::function<void(const core::PeerId& to, wire::pubsub::Rpc rpc)>;
  // An accepted message on a joined topic: its id, the peer it came from and
  // its author.
  using Deliver = std::function<void(const MessageId& id, const wire::pubsub::Message& message,
                                     const core::PeerId& from, const core::PeerId& author)>;
  using Validator = std::function<Validation(const core::PeerId& from, const wire::pubsub::Message& message)>;

  Router(core::PeerId self, GossipConfig config, Send send, std::uint64_t seed);

  void set_deliver(Deliver deliver) { deliver_ = std::move(deliver); }
  // Runs after the signature checks, for every message of every topic.
  void set_validator(Validator validator) { validator_ = std::move(validator); }

  // A peer with a meshsub stream. `outbound`: we dialed its connection.
  // `ip`: its address, for the IP colocation score (empty when unknown).
  void add_peer(const core::PeerId& peer, bool outbound, Time now, const std::string& ip = {});
  void remove_peer(const core::PeerId& peer, Time now);
  void on_rpc(const core::PeerId& from, const wire::pubsub::Rpc& rpc, Time now);
  // For the decoder's filter (wire::pubsub::decode): true when `from`'s copy
  // of a message carries an id already in the seen cache. It is then counted
  // as a duplicate, exactly as on_rpc() would count it, and need not be
  // decoded. An id that is not in the canonical Ed25519 form, or not seen,
  // returns false and takes the full path.
  bool drop_seen(const core::PeerId& from, const wire::pubsub::MessageView& message);

  // A message that `from` replayed to us (topic replay, not gossip): checked
  // like a gossiped one (seen cache first, StrictSign, size, the validator)
  // and marked seen, but neither delivered through set_deliver(), forwarded,
  // cached for gossip nor scored. Returns its author; error::duplicate when
  // it was seen already.
  Result<core::PeerId> accept_replayed(const core::PeerId& from, const wire::pubsub::Message& message, Time now);

  void join(const std::string& topic, Time now);
  void leave(const std::string& topic, Time now);
  // Publishes our own message. REQUIRES: pubsub::sign() with this router's
  // key (the fields are checked, the signature is not re-verified; error
  // bad_author when `from` is another peer). Returns how many peers it went
  // to. A message we have already published is not sent again.
  Result<std::size_t> publish(const wire::pubsub::Message& message, Time now);

  void heartbeat(Time now);

  // --- introspection ---
  std::vector<core::PeerId> mesh(const std::string& topic) const;
  std::vector<core::PeerId> fanout(const std::string& topic) const;
  std::vector<core::PeerId> topic_peers(const std::string& topic) const;
  std::vector<std::string> joined() const { return {joined_.begin(), joined_.end()}; }
  // Peer exchange: the signed peer record we can forward for a peer (none:
  // its id alone is offered), and what to do with peers offered to us.
  void set_px_record(std::function<std::optional<std::string>(const core::PeerId&)> f) { px_record_ = std::move(f); }
  void set_on_px(std::function<void(const core::PeerId& from, const std::vector<wire::pubsub::PrunePeer>&)> f) {
    on_px_ = std::move(f);
  }
  // Called when a peer announces a subscription it did not have.
  void set_on_subscribe(std::function<void(const core::PeerId&, const std::string&)> f) { on_subscribe_ = std::move(f); }
  bool is_joined(const std::string& topic) const { return joined_.contains(topic); }
  // Topics some peer is subscribed to.
  std::vector<std::string> peer_topics() const {
    std::vector<std::string> out;
    for (const auto& [t, peers] : topics_) out.push_back(t);
    return out;
  }
  std::vector<core::PeerId> peers() const;
  bool in_backoff(const std::string& topic, const core::PeerId& peer, Time now) const;
  double score(const core::PeerId& peer, Time now) const { return score_.score(peer, now); }
  const RouterCounters& counters() const { return counters_; }
  std::size_t seen_size() const { return seen_.size(); }
  std::size_t cache_size() const { return mcache_.size(); }

 private:
  struct PeerState {
    bool outbound = false;
    std::set<std::string> topics;
    // Per topic it subscribed to: the message cache's serial then (mesh_add
    // offers what arrived after it).
    std::map<std::string, std::uint64_t> subscribed_at;
    std::size_t ihaves_this_heartbeat = 0;
    std::size_t ids_asked_this_heartbeat = 0;
  };

  wire::pubsub::Rpc& out(const core::PeerId& peer) { return pending_[peer]; }
  void flush();
  void handle_subscription(const core::PeerId& from, const wire::pubsub::SubOpt& sub, Time now);
  void handle_message(const core::PeerId& from, const wire::pubsub::Message& message, Time now);
  void handle_ihave(const core::PeerId& from, const wire::pubsub::IHave& ihave, Time now);
  void handle_iwant(const core::PeerId& from, const wire::pubsub::IWant& iwant, Time now);
  void handle_graft(const core::PeerId& from, const wire::pubsub::Graft& graft, Time now);
  void handle_prune(const core::PeerId& from, const wire::pubsub::Prune& prune, Time now);
  void send_graft(const core::PeerId& peer, const std::string& topic);
  // `px`: offer other topic peers (peer exchange) if config.do_px.
  void send_prune(const core::PeerId& peer, const std::string& topic, std::chrono::milliseconds backoff, Time now,
                  bool px);
  // Queues `message` for the mesh of `topic`, except `from` and `author`.
  void forward(const std::string& topic, const wire::pubsub::EncodedMessage& message, const core::PeerId& from,
               const core::PeerId& author);
  void maintain_mesh(const std::string& topic, Time now);
  void maintain_fanout(Time now);
  void emit_gossip(Time now);
  void check_promises(Time now);
  // Topic peers not in `exclude`, not in backoff, scoring at least `min_score`,
  // shuffled.
  std::vector<core::PeerId> candidates(const std::string& topic, const std::set<core::PeerId>& exclude, Time now,
                                       double min_score, bool need_outbound = false) const;
  void mesh_add(const std::string& topic, const core::PeerId& peer, Time now);
  void mesh_remove(const std::string& topic, const core::PeerId& peer, Time now);
  void opportunistic_graft(const std::string& topic, Time now);
  // The ids an IHAVE for `topic` offers: the gossip window's (those that
  // arrived after serial `after`), at most max_ihave_length drawn at random.
  std::vector<std::string> ihave_ids(const std::string& topic, std::uint64_t after = 0);
  template <class C>
  void shuffle(C& c) {
    std::shuffle(c.begin(), c.end(), rng_);
  }

  core::PeerId self_;
  GossipConfig config_;
  Send send_;
  Deliver deliver_;
  Validator validator_;
  mutable std::mt19937_64 rng_;  // peer selection; seeded for reproducible simulations

  std::unordered_map<core::PeerId, PeerState> peers_;
  std::map<std::string, std::set<core::PeerId>> topics_;  // topic -> peers subscribed to it
  std::set<std::string> joined_;
  std::map<std::string, std::set<core::PeerId>> mesh_;
  std::map<std::string, std::set<core::PeerId>> fanout_;
  std::map<std::string, Time> fanout_last_publish_;
  std::map<std::pair<std::string, core::PeerId>, Time> backoff_;  // (topic, peer) -> until
  std::unordered_map<MessageId, std::map<core::PeerId, Time>> promises_;  // id -> peer -> deadline
  SeenCache seen_;
  std::function<void(const core::PeerId&, const std::string&)> on_subscribe_;
  std::function<std::optional<std::string>(const core::PeerId&)> px_record_;
  std::function<void(const core::PeerId&, const std::vector<wire::pubsub::PrunePeer>&)> on_px_;
  MessageCache mcache_;
  PeerScore score_;
  std::unordered_map<core::PeerId, wire::pubsub::Rpc> pending_;
  std::uint64_t heartbeats_ = 0;
  RouterCounters counters_;
};

}  // namespace agentmesh::pubsub
