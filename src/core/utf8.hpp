#pragma once
// UTF-8 validation (RFC 3629: no overlongs, no surrogates, max U+10FFFF).

#include <string_view>

namespace agentmesh::core {

bool is_valid_utf8(std::string_view text);

}  // namespace agentmesh::core
