#include "core/varint.hpp"

#include "core/error.hpp"

namespace agentmesh::core {

void append_uvarint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

Result<Varint> read_uvarint(std::span<const std::uint8_t> in) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < kMaxVarintBytes; ++i) {
    if (i >= in.size()) return error::invalid_varint;
    const std::uint8_t b = in[i];
    value |= static_cast<std::uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) {
      if (b == 0 && i > 0) return error::invalid_varint;  // not minimal
      return Varint{value, i + 1};
    }
  }
  return error::invalid_varint;
}

void append_lp(std::string& out, std::string_view payload) {
  append_uvarint(out, payload.size());
  out.append(payload);
}

void append_be(std::string& out, std::uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>(value >> (8 * i)));
}

Result<LpFrame> read_lp(std::span<const std::uint8_t> in, std::size_t max_len) {
  auto len = read_uvarint(in);
  if (!len) return len.error();
  if (len->value > max_len) return error::out_of_range;
  if (in.size() - len->size < len->value) return error::out_of_range;
  return LpFrame{in.subspan(len->size, len->value), len->size + len->value};
}

}  // namespace agentmesh::core
