// Fuzzes the multistream-select reader and both negotiators with arbitrary
// peer bytes, split at an input-chosen point (to exercise partial reads).
#include <cstdint>
#include <cstdlib>

#include "wire/multistream.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentmesh::wire::multistream;
  if (size == 0) return 0;
  const std::size_t split = data[0] % size;
  const std::span<const std::uint8_t> all(data + 1, size - 1);
  const auto first = all.first(std::min(split, all.size()));
  const auto second = all.subspan(first.size());

  Listener listener({"/meshsub/1.1.0", "/yamux/1.0.0"});
  if (auto r = listener.on_data(first); r && !r->selected) (void)listener.on_data(second);

  Dialer dialer({"/meshsub/1.2.0", "/meshsub/1.1.0"});
  (void)dialer.start();
  if (auto r = dialer.on_data(first)) {
    if (r->selected && r->selected != "/meshsub/1.2.0" && r->selected != "/meshsub/1.1.0") std::abort();
    if (!r->selected) (void)dialer.on_data(second);
  }
  return 0;
}
