// Fuzzes the decoders of stored records (capability lists, metadata maps):
// decoding arbitrary bytes must not crash, and whatever decodes must
// re-encode to exactly the same bytes (the encoding is canonical).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "store/record_codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentmesh::store;
  const std::span<const std::uint8_t> bytes(data, size);
  const std::string_view original(reinterpret_cast<const char*>(data), size);
  if (auto list = decode_string_list(bytes)) {
    if (encode_string_list(*list) != original) std::abort();
  }
  if (auto md = decode_metadata(bytes)) {
    if (encode_metadata(*md) != original) std::abort();
  }
  return 0;
}
