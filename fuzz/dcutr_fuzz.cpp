// Fuzzes the DCUtR decoder; what decodes re-encodes and decodes equal.
#include <cstdint>
#include <cstdlib>

#include "wire/dcutr.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentmesh::wire::dcutr;
  if (auto m = decode({data, size})) {
    const auto again = encode(*m);
    auto back = decode({reinterpret_cast<const std::uint8_t*>(again.data()), again.size()});
    if (!back || *back != *m) std::abort();
  }
  return 0;
}
