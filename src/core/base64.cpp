#include "core/base64.hpp"

#include <array>
#include <cstdint>

#include "core/error.hpp"

namespace agentmesh::core {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> make_table() {
  std::array<std::int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < 64; ++i) t[static_cast<std::uint8_t>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  return t;
}
constexpr auto kTable = make_table();

}  // namespace

std::string base64_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  const auto* p = reinterpret_cast<const std::uint8_t*>(in.data());
  for (; i + 3 <= in.size(); i += 3) {
    const std::uint32_t v = (p[i] << 16) | (p[i + 1] << 8) | p[i + 2];
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (const auto rest = in.size() - i; rest > 0) {
    const std::uint32_t v = (p[i] << 16) | (rest == 2 ? p[i + 1] << 8 : 0);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<std::string> base64_decode(std::string_view in) {
  if (in.size() % 4 != 0) return error::invalid_length;
  std::size_t pad = 0;
  if (!in.empty() && in.back() == '=') pad = (in.size() >= 2 && in[in.size() - 2] == '=') ? 2 : 1;
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (std::size_t i = 0; i < in.size(); i += 4) {
    const bool last = i + 4 == in.size();
    std::uint32_t v = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const char c = in[i + j];
      if (c == '=') {
        if (!last || j < 4 - pad) return error::invalid_length;
        v <<= 6;
        continue;
      }
      const auto d = kTable[static_cast<std::uint8_t>(c)];
      if (d < 0) return error::out_of_range;
      v = (v << 6) | static_cast<std::uint32_t>(d);
    }
    if (last && pad == 2 && (v & 0xffff) != 0) return error::out_of_range;  // non-zero trailing bits
    if (last && pad == 1 && (v & 0xff) != 0) return error::out_of_range;
    out += static_cast<char>(v >> 16);
    if (!(last && pad == 2)) out += static_cast<char>((v >> 8) & 0xff);
    if (!(last && pad >= 1)) out += static_cast<char>(v & 0xff);
  }
  return out;
}

}  // namespace agentmesh::core
