#pragma once
// Pubsub messages: the StrictSign signature (sign, validate) and the message
// id. Wire details: docs/wire/pubsub.md.
//
// Message id (js-libp2p's default, which go's differs from): the author's
// PublicKey protobuf (36 bytes for Ed25519) || seqno (8 bytes). js computes
// ids this way, answers IWANT for them and gossips them in IHAVE, so ours must
// match byte for byte.

#include <cstdint>
#include <string>

#include "core/peer_id.hpp"
#include "core/result.hpp"
#include "crypto/crypto.hpp"
#include "wire/pubsub.hpp"

namespace agentmesh::pubsub {

using MessageId = std::string;  // 44 bytes for Ed25519 authors

// Fills from, seqno (8 bytes big-endian), signature and key of `message`
// (topic and data must be set) for the author `key`.
void sign(wire::pubsub::Message& message, const crypto::SigningKey& key, std::uint64_t seqno);

enum class Validation { accept, reject, ignore };

// StrictSign checks: from, seqno (exactly 8 bytes), topic, signature and key
// present; key is the PublicKey of from; the signature verifies over
// wire::pubsub::signing_bytes(). Returns the author.
Result<core::PeerId> verify(const wire::pubsub::Message& message);

// REQUIRES: `message` passed verify() (from and seqno are valid).
MessageId message_id(const wire::pubsub::Message& message);

// The id `message` claims, before its signature is checked (from must be a
// valid PeerId, seqno 8 bytes). The router looks this up in its seen cache
// first, so a message that arrives again from other peers costs no second
// Ed25519 verification; an id enters the seen cache only once a message
// carrying it verified, so a forgery cannot shadow the real message.
Result<MessageId> claimed_message_id(const wire::pubsub::Message& message);

}  // namespace agentmesh::pubsub
