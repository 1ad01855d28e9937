#include "wire/pubsub.hpp"

#include "core/varint.hpp"
#include "wire/protobuf_reader.hpp"
#include "rpc.pb.h"
#include "wire/error.hpp"

namespace agentmesh::wire::pubsub {
namespace {

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

namespace {

// RPC.SubOpts: subscribe (1, varint), topicid (2).
bool read_subopt(std::string_view bytes, SubOpt& out) {
  ProtobufReader r(bytes);
  while (r.next()) {
    if (r.field() == 1 && r.wire_type() == ProtobufReader::kVarint) {
      std::uint64_t v = 0;
      if (!r.read_varint(v)) return false;
      out.subscribe = v != 0;
    } else if (r.field() == 2 && r.wire_type() == ProtobufReader::kLengthDelimited) {
      std::string_view t;
      if (!r.read_bytes(t)) return false;
      out.topic.assign(t);
    } else if (!r.skip()) {
      return false;
    }
  }
  return !r.failed();
}

// Message: fields 1-6, each length-delimited; the last occurrence wins, and
// one with another wire type is an unknown field, as in protobuf.
bool read_message(std::string_view bytes, MessageView& out) {
  std::optional<std::string_view>* fields[] = {&out.from,  &out.data,      &out.seqno,
                                               &out.topic, &out.signature, &out.key};
  ProtobufReader r(bytes);
  while (r.next()) {
    if (r.field() >= 1 && r.field() <= 6 && r.wire_type() == ProtobufReader::kLengthDelimited) {
      std::string_view v;
      if (!r.read_bytes(v)) return false;
      *fields[r.field() - 1] = v;
    } else if (!r.skip()) {
      return false;
    }
  }
  return !r.failed();
}

std::optional<std::string> copy(const std::optional<std::string_view>& v) {
  return v ? std::optional<std::string>(std::in_place, *v) : std::nullopt;
}

}  // namespace

Message to_message(const MessageView& v) {
  return Message{.from = copy(v.from),
                 .data = copy(v.data),
                 .seqno = copy(v.seqno),
                 .topic = copy(v.topic),
                 .signature = copy(v.signature),
                 .key = copy(v.key)};
}

// The RPC's own fields are read by hand (ProtobufReader): subscriptions and
// messages go straight into the domain structs, and a message the filter
// drops is never copied. The control message, rare and small, goes through
// the generated parser.
Result<Rpc> decode(std::span<const std::uint8_t> bytes, const Limits& limits, const MessageFilter& keep) {
  if (bytes.size() > limits.max_rpc_bytes) return error::frame_too_large;
  Rpc out;
  std::size_t messages = 0;
  std::string control;  // every RPC.control field, re-framed for pb::RPC (repeats merge)
  ProtobufReader r(bytes);
  while (r.next()) {
    if (r.wire_type() != ProtobufReader::kLengthDelimited || r.field() < 1 || r.field() > 3) {
      if (!r.skip()) return error::bad_protobuf;
      continue;
    }
    std::string_view field;
    if (!r.read_bytes(field)) return error::bad_protobuf;
    if (r.field() == 1) {
      if (out.subscriptions.size() >= limits.max_subscriptions) return error::bad_protobuf;
      SubOpt sub;
      if (!read_subopt(field, sub) || sub.topic.size() > limits.max_topic_bytes) return error::bad_protobuf;
      out.subscriptions.push_back(std::move(sub));
    } else if (r.field() == 2) {
      if (++messages > limits.max_messages) return error::bad_protobuf;
      MessageView m;
      if (!read_message(field, m) || (m.topic && m.topic->size() > limits.max_topic_bytes)) {
        return error::bad_protobuf;
      }
      if (!keep || keep(m)) out.publish.push_back(to_message(m));
    } else {
      control.push_back(static_cast<char>(3 << 3 | ProtobufReader::kLengthDelimited));
      core::append_lp(control, field);
    }
  }
  if (r.failed()) return error::bad_protobuf;
  if (control.empty()) return out;
  pb::RPC in;
  if (!in.ParseFromString(control)) return error::bad_protobuf;
  auto topic_ok = [&](const std::string& t) { return t.size() <= limits.max_topic_bytes; };
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
