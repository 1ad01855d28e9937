#pragma once
// The transport tests' fixture: hosts on 127.0.0.1 with OS-chosen ports, one
// io_context run until a condition holds, and stream helpers.

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "testutil/testutil.hpp"
#include "transport/connection.hpp"
#include "transport/error.hpp"
#include "transport/host.hpp"

namespace agentmesh::transport::fixture {

namespace asio = boost::asio;
using namespace std::chrono_literals;

inline std::span<const std::uint8_t> b(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

class HostTest : public ::testing::Test {
 protected:
  std::shared_ptr<Host> make_host(TransportConfig config = {}, std::optional<crypto::SigningKey> key = std::nullopt) {
    if (config.listen.empty()) config.listen = {core::Multiaddr::parse("/ip4/127.0.0.1/tcp/0").value()};
    config.reconnect_base = reconnect_base_;
    config.reconnect_max = reconnect_max_;
    // AGENTMESH_TEST_LOG=1 shows the hosts' debug log.
    std::shared_ptr<spdlog::logger> log;
    if (std::getenv("AGENTMESH_TEST_LOG")) {
      log = std::make_shared<spdlog::logger>("host", std::make_shared<spdlog::sinks::stderr_sink_mt>());
      log->set_level(spdlog::level::debug);
    } else {
      log = std::make_shared<spdlog::logger>("host", std::make_shared<spdlog::sinks::null_sink_mt>());
    }
    auto host = Host::create(ioc_.get_executor(), key ? std::move(*key) : crypto::SigningKey::generate(), config, log);
    std::string why;
    EXPECT_TRUE(host->listen(why)) << why;
    host->start();
    hosts_.push_back(host);
    return host;
  }
  core::Multiaddr addr_of(const Host& h) { return h.listen_addrs().front().with_peer_id(h.peer_id()); }
  // A new identity as a seed, and its key: hosts made with key_of(seed) are one peer (a restart).
  static std::vector<std::uint8_t> new_seed() {
    auto key = crypto::SigningKey::generate();
    return {key.seed().begin(), key.seed().end()};
  }
  static crypto::SigningKey key_of(const std::vector<std::uint8_t>& seed) {
    return crypto::SigningKey::from_seed(seed).value();
  }
  // The peer `seed` started again on the port of `addr`, with `config`'s other settings.
  std::shared_ptr<Host> restart_at(const core::Multiaddr& addr, const std::vector<std::uint8_t>& seed,
                                   TransportConfig config = {}) {
    config.listen = {addr.without_peer_id()};
    return make_host(std::move(config), key_of(seed));
  }
  // A's circuit address through its first reservation, naming A.
  static core::Multiaddr circuit_addr(const Host& a) { return a.relay_addrs().front().with_peer_id(a.peer_id()); }
  // What `h` knows of its connection to `peer`, if it has one.
  static std::optional<PeerInfo> info_of(const Host& h, const core::PeerId& peer) {
    for (auto& p : h.peers()) {
      if (p.peer == peer) return p;
    }
    return std::nullopt;
  }

  // Runs the io_context until `pred` holds (or the deadline passes).
  bool run_until(const std::function<bool()>& pred, std::chrono::milliseconds deadline = 15s) {
    return testutil::run_until(ioc_, pred, deadline);
  }
  // Runs a coroutine to completion.
  template <class T>
  T run(Task<T> task) {
    std::optional<T> result;
    spawn_into(std::move(task), result);
    EXPECT_TRUE(run_until([&] { return result.has_value(); }, 30s));
    return std::move(*result);
  }
  // Runs `task` and stores its value (T need not be default-constructible).
  template <class T>
  void spawn_into(Task<T> task, std::optional<T>& out) {
    auto store = [](Task<T> t, std::optional<T>& o) -> Task<void> { o.emplace(co_await std::move(t)); };
    asio::co_spawn(ioc_, store(std::move(task), out), [](const std::exception_ptr& e) {
      if (e) std::rethrow_exception(e);
    });
  }
  // `data` sent on a new echo stream from `from` to `to`, and what came back.
  Result<std::string> echo_through(const std::shared_ptr<Host>& from, const core::PeerId& to, std::string data);
  // The same as text: what came back, or "error: " and why.
  std::string echoed(const std::shared_ptr<Host>& from, const core::PeerId& to, std::string data) {
    auto got = echo_through(from, to, std::move(data));
    return got ? *got : "error: " + got.error().message();
  }
  void TearDown() override {
    for (auto& h : hosts_) h->stop();
    ioc_.run_for(100ms);
  }

  asio::io_context ioc_;
  std::vector<std::shared_ptr<Host>> hosts_;
  // Redial backoff of the hosts make_host() creates from now on.
  std::chrono::milliseconds reconnect_base_ = 50ms;
  std::chrono::milliseconds reconnect_max_ = 200ms;
};

inline Task<Result<void>> write_all(std::shared_ptr<Stream> s, const std::string& data) {
  auto w = co_await s->write(b(data));
  (void)s->close_write();
  co_return w;
}

inline Task<Result<std::string>> read_all(std::shared_ptr<Stream> s) {
  std::string got;
  std::vector<std::uint8_t> buf(65536);
  for (;;) {
    auto n = co_await s->read_some(buf);
    if (!n) co_return n.error();
    if (*n == 0) break;
    got.append(reinterpret_cast<const char*>(buf.data()), *n);
  }
  co_return got;
}

// The echo handler's protocol in these tests.
inline constexpr std::string_view kEcho = "/test/echo/1.0.0";

// A protocol handler that writes back what it reads until EOF.
inline Task<void> echo(std::shared_ptr<Stream> s) {
  std::array<std::uint8_t, 8192> buf{};
  for (;;) {
    auto n = co_await s->read_some(buf);
    if (!n || *n == 0) break;
    if (auto w = co_await s->write({buf.data(), *n}); !w) co_return;
  }
  (void)s->close_write();
}

inline Result<std::string> HostTest::echo_through(const std::shared_ptr<Host>& from, const core::PeerId& to,
                                                  std::string data) {
  auto stream = run(from->new_stream(to, {std::string(kEcho)}));
  if (!stream) return stream.error();
  std::optional<Result<void>> written;
  spawn_into(write_all(*stream, data), written);
  auto got = run(read_all(*stream));
  if (got && !(written && *written)) return make_error_code(error::stream_closed);
  return got;
}

}  // namespace agentmesh::transport::fixture
