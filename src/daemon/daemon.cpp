#include "daemon/daemon.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "api/a2a_gateway.hpp"
#include "api/a2a_outbound.hpp"
#include "api/rate_history.hpp"
#include "api/server.hpp"
#include "core/fs.hpp"
#include "core/spawn.hpp"
#include "daemon/data_dir.hpp"
#include "daemon/logging.hpp"
#include "node/node.hpp"

namespace agentmesh::daemon {

namespace asio = boost::asio;

namespace {

// The A2A gateway's listener and handler (null when not configured).
struct A2a {
  std::unique_ptr<api::Server> server;
  std::shared_ptr<api::A2aGateway> gateway;
};

// The A2A gateway's listener, when configured: bound, its port in
// <data dir>/a2a.port, accepting, in `out`. An error when it cannot start
// (`why` says why).
Result<void> start_a2a(asio::io_context& ioc, const DaemonConfig& config, const node::NodeHandle& node,
                       Logging& logging, std::shared_ptr<core::TaskReporter> tasks, A2a& out, std::string& why) {
  if (!config.a2a) return {};
  const auto& a = *config.a2a;
  auto log = logging.get("a2a");
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(a.host, ec);
  if (ec) {
    why = fmt::format("A2A host \"{}\" is not an IP address", a.host);
    return make_error_code(boost::system::errc::invalid_argument);
  }
  if (!addr.is_loopback() && a.tls_cert.empty()) {
    if (!config.a2a_insecure) {
      why = fmt::format(
          "the A2A gateway would listen on {} without TLS: give --a2a-tls-cert and --a2a-tls-key, or bind a "
          "loopback address behind a TLS-terminating proxy, or pass --a2a-insecure",
          a.host);
      return make_error_code(boost::system::errc::invalid_argument);
    }
    log->warn(
        "A2A gateway on {} without TLS (--a2a-insecure): bearer tokens and task contents cross the network "
        "in clear text; anyone on the path can read them and replay the tokens",
        a.host);
  }
  api::A2aGatewayConfig gateway = config.a2a_gateway;
  api::Server::HandlerFactory make = [node, gateway, log, &out, ex = ioc.get_executor()](api::ApiStats&) {
    out.gateway = std::make_shared<api::A2aGateway>(node, gateway, log);
    out.gateway->start(ex);
    return out.gateway;
  };
  api::JsonLimits json;
  auto server = std::make_unique<api::Server>(ioc, a, make, json, node, log, std::move(tasks));
  auto port = server->listen(why);
  if (!port) return port.error();
  if (auto r = write_port_file(config.node.data_dir, a.host, *port, "a2a.port"); !r) {
    why = fmt::format("cannot write {}: {}", (config.node.data_dir / "a2a.port").string(), r.error().message());
    return r.error();
  }
  server->start();
  log->info("A2A gateway listening on {}://{}:{}", a.tls_cert.empty() ? "http" : "https", a.host, *port);
  out.server = std::move(server);
  return {};
}

// The outbound A2A client: tasks "to": "a2a:URL" (api/a2a_outbound.hpp).
// Null when its credentials file cannot be read (`why` says why).
std::shared_ptr<api::A2aOutbound> start_outbound(asio::io_context& ioc, const DaemonConfig& config,
                                                 node::NodeHandle node, Logging& logging, std::string& why) {
  auto credentials = std::make_shared<api::A2aCredentials>(config.node.data_dir / "a2a-credentials.json");
  if (auto r = credentials->load(why); !r) return nullptr;
  api::A2aOutboundConfig outbound_config;
  outbound_config.http = config.a2a_gateway.webhooks;  // the same address rule, trust store and timeout
  auto outbound = std::make_shared<api::A2aOutbound>(std::move(node), outbound_config, credentials, logging.get("a2a"));
  outbound->start(ioc.get_executor());
  return outbound;
}

}  // namespace

int run_daemon(const DaemonConfig& config) {
  // Nothing the daemon creates is for other users: the database, its WAL,
  // keys, tokens, the port file (docs/security.md, "At rest").
  ::umask(077);
  Logging logging(config.log_level, config.log_format);
  auto log = logging.get("daemon");
  const auto& dir = config.node.data_dir;
  std::string why;

  if (auto r = core::ensure_private_dir(dir); !r) {
    log->critical("cannot create data directory {}: {}", dir.string(), r.error().message());
    return 1;
  }
  if (auto msg = core::check_dir_private(dir); !msg.empty()) {
    log->critical("{}", msg);
    return 1;
  }
  auto lock = DataDirLock::acquire(dir, why);
  if (!lock) {
    log->critical("{}", why);
    return 1;
  }

  asio::io_context ioc(1);
  auto node = node::Node::open(ioc.get_executor(), config.node, logging.get("node"), why);
  if (!node) {
    log->critical("{}", why);
    return 1;
  }
  auto token = load_or_create_admin_token(dir, why);
  if (!token) {
    log->critical("{}", why);
    return 1;
  }

  auto outbound = start_outbound(ioc, config, node::NodeHandle(*node), logging, why);
  if (!outbound) {
    log->critical("{}", why);
    (*node)->stop();
    return 1;
  }

  auto rates = std::make_shared<api::RateHistory>();
  api::RouterConfig router_config;
  router_config.outbound = outbound;
  router_config.rates = rates;
  router_config.admin_token = *token;
  router_config.listen_host = config.api.host;
  router_config.json.max_payload_bytes = config.node.max_payload_bytes;
  auto a2a = std::make_shared<A2a>();
  router_config.a2a = [a2a]() -> std::optional<api::A2aFigures> {
    if (!a2a->server || !a2a->gateway) return std::nullopt;
    return api::A2aFigures{a2a->server->stats(), a2a->gateway->stats()};
  };
  api::Server server(ioc, config.api, router_config, node::NodeHandle(*node), logging.get("api"),
                     (*node)->task_reporter());
  auto port = server.listen(why);
  if (!port) {
    log->critical("{}", why);
    return 1;
  }
  if (auto r = write_port_file(dir, config.api.host, *port); !r) {
    log->critical("cannot write {}: {}", (dir / "api.port").string(), r.error().message());
    return 1;
  }
  server.start();
  core::spawn(ioc.get_executor(), (*node)->task_reporter(), "rate_sampler", {},
              [&server, weak = std::weak_ptr<api::RateHistory>(rates), handle = node::NodeHandle(*node)]() {
                return api::sample_rates(handle, server.stats(), weak, std::make_shared<core::SystemClock>());
              });
  if (auto started = start_a2a(ioc, config, node::NodeHandle(*node), logging, (*node)->task_reporter(), *a2a, why);
      !started) {
    log->critical("{}", why);
    (*node)->stop();
    remove_port_file(dir);
    return 1;
  }
  if (auto r = (*node)->start_network(why); !r) {
    log->critical("{}", why);
    (*node)->stop();
    remove_port_file(dir);
    return 1;
  }
  log->info("agentmesh {} listening on http://{}:{} (data dir {})", AGENTMESH_VERSION, config.api.host, *port,
            dir.string());

  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  bool stopping = false;
  std::function<void(const boost::system::error_code&, int)> on_signal;
  on_signal = [&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    if (stopping) {
      log->warn("second signal ({}): exiting now", sig);
      ::_exit(1);
    }
    stopping = true;
    log->info("signal {}: shutting down (deadline {} ms)", sig, config.shutdown_deadline.count());
    signals.async_wait(on_signal);
    core::spawn(ioc.get_executor(), (*node)->task_reporter(), "shutdown", {}, [&]() -> asio::awaitable<void> {
      (*node)->prepare_stop();
      outbound->stop();
      if (a2a->server) co_await a2a->server->shutdown(config.shutdown_deadline);
      co_await server.shutdown(config.shutdown_deadline);
      (*node)->stop();  // the writer finishes and commits every queued job
      ioc.stop();
    });
  };
  signals.async_wait(on_signal);

  ioc.run();
  outbound->stop();
  (*node)->stop();
  remove_port_file(dir);
  remove_port_file(dir, "a2a.port");
  log->info("stopped cleanly");
  return 0;
}

}  // namespace agentmesh::daemon
