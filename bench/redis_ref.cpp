#include "redis_ref.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.hpp"

namespace agentmesh::bench {

namespace {

constexpr std::size_t kValue = 256;
constexpr int kKeysPerClient = 1024;  // SETs cycle over these keys, so Redis's memory stays flat
const std::string kOk = "+OK\r\n";

class RedisConn {
 public:
  explicit RedisConn(std::uint16_t port) : fd_(connect_loopback(port)) {
    if (fd_ < 0) throw std::runtime_error("redis connect");
  }
  ~RedisConn() { ::close(fd_); }
  RedisConn(const RedisConn&) = delete;
  RedisConn& operator=(const RedisConn&) = delete;

  // Writes `commands` at once and reads as many +OK replies; false on any other reply or a closed connection.
  bool round(const std::string& commands, int replies) {
    for (std::size_t off = 0; off < commands.size();) {
      const auto n = ::send(fd_, commands.data() + off, commands.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<std::size_t>(n);
    }
    const std::size_t want = kOk.size() * static_cast<std::size_t>(replies);
    std::size_t received = 0;
    char buf[4096];
    while (received < want) {
      const auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return false;
      // Checked as it arrives: an error reply (e.g. -MISCONF when the append-only file cannot be written) may be
      // shorter than the replies awaited.
      for (ssize_t i = 0; i < n; ++i, ++received) {
        if (buf[i] != kOk[received % kOk.size()]) return false;
      }
    }
    return received == want;
  }

 private:
  int fd_;
};

std::string set_command(const std::string& key, const std::string& value) {
  return "*3\r\n$3\r\nSET\r\n$" + std::to_string(key.size()) + "\r\n" + key + "\r\n$" + std::to_string(value.size()) +
         "\r\n" + value + "\r\n";
}

// `clients` threads, each writing `depth` SETs per round for `seconds`; SETs per second, 0 on any failure.
double run(std::uint16_t port, int clients, int depth, int seconds) {
  std::atomic<long> done{0};
  std::atomic<bool> stop{false}, failed{false};
  std::vector<std::thread> threads;
  const std::string value(kValue, 'x');
  const auto start = Clock::now();
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      try {
        RedisConn conn(port);
        for (long i = 0; !stop; i += depth) {
          std::string batch;
          for (int k = 0; k < depth; ++k) {
            batch += set_command("bench:" + std::to_string(c) + ":" + std::to_string((i + k) % kKeysPerClient), value);
          }
          if (!conn.round(batch, depth)) {
            failed = true;
            return;
          }
          done += depth;
        }
      } catch (const std::exception&) {
        failed = true;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  if (failed) return 0;
  return static_cast<double>(done.load()) / std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

std::optional<RedisFigures> redis_reference(const std::filesystem::path& dir, int clients, int depth, int seconds) {
  std::filesystem::create_directories(dir);
  const auto port = free_port();
  const pid_t pid = ::fork();
  if (pid == 0) {
    const auto p = std::to_string(port);
    const auto d = dir.string();
    const int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    // No snapshots and no append-only rewrites during the run: every write is one fsync'd append.
    ::execlp("redis-server", "redis-server", "--bind", "127.0.0.1", "--port", p.c_str(), "--dir", d.c_str(),
             "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--auto-aof-rewrite-percentage", "0",
             "--protected-mode", "yes", static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  std::optional<RedisFigures> out;
  const bool up = wait_until(
      [&] {
        try {
          RedisConn c(port);
          return c.round(set_command("bench:probe", "x"), 1);
        } catch (const std::exception&) {
          return false;
        }
      },
      std::chrono::seconds(10));
  if (!up) {
    std::fprintf(stderr, "redis reference: redis-server did not start (is it installed? scripts/install-deps.sh)\n");
  } else {
    RedisFigures f;
    f.depth1_per_s = run(port, clients, 1, seconds);
    f.pipelined_per_s = run(port, clients, depth, seconds);
    if (f.depth1_per_s > 0 && f.pipelined_per_s > 0) {
      out = f;
    } else {
      std::fprintf(stderr, "redis reference: a write failed\n");
    }
  }
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return out;
}

}  // namespace agentmesh::bench
