#pragma once
// core::bytes_of: a string's bytes as a byte span (no copy; valid while the
// string is).

#include <cstdint>
#include <span>
#include <string_view>

namespace agentmesh::core {

inline std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace agentmesh::core
