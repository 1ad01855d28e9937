// Direct-message benchmark (scripts/bench.sh runs it; docs/benchmarks.md has
// the figures). Two daemons on 127.0.0.1, alice on A sends to bob on B,
// 256-byte payloads, 16 concurrent senders through A's HTTP API. Every
// message is encrypted (XChaCha20-Poly1305 under the pair key) and committed
// with fsync on both sides (A's outbox, B's inbox + dedup, A's outcome).
// Then the reference a user would otherwise choose: NATS request/reply on
// loopback (Debian's nats-server, a minimal client of its text protocol
// written here), same payload and concurrency. Prints `key=value` lines:
//
//   floor_*                 measured before the daemons start (floor.hpp):
//                           fsync and loopback round-trip distributions, the
//                           envelope AEAD, floor_p50_ms / floor_p99_ms
//   <path>_accepted_per_s   messages bob's inbox accepted per second while 16
//                           senders queue as fast as A answers (202), for the
//                           direct stream and the gossip inbox path; one
//                           request at a time per sender, and (_pipelined_)
//                           8 pipelined requests per sender
//   wait_ack_per_s          16 senders each waiting for the ack (closed loop)
//   latency_<rate>_*        send -> receipt with "wait": "ack" (the receipt
//                           comes after bob's inbox commit and the ack),
//                           direct path, open loop at 100, 1,000 and 5,000/s
//                           offered: p50, p90, p99, p999, max, failed
//   latency_p50_ms/p99_ms   the same at the `latency rate` argument's rate
//   breakdown_{a,b}_*       during that phase, from each daemon's /metrics:
//                           mean wait for the store writer per job, mean
//                           group commit, jobs per commit
//   task_*                  the task phase (task_phase.hpp), on the same daemons
//   nats_reqrep_per_s       16 requesters, closed loop
//   nats_latency_p50_ms/p99 at the same offered rate
//   rss_*_after_60s_kb      each daemon's RSS 60 s after its load ended
//
//   dm_bench <agentmesh binary> [seconds per phase] [latency rate] [phases] [results.json]
//
// `results.json` receives each wait=ack latency histogram (ms buckets).
//
// `phases` (default "all"): "tasks" runs only the task phase, for profiling
// it alone; its figures then have no reference rows next to them. "latency"
// runs the floor and the wait=ack latency rows only (for comparing builds).

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <boost/json.hpp>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <thread>

#include "bench_util.hpp"
#include "floor.hpp"
#include "task_phase.hpp"

namespace json = boost::json;
using namespace agentmesh::bench;

namespace {

constexpr int kSenders = 16;
constexpr int kTaskLatencyRate = 200;  // tasks/s offered in the task latency phase (issue 13)
constexpr std::size_t kPayload = 256;

struct Endpoint {
  std::uint16_t port;
  std::string token;
  std::string agent;  // the sender's id or name in the URL
};

std::uint64_t accepted_count(Conn& b, const std::string& bob) {
  auto v = get_json(b, "/v1/agents/" + bob);
  if (!v.is_object()) return 0;
  return v.at("last_seq").to_number<std::uint64_t>();
}

// Senders queue as fast as A answers for `seconds`, each with `depth`
// requests in flight (HTTP/1.1 pipelining; 1: one at a time); returns bob's
// acceptance rate from the first send until everything sent was accepted.
double throughput(const Endpoint& a, Conn& b, const std::string& bob, const std::string& to, const std::string& path,
                  int seconds, int depth) {
  const auto before = accepted_count(b, bob);
  std::atomic<long> sent{0};
  std::atomic<bool> stop{false};
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kSenders; ++t) {
    threads.emplace_back([&] {
      Conn c(a.port, a.token);
      const auto body = json::serialize(json::object{{"to", to}, {"body", std::string(kPayload, 'x')}, {"path", path}});
      while (!stop) {
        if (depth == 1) {
          if (c.request("POST", "/v1/agents/" + a.agent + "/messages", body) == 202) ++sent;
        } else {
          sent += c.pipeline("/v1/agents/" + a.agent + "/messages", body, depth);
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  const auto target = before + static_cast<std::uint64_t>(sent.load());
  if (!wait_until([&] { return accepted_count(b, bob) >= target; }, std::chrono::seconds(120))) {
    std::fprintf(stderr, "dm_bench: %s path: only %llu of %llu accepted\n", path.c_str(),
                 static_cast<unsigned long long>(accepted_count(b, bob) - before),
                 static_cast<unsigned long long>(sent.load()));
    return 0;
  }
  return sent.load() / std::chrono::duration<double>(Clock::now() - start).count();
}

double closed_loop_wait_ack(const Endpoint& a, const std::string& to, int seconds) {
  std::atomic<long> done{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int t = 0; t < kSenders; ++t) {
    threads.emplace_back([&] {
      Conn c(a.port, a.token);
      const auto body =
          json::serialize(json::object{{"to", to}, {"body", std::string(kPayload, 'x')}, {"wait", "ack"}});
      while (!stop) {
        if (c.request("POST", "/v1/agents/" + a.agent + "/messages", body) == 200) ++done;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  return done.load() / std::chrono::duration<double>(Clock::now() - start).count();
}

// Open loop at `rate` per second over `senders` threads; `once` sends one
// message and returns whether it succeeded. A latency runs from the moment the
// message was due, not from when a sender got to it, so a slow answer that
// delays the next sends counts against those too (no coordinated omission).
// Returns the latencies in ms of the messages that succeeded.
std::vector<double> open_loop(int rate, int seconds, const std::function<std::function<bool()>()>& make_sender,
                              int senders = kSenders) {
  std::mutex mu;
  std::vector<double> lat;
  const long total = static_cast<long>(rate) * seconds;
  std::vector<std::function<bool()>> once;
  for (int t = 0; t < senders; ++t) once.push_back(make_sender());
  const auto start = Clock::now() + std::chrono::milliseconds(50);
  std::vector<std::thread> threads;
  for (int t = 0; t < senders; ++t) {
    threads.emplace_back([&, t] {
      std::vector<double> mine;
      for (long i = t; i < total; i += senders) {
        const auto due = start + std::chrono::microseconds(1'000'000LL * i / rate);
        std::this_thread::sleep_until(due);
        if (once[static_cast<std::size_t>(t)]()) {
          mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - due).count());
        }
      }
      std::lock_guard lock(mu);
      lat.insert(lat.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  return lat;
}

// Counts per bucket (`le_us`: the bucket's upper bound in µs), bounds growing by
// 2^(1/4) from 50 µs; the last bucket has no bound.
json::array histogram(const std::vector<double>& ms) {
  std::vector<double> bounds;
  for (double b = 0.05; b < 60'000; b *= 1.189207115) bounds.push_back(b);
  std::vector<std::uint64_t> counts(bounds.size() + 1, 0);
  for (const double v : ms) {
    ++counts[static_cast<std::size_t>(std::lower_bound(bounds.begin(), bounds.end(), v) - bounds.begin())];
  }
  json::array out;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    json::object bucket{{"count", counts[i]}};
    if (i < bounds.size()) bucket["le_us"] = std::llround(bounds[i] * 1000);
    out.push_back(std::move(bucket));
  }
  return out;
}

// --- NATS: a minimal client of the text protocol (INFO/CONNECT/PING/SUB/PUB/MSG) ---

class Nats {
 public:
  explicit Nats(std::uint16_t port) {
    fd_ = connect_loopback(port);
    if (fd_ < 0) throw std::runtime_error("nats connect");
    line();  // INFO
    write("CONNECT {\"verbose\":false,\"pedantic\":false}\r\nPING\r\n");
    while (line() != "PONG") {
    }
  }
  ~Nats() { ::close(fd_); }
  // Round trip: everything written before has been processed by the server.
  void sync() {
    write("PING\r\n");
    while (line() != "PONG") {
    }
  }
  void write(const std::string& s) {
    for (std::size_t off = 0; off < s.size();) {
      const auto n = ::send(fd_, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("nats write");
      off += static_cast<std::size_t>(n);
    }
  }
  // The next MSG: its reply subject and payload (answers PINGs meanwhile).
  std::pair<std::string, std::string> next_msg() {
    for (;;) {
      const auto l = line();
      if (l == "PING") {
        write("PONG\r\n");
        continue;
      }
      if (!l.starts_with("MSG ")) continue;
      std::vector<std::string> parts;
      for (std::size_t pos = 0; pos < l.size();) {
        const auto end = std::min(l.find(' ', pos), l.size());
        parts.push_back(l.substr(pos, end - pos));
        pos = end + 1;
      }
      const auto n = std::stoul(parts.back());
      std::string reply = parts.size() == 5 ? parts[3] : "";
      auto payload = bytes(n + 2);
      payload.resize(n);
      return {reply, payload};
    }
  }

 private:
  std::string line() {
    for (;;) {
      if (auto pos = buf_.find("\r\n"); pos != std::string::npos) {
        auto l = buf_.substr(0, pos);
        buf_.erase(0, pos + 2);
        return l;
      }
      fill();
    }
  }
  std::string bytes(std::size_t n) {
    while (buf_.size() < n) fill();
    auto out = buf_.substr(0, n);
    buf_.erase(0, n);
    return out;
  }
  void fill() {
    char chunk[65536];
    const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) throw std::runtime_error("nats read");
    buf_.append(chunk, static_cast<std::size_t>(n));
  }
  int fd_;
  std::string buf_;
};

void nats_phase(int seconds, int rate) {
  const auto port = free_port();
  const pid_t pid = ::fork();
  if (pid == 0) {
    const auto p = std::to_string(port);
    const int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 2);  // its INFO log
    ::execlp("nats-server", "nats-server", "-a", "127.0.0.1", "-p", p.c_str(), static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  std::unique_ptr<Nats> probe;
  wait_until(
      [&] {
        try {
          probe = std::make_unique<Nats>(port);
          return true;
        } catch (const std::exception&) {
          return false;
        }
      },
      std::chrono::seconds(10));
  if (!probe) {
    std::fprintf(stderr, "dm_bench: nats-server did not start (is it installed?)\n");
    ::kill(pid, SIGTERM);
    return;
  }
  std::atomic<bool> stop{false};
  std::atomic<bool> subscribed{false};
  std::thread responder([&] {
    try {
      Nats n(port);
      n.write("SUB bench.req 1\r\n");
      n.sync();  // requests sent before the subscription is active would go unanswered
      subscribed = true;
      while (!stop) {
        auto [reply, payload] = n.next_msg();
        n.write("PUB " + reply + " " + std::to_string(payload.size()) + "\r\n" + payload + "\r\n");
      }
    } catch (const std::exception&) {
    }
  });
  if (!wait_until([&] { return subscribed.load(); }, std::chrono::seconds(10))) {
    std::fprintf(stderr, "dm_bench: the NATS responder did not subscribe\n");
  }
  const std::string payload(kPayload, 'x');
  auto requester = [&](int t) {
    auto n = std::make_shared<Nats>(port);
    const auto inbox = "_INBOX.bench." + std::to_string(t);
    n->write("SUB " + inbox + " 1\r\n");
    n->sync();
    return [n, inbox, &payload]() {
      n->write("PUB bench.req " + inbox + " " + std::to_string(payload.size()) + "\r\n" + payload + "\r\n");
      n->next_msg();
      return true;
    };
  };
  // Closed loop.
  std::atomic<long> done{0};
  std::atomic<bool> stop_load{false};
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int t = 0; t < kSenders; ++t) {
    threads.emplace_back([&, t] {
      auto once = requester(t);
      while (!stop_load) {
        once();
        ++done;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop_load = true;
  for (auto& t : threads) t.join();
  std::printf("nats_reqrep_per_s=%.0f\n", done.load() / std::chrono::duration<double>(Clock::now() - start).count());
  std::atomic<int> next_id{100};
  auto lat = open_loop(rate, seconds, [&] { return std::function<bool()>(requester(next_id++)); });
  std::printf("nats_latency_p50_ms=%.3f\nnats_latency_p99_ms=%.3f\n", percentile(lat, 0.5), percentile(lat, 0.99));
  stop = true;
  ::kill(pid, SIGTERM);  // the responder's recv fails once the server is gone
  int status = 0;
  ::waitpid(pid, &status, 0);
  responder.join();
}

// The throughput rows: both paths, one request at a time and pipelined, then
// the closed loop waiting for acks.
void throughput_phases(const Endpoint& ep, Conn& admin_b, const std::string& bob, int seconds) {
  std::fprintf(stderr, "dm_bench: direct path throughput\n");
  std::printf("direct_accepted_per_s=%.0f\n", throughput(ep, admin_b, bob, bob, "direct", seconds, 1));
  std::printf("direct_pipelined_accepted_per_s=%.0f\n", throughput(ep, admin_b, bob, bob, "direct", seconds, 8));
  std::fflush(stdout);
  std::fprintf(stderr, "dm_bench: gossip inbox path throughput\n");
  std::printf("gossip_accepted_per_s=%.0f\n", throughput(ep, admin_b, bob, bob, "gossip", seconds, 1));
  std::printf("gossip_pipelined_accepted_per_s=%.0f\n", throughput(ep, admin_b, bob, bob, "gossip", seconds, 8));
  std::fflush(stdout);
  std::fprintf(stderr, "dm_bench: wait=ack closed loop\n");
  std::printf("wait_ack_per_s=%.0f\n", closed_loop_wait_ack(ep, bob, seconds));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: dm_bench <agentmesh binary> [seconds] [latency rate] [all|tasks] [results.json]\n");
    return 2;
  }
  const std::string binary = argv[1];
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 5;
  const int rate = argc > 3 ? std::atoi(argv[3]) : 1000;
  const std::string phases = argc > 4 ? argv[4] : "all";
  const std::string results_path = argc > 5 ? argv[5] : "";
  if (phases != "all" && phases != "tasks" && phases != "latency") {
    std::fprintf(stderr, "dm_bench: phases must be all, tasks or latency\n");
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);

  TempDir dir("agentmesh-dm-bench");
  if (phases != "tasks") {
    // Before the daemons start, on the filesystem their data directories are on.
    std::fprintf(stderr, "dm_bench: the floor (fsync, loopback round trip, envelope AEAD)\n");
    const auto floor = measure_floor(dir.path());
    print_distribution("floor_fsync", floor.fsync_ms);
    print_distribution("floor_loopback_rtt", floor.loopback_ms);
    std::printf("floor_envelope_seal_open_us=%.2f\nfloor_p50_ms=%.4f\nfloor_p99_ms=%.4f\n", floor.envelope_seal_open_us,
                floor.p50_ms(), floor.p99_ms());
    std::fflush(stdout);
  }
  DaemonProcess a(binary, dir.path() / "a", {});
  Conn admin_a(a.port(), a.token());
  const std::string a_addr(get_json(admin_a, "/v1/node").at("listen_addrs").at(0).as_string());
  DaemonProcess b(binary, dir.path() / "b", {"--bootstrap", a_addr});
  Conn admin_b(b.port(), b.token());
  std::string body;
  admin_a.request("POST", "/v1/agents", R"({"name":"alice"})", &body);
  const auto alice = json::parse(body);
  admin_b.request("POST", "/v1/agents", R"({"name":"bob"})", &body);
  const std::string bob(json::parse(body).at("agent_id").as_string());
  if (!wait_until([&] { return get_json(admin_a, "/v1/directory/" + bob).is_object(); }, std::chrono::seconds(30))) {
    std::fprintf(stderr, "dm_bench: bob never reached alice's directory\n");
    return 1;
  }
  const Endpoint ep{a.port(), std::string(alice.at("token").as_string()),
                    std::string(alice.at("agent_id").as_string())};

  if (phases == "tasks") {
    TaskBenchSetup tasks{a.port(), a.token(), b.port(), b.token(), ep.token, ep.agent, a.pid(), b.pid()};
    return task_phase(tasks, seconds, kTaskLatencyRate) ? 0 : 1;
  }
  if (phases == "all") throughput_phases(ep, admin_b, bob, seconds);
  std::fprintf(stderr, "dm_bench: wait=ack latency at 100, 1,000 and 5,000/s offered\n");
  const auto body_ack =
      json::serialize(json::object{{"to", bob}, {"body", std::string(kPayload, 'x')}, {"wait", "ack"}});
  json::object results;
  for (const int offered : {100, 1000, 5000}) {
    const auto store_a = store_times(admin_a), store_b = store_times(admin_b);
    // Enough senders that one slow answer does not hold up the next message due.
    auto lat = open_loop(
        offered, seconds,
        [&] {
          auto c = std::make_shared<Conn>(ep.port, ep.token);
          return std::function<bool()>([c, &ep, &body_ack] {
            return c->request("POST", "/v1/agents/" + ep.agent + "/messages", body_ack) == 200;
          });
        },
        std::max(kSenders, offered / 100));
    const auto d = distribution(lat);
    print_distribution("latency_" + std::to_string(offered), d);
    const long failed = static_cast<long>(offered) * seconds - static_cast<long>(d.samples);
    std::printf("latency_%d_failed=%ld\n", offered, failed);
    results["wait_ack_" + std::to_string(offered)] = {{"offered_per_s", offered}, {"histogram", histogram(lat)}};
    if (offered == rate) {
      print_store_breakdown("a", store_a, store_times(admin_a));
      print_store_breakdown("b", store_b, store_times(admin_b));
      std::printf("latency_rate=%d\nlatency_samples=%zu\nlatency_p50_ms=%.3f\nlatency_p99_ms=%.3f\n", rate, d.samples,
                  d.p50, d.p99);
    }
  }
  std::printf("rss_a_kb=%ld\nrss_b_kb=%ld\n", rss_kb(a.pid()), rss_kb(b.pid()));
  std::fflush(stdout);
  if (phases == "latency") {
    if (!results_path.empty()) std::ofstream(results_path) << json::serialize(results) << "\n";
    return 0;
  }
  std::fprintf(stderr, "dm_bench: tasks (16 requesters on A, 16 workers on B)\n");
  TaskBenchSetup tasks{a.port(), a.token(), b.port(), b.token(), ep.token, ep.agent, a.pid(), b.pid()};
  if (!task_phase(tasks, seconds, kTaskLatencyRate)) return 1;
  const auto load_ended = Clock::now();
  std::fprintf(stderr, "dm_bench: NATS request/reply\n");
  nats_phase(seconds, rate);
  std::fprintf(stderr, "dm_bench: daemon memory 60 s after the load\n");
  std::this_thread::sleep_until(load_ended + std::chrono::seconds(60));
  std::printf("rss_a_after_60s_kb=%ld\nrss_b_after_60s_kb=%ld\n", rss_kb(a.pid()), rss_kb(b.pid()));
  if (!results_path.empty()) {
    std::ofstream(results_path) << json::serialize(results) << "\n";
  }
  return 0;
}
