#include "wire/pubsub.hpp"

#include "rpc.pb.h"
#include "wire/error.hpp"

namespace agentmesh::wire::pubsub {
namespace {

void to_pb(const Message& m, pb::Message& out) {
  if (m.from) out.set_from(*m.from);
  if (m.data) out.set_data(*m.data);
  if (m.seqno) out.set_seqno(*m.seqno);
  if (m.topic) out.set_topic(*m.topic);
  if (m.signature) out.set_signature(*m.signature);
  if (m.key) out.set_key(*m.key);
}

Message from_pb(const pb::Message& m) {
  Message out;
  if (m.has_from()) out.from = m.from();
  if (m.has_data()) out.data = m.data();
  if (m.has_seqno()) out.seqno = m.seqno();
  if (m.has_topic()) out.topic = m.topic();
  if (m.has_signature()) out.signature = m.signature();
  if (m.has_key()) out.key = m.key();
  return out;
}

}  // namespace

std::string encode_message(const Message& message) {
  pb::Message m;
  to_pb(message, m);
  return m.SerializeAsString();
}

std::string signing_bytes(const Message& message) {
  Message unsigned_part = message;
  unsigned_part.signature.reset();
  unsigned_part.key.reset();
  std::string out(kSignaturePrefix);
  out += encode_message(unsigned_part);
  return out;
}

std::string encode(const Rpc& rpc) {
  pb::RPC out;
  for (const auto& s : rpc.subscriptions) {
    auto* o = out.add_subscriptions();
    o->set_subscribe(s.subscribe);
    o->set_topicid(s.topic);
  }
  for (const auto& m : rpc.publish) to_pb(m, *out.add_publish());
  if (!rpc.control.empty()) {
    auto* c = out.mutable_control();
    for (const auto& ih : rpc.control.ihave) {
      auto* o = c->add_ihave();
      o->set_topicid(ih.topic);
      for (const auto& id : ih.message_ids) o->add_messageids(id);
    }
    for (const auto& iw : rpc.control.iwant) {
      auto* o = c->add_iwant();
      for (const auto& id : iw.message_ids) o->add_messageids(id);
    }
    for (const auto& g : rpc.control.graft) c->add_graft()->set_topicid(g.topic);
    for (const auto& p : rpc.control.prune) {
      auto* o = c->add_prune();
      o->set_topicid(p.topic);
      for (const auto& peer : p.peers) {
        auto* i = o->add_peers();
        i->set_peerid(peer.peer_id);
        if (!peer.signed_peer_record.empty()) i->set_signedpeerrecord(peer.signed_peer_record);
      }
      if (p.backoff_s) o->set_backoff(*p.backoff_s);
    }
  }
  return out.SerializeAsString();
}

Result<Rpc> decode(std::span<const std::uint8_t> bytes, const Limits& limits) {
  if (bytes.size() > limits.max_rpc_bytes) return error::frame_too_large;
  pb::RPC in;
  if (!in.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return error::bad_protobuf;
  if (static_cast<std::size_t>(in.subscriptions_size()) > limits.max_subscriptions ||
      static_cast<std::size_t>(in.publish_size()) > limits.max_messages) {
    return error::bad_protobuf;
  }
  auto topic_ok = [&](const std::string& t) { return t.size() <= limits.max_topic_bytes; };
  Rpc out;
  for (const auto& s : in.subscriptions()) {
    if (!topic_ok(s.topicid())) return error::bad_protobuf;
    out.subscriptions.push_back({s.subscribe(), s.topicid()});
  }
  for (const auto& m : in.publish()) {
    if (m.has_topic() && !topic_ok(m.topic())) return error::bad_protobuf;
    out.publish.push_back(from_pb(m));
  }
  if (in.has_control()) {
    const auto& c = in.control();
    const auto too_many = [&](int n) { return static_cast<std::size_t>(n) > limits.max_control_entries; };
    if (too_many(c.ihave_size()) || too_many(c.iwant_size()) || too_many(c.graft_size()) ||
        too_many(c.prune_size())) {
      return error::bad_protobuf;
    }
    std::size_t ids = 0;
    for (const auto& ih : c.ihave()) {
      if (!topic_ok(ih.topicid())) return error::bad_protobuf;
      ids += static_cast<std::size_t>(ih.messageids_size());
      if (ids > limits.max_message_ids) return error::bad_protobuf;
      IHave h{.topic = ih.topicid(), .message_ids = {}};
      for (const auto& id : ih.messageids()) h.message_ids.push_back(id);
      out.control.ihave.push_back(std::move(h));
    }
    for (const auto& iw : c.iwant()) {
      ids += static_cast<std::size_t>(iw.messageids_size());
      if (ids > limits.max_message_ids) return error::bad_protobuf;
      IWant w;
      for (const auto& id : iw.messageids()) w.message_ids.push_back(id);
      out.control.iwant.push_back(std::move(w));
    }
    for (const auto& g : c.graft()) {
      if (!topic_ok(g.topicid())) return error::bad_protobuf;
      out.control.graft.push_back({g.topicid()});
    }
    for (const auto& p : c.prune()) {
      if (!topic_ok(p.topicid()) || static_cast<std::size_t>(p.peers_size()) > limits.max_prune_peers) {
        return error::bad_protobuf;
      }
      Prune pr{.topic = p.topicid(), .peers = {}, .backoff_s = std::nullopt};
      for (const auto& peer : p.peers()) pr.peers.push_back({peer.peerid(), peer.signedpeerrecord()});
      if (p.has_backoff()) pr.backoff_s = p.backoff();
      out.control.prune.push_back(std::move(pr));
    }
  }
  return out;
}

}  // namespace agentmesh::wire::pubsub
