// Router: peers, subscriptions, messages and control messages.
// The heartbeat (mesh and fanout maintenance, gossip): router_heartbeat.cpp.

#include "pubsub/router.hpp"

#include <algorithm>
#include <array>

#include "pubsub/error.hpp"

namespace agentmesh::pubsub {

Router::Router(core::PeerId self, GossipConfig config, Send send, std::uint64_t seed)
    : self_(self),
      config_(config),
      send_(std::move(send)),
      rng_(seed),
      seen_(config.seen_ttl),
      mcache_(config.mcache_len, config.mcache_gossip),
      score_(config.score) {}

void Router::flush() {
  auto pending = std::exchange(pending_, {});
  for (auto& [peer, rpc] : pending) {
    if (!rpc.empty() && peers_.contains(peer)) send_(peer, std::move(rpc));
  }
}

void Router::add_peer(const core::PeerId& peer, bool outbound, Time now, const std::string& ip) {
  auto& state = peers_[peer];
  state.outbound = outbound;
  score_.add_peer(peer, ip, now);
  auto& rpc = out(peer);
  for (const auto& topic : joined_) rpc.subscriptions.push_back({true, topic});
  flush();
}

void Router::remove_peer(const core::PeerId& peer, Time now) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return;
  score_.remove_peer(peer, now);  // keeps its counters for retain_score
  for (const auto& topic : it->second.topics) {
    if (auto t = topics_.find(topic); t != topics_.end()) {
      t->second.erase(peer);
      if (t->second.empty()) topics_.erase(t);
    }
  }
  for (auto& [topic, members] : mesh_) members.erase(peer);
  for (auto& [topic, members] : fanout_) members.erase(peer);
  for (auto& [id, waiting] : promises_) waiting.erase(peer);
  pending_.erase(peer);
  peers_.erase(it);
}

void Router::on_rpc(const core::PeerId& from, const wire::pubsub::Rpc& rpc, Time now) {
  if (!peers_.contains(from)) return;
  if (score_.score(from, now) < score_.thresholds().graylist) {
    ++counters_.graylisted_rpcs;
    return;
  }
  for (const auto& sub : rpc.subscriptions) handle_subscription(from, sub, now);
  for (const auto& m : rpc.publish) handle_message(from, m, now);
  for (const auto& g : rpc.control.graft) handle_graft(from, g, now);
  for (const auto& p : rpc.control.prune) handle_prune(from, p, now);
  for (const auto& ih : rpc.control.ihave) handle_ihave(from, ih, now);
  for (const auto& iw : rpc.control.iwant) handle_iwant(from, iw, now);
  flush();
}

bool Router::drop_seen(const core::PeerId& from, const wire::pubsub::MessageView& message) {
  // An Ed25519 author's `from` is the identity multihash of its PublicKey
  // protobuf (0x00, 36, the 36 bytes): the id is those bytes || seqno.
  constexpr std::size_t kKeyBytes = 36;
  const auto& f = message.from;
  const auto& seqno = message.seqno;
  if (!f || !seqno || f->size() != kKeyBytes + 2 || (*f)[0] != 0 || (*f)[1] != kKeyBytes ||
      seqno->size() != wire::pubsub::kSeqnoSize || !peers_.contains(from)) {
    return false;
  }
  std::array<char, kKeyBytes + wire::pubsub::kSeqnoSize> id{};
  std::copy(f->begin() + 2, f->end(), id.begin());
  std::copy(seqno->begin(), seqno->end(), id.begin() + kKeyBytes);
  const std::string_view id_view(id.data(), id.size());
  if (!seen_.contains(id_view)) return false;
  ++counters_.duplicates;
  if (!promises_.empty()) {
    if (auto p = promises_.find(std::string(id_view)); p != promises_.end()) promises_.erase(p);
  }
  return true;
}

void Router::handle_subscription(const core::PeerId& from, const wire::pubsub::SubOpt& sub, Time now) {
  auto& state = peers_[from];
  if (sub.subscribe) {
    if (state.topics.insert(sub.topic).second) state.subscribed_at[sub.topic] = mcache_.serial();
    if (topics_[sub.topic].insert(from).second && on_subscribe_) on_subscribe_(from, sub.topic);
    return;
  }
  state.topics.erase(sub.topic);
  state.subscribed_at.erase(sub.topic);
  if (auto t = topics_.find(sub.topic); t != topics_.end()) {
    t->second.erase(from);
    if (t->second.empty()) topics_.erase(t);
  }
  mesh_remove(sub.topic, from, now);
  if (auto f = fanout_.find(sub.topic); f != fanout_.end()) f->second.erase(from);
}

void Router::handle_message(const core::PeerId& from, const wire::pubsub::Message& message, Time now) {
  // Seen before (and verified then): a duplicate, with no second signature check.
  auto claimed = claimed_message_id(message);
  if (claimed && seen_.contains(*claimed)) {
    ++counters_.duplicates;
    if (auto p = promises_.find(*claimed); p != promises_.end()) promises_.erase(p);
    return;
  }
  auto author = claimed ? verify(message) : Result<core::PeerId>(claimed.error());
  if (!author) {
    ++counters_.invalid;
    if (message.topic) score_.invalid_delivery(from, *message.topic);
    return;
  }
  const auto& id = *claimed;
  if (auto p = promises_.find(id); p != promises_.end()) promises_.erase(p);  // promise kept, by anyone
  seen_.add(id, now);
  if (*author == self_) return;  // our own message coming back
  if (message.data && message.data->size() > config_.max_message_bytes) {
    ++counters_.invalid;
    score_.invalid_delivery(from, *message.topic);
    return;
  }
  if (validator_) {
    switch (validator_(from, message)) {
      case Validation::reject:
        ++counters_.invalid;
        score_.invalid_delivery(from, *message.topic);
        return;
      case Validation::ignore:
        ++counters_.ignored;
        return;
      case Validation::accept:
        break;
    }
  }
  const auto& topic = *message.topic;
  score_.first_delivery(from, topic);
  if (!joined_.contains(topic)) return;  // not ours: neither delivered nor forwarded
  // Encoded once: the cache (IWANT answers) and every mesh peer share it.
  auto encoded = wire::pubsub::encode_shared(message);
  mcache_.put(id, topic, encoded);
  ++counters_.delivered;
  if (deliver_) deliver_(id, message, from, *author);
  forward(topic, encoded, from, *author);
}

Result<core::PeerId> Router::accept_replayed(const core::PeerId& from, const wire::pubsub::Message& message,
                                             Time now) {
  auto claimed = claimed_message_id(message);
  if (!claimed) return claimed.error();
  if (seen_.contains(*claimed)) return error::duplicate;
  auto author = verify(message);
  if (!author) return author.error();
  if (message.data && message.data->size() > config_.max_message_bytes) return error::message_too_large;
  if (validator_ && validator_(from, message) != Validation::accept) return error::rejected;
  seen_.add(*claimed, now);
  return *author;
}

void Router::forward(const std::string& topic, const wire::pubsub::EncodedMessage& message, const core::PeerId& from,
                     const core::PeerId& author) {
  auto m = mesh_.find(topic);
  if (m == mesh_.end()) return;
  for (const auto& peer : m->second) {
    if (peer == from || peer == author) continue;
    out(peer).encoded_publish.push_back(message);
    ++counters_.forwarded;
  }
}

void Router::handle_ihave(const core::PeerId& from, const wire::pubsub::IHave& ihave, Time now) {
  ++counters_.ihave_received;
  if (score_.score(from, now) < score_.thresholds().gossip) return;
  auto& state = peers_[from];
  if (++state.ihaves_this_heartbeat > config_.max_ihave_messages ||
      state.ids_asked_this_heartbeat >= config_.max_ihave_length) {
    ++counters_.ihave_over_limit;
    return;
  }
  if (!joined_.contains(ihave.topic)) return;
  std::vector<std::string> wanted;
  for (const auto& id : ihave.message_ids) {
    if (!seen_.contains(id)) wanted.push_back(id);
  }
  if (wanted.empty()) return;
  shuffle(wanted);
  const std::size_t room = config_.max_ihave_length - state.ids_asked_this_heartbeat;
  if (wanted.size() > room) wanted.resize(room);
  state.ids_asked_this_heartbeat += wanted.size();
  // One promise per IHAVE: that peer must deliver this id within iwant_followup.
  promises_[wanted.front()].emplace(from, now + config_.iwant_followup);
  out(from).control.iwant.push_back({std::move(wanted)});
  ++counters_.iwant_sent;
}

void Router::handle_iwant(const core::PeerId& from, const wire::pubsub::IWant& iwant, Time now) {
  ++counters_.iwant_received;
  if (score_.score(from, now) < score_.thresholds().gossip) return;
  for (const auto& id : iwant.message_ids) {
    if (const auto* m = mcache_.get_for_peer(id, from, config_.max_iwant_retransmissions)) {
      out(from).encoded_publish.push_back(*m);
    } else if (mcache_.get(id)) {
      ++counters_.iwant_over_cap;
    }
  }
}

void Router::handle_graft(const core::PeerId& from, const wire::pubsub::Graft& graft, Time now) {
  ++counters_.graft_received;
  const auto& topic = graft.topic;
  if (!joined_.contains(topic)) return;  // v1.1: unknown topic, ignore (no PRUNE)
  auto& mesh = mesh_[topic];
  if (mesh.contains(from)) return;
  if (in_backoff(topic, from, now)) {
    ++counters_.graft_in_backoff;
    score_.penalty(from);  // P7: a GRAFT that ignores our PRUNE backoff
    send_prune(from, topic, config_.prune_backoff, now, false);
    return;
  }
  const auto& state = peers_[from];
  if (const double score = score_.score(from, now); score < 0 || (mesh.size() >= config_.d_high && !state.outbound)) {
    send_prune(from, topic, config_.prune_backoff, now, score >= 0);
    return;
  }
  mesh_add(topic, from, now);
}

void Router::handle_prune(const core::PeerId& from, const wire::pubsub::Prune& prune, Time now) {
  ++counters_.prune_received;
  mesh_remove(prune.topic, from, now);
  const auto backoff = prune.backoff_s ? std::chrono::milliseconds(*prune.backoff_s * 1000) : config_.prune_backoff;
  auto& until = backoff_[{prune.topic, from}];
  until = std::max(until, now + backoff);
  if (prune.peers.empty()) return;
  if (score_.score(from, now) < score_.thresholds().accept_px) {
    counters_.px_ignored += prune.peers.size();
    return;
  }
  counters_.px_received += prune.peers.size();
  if (!on_px_) return;
  if (prune.peers.size() <= config_.prune_peers) {
    on_px_(from, prune.peers);
  } else {
    on_px_(from, {prune.peers.begin(), prune.peers.begin() + static_cast<std::ptrdiff_t>(config_.prune_peers)});
  }
}

void Router::send_graft(const core::PeerId& peer, const std::string& topic) {
  out(peer).control.graft.push_back({topic});
  ++counters_.graft_sent;
}

void Router::send_prune(const core::PeerId& peer, const std::string& topic, std::chrono::milliseconds backoff,
                        Time now, bool px) {
  wire::pubsub::Prune p;
  p.topic = topic;
  p.backoff_s = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(backoff).count());
  if (px && config_.do_px) {
    // Other topic peers in good standing, in random order.
    std::vector<core::PeerId> offer;
    if (auto t = topics_.find(topic); t != topics_.end()) {
      for (const auto& q : t->second) {
        if (q != peer && score_.score(q, now) >= 0) offer.push_back(q);
      }
    }
    shuffle(offer);
    if (offer.size() > config_.prune_peers) offer.erase(offer.begin() + static_cast<std::ptrdiff_t>(config_.prune_peers), offer.end());
    for (const auto& q : offer) {
      wire::pubsub::PrunePeer pp;
      pp.peer_id = q.multihash();
      if (px_record_) {
        if (auto rec = px_record_(q)) pp.signed_peer_record = std::move(*rec);
      }
      p.peers.push_back(std::move(pp));
    }
    counters_.px_sent += p.peers.size();
  }
  out(peer).control.prune.push_back(std::move(p));
  ++counters_.prune_sent;
  auto& until = backoff_[{topic, peer}];
  until = std::max(until, now + backoff);
}

void Router::join(const std::string& topic, Time now) {
  if (!joined_.insert(topic).second) return;
  for (const auto& [peer, state] : peers_) out(peer).subscriptions.push_back({true, topic});
  auto& mesh = mesh_[topic];
  // Fanout peers first, then other topic peers.
  if (auto f = fanout_.find(topic); f != fanout_.end()) {
    for (const auto& p : f->second) {
      if (mesh.size() >= config_.d) break;
      if (!in_backoff(topic, p, now)) mesh.insert(p);
    }
    fanout_.erase(f);
    fanout_last_publish_.erase(topic);
  }
  for (const auto& p : candidates(topic, mesh, now, 0)) {
    if (mesh.size() >= config_.d) break;
    mesh.insert(p);
  }
  for (const auto& p : mesh) {
    score_.graft(p, topic, now);
    send_graft(p, topic);
  }
  flush();
}

void Router::leave(const std::string& topic, Time now) {
  if (!joined_.erase(topic)) return;
  for (const auto& [peer, state] : peers_) out(peer).subscriptions.push_back({false, topic});
  if (auto m = mesh_.find(topic); m != mesh_.end()) {
    for (const auto& p : m->second) {
      score_.prune(p, topic, now);
      send_prune(p, topic, config_.unsubscribe_backoff, now, true);
    }
    mesh_.erase(m);
  }
  flush();
}

Result<std::size_t> Router::publish(const wire::pubsub::Message& message, Time now) {
  // Our own message, signed by the caller: its fields are checked, not its
  // signature (a second Ed25519 operation per publish for nothing).
  auto claimed = claimed_message_id(message);
  if (!claimed) return claimed.error();
  if (!message.topic || !message.signature || !message.key) return error::unsigned_message;
  if (core::PeerId::from_multihash({reinterpret_cast<const std::uint8_t*>(message.from->data()), message.from->size()})
          .value() != self_) {
    return error::bad_author;
  }
  if (message.data && message.data->size() > config_.max_message_bytes) return error::message_too_large;
  const auto& id = *claimed;
  if (!seen_.add(id, now)) return std::size_t{0};
  const auto& topic = *message.topic;
  auto encoded = wire::pubsub::encode_shared(message);
  mcache_.put(id, topic, encoded);
  ++counters_.published;
  std::set<core::PeerId> to;
  if (config_.flood_publish) {
    if (auto t = topics_.find(topic); t != topics_.end()) {
      for (const auto& p : t->second) {
        if (score_.score(p, now) >= score_.thresholds().publish) to.insert(p);
      }
    }
  } else if (joined_.contains(topic)) {
    to = mesh_[topic];
  }
  if (!joined_.contains(topic)) {
    // Fanout: remembered for gossip, topped up to D.
    auto& fan = fanout_[topic];
    for (const auto& p : candidates(topic, fan, now, score_.thresholds().publish)) {
      if (fan.size() >= config_.d) break;
      fan.insert(p);
    }
    fanout_last_publish_[topic] = now;
    if (!config_.flood_publish) to = fan;
  }
  for (const auto& p : to) out(p).encoded_publish.push_back(encoded);
  flush();
  return to.size();
}

std::vector<core::PeerId> Router::candidates(const std::string& topic, const std::set<core::PeerId>& exclude,
                                             Time now, double min_score, bool need_outbound) const {
  std::vector<core::PeerId> out;
  auto t = topics_.find(topic);
  if (t == topics_.end()) return out;
  for (const auto& p : t->second) {
    if (exclude.contains(p) || in_backoff(topic, p, now) || score_.score(p, now) < min_score) continue;
    if (need_outbound) {
      auto s = peers_.find(p);
      if (s == peers_.end() || !s->second.outbound) continue;
    }
    out.push_back(p);
  }
  std::shuffle(out.begin(), out.end(), rng_);
  return out;
}

void Router::mesh_add(const std::string& topic, const core::PeerId& peer, Time now) {
  if (!mesh_[topic].insert(peer).second) return;
  score_.graft(peer, topic, now);
  // Gossip goes to peers outside the mesh, and what we forwarded before this
  // peer joined it did not go to it: offer it what arrived since it
  // subscribed, or a peer that subscribes, then grafts between a message's
  // forwarding and the next heartbeat never gets it (a daemon joining a busy
  // hub missed adverts until their republish). Not what arrived before it
  // subscribed: a subscription starts when it is made.
  const auto state = peers_.find(peer);
  if (state == peers_.end()) return;
  const auto since = state->second.subscribed_at.find(topic);
  auto ids = ihave_ids(topic, since == state->second.subscribed_at.end() ? 0 : since->second);
  if (ids.empty()) return;
  out(peer).control.ihave.push_back({topic, std::move(ids)});
  ++counters_.ihave_sent;
}

std::vector<std::string> Router::ihave_ids(const std::string& topic, std::uint64_t after) {
  auto ids = mcache_.gossip_ids(topic, after);
  if (ids.size() > config_.max_ihave_length) {
    shuffle(ids);
    ids.resize(config_.max_ihave_length);
  }
  return ids;
}

void Router::mesh_remove(const std::string& topic, const core::PeerId& peer, Time now) {
  auto m = mesh_.find(topic);
  if (m != mesh_.end() && m->second.erase(peer)) score_.prune(peer, topic, now);
}

bool Router::in_backoff(const std::string& topic, const core::PeerId& peer, Time now) const {
  auto it = backoff_.find({topic, peer});
  return it != backoff_.end() && now < it->second;
}

std::vector<core::PeerId> Router::mesh(const std::string& topic) const {
  auto it = mesh_.find(topic);
  return it == mesh_.end() ? std::vector<core::PeerId>{} : std::vector<core::PeerId>(it->second.begin(), it->second.end());
}

std::vector<core::PeerId> Router::fanout(const std::string& topic) const {
  auto it = fanout_.find(topic);
  return it == fanout_.end() ? std::vector<core::PeerId>{}
                             : std::vector<core::PeerId>(it->second.begin(), it->second.end());
}

std::vector<core::PeerId> Router::topic_peers(const std::string& topic) const {
  auto it = topics_.find(topic);
  return it == topics_.end() ? std::vector<core::PeerId>{}
                             : std::vector<core::PeerId>(it->second.begin(), it->second.end());
}

std::vector<core::PeerId> Router::peers() const {
  std::vector<core::PeerId> out;
  for (const auto& [p, s] : peers_) out.push_back(p);
  return out;
}

}  // namespace agentmesh::pubsub
