// Transport benchmarks (scripts/bench.sh runs them; docs/benchmarks.md has
// the figures). Each mode prints key=value lines on stdout.
//
//   p2p_bench aead SECONDS
//       single-core ChaCha20-Poly1305 (IETF) throughput on 64 KiB messages
//   p2p_bench sink
//       a transport::Host on 127.0.0.1:0 serving /agentmesh-bench/sink/1.0.0
//       (reads a stream to EOF, answers the byte count); prints addr=...,
//       runs until stdin closes
//   p2p_bench relay
//       a transport::Host on 127.0.0.1:0 running the circuit relay service
//       without per-circuit limits; prints addr=..., runs until stdin closes
//   p2p_bench sink RELAY_ADDR
//       a sink that holds a reservation on the relay; prints its circuit
//       address as addr=... once it has one
//   p2p_bench source ADDR MEGABYTES STREAMS
//       connects to a sink and sends MEGABYTES in 64 KiB writes, split over
//       STREAMS parallel streams; prints mb_per_s
//   p2p_bench handshakes ADDR SECONDS CONCURRENCY
//       full connection upgrades (TCP, multistream, Noise XX, yamux) against
//       ADDR (a daemon), each closed right after; prints handshakes_per_s
//   p2p_bench idle ADDR COUNT
//       opens COUNT idle connections to ADDR (each from its own identity),
//       prints ready=COUNT, holds them until stdin closes
//
// The sink and source run in separate processes, like two daemons.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <string>
#include <vector>

#include "crypto/crypto.hpp"
#include "transport/connection.hpp"
#include "transport/host.hpp"
#include "transport/relay_service.hpp"

using namespace agentmesh;
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::string_view kSink = "/agentmesh-bench/sink/1.0.0";
constexpr std::size_t kChunk = 64 * 1024;

std::shared_ptr<spdlog::logger> quiet() {
  return std::make_shared<spdlog::logger>("bench", std::make_shared<spdlog::sinks::null_sink_mt>());
}

std::shared_ptr<transport::Host> make_host(asio::io_context& ioc, bool listen,
                                           std::optional<core::Multiaddr> relay = std::nullopt) {
  transport::TransportConfig config;
  if (relay) config.relays = {*relay};
  if (listen) config.listen = {core::Multiaddr::parse("/ip4/127.0.0.1/tcp/0").value()};
  config.max_outbound = 100'000;
  if (const char* w = std::getenv("BENCH_WINDOW")) config.yamux.receive_window = static_cast<std::uint32_t>(std::stoul(w));
  auto host = transport::Host::create(ioc.get_executor(), crypto::SigningKey::generate(), config, quiet());
  std::string why;
  if (!host->listen(why)) {
    std::cerr << why << "\n";
    std::exit(1);
  }
  host->start();
  return host;
}

// Runs until stdin reaches EOF (the parent closes it to stop us).
void run_until_stdin_closes(asio::io_context& ioc) {
  asio::posix::stream_descriptor in(ioc, ::dup(0));
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        std::vector<char> buf(64);
        for (;;) {
          auto [ec, n] = co_await in.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
          if (ec) break;
        }
        ioc.stop();
      },
      asio::detached);
  ioc.run();
}

// Single-core ChaCha20-Poly1305 on 64 KiB messages: the implementation the
// transport uses (OpenSSL) and libsodium's, for comparison.
template <class Encrypt>
double aead_rate(double seconds, Encrypt encrypt) {
  crypto::SymmetricKey key{};
  crypto::random_bytes(key);
  std::vector<std::uint8_t> buf(kChunk + crypto::kAeadTagSize);
  crypto::random_bytes(buf);
  std::uint64_t n = 0;
  const auto start = Clock::now();
  const auto until = start + std::chrono::duration<double>(seconds);
  while (Clock::now() < until) {
    for (int i = 0; i < 64; ++i) encrypt(key, n++, std::span<const std::uint8_t>(buf.data(), kChunk), buf.data());
  }
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  return static_cast<double>(n) * kChunk / secs / 1e6;
}

int aead(double seconds) {
  const double openssl = aead_rate(seconds, [](const auto& k, std::uint64_t n, auto pt, std::uint8_t* out) {
    crypto::chacha20poly1305_encrypt(k, n, {}, pt, out);
  });
  const double sodium = aead_rate(seconds, [](const auto& k, std::uint64_t n, auto pt, std::uint8_t* out) {
    crypto::chacha20poly1305_encrypt_libsodium(k, n, {}, pt, out);
  });
  std::printf("aead_mb_per_s=%.1f\naead_libsodium_mb_per_s=%.1f\n", openssl, sodium);
  return 0;
}

asio::awaitable<void> sink_stream(std::shared_ptr<transport::Stream> s) {
  std::vector<std::uint8_t> buf(256 * 1024);
  std::uint64_t total = 0;
  for (;;) {
    auto n = co_await s->read_some(buf);
    if (!n || *n == 0) break;
    total += *n;
  }
  std::array<std::uint8_t, 8> count{};
  for (int i = 0; i < 8; ++i) count[i] = static_cast<std::uint8_t>(total >> (8 * i));
  (void)co_await s->write(count);
  (void)s->close_write();
}

int sink(std::optional<core::Multiaddr> relay) {
  asio::io_context ioc(1);
  auto host = make_host(ioc, true, relay);
  host->set_handler(std::string(kSink), sink_stream);
  if (!relay) {
    std::printf("addr=%s\n", host->listen_addrs().front().with_peer_id(host->peer_id()).to_string().c_str());
    std::fflush(stdout);
  } else {
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          asio::steady_timer poll(ioc);
          while (host->relay_addrs().empty()) {
            poll.expires_after(std::chrono::milliseconds(20));
            co_await poll.async_wait(asio::use_awaitable);
          }
          std::printf("addr=%s\n", host->relay_addrs().front().with_peer_id(host->peer_id()).to_string().c_str());
          std::fflush(stdout);
        },
        asio::detached);
  }
  run_until_stdin_closes(ioc);
  host->stop();
  return 0;
}

int relay() {
  asio::io_context ioc(1);
  auto host = make_host(ioc, true);
  transport::RelayServiceConfig config;
  config.enabled = true;
  config.circuit_bytes = 0;
  config.circuit_duration = std::chrono::seconds(0);
  auto service = transport::RelayService::create(host, config, quiet());
  service->start();
  std::printf("addr=%s\n", host->listen_addrs().front().with_peer_id(host->peer_id()).to_string().c_str());
  std::fflush(stdout);
  run_until_stdin_closes(ioc);
  service->stop();
  host->stop();
  return 0;
}

asio::awaitable<std::uint64_t> send_stream(std::shared_ptr<transport::Host> host, core::PeerId peer,
                                           std::uint64_t bytes) {
  std::vector<std::string> protocols{std::string(kSink)};  // named: no temporaries in co_await (GCC 12)
  auto s = co_await host->new_stream(peer, std::move(protocols));
  if (!s) throw std::runtime_error("stream: " + s.error().message());
  std::vector<std::uint8_t> chunk(kChunk, 0x5a);
  for (std::uint64_t sent = 0; sent < bytes; sent += kChunk) {
    auto w = co_await (*s)->write({chunk.data(), static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, bytes - sent))});
    if (!w) throw std::runtime_error("write: " + w.error().message());
  }
  (void)(*s)->close_write();
  std::array<std::uint8_t, 8> count{};
  auto reply = co_await (*s)->read_exact(count);
  if (!reply) throw std::runtime_error("reply: " + reply.error().message());
  std::uint64_t got = 0;
  for (int i = 0; i < 8; ++i) got |= static_cast<std::uint64_t>(count[i]) << (8 * i);
  co_return got;
}

int source(const std::string& addr_text, std::uint64_t megabytes, int streams) {
  asio::io_context ioc(1);
  auto host = make_host(ioc, false);
  auto addr = core::Multiaddr::parse(addr_text).value();
  double secs = 0;
  std::uint64_t received = 0;
  int done = 0;  // here, not in the coroutine below: the completions outlive it
  Clock::time_point start;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        auto peer = co_await host->connect(addr);
        if (!peer) throw std::runtime_error("connect: " + peer.error().message());
        const std::uint64_t per_stream = megabytes * 1'000'000 / static_cast<std::uint64_t>(streams);
        start = Clock::now();
        for (int i = 0; i < streams; ++i) {
          asio::co_spawn(ioc, send_stream(host, *peer, per_stream), [&](std::exception_ptr e, std::uint64_t got) {
            if (e) std::rethrow_exception(e);
            received += got;
            if (++done == streams) {
              secs = std::chrono::duration<double>(Clock::now() - start).count();
              host->stop();
              ioc.stop();
            }
          });
        }
      },
      [](const std::exception_ptr& e) {
        if (e) std::rethrow_exception(e);
      });
  ioc.run();
  std::printf("streams=%d\nmegabytes=%llu\nreceived_bytes=%llu\nseconds=%.3f\nmb_per_s=%.1f\n", streams,
              static_cast<unsigned long long>(megabytes), static_cast<unsigned long long>(received), secs,
              static_cast<double>(received) / secs / 1e6);
  return received == megabytes * 1'000'000 / static_cast<std::uint64_t>(streams) * streams ? 0 : 1;
}

int handshakes(const std::string& addr_text, double seconds, int concurrency) {
  asio::io_context ioc(1);
  auto addr = core::Multiaddr::parse(addr_text).value();
  std::uint64_t ok = 0, failed = 0;
  const auto until = Clock::now() + std::chrono::duration<double>(seconds);
  const auto start = Clock::now();
  int running = concurrency;
  for (int i = 0; i < concurrency; ++i) {
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          while (Clock::now() < until) {
            // A fresh identity per handshake: one connection per peer.
            auto host = make_host(ioc, false);
            auto peer = co_await host->connect(addr);
            if (peer) {
              ++ok;
            } else {
              ++failed;
            }
            host->stop();
          }
        },
        [&](const std::exception_ptr&) {
          if (--running == 0) ioc.stop();
        });
  }
  ioc.run();
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("handshakes=%llu\nhandshake_failures=%llu\nhandshakes_per_s=%.1f\n", static_cast<unsigned long long>(ok),
              static_cast<unsigned long long>(failed), static_cast<double>(ok) / secs);
  return 0;
}

int idle(const std::string& addr_text, int count) {
  asio::io_context ioc(1);
  auto addr = core::Multiaddr::parse(addr_text).value();
  std::vector<std::shared_ptr<transport::Host>> hosts;
  int connected = 0;
  for (int i = 0; i < count; ++i) {
    hosts.push_back(make_host(ioc, false));
    asio::co_spawn(
        ioc,
        [&, h = hosts.back()]() -> asio::awaitable<void> {
          auto r = co_await h->connect(addr);
          if (r && ++connected == count) {
            std::printf("ready=%d\n", count);
            std::fflush(stdout);
          }
        },
        asio::detached);
  }
  run_until_stdin_closes(ioc);
  return connected == count ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> a(argv + 1, argv + argc);
  if (a.size() == 2 && a[0] == "aead") return aead(std::stod(a[1]));
  if (a.size() == 1 && a[0] == "sink") return sink(std::nullopt);
  if (a.size() == 2 && a[0] == "sink") return sink(core::Multiaddr::parse(a[1]).value());
  if (a.size() == 1 && a[0] == "relay") return relay();
  if (a.size() == 4 && a[0] == "source") return source(a[1], std::stoull(a[2]), std::stoi(a[3]));
  if (a.size() == 4 && a[0] == "handshakes") return handshakes(a[1], std::stod(a[2]), std::stoi(a[3]));
  if (a.size() == 3 && a[0] == "idle") return idle(a[1], std::stoi(a[2]));
  std::fprintf(stderr, "usage: see the comment at the top of bench/p2p_bench.cpp\n");
  return 2;
}
