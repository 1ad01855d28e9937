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

// Decodes lowercase hex. Uppercase letters, odd lengths and any other
// character yield core::error::invalid_hex: ids have exactly one text form.
Result<std::vector<std::uint8_t>> from_hex(std::string_view text);

// Decodes lowercase hex into exactly out.size() bytes.
Result<void> from_hex_into(std::string_view text, std::span<std::uint8_t> out);

}  // namespace agentmesh::core
