#include "core/ids.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/hex.hpp"

namespace agentmesh::core {

template <std::size_t N, class Tag>
Result<FixedId<N, Tag>> FixedId<N, Tag>::parse(std::string_view text) {
  Bytes b{};
  if (auto r = from_hex_into(text, b); !r) return r.error();
  return FixedId(b);
}

template <std::size_t N, class Tag>
Result<FixedId<N, Tag>> FixedId<N, Tag>::from_bytes(std::span<const std::uint8_t> bytes) {
  if (bytes.size() != N) return error::invalid_length;
  Bytes b{};
  std::copy(bytes.begin(), bytes.end(), b.begin());
  return FixedId(b);
}

template <std::size_t N, class Tag>
std::string FixedId<N, Tag>::to_string() const {
  return to_hex(bytes_);
}

template class FixedId<32, AgentIdTag>;
template class FixedId<16, RequestIdTag>;
template class FixedId<16, TaskIdTag>;
template class FixedId<16, TokenIdTag>;

Result<void> validate_agent_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return error::invalid_name;
  if (name == "." || name == "..") return error::invalid_name;
  const bool allowed = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  });
  if (!allowed) return error::invalid_name;
  if (name.size() == 64 && AgentId::parse(name)) return error::invalid_name;
  return {};
}

}  // namespace agentmesh::core
