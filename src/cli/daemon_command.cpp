// `agentmesh daemon`: run the daemon in the foreground.

#include <memory>

#include "cli/context.hpp"
#include "daemon/config.hpp"
#include "daemon/daemon.hpp"

namespace agentmesh::cli {

void add_daemon_command(CLI::App& app, int& status) {
  auto df = std::make_shared<daemon::DaemonFlags>();
  auto* d = app.add_subcommand("daemon", "run the agentmesh daemon in the foreground");
  auto* dd = d->add_option_function<std::string>(
      "--data-dir", [df](const std::string& v) { df->data_dir = v; },
      "data directory (default $XDG_DATA_HOME/agentmesh)");
  auto* nm = d->add_option_function<std::string>(
      "--name", [df](const std::string& v) { df->name = v; }, "independent named instance (own data dir, API port 0)");
  dd->excludes(nm);
  d->add_option_function<std::string>(
      "--api", [df](const std::string& v) { df->api = v; },
      "API address 127.0.0.1:PORT (default 127.0.0.1:7781; port 0 = any)");
  d->add_option_function<std::string>(
      "--config", [df](const std::string& v) { df->config = v; }, "TOML configuration file");
  d->add_option("--listen", df->listen,
                "peer-to-peer listen multiaddr, repeatable (default /ip4/0.0.0.0/tcp/7782; port 0 picks one)");
  d->add_option("--bootstrap", df->bootstrap, "peer multiaddr to connect to and keep connected, repeatable");
  d->add_flag("--autonat-service", df->autonat_service,
              "dial other daemons back when they ask whether they are reachable (AutoNAT; off by default)");
  d->add_flag("--relay-service", df->relay_service,
              "relay circuits for daemons that cannot be dialed (circuit relay v2; off by default)");
  d->add_flag("--no-hole-punching", df->no_hole_punching,
              "keep relayed connections relayed: no direct-connection upgrade through the relay (DCUtR)");
  d->add_option("--relay", df->relays,
                "relay multiaddr with /p2p/<id> to hold a reservation on and be reachable through, repeatable");
  d->add_option_function<std::string>(
      "--log-level", [df](const std::string& v) { df->log_level = v; },
      "trace|debug|info|warn|error|critical|off (default info)");
  d->add_option_function<std::string>(
      "--log-format", [df](const std::string& v) { df->log_format = v; }, "text|json (default text)");
  d->add_option_function<std::string>(
      "--a2a", [df](const std::string& v) { df->a2a = v; },
      "serve the A2A gateway on HOST:PORT (off by default; port 0 = any, written to <data dir>/a2a.port)");
  d->add_option_function<std::string>(
      "--a2a-tls-cert", [df](const std::string& v) { df->a2a_tls_cert = v; },
      "serve the A2A gateway over TLS with this PEM certificate chain (with --a2a-tls-key)");
  d->add_option_function<std::string>(
      "--a2a-tls-key", [df](const std::string& v) { df->a2a_tls_key = v; }, "the PEM private key of --a2a-tls-cert");
  d->add_flag("--a2a-insecure", df->a2a_insecure,
              "let the A2A gateway bind a non-loopback address without TLS (behind a TLS proxy)");
  d->add_option_function<std::string>(
      "--a2a-public-url", [df](const std::string& v) { df->a2a_public_url = v; },
      "the base URL Agent Cards give (default http:// or, with TLS, https:// and the request's Host)");
  d->callback([df, &status] {
    std::string why;
    auto cfg = daemon::resolve_config(*df, daemon::process_env(), why);
    if (!cfg) {
      std::fprintf(stderr, "error: %s\n", why.c_str());
      status = 2;
      return;
    }
    status = daemon::run_daemon(*cfg);
  });
}

}  // namespace agentmesh::cli
