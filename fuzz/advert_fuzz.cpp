// Fuzzes the advert decoder: whatever decodes re-encodes to something that
// decodes to the same fields, and signing_bytes/verify never throw.
#include <cstdint>
#include <cstdlib>

#include "wire/advert.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentmesh::wire::advert;
  auto a = decode({data, size});
  if (!a) return 0;
  (void)verify(*a);
  const auto again = encode(*a);
  auto back = decode({reinterpret_cast<const std::uint8_t*>(again.data()), again.size()});
  if (!back || back->peer != a->peer || back->capabilities != a->capabilities || back->seq != a->seq ||
      back->signature != a->signature || signing_bytes(*back) != signing_bytes(*a)) {
    std::abort();
  }
  return 0;
}
