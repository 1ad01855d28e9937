#pragma once
// Standard base64 (RFC 4648 section 4, with padding), used for binary
// payloads in JSON (`body_base64`). Decoding is strict: no whitespace, no
// missing or misplaced padding, no non-zero trailing bits.

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace agentmesh::core {

std::string base64_encode(std::string_view bytes);
// core::error::invalid_hex is not reused: failures are error::invalid_length
// (bad length or padding) or error::out_of_range (a character outside the alphabet).
Result<std::string> base64_decode(std::string_view text);

}  // namespace agentmesh::core
