// The CLI's small helpers for JSON answers (declared in cli/context.hpp),
// apart from the rest of context.cpp so that code without the daemon's
// configuration (the MCP fuzz target) can use them.

#include <fmt/format.h>

#include <boost/json/serialize.hpp>
#include <cctype>

#include "cli/context.hpp"
#include "core/hex.hpp"

namespace agentmesh::cli {
namespace json = boost::json;

std::string url_escape(std::string_view s) { return core::percent_encode(s); }

std::string str(const json::value& v, std::string_view key) {
  if (!v.is_object()) return {};
  const auto* f = v.as_object().if_contains(key);
  if (!f) return {};
  if (f->is_string()) return std::string(f->as_string());
  return json::serialize(*f);
}

std::string body_text(const json::object& m) {
  if (const auto* b = m.if_contains("body")) return std::string(b->as_string());
  if (const auto* b = m.if_contains("body_base64")) return "[base64] " + std::string(b->as_string());
  return {};
}

std::string join(const json::array& items, std::string_view sep) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : std::string(sep)) + std::string(item.as_string());
  return out;
}

}  // namespace agentmesh::cli
