#include "pubsub/message.hpp"

#include "core/bytes.hpp"
#include "pubsub/error.hpp"

namespace agentmesh::pubsub {
namespace {
using core::bytes_of;
}  // namespace

void sign(wire::pubsub::Message& m, const crypto::SigningKey& key, std::uint64_t seqno) {
  const auto author = core::PeerId::from_ed25519(key.public_key());
  m.from = author.multihash();
  std::string s(wire::pubsub::kSeqnoSize, '\0');
  for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>(seqno >> (8 * (7 - i)));
  m.seqno = std::move(s);
  m.signature.reset();
  m.key.reset();
  const auto sig = key.sign(bytes_of(wire::pubsub::signing_bytes(m)));
  m.signature = std::string(sig.begin(), sig.end());
  m.key = author.public_key_protobuf();
}

Result<core::PeerId> verify(const wire::pubsub::Message& m) {
  if (!m.from || !m.seqno || !m.topic || !m.signature || !m.key) return error::unsigned_message;
  if (m.seqno->size() != wire::pubsub::kSeqnoSize) return error::bad_seqno;
  auto author = core::PeerId::from_multihash(bytes_of(*m.from));
  if (!author) return error::bad_author;
  auto key = core::PeerId::from_public_key_protobuf(bytes_of(*m.key));
  if (!key || *key != *author) return error::bad_author;
  if (m.signature->size() != 64) return error::bad_signature;
  crypto::Signature sig{};
  std::copy(m.signature->begin(), m.signature->end(), sig.begin());
  if (!crypto::verify(author->public_key(), bytes_of(wire::pubsub::signing_bytes(m)), sig)) {
    return error::bad_signature;
  }
  return *author;
}

Result<MessageId> claimed_message_id(const wire::pubsub::Message& m) {
  if (!m.from || !m.seqno) return error::unsigned_message;
  if (m.seqno->size() != wire::pubsub::kSeqnoSize) return error::bad_seqno;
  auto author = core::PeerId::from_multihash(bytes_of(*m.from));
  if (!author) return error::bad_author;
  return author->public_key_protobuf() + *m.seqno;
}

MessageId message_id(const wire::pubsub::Message& m) { return claimed_message_id(m).value(); }

}  // namespace agentmesh::pubsub
