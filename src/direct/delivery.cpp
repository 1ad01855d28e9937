#include "direct/delivery.hpp"

#include "crypto/crypto.hpp"
#include "direct/error.hpp"
#include "store/record_codec.hpp"

namespace agentmesh::direct {
store::Digest content_digest(const core::AgentId& recipient, const store::MessageContent& c) {
  std::vector<std::string> fields = {
      std::string(reinterpret_cast<const char*>(recipient.bytes().data()), recipient.bytes().size()),
      c.content_type,
      c.body,
      c.performative,
      c.conversation_id,
      c.reply_with,
      c.in_reply_to,
      c.protocol,
      store::encode_metadata(c.metadata)};
  const auto encoded = store::encode_string_list(fields);
  return crypto::sha256(crypto::as_bytes(encoded));
}

core::RequestId request_id_for_key(const core::AgentId& sender, std::string_view idempotency_key) {
  std::string input = "agentmesh/idempotency/v1";
  input.append(reinterpret_cast<const char*>(sender.bytes().data()), sender.bytes().size());
  input.append(idempotency_key);
  core::RequestId::Bytes out{};
  crypto::blake2b(out, crypto::as_bytes(input));
  return core::RequestId::from_array(out);
}

Result<DeliveryResult> deliver(store::Store& store, Delivery& d) {
  if (d.dedup_expires_ms == 0) {
    if (d.refuse) return *d.refuse;
    auto seq = d.apply ? d.apply(store, d.record) : store.append_inbox(d.record);
    if (!seq) return seq.error();
    return DeliveryResult{*seq, false};
  }
  auto existing = store.find_dedup(d.record.sender, d.record.request_id);
  if (!existing) return existing.error();
  if (*existing) {
    const auto& prior = **existing;
    if (prior.body_digest != d.digest) return error::idempotency_conflict;
    return DeliveryResult{prior.seq, true};
  }
  if (d.refuse) return *d.refuse;
  auto seq = d.apply ? d.apply(store, d.record) : store.append_inbox(d.record);
  if (!seq) return seq.error();
  store::DedupRecord rec;
  rec.sender = d.record.sender;
  rec.request_id = d.record.request_id;
  rec.outcome = store::Outcome::accepted;
  rec.recipient = d.record.agent;
  rec.seq = *seq;
  rec.body_digest = d.digest;
  rec.expires_ms = d.dedup_expires_ms;
  if (auto r = store.put_dedup(rec); !r) return r.error();
  return DeliveryResult{*seq, false};
}

}  // namespace agentmesh::direct
