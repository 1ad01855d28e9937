#pragma once
// Multiaddr: self-describing network addresses (/ip4/127.0.0.1/tcp/4001/p2p/
// 12D3KooW...), in text and binary form. Supported protocols: ip4, ip6, tcp,
// dns, dns4, dns6, p2p (text alias ipfs), p2p-circuit (no value: a relayed
// address, /ip4/../p2p/RELAY/p2p-circuit/p2p/TARGET). Binary: each component is
// uvarint(code) then its value (ip4 4 bytes, ip6 16, tcp 2 big-endian, dns*
// and p2p length-prefixed). Parsers are strict and bounded (kMaxBytes,
// kMaxComponents); failures are core::error::invalid_multiaddr, or the
// PeerId's own error for a bad /p2p/ value.
//
// Thread safety: a plain value.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/peer_id.hpp"
#include "core/result.hpp"

namespace agentmesh::core {

enum class MultiaddrProtocol : std::uint32_t {
  ip4 = 0x04,
  tcp = 0x06,
  ip6 = 0x29,
  dns = 0x35,
  dns4 = 0x36,
  dns6 = 0x37,
  p2p = 0x01a5,
  p2p_circuit = 0x0122,  // no value: /p2p/RELAY/p2p-circuit/p2p/TARGET
};

class Multiaddr {
 public:
  static constexpr std::size_t kMaxBytes = 1024;
  static constexpr std::size_t kMaxComponents = 16;

  struct Component {
    MultiaddrProtocol protocol;
    std::string value;  // binary value (without its length prefix)
    friend bool operator==(const Component&, const Component&) = default;
  };

  static Result<Multiaddr> parse(std::string_view text);
  static Result<Multiaddr> from_bytes(std::span<const std::uint8_t> bytes);

  std::string to_string() const;
  std::string to_bytes() const;
  const std::vector<Component>& components() const { return components_; }

  // The last /p2p/ component's id, if any (a circuit address names its target last).
  std::optional<PeerId> peer_id() const;
  // The TCP port, if any.
  std::optional<std::uint16_t> tcp_port() const;
  // This address without a trailing /p2p/ component, and with one.
  Multiaddr without_peer_id() const;
  Multiaddr with_peer_id(const PeerId& id) const;

  friend bool operator==(const Multiaddr&, const Multiaddr&) = default;

 private:
  std::vector<Component> components_;
};

}  // namespace agentmesh::core
