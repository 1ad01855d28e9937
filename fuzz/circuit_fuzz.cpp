// Fuzzes the circuit relay v2 decoders (hop, stop) and the voucher opener;
// what decodes re-encodes and decodes equal.
#include <cstdint>
#include <cstdlib>

#include "wire/circuit.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentmesh::wire::circuit;
  if (size == 0) return 0;
  const std::span<const std::uint8_t> body{data + 1, size - 1};
  auto as_span = [](const std::string& s) {
    return std::span<const std::uint8_t>{reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
  };
  switch (data[0] % 3) {
    case 0:
      if (auto m = decode_hop(body)) {
        auto back = decode_hop(as_span(encode(*m)));
        if (!back || *back != *m) std::abort();
      }
      break;
    case 1:
      if (auto m = decode_stop(body)) {
        auto back = decode_stop(as_span(encode(*m)));
        if (!back || *back != *m) std::abort();
      }
      break;
    default:
      (void)open_voucher(body);
  }
  return 0;
}
