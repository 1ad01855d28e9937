#pragma once
// Lowercase hexadecimal encoding, the text form of every binary id in JSON,
// file names and logs.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace agentmesh::core {

// Encodes `bytes` as lowercase hex (two characters per byte).
std::string to_hex(std::span<const std::uint8_t> bytes);

// RFC 3986 percent-encoding for a URL path segment or query value: the
// unreserved characters (A-Z a-z 0-9 - . _ ~) as they are, every other byte
// as %XX (uppercase hex).
std::string percent_encode(std::string_view s);

// Decodes lowercase hex. Uppercase letters, odd lengths and any other
// character yield core::error::invalid_hex: ids have exactly one text form.
Result<std::vector<std::uint8_t>> from_hex(std::string_view text);

// Decodes lowercase hex into exactly out.size() bytes.
Result<void> from_hex_into(std::string_view text, std::span<std::uint8_t> out);

}  // namespace agentmesh::core
