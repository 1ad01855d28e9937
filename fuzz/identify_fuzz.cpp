// Fuzzes the identify decoder; what decodes re-encodes and decodes equal.
#include <cstdint>
#include <cstdlib>

#include "wire/identify.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentmesh::wire::identify;
  auto info = decode({data, size});
  if (!info) return 0;
  const auto again = encode(*info);
  auto back = decode({reinterpret_cast<const std::uint8_t*>(again.data()), again.size()});
  if (!back || back->peer != info->peer || back->listen_addrs != info->listen_addrs ||
      back->protocols != info->protocols || back->agent_version != info->agent_version) {
    std::abort();
  }
  return 0;
}
