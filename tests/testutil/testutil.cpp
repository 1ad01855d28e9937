#include "testutil/testutil.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace agentmesh::testutil {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "agentmesh-test-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
  ::chmod(path_.c_str(), 0700);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

bool run_until(boost::asio::io_context& ioc, const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    ioc.run_one_for(std::chrono::milliseconds(20));
  }
  return true;
}

std::string agentmesh_binary() { return AGENTMESH_BINARY; }

namespace {

std::string read_all_fd(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  return out;
}

// Built before fork(): the child of a multithreaded test may only make
// async-signal-safe calls until execv. An allocation there can deadlock on an
// allocator lock another thread held at the fork (a restarted daemon that
// never ran, with no output, in a kill -9 test with client threads).
std::vector<char*> argv_of(std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return argv;
}

}  // namespace

RunResult run_cli(const std::vector<std::string>& args, const std::string& stdin_text) {
  TempDir io;
  const auto out_path = io.path() / "out", err_path = io.path() / "err", in_path = io.path() / "in";
  std::ofstream(in_path) << stdin_text;
  std::vector<std::string> full{agentmesh_binary()};
  full.insert(full.end(), args.begin(), args.end());
  auto argv = argv_of(full);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int in = ::open(in_path.c_str(), O_RDONLY);
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  RunResult r;
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::ifstream o(out_path), e(err_path);
  std::stringstream so, se;
  so << o.rdbuf();
  se << e.rdbuf();
  r.out = so.str();
  r.err = se.str();
  return r;
}

Daemon::Daemon(std::filesystem::path data_dir, std::vector<std::string> extra_args)
    : dir_(std::move(data_dir)), extra_(std::move(extra_args)) {
  static std::atomic<int> counter{0};
  log_path_ = std::filesystem::temp_directory_path() /
              ("agentmesh-daemon-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".log");
}

Daemon::~Daemon() {
  if (pid_ > 0) kill9();
  std::error_code ec;
  std::filesystem::remove(log_path_, ec);
}

void Daemon::start() {
  std::error_code ec;
  std::filesystem::remove(dir_ / "api.port", ec);
  std::vector<std::string> args{agentmesh_binary(), "daemon",      "--data-dir", dir_.string(), "--api",
                                "127.0.0.1:0",      "--log-level", "info"};
  // Peer-to-peer: loopback and an OS-chosen port unless the test says otherwise.
  if (std::find(extra_.begin(), extra_.end(), "--listen") == extra_.end()) {
    args.insert(args.end(), {"--listen", "/ip4/127.0.0.1/tcp/0"});
  }
  args.insert(args.end(), extra_.begin(), extra_.end());
  auto argv = argv_of(args);
  pid_ = ::fork();
  if (pid_ == 0) {
    const int log = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    const int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    ::dup2(log, 1);
    ::dup2(log, 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  const bool up = eventually(
      [&] {
        if (!running()) return true;  // exited early: reported below
        std::ifstream f(dir_ / "api.port");
        std::string line;
        if (!std::getline(f, line)) return false;
        const auto colon = line.rfind(':');
        if (colon == std::string::npos) return false;
        port_ = static_cast<std::uint16_t>(std::stoi(line.substr(colon + 1)));
        auto r = cli::HttpClient("127.0.0.1", port_).request("GET", "/v1/health");
        return r && r->status == 200;
      },
      std::chrono::seconds(30));
  if (!up || !running()) throw std::runtime_error("daemon did not start:\n" + log());
  std::ifstream t(dir_ / "api-token");
  std::getline(t, token_);
}

bool Daemon::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

std::optional<int> Daemon::wait_exit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  int status = 0;
  const pid_t pid = pid_;
  const bool done = eventually([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, timeout);
  if (!done) return std::nullopt;
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int Daemon::stop(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  auto status = wait_exit(timeout);
  if (!status) {
    kill9();
    return -1;
  }
  return *status;
}

void Daemon::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string Daemon::log() const {
  std::ifstream f(log_path_);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

boost::json::value get_json(const Daemon& d, const std::string& target) {
  auto r = d.admin().request("GET", target, "", "application/json");
  if (!r || r->status != 200) return {};
  boost::system::error_code ec;
  auto v = boost::json::parse(r->body, ec);
  return ec ? boost::json::value() : v;
}

std::string p2p_addr(const Daemon& d) {
  auto node = get_json(d, "/v1/node");
  if (!node.is_object()) return {};
  return std::string(node.at("listen_addrs").as_array().at(0).as_string());
}

TestAgent create_agent(const Daemon& d, const std::string& name) {
  boost::json::object body{{"name", name}};
  auto r = d.admin().request("POST", "/v1/agents", boost::json::serialize(body), "application/json");
  EXPECT_TRUE(r && r->status == 201) << (r ? r->body : "no answer");
  if (!r || r->status != 201) return {};
  auto v = boost::json::parse(r->body);
  return {std::string(v.at("agent_id").as_string()), std::string(v.at("token").as_string())};
}

int crash_runs(const char* var, int fallback) {
  const char* env = std::getenv(var);
  const int n = env ? std::atoi(env) : fallback;
  return n > 0 ? n : fallback;
}

std::string victim_run_name(const std::tuple<std::string, int>& param) {
  return std::get<0>(param) + "_run" + std::to_string(std::get<1>(param));
}

std::string Reply::text(std::string_view key) const {
  if (!body.is_object() || !body.as_object().contains(key)) return "<absent>";
  const auto& v = body.at(key);
  return v.is_string() ? std::string(v.as_string()) : boost::json::serialize(v);
}

Reply request(const Daemon& d, const TestAgent& as, const std::string& method, const std::string& path,
              const boost::json::value& body) {
  auto r = d.client(as.token).request(method, path, body.is_null() ? "" : boost::json::serialize(body),
                                      body.is_null() ? "" : "application/json");
  Reply out;
  if (!r) return out;
  out.status = r->status;
  boost::system::error_code ec;
  out.body = boost::json::parse(r->body, ec);
  return out;
}

bool online_remote(const Daemon& d, const std::string& agent_id) {
  auto v = get_json(d, "/v1/directory/" + agent_id);
  return v.is_object() && v.at("online").as_bool() && !v.at("local").as_bool();
}

AliceAndBob::AliceAndBob(const std::filesystem::path& dir) : a(dir / "a"), b(dir / "b") {
  a.start();
  b.set_extra_args({"--bootstrap", p2p_addr(a)});
  b.start();
  alice = create_agent(a, "alice");
  bob = create_agent(b, "bob");
  ready_ = eventually([&] { return online_remote(a, bob.id); }, std::chrono::seconds(30));
}

}  // namespace agentmesh::testutil
