#include "daemon/daemon.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include "api/server.hpp"
#include "core/fs.hpp"
#include "core/spawn.hpp"
#include "daemon/data_dir.hpp"
#include "daemon/logging.hpp"
#include "node/node.hpp"

namespace agentmesh::daemon {

namespace asio = boost::asio;

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

  api::RouterConfig router_config;
  router_config.admin_token = *token;
  router_config.json.max_payload_bytes = config.node.max_payload_bytes;
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
      co_await server.shutdown(config.shutdown_deadline);
      (*node)->stop();  // the writer finishes and commits every queued job
      ioc.stop();
    });
  };
  signals.async_wait(on_signal);

  ioc.run();
  (*node)->stop();
  remove_port_file(dir);
  log->info("stopped cleanly");
  return 0;
}

}  // namespace agentmesh::daemon
