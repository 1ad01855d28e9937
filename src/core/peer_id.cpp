#include "core/peer_id.hpp"

#include <algorithm>

#include "core/base58.hpp"
#include "core/error.hpp"
#include "core/varint.hpp"

namespace agentmesh::core {
namespace {

constexpr std::uint8_t kIdentityHash = 0x00;
constexpr std::uint8_t kSha256Hash = 0x12;
constexpr std::uint64_t kCidV1 = 0x01;
constexpr std::uint64_t kLibp2pKeyCodec = 0x72;
// PublicKey{Type=Ed25519(1), Data=32 bytes}, deterministic encoding.
constexpr std::uint8_t kEd25519Prefix[] = {0x08, 0x01, 0x12, 0x20};

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

PeerId PeerId::from_ed25519(const PublicKey& public_key) { return PeerId(public_key); }

Result<PeerId> PeerId::from_public_key_protobuf(std::span<const std::uint8_t> pb) {
  if (pb.size() >= 2 && pb[0] == 0x08 && pb[1] != 0x01) return error::unsupported_key_type;
  if (pb.size() != 36 || !std::equal(std::begin(kEd25519Prefix), std::end(kEd25519Prefix), pb.begin())) {
    return error::invalid_multihash;
  }
  PublicKey pk{};
  std::copy(pb.begin() + 4, pb.end(), pk.begin());
  return PeerId(pk);
}

Result<PeerId> PeerId::from_multihash(std::span<const std::uint8_t> mh) {
  if (mh.size() < 2) return error::invalid_multihash;
  // sha2-256 multihashes name keys too large to inline (RSA and others): not Ed25519.
  if (mh[0] == kSha256Hash) return mh.size() == 34 && mh[1] == 32 ? error_code(error::unsupported_key_type)
                                                                   : error_code(error::invalid_multihash);
  if (mh[0] != kIdentityHash) return error::invalid_multihash;
  auto len = read_uvarint(mh.subspan(1));
  if (!len || len->value != mh.size() - 1 - len->size) return error::invalid_multihash;
  return from_public_key_protobuf(mh.subspan(1 + len->size));
}

Result<PeerId> PeerId::parse(std::string_view text) {
  if (text.empty()) return error::invalid_base_encoding;
  if (text[0] == 'b') {  // CIDv1, multibase base32
    auto raw = base32_decode(text.substr(1));
    if (!raw) return raw.error();
    const auto b = bytes_of(*raw);
    auto version = read_uvarint(b);
    if (!version || version->value != kCidV1) return error::invalid_multihash;
    auto codec = read_uvarint(b.subspan(version->size));
    if (!codec || codec->value != kLibp2pKeyCodec) return error::invalid_multihash;
    return from_multihash(b.subspan(version->size + codec->size));
  }
  auto raw = base58_decode(text);
  if (!raw) return raw.error();
  return from_multihash(bytes_of(*raw));
}

std::string PeerId::public_key_protobuf() const {
  std::string out(reinterpret_cast<const char*>(kEd25519Prefix), sizeof kEd25519Prefix);
  out.append(reinterpret_cast<const char*>(public_key_.data()), public_key_.size());
  return out;
}

std::string PeerId::multihash() const {
  const auto pb = public_key_protobuf();
  std::string out(1, static_cast<char>(kIdentityHash));
  append_uvarint(out, pb.size());
  return out + pb;
}

std::string PeerId::to_string() const { return base58_encode(multihash()); }

std::string PeerId::to_cid() const {
  std::string cid;
  append_uvarint(cid, kCidV1);
  append_uvarint(cid, kLibp2pKeyCodec);
  return "b" + base32_encode(cid + multihash());
}

}  // namespace agentmesh::core
