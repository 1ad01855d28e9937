#pragma once
// Helpers shared by the end-to-end benchmarks (loadgen, pubsub_bench): a
// blocking keep-alive HTTP connection to a daemon's API, a daemon child
// process in a temp data directory, and process measurements from /proc.
// Beast stays in bench_util.cpp.

#include <sys/types.h>

#include <boost/json/value.hpp>
#include <chrono>
#include <functional>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace agentmesh::bench {

using Clock = std::chrono::steady_clock;

// Monotonic nanoseconds (CLOCK_MONOTONIC: comparable across processes, as
// Node's process.hrtime.bigint() is).
std::int64_t now_ns();

// One keep-alive HTTP/1.1 connection to 127.0.0.1:port. Not thread-safe: one
// per thread.
class Conn {
 public:
  Conn(std::uint16_t port, std::string token);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // Sends `depth` identical POSTs back to back (HTTP/1.1 pipelining), then
  // reads the `depth` responses; returns how many had status `ok_status`.
  int pipeline(const std::string& target, const std::string& body, int depth, int ok_status = 202);
  // The same with one POST per body (all written at once).
  int pipeline(const std::string& target, const std::vector<std::string>& bodies, int ok_status = 202);
  // One request; returns the status and stores the body in `out` if given.
  int request(const std::string& method, const std::string& target, const std::string& body,
              std::string* out = nullptr);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A daemon child process with its own data directory under `dir`, its API
// on 127.0.0.1:0 and p2p on /ip4/127.0.0.1/tcp/0 (plus `extra` arguments).
// The destructor stops it with SIGTERM.
class DaemonProcess {
 public:
  DaemonProcess(const std::string& binary, const std::filesystem::path& dir, const std::vector<std::string>& extra);
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  pid_t pid() const { return pid_; }
  std::uint16_t port() const { return port_; }
  const std::string& token() const { return token_; }
  // SIGTERM and wait; returns the exit status (-1 if killed by a signal).
  int stop();

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::string token_;
};

// A fresh private temp directory, removed by the destructor.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix);
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// GET `target`: the JSON body of a 200, else null.
boost::json::value get_json(Conn& c, const std::string& target);
// Polls `pred` every 100 ms until it holds (true) or `timeout` passes (false).
bool wait_until(const std::function<bool()>& pred, std::chrono::seconds timeout);

// The _sum and _count of each store histogram in a daemon's /metrics, to
// take the difference across a phase: where a message's time goes on each
// side (waiting for the writer, the group commit, how many jobs share it).
struct StoreTimes {
  double dwell_sum_s = 0, dwell_count = 0;    // jobs waiting in the writer's queue
  double commit_sum_s = 0, commit_count = 0;  // group commits (begin to fsync'd commit)
  double batch_sum = 0;                       // jobs per commit (its count is commit_count)
  double wal_writes = 0, wal_calls = 0;       // WAL writes SQLite asked for; the system calls that carried them
};
StoreTimes store_times(Conn& c);
// `breakdown_<side>_...` lines: jobs and commits between `before` and `after`,
// the mean writer wait and commit time, jobs, WAL frames and write calls per
// commit.
void print_store_breakdown(const char* side, const StoreTimes& before, const StoreTimes& after);

long rss_kb(pid_t pid);
// User+system CPU seconds used so far by a process.
double cpu_seconds(pid_t pid);
// The q-quantile (0..1) of v; 0 for an empty vector.
double percentile(std::vector<double> v, double q);
// p50, p90, p99, p99.9 and max of a sample, in the sample's unit (one sort).
struct Distribution {
  std::size_t samples = 0;
  double p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;
};
Distribution distribution(std::vector<double> v);
// `key_samples=...` and `key_p50_<unit>=...` lines for each percentile of `d`.
void print_distribution(const std::string& key, const Distribution& d, const char* unit = "ms");
std::string read_first_line(const std::filesystem::path& p);
// A TCP port on 127.0.0.1 that was free a moment ago (for a reference server the benchmark starts).
std::uint16_t free_port();
// A TCP connection to 127.0.0.1:port with TCP_NODELAY (a reference server's
// client or the floor's round trip): the socket, or -1.
int connect_loopback(std::uint16_t port);

}  // namespace agentmesh::bench
