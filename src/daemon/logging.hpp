#pragma once
// Logging setup: one stderr sink shared by per-component loggers ("daemon",
// "node", "api", ...), text or JSON lines. Loggers are passed to the modules
// explicitly; nothing is registered globally (tests build many nodes in one
// process). Log lines never contain tokens, keys or message payloads.

#include <memory>
#include <spdlog/logger.h>
#include <string>

namespace agentmesh::daemon {

class Logging {
 public:
  // level: trace|debug|info|warn|error|critical|off; format: text|json.
  Logging(const std::string& level, const std::string& format);
  std::shared_ptr<spdlog::logger> get(const std::string& component) const;

 private:
  spdlog::sink_ptr sink_;
  spdlog::level::level_enum level_;
};

}  // namespace agentmesh::daemon
