// Fuzzes the yamux frame header decoder; what decodes re-encodes to the same bytes.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "wire/yamux_frame.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentmesh::wire::yamux;
  if (auto h = decode({data, size})) {
    const auto again = encode(*h);
    if (std::memcmp(again.data(), data, kHeaderSize) != 0) std::abort();
  }
  return 0;
}
