#pragma once
// Compact binary encoding of the list- and map-valued columns (capabilities,
// message metadata). Format, all lengths as unsigned LEB128 varints:
//
//   list := count { len bytes }*
//   map  := count { klen kbytes vlen vbytes }*
//
// Decoders are bounded (item count and total size), accept only minimal
// varints (one encoding per value) and reject trailing bytes;
// a failure is store::error::corrupt. Fuzzed by fuzz/record_codec_fuzz.cpp.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "store/records.hpp"

namespace agentmesh::store {

struct CodecLimits {
  std::size_t max_items = 4096;
  std::size_t max_item_bytes = 1 << 20;
};

std::string encode_string_list(const std::vector<std::string>& items);
Result<std::vector<std::string>> decode_string_list(std::span<const std::uint8_t> bytes, CodecLimits limits = {});

std::string encode_metadata(const Metadata& map);
Result<Metadata> decode_metadata(std::span<const std::uint8_t> bytes, CodecLimits limits = {});

}  // namespace agentmesh::store
