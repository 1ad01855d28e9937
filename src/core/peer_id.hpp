#pragma once
// PeerId: a libp2p node identity (the libp2p peer-ids spec).
//
// Only Ed25519 keys are supported (libsodium has no RSA/secp256k1; js-libp2p
// defaults to Ed25519). The id is the identity multihash of the deterministic
// PublicKey protobuf: 00 24 || 08 01 12 20 || pk (38 bytes). Text forms:
// base58btc (`12D3KooW...`, what we print) and CIDv1 base32 (`b...`, codec
// libp2p-key 0x72), both accepted by parse(). Anything naming another key
// type, including sha2-256 multihashes (`Qm...`), is
// core::error::unsupported_key_type.
//
// Thread safety: a plain value.

#include <array>
#include <compare>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "core/result.hpp"

namespace agentmesh::core {

class PeerId {
 public:
  using PublicKey = std::array<std::uint8_t, 32>;

  static PeerId from_ed25519(const PublicKey& public_key);
  // The multihash bytes as carried in multiaddrs, identify and pubsub `from`.
  static Result<PeerId> from_multihash(std::span<const std::uint8_t> multihash);
  // The PublicKey protobuf (`08 01 12 20 || pk`), as in Noise payloads and identify.
  static Result<PeerId> from_public_key_protobuf(std::span<const std::uint8_t> protobuf);
  // base58btc or CIDv1 (multibase base32) text.
  static Result<PeerId> parse(std::string_view text);

  const PublicKey& public_key() const { return public_key_; }
  std::string multihash() const;              // 38 bytes
  std::string public_key_protobuf() const;    // 36 bytes
  std::string to_string() const;              // base58btc
  std::string to_cid() const;                 // "b" + base32(01 72 multihash)

  friend auto operator<=>(const PeerId&, const PeerId&) = default;

 private:
  explicit PeerId(const PublicKey& pk) : public_key_(pk) {}
  PublicKey public_key_{};
};

}  // namespace agentmesh::core

template <>
struct std::hash<agentmesh::core::PeerId> {
  std::size_t operator()(const agentmesh::core::PeerId& id) const noexcept {
    std::size_t h = 0;
    for (std::size_t i = 0; i < sizeof h; ++i) h = (h << 8) | id.public_key()[i];
    return h;
  }
};

template <>
struct fmt::formatter<agentmesh::core::PeerId> : fmt::formatter<std::string_view> {
  template <class Ctx>
  auto format(const agentmesh::core::PeerId& id, Ctx& ctx) const {
    return fmt::formatter<std::string_view>::format(id.to_string(), ctx);
  }
};
