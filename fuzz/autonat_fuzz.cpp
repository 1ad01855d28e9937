// Fuzzes the AutoNAT v1 decoder; what decodes re-encodes and decodes equal.
#include <cstdint>
#include <cstdlib>

#include "wire/autonat.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentmesh::wire::autonat;
  auto message = decode({data, size});
  if (!message) return 0;
  const auto again = encode(*message);
  auto back = decode({reinterpret_cast<const std::uint8_t*>(again.data()), again.size()});
  if (!back || *back != *message) std::abort();
  return 0;
}
