// Fuzzes the pubsub RPC decoder: what decodes re-encodes and decodes equal
// (presence included), and signing_bytes never throws.
#include <cstdint>
#include <cstdlib>

#include "wire/pubsub.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentmesh::wire::pubsub;
  auto rpc = decode({data, size});
  if (!rpc) return 0;
  const auto again = encode(*rpc);
  auto back = decode({reinterpret_cast<const std::uint8_t*>(again.data()), again.size()});
  if (!back || !(*back == *rpc)) std::abort();
  for (const auto& m : rpc->publish) (void)signing_bytes(m);
  return 0;
}
