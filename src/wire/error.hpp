#pragma once
// wire::error: malformed or unexpected bytes from a peer, in any codec.

#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>

namespace agentmesh::wire {

enum class error {
  // A frame or message is longer than its limit (checked before buffering it).
  frame_too_large = 1,
  // A length prefix or varint is malformed.
  bad_length,
  // multistream-select: the peer's header is not /multistream/1.0.0.
  bad_multistream_header,
  // multistream-select: a message is not newline-terminated text.
  bad_multistream_message,
  // multistream-select: the peer supports none of our protocols.
  no_common_protocol,
  // multistream-select: the peer answered something we did not propose.
  unexpected_protocol,
  // Too many proposals or messages in one negotiation.
  negotiation_limit,
  // yamux: a header with a bad version, type, flag or stream id for its type.
  bad_yamux_frame,
  // A protobuf message does not parse, or breaks a field limit.
  bad_protobuf,
  // Noise: a handshake message of the wrong size, or one that fails
  // authentication, or a message out of turn.
  bad_noise_message,
  // Noise: the handshake payload has no usable identity key or signature.
  bad_handshake_payload,
  // Noise: the identity signature over the static key does not verify.
  bad_identity_signature,
  // Noise: the remote PeerId is not the one we dialed (/p2p/<id>).
  peer_id_mismatch,
  // Noise: a Diffie-Hellman result is all zeros (low-order point).
  bad_dh_key,
  // Noise: a transport frame fails authentication.
  decrypt_failed,
  // Noise: the nonce counter would wrap; the connection must close.
  nonce_exhausted,
  // identify: the message lacks a public key, or names another peer.
  bad_identify,
};

const boost::system::error_category& error_category() noexcept;

inline boost::system::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace agentmesh::wire

template <>
struct boost::system::is_error_code_enum<agentmesh::wire::error> : std::true_type {};
