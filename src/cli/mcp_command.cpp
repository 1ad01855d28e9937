// `agentmesh mcp`: finds (or starts) the daemon, makes sure the agent exists
// and has a token, then serves MCP on stdio (cli/mcp.hpp).

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <fstream>
#include <thread>

#include "cli/mcp.hpp"
#include "core/fs.hpp"
#include "daemon/config.hpp"

namespace agentmesh::cli::mcp {
namespace {

struct McpFlags {
  std::string agent;
  bool create = false;
  std::vector<std::string> capabilities;
  bool no_spawn = false;
};

bool daemon_answers(const DaemonLink& d) {
  auto a = d.call("GET", "/v1/health");
  return a.status == 200 || a.status == 503;
}

// Starts `agentmesh daemon` for the data dir in its own session, its output
// in <data dir>/daemon.log, and waits up to 30 s for it to answer.
void spawn_daemon(const Global& g, const DaemonLink& d) {
  const auto dir = d.data_dir();
  std::error_code ec;
  if (std::filesystem::create_directories(dir, ec)) ::chmod(dir.c_str(), 0700);  // the daemon requires 0700
  std::vector<std::string> args{"/proc/self/exe", "daemon"};
  if (!g.name.empty() && g.data_dir.empty()) {
    args.insert(args.end(), {"--name", g.name});
  } else if (!g.data_dir.empty()) {
    // A data dir of its own: an API port of its own too (the CLI reads api.port).
    args.insert(args.end(), {"--data-dir", dir.string(), "--api", "127.0.0.1:0"});
  } else {
    args.insert(args.end(), {"--data-dir", dir.string()});
  }
  const std::string exe = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  const auto log = (dir / "daemon.log").string();
  const pid_t pid = ::fork();
  if (pid < 0) fail("cannot start a daemon: fork failed");
  if (pid == 0) {
    ::setsid();  // its own session: it keeps running when this server ends
    const int in = ::open("/dev/null", O_RDONLY);
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    std::vector<char*> argv;
    args[0] = exe;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  std::fprintf(stderr, "agentmesh mcp: started a daemon for %s (log: %s)\n", dir.c_str(), log.c_str());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      fail(fmt::format("the daemon started for {} exited at once; see {}", dir.string(), log));
    }
    if (daemon_answers(d)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  fail(fmt::format("the daemon started for {} did not answer within 30 s; see {}", dir.string(), log));
}

std::filesystem::path token_file(const DaemonLink& d, const std::string& agent) {
  return d.data_dir() / "mcp" / (agent + ".token");
}

// The agent's token: kept from an earlier run, or from creating the agent.
// Without one (the agent was made elsewhere), the admin token acts for it.
void prepare_agent(const Global& g, DaemonLink& d, const McpFlags& f) {
  if (!g.token.empty()) return;  // a token given: use it as is
  const auto file = token_file(d, f.agent);
  auto got = d.call("GET", d.agent_path());
  if (got.status == 404 && f.create) {
    json::object req{{"name", f.agent}};
    if (!f.capabilities.empty()) {
      json::array caps;
      for (const auto& c : f.capabilities) caps.emplace_back(c);
      req["capabilities"] = std::move(caps);
    }
    auto made = d.call("POST", "/v1/agents", req);
    if (made.status != 201) fail(fmt::format("cannot create agent {}: {}", f.agent, json::serialize(made.body)));
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    ::chmod(file.parent_path().c_str(), 0700);
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const auto token = str(made.body, "token");
    if (fd < 0 || ::write(fd, token.data(), token.size()) != static_cast<ssize_t>(token.size())) {
      fail(fmt::format("cannot write {}", file.string()));
    }
    ::close(fd);
    std::fprintf(stderr, "agentmesh mcp: created agent %s (token in %s)\n", f.agent.c_str(), file.c_str());
    d.set_token(token);
    return;
  }
  if (got.status == 404) fail(fmt::format("no agent \"{}\" on this daemon; add --create to make it", f.agent));
  if (got.status == 0) fail(got.unreachable);
  if (got.status != 200) fail(fmt::format("cannot read agent {}: {}", f.agent, json::serialize(got.body)));
  if (f.create && !f.capabilities.empty()) {
    json::array caps;
    for (const auto& c : f.capabilities) caps.emplace_back(c);
    d.call("PATCH", d.agent_path(), json::object{{"capabilities", std::move(caps)}});
  }
  if (auto text = core::read_small_file(file, 256)) d.set_token(trim_end(*text));
}

}  // namespace

void add_mcp_command(CLI::App& app, Global& g, int& status) {
  auto f = std::make_shared<McpFlags>();
  auto* m = app.add_subcommand("mcp", "serve the Model Context Protocol on stdio, acting as one agent");
  m->add_option("--agent", f->agent, "the agent to act as (name)")->required();
  m->add_flag("--create", f->create, "create the agent if it does not exist (its token is kept in the data dir)");
  m->add_option("--capability", f->capabilities, "capability of the agent created (repeatable)");
  m->add_flag("--no-spawn", f->no_spawn, "do not start a daemon when none is running");
  add_global(*m, g);
  m->callback([&g, f, &status] {
    DaemonLink d(g, f->agent);
    if (!daemon_answers(d)) {
      if (f->no_spawn || !g.api.empty()) {
        fail(
            fmt::format("no daemon answers for data dir {}: start one with `agentmesh daemon`", d.data_dir().string()));
      }
      spawn_daemon(g, d);
    }
    prepare_agent(g, d, *f);
    status = serve(d, fmt::format("agent {} of the daemon of {}", f->agent, d.data_dir().string()));
  });
}

}  // namespace agentmesh::cli::mcp
