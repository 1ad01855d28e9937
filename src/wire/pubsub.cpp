#include "wire/pubsub.hpp"

#include "core/varint.hpp"
#include "rpc.pb.h"
#include "wire/error.hpp"

namespace agentmesh::wire::pubsub {
namespace {

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

// Message fields by hand (no protobuf object, one allocation): each present
// field as tag, length, bytes, in tag order, as protobuf writes them.
// `signed_fields`: include `signature` and `key` (tags 5 and 6).
void append_message(std::string& out, const Message& message, bool signed_fields) {
  const std::optional<std::string>* fields[] = {&message.from,  &message.data,      &message.seqno,
                                                &message.topic, &message.signature, &message.key};
  const std::size_t count = signed_fields ? 6 : 4;
  std::size_t size = out.size();
  for (std::size_t i = 0; i < count; ++i) {
    if (*fields[i]) size += 1 + 10 + (*fields[i])->size();
  }
  out.reserve(size);
  for (std::size_t i = 0; i < count; ++i) {
    if (!*fields[i]) continue;
    out.push_back(static_cast<char>((i + 1) << 3 | 2));  // field i + 1, length-delimited
    core::append_lp(out, **fields[i]);
  }
}

}  // namespace

std::string encode_message(const Message& message) {
  std::string out;
  append_message(out, message, true);
  return out;
}

EncodedMessage encode_shared(const Message& message) {
  return std::make_shared<const std::string>(encode_message(message));
}

std::string signing_bytes(const Message& message) {
  std::string out(kSignaturePrefix);
  append_message(out, message, false);
  return out;
}

std::string encode(const Rpc& rpc) {
  pb::RPC head;
  for (const auto& s : rpc.subscriptions) {
    auto* o = head.add_subscriptions();
    o->set_subscribe(s.subscribe);
    o->set_topicid(s.topic);
  }
  std::string out = head.SerializeAsString();
  constexpr char kPublishTag = 2 << 3 | 2;  // RPC.publish, length-delimited
  for (const auto& m : rpc.publish) {
    out.push_back(kPublishTag);
    core::append_lp(out, encode_message(m));
  }
  for (const auto& m : rpc.encoded_publish) {
    out.push_back(kPublishTag);
    core::append_lp(out, *m);
  }
  if (rpc.control.empty()) return out;
  pb::RPC tail;
  auto* c = tail.mutable_control();
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
  tail.AppendToString(&out);
  return out;
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
