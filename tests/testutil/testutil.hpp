#pragma once
// Shared test helpers: temporary directories, polling with a deadline (never
// sleep-and-hope), and a harness that runs the real daemon binary.

#include <sys/types.h>

#include <boost/json/value.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "cli/http_client.hpp"

namespace boost::asio {
class io_context;
}

namespace agentmesh::testutil {

// A fresh directory (mode 0700) removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Polls `pred` every few milliseconds until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Runs `ioc`'s handlers until `pred` holds or `timeout` passes (for tests
// that drive an io_context on their own thread instead of a daemon).
bool run_until(boost::asio::io_context& ioc, const std::function<bool()>& pred,
               std::chrono::milliseconds timeout = std::chrono::seconds(15));

// Path of the agentmesh binary under test (set by CMake).
std::string agentmesh_binary();

// Runs `agentmesh <args>` to completion; returns exit status, stdout, stderr.
struct RunResult {
  int status = -1;
  std::string out;
  std::string err;
};
RunResult run_cli(const std::vector<std::string>& args, const std::string& stdin_text = {});

// A daemon child process on 127.0.0.1 port 0 with its own data directory.
class Daemon {
 public:
  explicit Daemon(std::filesystem::path data_dir, std::vector<std::string> extra_args = {});
  ~Daemon();  // SIGKILL if still running
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Arguments added after the defaults (--data-dir, --api 127.0.0.1:0 and,
  // unless given here, --listen /ip4/127.0.0.1/tcp/0), for the next start().
  void set_extra_args(std::vector<std::string> args) { extra_ = std::move(args); }
  // Starts the process and waits until api.port appears and /v1/health answers.
  void start();
  // SIGTERM and wait; returns the exit status.
  int stop(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  void kill9();
  bool running();
  // Waits for the process to exit on its own; returns its exit status.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  pid_t pid() const { return pid_; }

  std::uint16_t port() const { return port_; }
  const std::string& admin_token() const { return token_; }
  const std::filesystem::path& data_dir() const { return dir_; }
  std::string log() const;  // the daemon's stderr so far
  // keep_alive: requests reuse one connection (one client per thread).
  cli::HttpClient client(const std::string& token, bool keep_alive = false) const {
    return cli::HttpClient("127.0.0.1", port_, token, keep_alive);
  }
  cli::HttpClient admin() const { return client(token_); }

 private:
  std::filesystem::path dir_;
  std::vector<std::string> extra_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::string token_;
  std::filesystem::path log_path_;
};

// GET `target` with the daemon's admin token: the JSON body of a 200, else null.
boost::json::value get_json(const Daemon& d, const std::string& target);
// The daemon's first peer-to-peer listen address, with /p2p/<peer id>.
std::string p2p_addr(const Daemon& d);

// An agent created through a daemon's API: its id and its own token.
struct TestAgent {
  std::string id;
  std::string token;
};
// Crash tests: how many kill -9 runs per victim (`var` from the environment,
// as `make soak` sets it, else `fallback`), and "<victim>_run<N>" test names
// for (victim, run) parameters.
int crash_runs(const char* var, int fallback);
std::string victim_run_name(const std::tuple<std::string, int>& param);

// An API answer: the status (0 when the daemon did not answer) and the JSON
// body (null when it is not JSON).
struct Reply {
  int status = 0;
  boost::json::value body;
  // A field as text ("<absent>" when missing; non-strings serialized).
  std::string text(std::string_view key) const;
};
// `method path` with the agent's token and a JSON body (none when null).
Reply request(const Daemon& d, const TestAgent& as, const std::string& method, const std::string& path,
              const boost::json::value& body = nullptr);

// POST /v1/agents {"name"} with the admin token; empty fields (and a test
// failure) unless it answers 201.
TestAgent create_agent(const Daemon& d, const std::string& name);
// Whether `agent_id` is in the daemon's directory as a remote agent, online.
bool online_remote(const Daemon& d, const std::string& agent_id);

// Two daemons under `dir`: a, and b bootstrapped from a; alice on a, bob on
// b. ready() once bob is online in a's directory (up to 30 s), so a can send
// to him on the direct path.
struct AliceAndBob {
  explicit AliceAndBob(const std::filesystem::path& dir);
  bool ready() const { return ready_; }
  Daemon a;
  Daemon b;
  TestAgent alice;
  TestAgent bob;

 private:
  bool ready_ = false;
};

}  // namespace agentmesh::testutil
