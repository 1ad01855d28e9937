#pragma once
// Daemon configuration: resolving flags, environment, TOML file and defaults
// into one validated DaemonConfig (precedence: flag > AGENTMESH_* environment
// > TOML config file > defaults). Parsed only here, at the edge; the modules
// receive plain config structs.
//
// Data directory: --data-dir, else --name NAME -> $XDG_DATA_HOME/agentmesh-NAME
// (or ~/.local/share/agentmesh-NAME), else $XDG_DATA_HOME/agentmesh (or
// ~/.local/share/agentmesh). A named instance defaults to API port 0 so that
// several run side by side; the CLI finds them through their api.port file.

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "api/a2a_gateway.hpp"
#include "api/server.hpp"
#include "core/result.hpp"
#include "node/node_config.hpp"

namespace agentmesh::daemon {

struct DaemonConfig {
  static constexpr std::chrono::milliseconds kDefaultShutdownDeadline{10'000};

  node::NodeConfig node;
  api::ApiConfig api;
  std::string log_level = "info";   // trace, debug, info, warn, error, critical, off
  std::string log_format = "text";  // text | json
  // How long in-flight requests get to finish after SIGTERM/SIGINT.
  std::chrono::milliseconds shutdown_deadline = kDefaultShutdownDeadline;
  // The A2A gateway's listener: off unless --a2a, AGENTMESH_A2A or [a2a]
  // listen names an address. It may bind a non-loopback address only with
  // TLS (a2a->tls_cert and tls_key) or a2a_insecure.
  std::optional<api::ApiConfig> a2a;
  api::A2aGatewayConfig a2a_gateway;
  bool a2a_insecure = false;
};

// Command-line values; unset options are nullopt.
struct DaemonFlags {
  std::optional<std::string> data_dir;
  std::optional<std::string> name;
  std::optional<std::string> api;  // host:port
  std::optional<std::string> config;
  std::optional<std::string> log_level;
  std::optional<std::string> log_format;
  std::optional<std::string> a2a;  // host:port
  std::optional<std::string> a2a_public_url;
  std::optional<std::string> a2a_tls_cert;  // PEM files
  std::optional<std::string> a2a_tls_key;
  bool a2a_insecure = false;
  // --autonat-service: answer other daemons' AutoNAT dial-back requests.
  bool autonat_service = false;
  // --relay-service: relay circuits for other daemons (circuit relay v2).
  bool relay_service = false;
  // --no-hole-punching: never try to move a relayed connection to a direct
  // one (DCUtR), nor help a peer do so.
  bool no_hole_punching = false;
  // --relay, repeatable: relays to hold a reservation on (with /p2p/<id>).
  std::vector<std::string> relays;
  // --listen / --bootstrap, repeatable; empty = not given.
  std::vector<std::string> listen;
  std::vector<std::string> bootstrap;
};

// Reads an environment variable; injectable for tests.
using EnvLookup = std::function<std::optional<std::string>(const char*)>;
EnvLookup process_env();

// The data directory for the given explicit dir / instance name (both may be
// empty), following the rules above.
std::filesystem::path default_data_dir(const std::optional<std::string>& data_dir,
                                       const std::optional<std::string>& name, const EnvLookup& env);

// Parses "127.0.0.1:7781", "[::1]:7781" or ":7781"/"7781" (host 127.0.0.1).
Result<std::pair<std::string, std::uint16_t>> parse_host_port(std::string_view text);

// Builds the configuration; on failure `why` says what is wrong and where.
Result<DaemonConfig> resolve_config(const DaemonFlags& flags, const EnvLookup& env, std::string& why);

}  // namespace agentmesh::daemon
