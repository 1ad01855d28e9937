// Fuzzes the topic replay decoders (request and batch): what decodes
// re-encodes and decodes equal.
#include <cstdint>
#include <cstdlib>

#include "wire/replay.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentmesh::wire;
  if (auto r = replay::decode_request({data, size})) {
    const auto again = replay::encode(*r);
    auto back = replay::decode_request({reinterpret_cast<const std::uint8_t*>(again.data()), again.size()});
    if (!back || back->topic != r->topic || back->since_ms != r->since_ms || back->max_messages != r->max_messages) {
      std::abort();
    }
  }
  if (auto b = replay::decode_batch({data, size})) {
    if (b->received_ms.size() != b->rpc.publish.size()) std::abort();
    const auto again = replay::encode(*b);
    auto back = replay::decode_batch({reinterpret_cast<const std::uint8_t*>(again.data()), again.size()});
    if (!back || back->received_ms != b->received_ms || !(back->rpc == b->rpc)) std::abort();
  }
  return 0;
}
