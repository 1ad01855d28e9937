#include "wire/advert.hpp"

#include "advert.pb.h"
#include "core/varint.hpp"
#include "wire/error.hpp"

namespace agentmesh::wire::advert {
namespace {

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

std::string encode(const Advert& a) {
  pb::AgentAdvert m;
  m.set_version(a.version);
  m.set_agent(std::string(a.agent.begin(), a.agent.end()));
  m.set_peer(a.peer.multihash());
  for (const auto& addr : a.addrs) m.add_addrs(addr.without_peer_id().to_bytes());
  for (const auto& c : a.capabilities) m.add_capabilities(c);
  m.set_display_name(a.display_name);
  m.set_seq(a.seq);
  m.set_expires_ms(a.expires_ms);
  if (!a.a2a.empty()) m.set_a2a(a.a2a);
  m.set_signature(std::string(a.signature.begin(), a.signature.end()));
  return m.SerializeAsString();
}

Result<Advert> decode(std::span<const std::uint8_t> bytes) {
  if (bytes.size() > kMaxBytes) return error::frame_too_large;
  pb::AgentAdvert m;
  if (!m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return error::bad_protobuf;
  if (!m.has_version() || !m.has_seq() || !m.has_expires_ms() || m.agent().size() != 32 || m.signature().size() != 64 ||
      static_cast<std::size_t>(m.addrs_size()) > kMaxAddrs ||
      static_cast<std::size_t>(m.capabilities_size()) > kMaxCapabilities || m.display_name().size() > kMaxTextBytes ||
      m.a2a().size() > kMaxA2aBytes) {
    return error::bad_protobuf;
  }
  auto peer = core::PeerId::from_multihash(bytes_of(m.peer()));
  if (!peer) return error::bad_protobuf;
  Advert a(*peer);
  a.version = m.version();
  std::copy(m.agent().begin(), m.agent().end(), a.agent.begin());
  for (const auto& raw : m.addrs()) {
    auto addr = core::Multiaddr::from_bytes(bytes_of(raw));
    if (!addr) return error::bad_protobuf;
    a.addrs.push_back(std::move(*addr));
  }
  for (const auto& c : m.capabilities()) {
    if (c.empty() || c.size() > kMaxTextBytes) return error::bad_protobuf;
    a.capabilities.push_back(c);
  }
  a.display_name = m.display_name();
  a.seq = m.seq();
  a.expires_ms = m.expires_ms();
  a.a2a = m.a2a();
  std::copy(m.signature().begin(), m.signature().end(), a.signature.begin());
  return a;
}

std::string signing_bytes(const Advert& a) {
  std::string out = "agentmesh/advert/v1";
  core::append_be(out, a.version, 4);
  out.append(a.agent.begin(), a.agent.end());
  core::append_lp(out, a.peer.multihash());
  core::append_uvarint(out, a.addrs.size());
  for (const auto& addr : a.addrs) core::append_lp(out, addr.without_peer_id().to_bytes());
  core::append_uvarint(out, a.capabilities.size());
  for (const auto& c : a.capabilities) core::append_lp(out, c);
  core::append_lp(out, a.display_name);
  core::append_be(out, a.seq, 8);
  core::append_be(out, a.expires_ms, 8);
  if (!a.a2a.empty()) core::append_lp(out, a.a2a);
  return out;
}

void sign(Advert& a, const crypto::SigningKey& agent_key) {
  const auto& pk = agent_key.public_key();
  std::copy(pk.begin(), pk.end(), a.agent.begin());
  const auto sig = agent_key.sign(bytes_of(signing_bytes(a)));
  std::copy(sig.begin(), sig.end(), a.signature.begin());
}

bool verify(const Advert& a) {
  crypto::PublicKey key{};
  std::copy(a.agent.begin(), a.agent.end(), key.begin());
  crypto::Signature sig{};
  std::copy(a.signature.begin(), a.signature.end(), sig.begin());
  return crypto::verify(key, bytes_of(signing_bytes(a)), sig);
}

}  // namespace agentmesh::wire::advert
