#include "core/base58.hpp"

#include <array>
#include <cstdint>
#include <vector>

#include "core/error.hpp"

namespace agentmesh::core {
namespace {

constexpr char kB58[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
constexpr char kB32[] = "abcdefghijklmnopqrstuvwxyz234567";
// Bounds the quadratic conversion: PeerIds and CIDs are well under this.
constexpr std::size_t kMaxBase58Text = 256;

}  // namespace

std::string base58_encode(std::string_view in) {
  std::size_t zeros = 0;
  while (zeros < in.size() && in[zeros] == 0) ++zeros;
  std::vector<std::uint8_t> digits;  // base-58 digits, least significant first
  for (std::size_t i = zeros; i < in.size(); ++i) {
    std::uint32_t carry = static_cast<std::uint8_t>(in[i]);
    for (auto& d : digits) {
      carry += static_cast<std::uint32_t>(d) << 8;
      d = static_cast<std::uint8_t>(carry % 58);
      carry /= 58;
    }
    while (carry > 0) {
      digits.push_back(static_cast<std::uint8_t>(carry % 58));
      carry /= 58;
    }
  }
  std::string out(zeros, '1');
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) out.push_back(kB58[*it]);
  return out;
}

Result<std::string> base58_decode(std::string_view text) {
  if (text.size() > kMaxBase58Text) return error::invalid_base_encoding;
  std::size_t ones = 0;
  while (ones < text.size() && text[ones] == '1') ++ones;
  std::vector<std::uint8_t> bytes;  // least significant first
  for (std::size_t i = ones; i < text.size(); ++i) {
    const char* p = std::char_traits<char>::find(kB58, 58, text[i]);
    if (!p) return error::invalid_base_encoding;
    std::uint32_t carry = static_cast<std::uint32_t>(p - kB58);
    for (auto& b : bytes) {
      carry += static_cast<std::uint32_t>(b) * 58;
      b = static_cast<std::uint8_t>(carry & 0xff);
      carry >>= 8;
    }
    while (carry > 0) {
      bytes.push_back(static_cast<std::uint8_t>(carry & 0xff));
      carry >>= 8;
    }
  }
  std::string out(ones, '\0');
  for (auto it = bytes.rbegin(); it != bytes.rend(); ++it) out.push_back(static_cast<char>(*it));
  return out;
}

std::string base32_encode(std::string_view in) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : in) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kB32[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kB32[(buffer << (5 - bits)) & 31]);
  return out;
}

Result<std::string> base32_decode(std::string_view text) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const char* p = std::char_traits<char>::find(kB32, 32, c);
    if (!p) return error::invalid_base_encoding;
    buffer = (buffer << 5) | static_cast<std::uint32_t>(p - kB32);
    bits += 5;
    if (bits >= 8) {
      out.push_back(static_cast<char>((buffer >> (bits - 8)) & 0xff));
      bits -= 8;
    }
  }
  // Leftover bits must be zero padding shorter than a byte (canonical form).
  if (bits >= 5 || (buffer & ((1u << bits) - 1)) != 0) return error::invalid_base_encoding;
  return out;
}

}  // namespace agentmesh::core
