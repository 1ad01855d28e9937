// libFuzzer: the MCP server's input (cli/mcp.hpp Session), one JSON-RPC
// message per line, as an MCP client (and the model choosing tool arguments)
// sends it. The daemon behind it is a double that is never reachable, so every
// tool runs its argument checks and then its "daemon unavailable" path. Every
// message the session writes must be a JSON-RPC 2.0 object.

#include <boost/json/parse.hpp>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string_view>

#include "cli/mcp.hpp"

namespace agentmesh::cli::mcp {

// The double: the real DaemonLink (src/cli/mcp_link.cpp) is not linked here.
DaemonLink::DaemonLink(Global g, std::string agent)
    : g_(std::move(g)), agent_(std::move(agent)), data_dir_("/nonexistent/agentmesh-fuzz") {}
std::string DaemonLink::agent_path() const { return "/v1/agents/" + url_escape(agent_); }
DaemonLink::Answer DaemonLink::call(std::string_view, const std::string&, const json::value&) const {
  Answer a;
  a.unreachable = "no daemon (fuzzing)";
  return a;
}
bool DaemonLink::stream(const std::string&, const std::string&,
                        const std::function<bool(const std::string&, const std::string&, const std::string&)>&,
                        const std::function<bool()>&, std::string& why) const {
  why = "no daemon (fuzzing)";
  return false;
}

}  // namespace agentmesh::cli::mcp

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentmesh::cli;
  static mcp::DaemonLink link(Global{}, "fuzz");
  std::mutex mu;
  {
    mcp::Session s(link, "fuzz", [&](const std::string& text) {
      std::lock_guard lock(mu);
      boost::system::error_code ec;
      auto v = boost::json::parse(text, ec);
      if (ec || !v.is_object() || v.as_object().if_contains("jsonrpc") == nullptr) std::abort();
    });
    std::string_view input(reinterpret_cast<const char*>(data), size);
    while (!input.empty()) {
      const auto nl = input.find('\n');
      s.handle(input.substr(0, nl));
      if (nl == std::string_view::npos) break;
      input.remove_prefix(nl + 1);
    }
    s.finish();
  }
  return 0;
}
