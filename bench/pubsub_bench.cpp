// Publish/subscribe benchmark (scripts/bench.sh runs it; docs/benchmarks.md
// has the figures). Five daemons on 127.0.0.1, connected all to all: daemon 0
// publishes through its HTTP API, daemons 1-4 subscribe (one SSE client
// each), 256-byte payloads. Prints `key=value` lines:
//
//   verify_per_s             Ed25519 verifications per second on one core
//                            (libsodium, over the 511 bytes each message's
//                            signature covers), in this run: the highest of
//                            three 1 s measurements taken while no daemon
//                            runs (and _min, the lowest)
//   latency_*                publish (before the HTTP POST) -> SSE delivery
//                            at a fixed offered rate, every subscriber
//   rate_<R>_delivered       per offered rate R: messages per second each
//                            subscriber received (the slowest of the 4)
//   delivered_per_s          the highest of those
//   rss_max_kb               the largest daemon RSS seen under load
//
//   pubsub_bench <agentmesh binary> [seconds per phase] [latency rate]

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/json.hpp>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <atomic>
#include <functional>
#include <cstdio>
#include <mutex>
#include <sstream>
#include <thread>

#include "bench_util.hpp"
#include "crypto/crypto.hpp"

namespace asio = boost::asio;
namespace json = boost::json;
using namespace agentmesh;
using namespace agentmesh::bench;

namespace {

constexpr int kDaemons = 5;
constexpr int kSubscribers = kDaemons - 1;
constexpr std::size_t kPayload = 256;
// One publishing client (one HTTP connection, requests pipelined).
constexpr int kPublisherThreads = 1;
constexpr int kMaxPhases = 24;
const std::string kTopic = "bench";

// What a subscribing daemon verifies per message: "libp2p-pubsub:" (14
// bytes) and the message without signature and key: from 40, seqno 10,
// topic 7, data 440 (the agent payload: the 256-byte body, the agent id,
// the content type and the agent's signed binding to its peer).
constexpr std::size_t kSignedBytes = 511;

// Single-core Ed25519 verification rate over kSignedBytes, measured for ~1 s.
double measure_verify_rate() {
  auto key = crypto::SigningKey::generate();
  std::vector<std::uint8_t> msg(kSignedBytes, 0x5a);
  const auto sig = key.sign(msg);
  int n = 0;
  const auto start = Clock::now();
  while (Clock::now() - start < std::chrono::seconds(1)) {
    for (int i = 0; i < 100; ++i) n += crypto::verify(key.public_key(), msg, sig) ? 1 : 0;
  }
  return n / std::chrono::duration<double>(Clock::now() - start).count();
}

// "p=<phase> t=<ns> " padded to kPayload bytes.
std::string payload(int phase) {
  std::string s = "p=" + std::to_string(phase) + " t=" + std::to_string(now_ns()) + " ";
  s.resize(kPayload, 'x');
  return s;
}

// One SSE reader on a subscriber daemon: counts messages per phase and keeps
// the latency samples of the latency phase.
class Subscriber {
 public:
  Subscriber(std::uint16_t port, std::string token) : port_(port), token_(std::move(token)) {}

  void start() {
    thread_ = std::thread([this] { run(); });
    while (!ready_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) {
      ::shutdown(fd_, SHUT_RDWR);
      thread_.join();
    }
  }
  long count(int phase) const { return counts_[phase].load(); }
  long gaps() const { return gaps_.load(); }
  std::vector<double> latencies(int phase) {
    std::lock_guard lock(mu_);
    return latencies_[phase];
  }

 private:
  void run() {
    asio::io_context ioc;
    asio::ip::tcp::socket sock(ioc);
    sock.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    fd_ = sock.native_handle();
    // The API answers only its own Host (421 otherwise: the DNS-rebinding check).
    const std::string req = "GET /v1/topics/" + kTopic + "/events HTTP/1.1\r\nHost: 127.0.0.1:" +
                            std::to_string(port_) + "\r\nAuthorization: Bearer " + token_ + "\r\n\r\n";
    asio::write(sock, asio::buffer(req));
    ready_ = true;
    std::string buf;
    std::vector<char> chunk(1 << 16);
    while (!stop_) {
      boost::beast::error_code ec;
      const auto n = sock.read_some(asio::buffer(chunk), ec);
      if (ec) break;
      const auto received = now_ns();
      buf.append(chunk.data(), n);
      std::size_t begin = 0, pos;
      while ((pos = buf.find("\n\n", begin)) != std::string::npos) {
        on_event(std::string_view(buf).substr(begin, pos - begin), received);
        begin = pos + 2;
      }
      buf.erase(0, begin);
    }
  }
  void on_event(std::string_view event, std::int64_t received) {
    const auto d = event.find("data: ");
    if (d == std::string_view::npos) return;
    if (event.find("event: gap") != std::string_view::npos) {
      gaps_ += json::parse(event.substr(d + 6)).at("dropped").to_number<long>();
      return;
    }
    if (event.find("event: message") == std::string_view::npos) return;
    // The body's start, found by text search instead of parsing the event's
    // JSON: the harness should spend as little of the shared CPU as it can.
    constexpr std::string_view kBody = "\"body\":\"";
    const auto b = event.find(kBody, d);
    if (b == std::string_view::npos) return;
    int phase = 0;
    long long sent = 0;
    const std::string body(event.substr(b + kBody.size(), 48));
    if (std::sscanf(body.c_str(), "p=%d t=%lld", &phase, &sent) != 2) return;
    if (phase < 0 || phase >= kMaxPhases) return;
    ++counts_[phase];
    std::lock_guard lock(mu_);
    latencies_[phase].push_back(static_cast<double>(received - sent) / 1e6);
  }

  std::uint16_t port_;
  std::string token_;
  std::thread thread_;
  int fd_ = -1;
  std::atomic<bool> ready_{false}, stop_{false};
  std::array<std::atomic<long>, kMaxPhases> counts_{};
  std::atomic<long> gaps_{0};
  std::mutex mu_;
  std::array<std::vector<double>, kMaxPhases> latencies_;
};

// Publishes at `rate` msgs/s for `seconds` (open loop, paced per thread):
// at most every kTick each thread sends the messages that have come due since its
// last turn as one pipelined batch (at most kMaxBatch) and reads their
// responses; a thread that falls behind sends back to back. Returns
// {accepted, failed}.
std::pair<long, long> publish_at(std::uint16_t port, const std::string& token, int phase, int rate, int seconds,
                                 int threads) {
  constexpr auto kTick = std::chrono::milliseconds(2);
  constexpr long kMaxBatch = 32;
  std::atomic<long> accepted{0}, failed{0};
  std::vector<std::thread> pubs;
  const auto start = Clock::now();
  const long total = static_cast<long>(rate) * seconds;
  const std::string target = "/v1/topics/" + kTopic + "/messages";
  for (int t = 0; t < threads; ++t) {
    pubs.emplace_back([&, t] {
      Conn conn(port, token);
      std::vector<std::string> batch;
      auto turn = start;
      for (long i = t; i < total;) {
        const auto due = start + std::chrono::microseconds(1'000'000LL * i / rate);
        std::this_thread::sleep_until(std::max(due, turn));
        turn = Clock::now() + kTick;
        // Every message of this thread due by now (up to kMaxBatch).
        const long due_by_now =
            static_cast<long>(std::chrono::duration<double>(Clock::now() - start).count() * rate);
        batch.clear();
        for (; i < total && i <= due_by_now && static_cast<long>(batch.size()) < kMaxBatch; i += threads) {
          batch.push_back(json::serialize(json::object{{"body", payload(phase)}, {"as", "pub"}}));
        }
        if (batch.empty()) continue;
        const int ok = conn.pipeline(target, batch, 200);
        accepted += ok;
        failed += static_cast<long>(batch.size()) - ok;
      }
    });
  }
  for (auto& p : pubs) p.join();
  return {accepted.load(), failed.load()};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: pubsub_bench <agentmesh binary> [seconds] [latency rate]\n");
    return 2;
  }
  const std::string binary = argv[1];
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 5;
  const int latency_rate = argc > 3 ? std::atoi(argv[3]) : 200;
  if (!crypto::init()) return 1;
  std::signal(SIGPIPE, SIG_IGN);

  // The verify rate, measured only while nothing else of ours runs: twice
  // now and once after the daemons have exited. The bound uses the highest
  // (other load only lowers it, and a lower bound would flatter the ratio).
  std::vector<double> verify_rates{measure_verify_rate(), measure_verify_rate()};

  TempDir dir("agentmesh-pubsub-bench");
  std::vector<std::unique_ptr<DaemonProcess>> daemons;
  std::vector<std::string> addrs;
  for (int i = 0; i < kDaemons; ++i) {
    std::vector<std::string> extra;
    for (const auto& a : addrs) {
      extra.push_back("--bootstrap");
      extra.push_back(a);
    }
    daemons.push_back(std::make_unique<DaemonProcess>(binary, dir.path() / ("d" + std::to_string(i)), extra));
    Conn c(daemons.back()->port(), daemons.back()->token());
    addrs.emplace_back(get_json(c, "/v1/node").at("listen_addrs").at(0).as_string());
  }
  Conn admin(daemons[0]->port(), daemons[0]->token());
  admin.request("POST", "/v1/agents", R"({"name":"pub"})");

  std::vector<std::unique_ptr<Subscriber>> subs;
  for (int i = 1; i < kDaemons; ++i) {
    subs.push_back(std::make_unique<Subscriber>(daemons[i]->port(), daemons[i]->token()));
    subs.back()->start();
  }
  // Every subscriber's mesh holds the 3 others, and the publisher sees 4 subscribers.
  const bool meshed = wait_until(
      [&] {
        for (int i = 1; i < kDaemons; ++i) {
          Conn c(daemons[i]->port(), daemons[i]->token());
          bool ok = false;
          const auto topics = get_json(c, "/v1/topics");
          for (const auto& t : topics.at("topics").as_array()) {
            if (t.at("topic").as_string() == kTopic && t.at("mesh").to_number<int>() >= kSubscribers - 1) ok = true;
          }
          if (!ok) return false;
        }
        const auto topics = get_json(admin, "/v1/topics");
        for (const auto& t : topics.at("topics").as_array()) {
          if (t.at("topic").as_string() == kTopic) return t.at("peers").to_number<int>() == kSubscribers;
        }
        return false;
      },
      std::chrono::seconds(30));
  std::fprintf(stderr, "pubsub_bench: %d daemons up\n", kDaemons);
  if (!meshed) {
    std::fprintf(stderr, "pubsub_bench: the mesh did not form\n");
    return 1;
  }
  // Warm-up (phase 0) until every subscriber has received something.
  wait_until(
      [&] {
        publish_at(daemons[0]->port(), daemons[0]->token(), 0, 50, 1, 1);
        for (auto& s : subs) {
          if (s->count(0) == 0) return false;
        }
        return true;
      },
      std::chrono::seconds(20));

  std::fprintf(stderr, "pubsub_bench: mesh formed, warm-up done\n");
  std::atomic<long> rss_max{0};
  std::atomic<bool> sampling{true};
  std::thread sampler([&] {
    while (sampling) {
      for (auto& d : daemons) {
        const long r = rss_kb(d->pid());
        long prev = rss_max.load();
        while (r > prev && !rss_max.compare_exchange_weak(prev, r)) {
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
  const auto settle = [&](int phase, long expected) {
    wait_until(
        [&] {
          for (auto& s : subs) {
            if (s->count(phase) < expected) return false;
          }
          return true;
        },
        std::chrono::seconds(3));
  };

  // Phase 1: latency at a fixed offered rate.
  {
    const auto [ok, failed] =
        publish_at(daemons[0]->port(), daemons[0]->token(), 1, latency_rate, seconds, kPublisherThreads);
    settle(1, ok);
    std::vector<double> all;
    for (auto& s : subs) {
      auto l = s->latencies(1);
      all.insert(all.end(), l.begin(), l.end());
    }
    std::printf("latency_offered_per_s=%d\nlatency_published=%ld\nlatency_failed=%ld\nlatency_samples=%zu\n",
                latency_rate, ok, failed, all.size());
    std::printf("latency_p50_ms=%.3f\nlatency_p99_ms=%.3f\n", percentile(all, 0.5), percentile(all, 0.99));
  }

  // Phases 2..: throughput at rising offered rates, until subscribers fall
  // below 90% of what was offered.
  double best = 0;
  int phase = 2;
  // Finer steps where this machine saturates (the figure is the best step).
  std::vector<int> rates = {1000, 2000, 3000, 4000, 5000, 5500, 6000, 6250, 6500, 6750,
                            7000, 7250, 7500, 8000, 9000, 10000, 12000, 14000};
  if (const char* r = std::getenv("PUBSUB_BENCH_RATES")) {  // e.g. "3000" to profile one rate
    rates.clear();
    for (std::istringstream in(r); in.good();) {
      int v = 0;
      if (in >> v) rates.push_back(v);
      in.ignore();
    }
  }
  for (const int rate : rates) {
    std::vector<double> cpu0;
    for (auto& d : daemons) cpu0.push_back(cpu_seconds(d->pid()));
    const double self0 = cpu_seconds(::getpid());
    const auto start = Clock::now();
    const auto [ok, failed] =
        publish_at(daemons[0]->port(), daemons[0]->token(), phase, rate, seconds, kPublisherThreads);
    const double published_secs = std::chrono::duration<double>(Clock::now() - start).count();
    settle(phase, ok);
    const double secs = std::max(published_secs, static_cast<double>(seconds));
    long slowest = ok;
    for (auto& s : subs) slowest = std::min(slowest, s->count(phase));
    const double delivered = slowest / secs;
    best = std::max(best, delivered);
    std::printf("rate_%d_published_per_s=%.0f\nrate_%d_failed=%ld\nrate_%d_delivered_per_s=%.0f\n", rate,
                ok / secs, rate, failed, rate, delivered);
    double sub_cpu = 0;
    for (int i = 1; i < kDaemons; ++i) sub_cpu += cpu_seconds(daemons[i]->pid()) - cpu0[i];
    std::printf("rate_%d_cores_publisher=%.2f\nrate_%d_cores_subscribers=%.2f\nrate_%d_cores_bench=%.2f\n", rate,
                (cpu_seconds(daemons[0]->pid()) - cpu0[0]) / secs, rate, sub_cpu / secs, rate,
                (cpu_seconds(::getpid()) - self0) / secs);
    std::fflush(stdout);
    ++phase;
    if (delivered < 0.9 * rate || phase >= kMaxPhases) break;
  }
  sampling = false;
  sampler.join();
  long gaps = 0;
  for (auto& s : subs) gaps += s->gaps();
  std::printf("delivered_per_s=%.0f\nsubscriber_gaps=%ld\nrss_max_kb=%ld\n", best, gaps, rss_max.load());
  std::printf("cores=%u\nsubscribers=%d\n", std::thread::hardware_concurrency(), kSubscribers);
  for (auto& s : subs) s->stop();
  int exit_status = 0;
  for (auto& d : daemons) exit_status |= d->stop();
  std::printf("daemon_exit=%d\n", exit_status);
  verify_rates.push_back(measure_verify_rate());
  std::sort(verify_rates.begin(), verify_rates.end());
  std::printf("verify_per_s=%.0f\nverify_per_s_min=%.0f\n", verify_rates.back(), verify_rates.front());
  return 0;
}
