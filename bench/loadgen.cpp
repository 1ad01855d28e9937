// End-to-end benchmark against a real daemon process on 127.0.0.1:
//   1. throughput: 8 keep-alive clients send 256-byte messages for a few
//      seconds; accepted (202) messages per second.
//   1b. the reference: redis-server with appendfsync always, the same 8 clients
//      writing 256-byte values one at a time and 16 pipelined (redis_ref.hpp).
//   2. latency: one sender offers 1,000 msgs/s for a few seconds while an SSE
//      client reads the recipient's stream; send -> SSE delivery p50/p99.
//   3. memory: daemon RSS idle, then with 100 agents and 100,000 stored messages.
// Prints one `key=value` per line for scripts/bench.sh.
//
//   loadgen <agentmesh binary> [seconds]

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/json.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <unistd.h>

#include "bench_util.hpp"
#include "redis_ref.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace json = boost::json;
using namespace agentmesh::bench;

namespace {

constexpr int kClients = 8;  // throughput phases
constexpr int kDepth = 16;   // pipelined requests per client

std::string message_body(const std::string& to, const std::string& payload) {
  return json::serialize(json::object{{"to", to}, {"body", payload}});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: loadgen <agentmesh binary> [seconds]\n");
    return 2;
  }
  const std::string binary = argv[1];
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 5;
  TempDir dir("agentmesh-loadgen");
  DaemonProcess daemon(binary, dir.path() / "data", {});
  const pid_t pid = daemon.pid();
  const auto port = daemon.port();
  const auto& token = daemon.token();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::printf("rss_idle_kb=%ld\n", rss_kb(pid));

  Conn admin(port, token);
  admin.request("POST", "/v1/agents", R"({"name":"alice"})");
  admin.request("POST", "/v1/agents", R"({"name":"bob"})");
  const std::string payload(256, 'x');

  // 1. Throughput, without and with pipelining.
  for (const int depth : {1, kDepth}) {
    std::atomic<bool> stop{false};
    std::atomic<long> accepted{0}, failed{0};
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&] {
        Conn conn(port, token);
        const auto body = message_body("bob", payload);
        while (!stop) {
          const int ok = conn.pipeline("/v1/agents/alice/messages", body, depth);
          accepted += ok;
          failed += depth - ok;
        }
      });
    }
    const auto start = Clock::now();
    const double daemon_cpu0 = cpu_seconds(pid), self_cpu0 = cpu_seconds(::getpid());
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    const double daemon_cpu = cpu_seconds(pid) - daemon_cpu0, self_cpu = cpu_seconds(::getpid()) - self_cpu0;
    stop = true;
    for (auto& t : clients) t.join();
    const double secs = std::chrono::duration<double>(Clock::now() - start).count();
    const std::string k = "throughput_depth" + std::to_string(depth);
    std::printf("%s_msgs_per_s=%.0f\n%s_failed=%ld\nthroughput_clients=%d\n", k.c_str(), accepted / secs, k.c_str(),
                failed.load(), kClients);
    std::printf("%s_daemon_cores=%.2f\n%s_loadgen_cores=%.2f\n", k.c_str(), daemon_cpu / secs, k.c_str(),
                self_cpu / secs);
    std::string inbox;
    admin.request("GET", "/v1/agents/bob", "", &inbox);
    admin.request("POST", "/v1/agents/bob/inbox/ack",
                  json::serialize(json::object{{"up_to", json::parse(inbox).at("last_seq")}}));
  }

  // 1b. The durable reference, same clients, depth and payload size: Redis fsyncing every write (redis_ref.hpp).
  if (const auto redis = redis_reference(dir.path() / "redis", kClients, kDepth, seconds)) {
    std::printf("redis_depth1_per_s=%.0f\nredis_depth%d_per_s=%.0f\n", redis->depth1_per_s, kDepth,
                redis->pipelined_per_s);
  }

  // 2. Latency at 1,000 msgs/s offered, send -> SSE delivery.
  {
    constexpr int kRate = 1000;
    const int total = kRate * seconds;
    std::vector<double> latencies_ms;
    std::atomic<bool> sse_ready{false};
    std::thread reader([&] {
      asio::io_context ioc;
      asio::ip::tcp::socket sock(ioc);
      sock.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
      // The API answers only its own Host (421 otherwise: the DNS-rebinding check).
      const std::string req = "GET /v1/agents/bob/events HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                              "\r\nAuthorization: Bearer " + token + "\r\n\r\n";
      asio::write(sock, asio::buffer(req));
      std::string buf;
      char chunk[65536];
      sse_ready = true;
      while (static_cast<int>(latencies_ms.size()) < total) {
        beast::error_code ec;
        const auto n = sock.read_some(asio::buffer(chunk), ec);
        if (ec) break;
        const auto received = now_ns();
        buf.append(chunk, n);
        std::size_t pos;
        while ((pos = buf.find("\n\n")) != std::string::npos) {
          const auto event = buf.substr(0, pos);
          buf.erase(0, pos + 2);
          const auto d = event.find("data: ");
          if (event.find("event: message") == std::string::npos || d == std::string::npos) continue;
          const auto v = json::parse(event.substr(d + 6));
          const std::string body(v.at("body").as_string());
          if (body.rfind("t=", 0) != 0) continue;
          const auto sent = std::stoll(body.substr(2, body.find(' ') - 2));
          latencies_ms.push_back(static_cast<double>(received - sent) / 1e6);
        }
      }
    });
    while (!sse_ready) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    Conn sender(port, token);
    const auto start = Clock::now();
    for (int i = 0; i < total; ++i) {
      std::this_thread::sleep_until(start + std::chrono::microseconds(1'000'000LL * i / kRate));
      const std::string body = "t=" + std::to_string(now_ns()) + " " + payload.substr(0, 230);
      sender.request("POST", "/v1/agents/alice/messages", message_body("bob", body));
    }
    reader.join();
    std::printf("latency_offered_per_s=%d\nlatency_samples=%zu\nlatency_p50_ms=%.3f\nlatency_p99_ms=%.3f\n", kRate,
                latencies_ms.size(), percentile(latencies_ms, 0.5), percentile(latencies_ms, 0.99));
  }

  // 3. RSS with 100 agents and 100,000 stored messages (plus what the runs above stored).
  {
    Conn fresh(port, token);  // the first connection sat idle through the phases above: the daemon closed it
    for (int i = 0; i < 98; ++i) {
      fresh.request("POST", "/v1/agents", R"({"name":"agent-)" + std::to_string(i) + "\"}");
    }
    constexpr int kMessages = 100000;
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&, c] {
        Conn conn(port, token);
        for (int i = c; i < kMessages; i += kClients) {
          conn.request("POST", "/v1/agents/alice/messages",
                       message_body("agent-" + std::to_string(i % 98), payload));
        }
      });
    }
    for (auto& t : clients) t.join();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    std::printf("rss_loaded_kb=%ld\n", rss_kb(pid));
  }

  std::printf("daemon_exit=%d\n", daemon.stop());
  return 0;
}
