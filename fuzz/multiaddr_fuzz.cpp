// Fuzzes the multiaddr (text and binary) and PeerId (base58, CIDv1,
// multihash) parsers. What parses must round-trip through its other form.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/multiaddr.hpp"
#include "core/peer_id.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentmesh::core;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto m = Multiaddr::from_bytes({data, size})) {
    auto again = Multiaddr::parse(m->to_string());
    if (!again || again->to_bytes() != m->to_bytes()) std::abort();
  }
  if (auto m = Multiaddr::parse(text)) {
    const auto bytes = m->to_bytes();
    auto again = Multiaddr::from_bytes({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
    if (!again || !(*again == *m)) std::abort();
  }
  if (auto id = PeerId::parse(text)) {
    if (PeerId::parse(id->to_string()).value() != *id || PeerId::parse(id->to_cid()).value() != *id) std::abort();
  }
  if (auto id = PeerId::from_multihash({data, size})) {
    if (id->multihash() != text) std::abort();
  }
  return 0;
}
