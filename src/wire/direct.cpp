#include "wire/direct.hpp"

#include <algorithm>

#include "core/varint.hpp"
#include "direct.pb.h"
#include "wire/error.hpp"

namespace agentmesh::wire::direct {
namespace {

constexpr std::size_t kNonce = 24;
constexpr std::size_t kTag = 16;
constexpr std::size_t kMaxPeerBytes = 64;

template <std::size_t N>
bool copy_exact(const std::string& from, std::array<std::uint8_t, N>& to) {
  if (from.size() != N) return false;
  std::copy(from.begin(), from.end(), to.begin());
  return true;
}

template <std::size_t N>
std::string str(const std::array<std::uint8_t, N>& a) {
  return {reinterpret_cast<const char*>(a.data()), N};
}

}  // namespace

std::string encode(const Envelope& e) {
  pb::DirectEnvelope m;
  m.set_version(e.version);
  m.set_request_id(str(e.request_id));
  m.set_sender(str(e.sender));
  m.set_recipient(str(e.recipient));
  m.set_sender_peer(e.sender_peer);
  m.set_created_ms(e.created_ms);
  m.set_expires_ms(e.expires_ms);
  m.set_ciphertext(e.ciphertext);
  return m.SerializeAsString();
}

Result<Envelope> decode_envelope(std::span<const std::uint8_t> bytes, const Limits& limits) {
  if (bytes.size() > limits.max_envelope_bytes) return error::frame_too_large;
  pb::DirectEnvelope m;
  if (!m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return error::bad_protobuf;
  if (!m.has_version() || !m.has_created_ms() || !m.has_expires_ms() || !m.has_sender_peer() ||
      !m.has_ciphertext()) {
    return error::bad_protobuf;
  }
  Envelope e;
  e.version = m.version();
  if (!copy_exact(m.request_id(), e.request_id) || !copy_exact(m.sender(), e.sender) ||
      !copy_exact(m.recipient(), e.recipient)) {
    return error::bad_protobuf;
  }
  if (m.sender_peer().empty() || m.sender_peer().size() > kMaxPeerBytes) return error::bad_protobuf;
  if (m.ciphertext().size() < kNonce + kTag) return error::bad_protobuf;
  e.sender_peer = m.sender_peer();
  e.created_ms = m.created_ms();
  e.expires_ms = m.expires_ms();
  e.ciphertext = m.ciphertext();
  return e;
}

std::string encode(const Body& b) {
  pb::DirectBody m;
  m.set_payload(b.payload);
  if (!b.content_type.empty()) m.set_content_type(b.content_type);
  if (!b.performative.empty()) m.set_performative(b.performative);
  if (!b.conversation_id.empty()) m.set_conversation_id(b.conversation_id);
  if (!b.reply_with.empty()) m.set_reply_with(b.reply_with);
  if (!b.in_reply_to.empty()) m.set_in_reply_to(b.in_reply_to);
  if (!b.protocol.empty()) m.set_protocol(b.protocol);
  for (const auto& [k, v] : b.metadata) {
    auto* entry = m.add_metadata();
    entry->set_key(k);
    entry->set_value(v);
  }
  if (b.signature) m.set_signature(str(*b.signature));
  return m.SerializeAsString();
}

Result<Body> decode_body(std::span<const std::uint8_t> bytes, const Limits& limits) {
  if (bytes.size() > limits.max_envelope_bytes) return error::frame_too_large;
  pb::DirectBody m;
  if (!m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return error::bad_protobuf;
  for (const std::string* f : {&m.content_type(), &m.performative(), &m.conversation_id(), &m.reply_with(),
                               &m.in_reply_to(), &m.protocol()}) {
    if (f->size() > limits.max_field_bytes) return error::bad_protobuf;
  }
  if (static_cast<std::size_t>(m.metadata_size()) > limits.max_metadata_entries) return error::bad_protobuf;
  Body b;
  b.payload = m.payload();
  b.content_type = m.content_type();
  b.performative = m.performative();
  b.conversation_id = m.conversation_id();
  b.reply_with = m.reply_with();
  b.in_reply_to = m.in_reply_to();
  b.protocol = m.protocol();
  for (const auto& entry : m.metadata()) {
    if (entry.key().size() > limits.max_field_bytes || entry.value().size() > limits.max_field_bytes) {
      return error::bad_protobuf;
    }
    b.metadata.emplace_back(entry.key(), entry.value());
  }
  if (m.has_signature()) {
    std::array<std::uint8_t, 64> sig{};
    if (!copy_exact(m.signature(), sig)) return error::bad_protobuf;
    b.signature = sig;
  }
  return b;
}

std::string body_signing_bytes(const Envelope& envelope, const Body& body) {
  Body unsigned_body = body;
  unsigned_body.signature.reset();
  std::string out = "agentmesh/dm/v1/signature";
  out += header_bytes(envelope);
  out += encode(unsigned_body);
  return out;
}

std::string encode(const Ack& a) {
  pb::DirectAck m;
  m.set_version(a.version);
  m.set_request_id(str(a.request_id));
  m.set_sender(str(a.sender));
  m.set_recipient(str(a.recipient));
  m.set_outcome(static_cast<std::uint32_t>(a.outcome));
  m.set_seq(a.seq);
  if (!a.reason.empty()) m.set_reason(a.reason);
  m.set_mac(a.mac);
  return m.SerializeAsString();
}

Result<Ack> decode_ack(std::span<const std::uint8_t> bytes, const Limits& limits) {
  if (bytes.size() > limits.max_ack_bytes) return error::frame_too_large;
  pb::DirectAck m;
  if (!m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return error::bad_protobuf;
  if (!m.has_version() || !m.has_outcome() || !m.has_mac() || m.mac().size() != kNonce + kTag) {
    return error::bad_protobuf;
  }
  if (m.outcome() < 1 || m.outcome() > 3 || m.reason().size() > limits.max_field_bytes) return error::bad_protobuf;
  Ack a;
  a.version = m.version();
  if (!copy_exact(m.request_id(), a.request_id) || !copy_exact(m.sender(), a.sender) ||
      !copy_exact(m.recipient(), a.recipient)) {
    return error::bad_protobuf;
  }
  a.outcome = static_cast<Outcome>(m.outcome());
  a.seq = m.seq();
  a.reason = m.reason();
  a.mac = m.mac();
  return a;
}

std::string encode(const InboxItem& item) {
  pb::DirectInboxItem m;
  if (item.kind == InboxItem::Kind::envelope) {
    m.set_envelope(item.bytes);
  } else {
    m.set_ack(item.bytes);
  }
  return m.SerializeAsString();
}

Result<InboxItem> decode_inbox_item(std::span<const std::uint8_t> bytes, const Limits& limits) {
  if (bytes.size() > limits.max_envelope_bytes + 16) return error::frame_too_large;
  pb::DirectInboxItem m;
  if (!m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return error::bad_protobuf;
  if (m.has_envelope() == m.has_ack()) return error::bad_protobuf;
  InboxItem item;
  if (m.has_envelope()) {
    item.bytes = m.envelope();
  } else {
    if (m.ack().size() > limits.max_ack_bytes) return error::frame_too_large;
    item.kind = InboxItem::Kind::ack;
    item.bytes = m.ack();
  }
  return item;
}

std::string header_bytes(const Envelope& e) {
  std::string out = "agentmesh/dm/v1/header";
  core::append_be(out, e.version, 4);
  out += str(e.request_id);
  out += str(e.sender);
  out += str(e.recipient);
  core::append_lp(out, e.sender_peer);
  core::append_be(out, e.created_ms, 8);
  core::append_be(out, e.expires_ms, 8);
  return out;
}

std::string ack_bytes(const Ack& a) {
  std::string out = "agentmesh/dm/v1/ack";
  core::append_be(out, a.version, 4);
  out += str(a.request_id);
  out += str(a.sender);
  out += str(a.recipient);
  core::append_be(out, static_cast<std::uint32_t>(a.outcome), 4);
  core::append_be(out, a.seq, 8);
  core::append_lp(out, a.reason);
  return out;
}

}  // namespace agentmesh::wire::direct
