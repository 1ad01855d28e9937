#include "wire/peer_record.hpp"

#include "core/varint.hpp"
#include "peer_record.pb.h"
#include "wire/error.hpp"

namespace agentmesh::wire::peer_record {
namespace {

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string signing_bytes(std::string_view domain, std::string_view payload_type, std::string_view payload) {
  std::string out;
  for (std::string_view part : {domain, payload_type, payload}) core::append_lp(out, part);
  return out;
}

}  // namespace

std::string seal_envelope(const crypto::SigningKey& key, std::string_view domain, std::string_view payload_type,
                          std::string_view payload) {
  const auto peer = core::PeerId::from_ed25519(key.public_key());
  const auto sig = key.sign(bytes_of(signing_bytes(domain, payload_type, payload)));
  pb::Envelope env;
  env.set_public_key(peer.public_key_protobuf());
  env.set_payload_type(std::string(payload_type));
  env.set_payload(std::string(payload));
  env.set_signature(std::string(sig.begin(), sig.end()));
  return env.SerializeAsString();
}

Result<Opened> open_envelope(std::span<const std::uint8_t> bytes, std::string_view domain,
                             std::string_view payload_type) {
  if (bytes.size() > kMaxBytes) return error::frame_too_large;
  pb::Envelope env;
  if (!env.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return error::bad_protobuf;
  if (!env.has_public_key() || !env.has_payload() || !env.has_signature() || env.payload_type() != payload_type) {
    return error::bad_protobuf;
  }
  auto signer = core::PeerId::from_public_key_protobuf(bytes_of(env.public_key()));
  if (!signer) return error::bad_protobuf;
  if (env.signature().size() != 64) return error::bad_identity_signature;
  crypto::Signature sig{};
  std::copy(env.signature().begin(), env.signature().end(), sig.begin());
  if (!crypto::verify(signer->public_key(), bytes_of(signing_bytes(domain, env.payload_type(), env.payload())), sig)) {
    return error::bad_identity_signature;
  }
  return Opened{*signer, std::move(*env.mutable_payload())};
}

std::string seal(const crypto::SigningKey& key, std::uint64_t seq, const std::vector<core::Multiaddr>& addrs) {
  const auto peer = core::PeerId::from_ed25519(key.public_key());
  pb::PeerRecord record;
  record.set_peer_id(peer.multihash());
  record.set_seq(seq);
  for (const auto& a : addrs) {
    if (static_cast<std::size_t>(record.addresses_size()) >= kMaxAddrs) break;
    record.add_addresses()->set_multiaddr(a.without_peer_id().to_bytes());
  }
  return seal_envelope(key, kDomain, kPayloadType, record.SerializeAsString());
}

Result<PeerRecord> open(std::span<const std::uint8_t> bytes) {
  auto opened = open_envelope(bytes, kDomain, kPayloadType);
  if (!opened) return opened.error();
  const auto& signer = opened->signer;
  pb::PeerRecord record;
  if (!record.ParseFromString(opened->payload)) return error::bad_protobuf;
  auto peer = core::PeerId::from_multihash(bytes_of(record.peer_id()));
  if (!peer || *peer != signer) return error::bad_protobuf;
  if (static_cast<std::size_t>(record.addresses_size()) > kMaxAddrs) return error::bad_protobuf;
  PeerRecord out(*peer);
  out.seq = record.seq();
  for (const auto& a : record.addresses()) {
    auto ma = core::Multiaddr::from_bytes(bytes_of(a.multiaddr()));
    if (!ma) return error::bad_protobuf;
    out.addrs.push_back(std::move(*ma));
  }
  return out;
}

}  // namespace agentmesh::wire::peer_record
