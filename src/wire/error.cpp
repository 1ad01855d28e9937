#include "wire/error.hpp"

#include "core/condition.hpp"

#include <string>

namespace agentmesh::wire {
namespace {

class Category final : public boost::system::error_category {
 public:
  bool equivalent(int code, const boost::system::error_condition& cond) const noexcept override {
    const auto e = static_cast<error>(code);
    switch (static_cast<core::condition>(core::condition_of(cond))) {
      case core::condition::peer_misbehaved:
        return e == error::frame_too_large || e == error::bad_length || e == error::bad_multistream_header || e == error::bad_multistream_message || e == error::no_common_protocol || e == error::unexpected_protocol || e == error::negotiation_limit || e == error::bad_yamux_frame || e == error::bad_protobuf || e == error::bad_noise_message || e == error::bad_handshake_payload || e == error::bad_identity_signature || e == error::peer_id_mismatch || e == error::bad_dh_key || e == error::decrypt_failed || e == error::bad_identify;
      default:
        break;
    }
    return boost::system::error_category::equivalent(code, cond);
  }
  const char* name() const noexcept override { return "agentmesh.wire"; }
  std::string message(int ev) const override {
    switch (static_cast<error>(ev)) {
      case error::frame_too_large: return "frame exceeds its size limit";
      case error::bad_length: return "malformed length prefix";
      case error::bad_multistream_header: return "peer did not send /multistream/1.0.0";
      case error::bad_multistream_message: return "malformed multistream-select message";
      case error::no_common_protocol: return "no protocol in common with the peer";
      case error::unexpected_protocol: return "peer selected a protocol we did not propose";
      case error::negotiation_limit: return "too many multistream-select messages";
      case error::bad_yamux_frame: return "malformed yamux frame header";
      case error::bad_protobuf: return "malformed protobuf message";
      case error::bad_noise_message: return "malformed or unauthenticated Noise handshake message";
      case error::bad_handshake_payload: return "Noise handshake payload lacks a valid identity";
      case error::bad_identity_signature: return "Noise identity signature does not verify";
      case error::peer_id_mismatch: return "remote peer id differs from the one dialed";
      case error::bad_dh_key: return "Diffie-Hellman with a low-order point";
      case error::decrypt_failed: return "Noise transport frame failed authentication";
      case error::nonce_exhausted: return "Noise nonce exhausted";
      case error::bad_identify: return "identify message lacks a matching public key";
    }
    return "unknown wire error";
  }
};

}  // namespace

const boost::system::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace agentmesh::wire
