#include "core/hex.hpp"

#include <cctype>

#include "core/error.hpp"

namespace agentmesh::core {
namespace {

constexpr char kDigits[] = "0123456789abcdef";

int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::string to_hex(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.resize(bytes.size() * 2);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0x0f];
  }
  return out;
}

Result<void> from_hex_into(std::string_view text, std::span<std::uint8_t> out) {
  if (text.size() != out.size() * 2) return error::invalid_hex;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = nibble(text[2 * i]);
    const int lo = nibble(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return error::invalid_hex;
    out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  return {};
}

Result<std::vector<std::uint8_t>> from_hex(std::string_view text) {
  if (text.size() % 2 != 0) return error::invalid_hex;
  std::vector<std::uint8_t> out(text.size() / 2);
  if (auto r = from_hex_into(text, out); !r) return r.error();
  return out;
}

std::string percent_encode(std::string_view s) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kDigits[c >> 4], kDigits[c & 0xf]};
    }
  }
  return out;
}

}  // namespace agentmesh::core
