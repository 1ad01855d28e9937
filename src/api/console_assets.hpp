#pragma once
// api/console_assets: the web console's files (ui/ in the source tree and
// the pinned front-end packages under ui/node_modules), compiled into the
// binary by cmake/embed_assets.cmake so the daemon stays one file.
//
// Threading: immutable data.

#include <span>
#include <string_view>

namespace agentmesh::api {

struct ConsoleAsset {
  std::string_view path;  // relative to /ui/, e.g. "app.js"
  std::string_view content_type;
  std::string_view body;
};

std::span<const ConsoleAsset> console_assets();

// The file at `path` (relative to /ui/); nullptr when there is none.
const ConsoleAsset* find_console_asset(std::string_view path);

}  // namespace agentmesh::api
