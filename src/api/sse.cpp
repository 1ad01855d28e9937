#include "api/sse.hpp"

#include <fmt/format.h>

namespace agentmesh::api::sse {

std::string event(std::string_view type, std::string_view data, std::optional<std::uint64_t> id) {
  std::string out;
  out.reserve(data.size() + type.size() + 32);
  if (id) fmt::format_to(std::back_inserter(out), "id: {}\n", *id);
  fmt::format_to(std::back_inserter(out), "event: {}\n", type);
  std::size_t start = 0;
  for (;;) {
    const auto end = data.find('\n', start);
    out += "data: ";
    out += data.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    out += '\n';
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  out += '\n';
  return out;
}

}  // namespace agentmesh::api::sse
