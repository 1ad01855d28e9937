#include "core/multiaddr.hpp"

#include <arpa/inet.h>
#include <algorithm>
#include <charconv>

#include "core/error.hpp"
#include "core/varint.hpp"

namespace agentmesh::core {
namespace {

using P = MultiaddrProtocol;

struct ProtocolInfo {
  P protocol;
  std::string_view name;
  int fixed_size;  // bytes, or -1 for length-prefixed
};

constexpr ProtocolInfo kProtocols[] = {
    {P::ip4, "ip4", 4},   {P::tcp, "tcp", 2},   {P::ip6, "ip6", 16}, {P::dns, "dns", -1},
    {P::dns4, "dns4", -1}, {P::dns6, "dns6", -1}, {P::p2p, "p2p", -1},
    {P::p2p_circuit, "p2p-circuit", 0},
};

const ProtocolInfo* by_name(std::string_view name) {
  if (name == "ipfs") name = "p2p";  // the old name of p2p
  for (const auto& p : kProtocols) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

const ProtocolInfo* by_code(std::uint64_t code) {
  for (const auto& p : kProtocols) {
    if (static_cast<std::uint64_t>(p.protocol) == code) return &p;
  }
  return nullptr;
}

// A DNS name: 1-253 printable ASCII characters without '/' or spaces.
bool valid_dns(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  for (char c : name) {
    if (c <= ' ' || c > '~' || c == '/') return false;
  }
  return true;
}

// Checks a binary component value and returns it, or an error.
Result<std::string> check_value(const ProtocolInfo& info, std::string value) {
  if (info.fixed_size >= 0 && value.size() != static_cast<std::size_t>(info.fixed_size)) {
    return error::invalid_multiaddr;
  }
  if (info.protocol == P::dns || info.protocol == P::dns4 || info.protocol == P::dns6) {
    if (!valid_dns(value)) return error::invalid_multiaddr;
  }
  if (info.protocol == P::p2p) {
    auto id = PeerId::from_multihash({reinterpret_cast<const std::uint8_t*>(value.data()), value.size()});
    if (!id) return id.error();
  }
  return value;
}

}  // namespace

Result<Multiaddr> Multiaddr::parse(std::string_view text) {
  if (text.empty() || text[0] != '/' || text.size() > kMaxBytes * 4) return error::invalid_multiaddr;
  Multiaddr out;
  // "/a/b/c/d" -> ["a","b","c","d"]: protocol names and values alternate.
  std::vector<std::string_view> parts;
  for (std::size_t pos = 1; pos <= text.size();) {
    const auto end = std::min(text.find('/', pos), text.size());
    parts.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  for (std::size_t i = 0; i < parts.size(); i += 2) {
    const auto* info = by_name(parts[i]);
    if (!info) return error::invalid_multiaddr;
    if (out.components_.size() == kMaxComponents) return error::invalid_multiaddr;
    if (info->fixed_size == 0) {  // a protocol without a value (p2p-circuit)
      out.components_.push_back({info->protocol, {}});
      --i;
      continue;
    }
    if (i + 1 >= parts.size() || parts[i + 1].empty()) return error::invalid_multiaddr;
    const auto value_text = parts[i + 1];
    std::string value;
    switch (info->protocol) {
      case P::p2p_circuit:
        break;
      case P::ip4:
      case P::ip6: {
        const std::string s(value_text);
        unsigned char buf[16];
        const int family = info->protocol == P::ip4 ? AF_INET : AF_INET6;
        if (::inet_pton(family, s.c_str(), buf) != 1) return error::invalid_multiaddr;
        value.assign(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(info->fixed_size));
        break;
      }
      case P::tcp: {
        unsigned port = 0;
        const auto [ptr, ec] = std::from_chars(value_text.data(), value_text.data() + value_text.size(), port);
        if (ec != std::errc() || ptr != value_text.data() + value_text.size() || port > 65535) {
          return error::invalid_multiaddr;
        }
        value = {static_cast<char>(port >> 8), static_cast<char>(port & 0xff)};
        break;
      }
      case P::dns:
      case P::dns4:
      case P::dns6:
        if (!valid_dns(value_text)) return error::invalid_multiaddr;
        value = std::string(value_text);
        break;
      case P::p2p: {
        auto id = PeerId::parse(value_text);
        if (!id) return id.error();
        value = id->multihash();
        break;
      }
    }
    out.components_.push_back({info->protocol, std::move(value)});
  }
  // Both forms share one limit: the binary encoding must fit kMaxBytes.
  if (out.components_.empty() || out.to_bytes().size() > kMaxBytes) return error::invalid_multiaddr;
  return out;
}

Result<Multiaddr> Multiaddr::from_bytes(std::span<const std::uint8_t> bytes) {
  if (bytes.empty() || bytes.size() > kMaxBytes) return error::invalid_multiaddr;
  Multiaddr out;
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    auto code = read_uvarint(bytes.subspan(pos));
    if (!code) return error::invalid_multiaddr;
    pos += code->size;
    const auto* info = by_code(code->value);
    if (!info) return error::invalid_multiaddr;
    std::size_t len;
    if (info->fixed_size >= 0) {
      len = static_cast<std::size_t>(info->fixed_size);
    } else {
      auto l = read_uvarint(bytes.subspan(pos));
      if (!l) return error::invalid_multiaddr;
      pos += l->size;
      len = l->value;
    }
    if (len > bytes.size() - pos) return error::invalid_multiaddr;
    auto value = check_value(*info, std::string(reinterpret_cast<const char*>(bytes.data() + pos), len));
    if (!value) return value.error();
    pos += len;
    out.components_.push_back({info->protocol, std::move(*value)});
    if (out.components_.size() > kMaxComponents) return error::invalid_multiaddr;
  }
  return out;
}

std::string Multiaddr::to_bytes() const {
  std::string out;
  for (const auto& c : components_) {
    append_uvarint(out, static_cast<std::uint64_t>(c.protocol));
    if (by_code(static_cast<std::uint64_t>(c.protocol))->fixed_size < 0) append_uvarint(out, c.value.size());
    out += c.value;
  }
  return out;
}

std::string Multiaddr::to_string() const {
  std::string out;
  for (const auto& c : components_) {
    const auto* info = by_code(static_cast<std::uint64_t>(c.protocol));
    out += '/';
    out += info->name;
    out += '/';
    switch (c.protocol) {
      case P::ip4:
      case P::ip6: {
        char buf[INET6_ADDRSTRLEN] = {};
        ::inet_ntop(c.protocol == P::ip4 ? AF_INET : AF_INET6, c.value.data(), buf, sizeof buf);
        out += buf;
        break;
      }
      case P::tcp:
        out += std::to_string((static_cast<unsigned char>(c.value[0]) << 8) | static_cast<unsigned char>(c.value[1]));
        break;
      case P::dns:
      case P::dns4:
      case P::dns6:
        out += c.value;
        break;
      case P::p2p_circuit:
        out.pop_back();  // no value: no separator after the name
        break;
      case P::p2p:
        out += PeerId::from_multihash({reinterpret_cast<const std::uint8_t*>(c.value.data()), c.value.size()})
                   ->to_string();
        break;
    }
  }
  return out;
}

std::optional<PeerId> Multiaddr::peer_id() const {
  for (auto it = components_.rbegin(); it != components_.rend(); ++it) {
    const auto& c = *it;
    if (c.protocol == P::p2p) {
      auto id = PeerId::from_multihash({reinterpret_cast<const std::uint8_t*>(c.value.data()), c.value.size()});
      if (id) return *id;
    }
  }
  return std::nullopt;
}

std::optional<std::uint16_t> Multiaddr::tcp_port() const {
  for (const auto& c : components_) {
    if (c.protocol == P::tcp) {
      return static_cast<std::uint16_t>((static_cast<unsigned char>(c.value[0]) << 8) |
                                        static_cast<unsigned char>(c.value[1]));
    }
  }
  return std::nullopt;
}

Multiaddr Multiaddr::without_peer_id() const {
  Multiaddr out = *this;
  if (!out.components_.empty() && out.components_.back().protocol == P::p2p) out.components_.pop_back();
  return out;
}

Multiaddr Multiaddr::with_peer_id(const PeerId& id) const {
  Multiaddr out = without_peer_id();
  out.components_.push_back({P::p2p, id.multihash()});
  return out;
}

}  // namespace agentmesh::core
