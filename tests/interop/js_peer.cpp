#include "js_peer.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <sstream>

namespace agentmesh::testutil {

JsPeer::JsPeer(std::vector<std::string> args) {
  int to_child[2];
  int from_child[2];
  if (::pipe(to_child) != 0 || ::pipe(from_child) != 0) {
    startup_error_ = "pipe() failed";
    return;
  }
  std::vector<std::string> argv_text{"node", "--import", "./polyfill.mjs", "js-peer.mjs"};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  // Built before fork(): the child of a multithreaded test must not allocate.
  std::vector<char*> argv;
  for (auto& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(to_child[0], 0);
    ::dup2(from_child[1], 1);
    ::dup2(from_child[1], 2);  // errors (missing modules) land in the transcript
    ::close(to_child[1]);
    ::close(from_child[0]);
    if (::chdir(AGENTMESH_INTEROP_DIR) != 0) ::_exit(126);
    ::execvp("node", argv.data());
    ::_exit(127);
  }
  ::close(to_child[0]);
  ::close(from_child[1]);
  in_ = to_child[1];
  out_ = from_child[0];
  ::fcntl(out_, F_SETFL, O_NONBLOCK);
  auto listening = wait_for([](const boost::json::object& e) { return e.at("event").as_string() == "listening"; },
                            std::chrono::seconds(30));
  if (!listening) {
    int status = 0;
    const bool exited = ::waitpid(pid_, &status, WNOHANG) == pid_;
    startup_error_ = "the js-libp2p peer did not start";
    if (exited && WIFEXITED(status) && WEXITSTATUS(status) == 127) {
      startup_error_ += ": `node` is not installed (run scripts/install-deps.sh)";
      pid_ = -1;
    } else if (exited) {
      pid_ = -1;
    }
    startup_error_ += "; its output:\n" + stdout_text_ +
                      "\n(missing packages? run scripts/install-deps.sh, which runs npm ci in interop/)";
    return;
  }
  peer_id_ = std::string(listening->at("peerId").as_string());
  addr_ = std::string(listening->at("addrs").as_array().at(0).as_string());
}

JsPeer::~JsPeer() {
  if (in_ >= 0) ::close(in_);
  if (pid_ > 0) {
    // Closing stdin ends the command loop; give it a moment, then SIGKILL.
    for (int i = 0; i < 50; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      ::usleep(20'000);
    }
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  if (out_ >= 0) ::close(out_);
}

void JsPeer::command(const std::string& line) {
  const std::string text = line + "\n";
  if (in_ >= 0) (void)!::write(in_, text.data(), text.size());
}

void JsPeer::read_available(std::chrono::milliseconds wait) {
  pollfd p{out_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(out_, buf, sizeof buf);
    if (n == 0) eof_ = true;  // the process exited
    if (n <= 0) break;
    buffer_.append(buf, static_cast<std::size_t>(n));
    stdout_text_.append(buf, static_cast<std::size_t>(n));
  }
  std::size_t nl;
  while ((nl = buffer_.find('\n')) != std::string::npos) {
    const auto line = buffer_.substr(0, nl);
    buffer_.erase(0, nl + 1);
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    if (!ec && v.is_object() && v.as_object().contains("event")) events_.push_back(v.as_object());
  }
}

std::optional<boost::json::object> JsPeer::wait_for(const std::function<bool(const boost::json::object&)>& match,
                                                    std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    for (const auto& e : events_) {
      if (match(e)) return e;
    }
    if (out_ < 0 || eof_ || std::chrono::steady_clock::now() > end) return std::nullopt;
    read_available(std::chrono::milliseconds(50));
  }
}

std::string JsPeer::transcript() const { return stdout_text_; }

}  // namespace agentmesh::testutil

namespace agentmesh::testutil {

RunResult run_node_script(const std::string& script, const std::vector<std::pair<std::string, std::string>>& env) {
  TempDir io;
  const auto out_path = io.path() / "out", err_path = io.path() / "err";
  // The child's environment, built before fork() (the child of a
  // multithreaded test must not allocate): ours with `env` set over it.
  std::vector<std::string> env_text;
  for (char** e = environ; *e; ++e) {
    const std::string_view entry(*e);
    const auto name = entry.substr(0, entry.find('='));
    if (std::none_of(env.begin(), env.end(), [&](const auto& kv) { return kv.first == name; })) {
      env_text.emplace_back(entry);
    }
  }
  for (const auto& [k, v] : env) env_text.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string script_arg = script;
  std::vector<std::string> argv_text{"timeout", "120", "node"};
  std::vector<char*> argv;
  for (auto& a : argv_text) argv.push_back(a.data());
  argv.push_back(script_arg.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(out, 1);
    ::dup2(err, 2);
    if (::chdir(AGENTMESH_INTEROP_DIR) != 0) ::_exit(126);
    ::execvpe("timeout", argv.data(), envp.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also here: whichever runs first
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::kill(-pid, SIGKILL);  // anything the script left running
  RunResult r;
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::stringstream so, se;
  so << std::ifstream(out_path).rdbuf();
  se << std::ifstream(err_path).rdbuf();
  r.out = so.str();
  r.err = se.str();
  return r;
}

}  // namespace agentmesh::testutil
