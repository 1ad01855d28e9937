// Fuzzes the direct-message decoders (envelope, body, ack, gossip inbox item): what decodes
// re-encodes and decodes equal; the canonical header and ack bytes never throw; an ack's
// reason maps to the code it spells or to unrecognized_reason, never to anything else.
#include <cstdint>
#include <cstdlib>

#include "direct/states.hpp"
#include "wire/direct.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentmesh::wire::direct;
  auto span_of = [](const std::string& s) {
    return std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  };
  if (auto e = decode_envelope({data, size})) {
    (void)header_bytes(*e);
    auto back = decode_envelope(span_of(encode(*e)));
    if (!back || !(*back == *e)) std::abort();
  }
  if (auto b = decode_body({data, size})) {
    auto back = decode_body(span_of(encode(*b)));
    if (!back || !(*back == *b)) std::abort();
  }
  if (auto a = decode_ack({data, size})) {
    (void)ack_bytes(*a);
    auto back = decode_ack(span_of(encode(*a)));
    if (!back || !(*back == *a)) std::abort();
    const auto code = agentmesh::direct::parse_reason_code(a->reason);
    if (code != agentmesh::direct::error::unrecognized_reason && agentmesh::direct::reason_code(code) != a->reason) {
      std::abort();
    }
  }
  if (auto item = decode_inbox_item({data, size})) {
    auto back = decode_inbox_item(span_of(encode(*item)));
    if (!back || !(*back == *item)) std::abort();
  }
  return 0;
}
