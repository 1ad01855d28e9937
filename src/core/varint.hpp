#pragma once
// Unsigned varints (multiformats uvarint = LEB128, at most 9 bytes, minimal
// encoding only) and length-prefixed framing `lp(x) = uvarint(len) || x`,
// the building blocks of every libp2p wire format (multiformats
// unsigned-varint spec).

#include <cstdint>
#include <span>
#include <string>

#include "core/result.hpp"

namespace agentmesh::core {

constexpr std::size_t kMaxVarintBytes = 9;  // multiformats limit (values < 2^63)

void append_uvarint(std::string& out, std::uint64_t value);

struct Varint {
  std::uint64_t value = 0;
  std::size_t size = 0;  // bytes consumed
};
// Decodes one varint at the start of `in`. error::invalid_varint when it is
// truncated, longer than 9 bytes or not minimal (e.g. 80 00).
Result<Varint> read_uvarint(std::span<const std::uint8_t> in);

// Appends lp(payload).
void append_lp(std::string& out, std::string_view payload);
// Appends the low `bytes` bytes of `value`, big-endian (fixed-width fields of
// the canonical signing/AD byte strings).
void append_be(std::string& out, std::uint64_t value, int bytes);

struct LpFrame {
  std::span<const std::uint8_t> payload;
  std::size_t size = 0;  // bytes consumed, prefix included
};
// Reads one lp frame whose payload is at most `max_len` bytes; the length is
// checked before anything is read past the prefix. A truncated frame is
// error::invalid_varint (bad prefix) or error::out_of_range (too long or not
// yet complete: check `in.size()` to tell them apart when streaming).
Result<LpFrame> read_lp(std::span<const std::uint8_t> in, std::size_t max_len);

}  // namespace agentmesh::core
