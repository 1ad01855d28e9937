// Fuzzes the Noise handshake as both roles and the handshake payload
// decoder. The first byte picks the step; the rest is the peer's message.
// Invariants: no crash, no leak; a failed step leaves no remote identity.
#include <cstdint>
#include <cstdlib>

#include "wire/noise.hpp"

namespace {
const agentmesh::crypto::SigningKey& key() {
  static const auto k = agentmesh::crypto::SigningKey::generate();
  return k;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentmesh::wire::noise;
  if (size == 0) return 0;
  const std::uint8_t mode = data[0] % 4;
  std::span<const std::uint8_t> msg(data + 1, size - 1);
  switch (mode) {
    case 0: {  // responder reads msg1, writes msg2
      Handshake h(Handshake::Role::responder, key());
      if (h.read_message(msg)) (void)h.write_message();
      break;
    }
    case 1: {  // initiator reads msg2 (after its msg1)
      Handshake h(Handshake::Role::initiator, key());
      (void)h.write_message();
      if (!h.read_message(msg) && h.remote_peer()) std::abort();
      break;
    }
    case 2: {  // the payload decoder on its own
      (void)decode_payload(msg);
      break;
    }
    default: {  // a transport frame
      TransportCipher c(agentmesh::crypto::SymmetricKey{});
      std::string out;
      (void)c.open(msg, out);
      break;
    }
  }
  return 0;
}
