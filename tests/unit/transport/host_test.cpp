#include "transport/host.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "transport/connection.hpp"
#include "transport/error.hpp"
#include "wire/error.hpp"
#include "wire/multistream.hpp"
#include "wire/noise.hpp"
#include "testutil/testutil.hpp"
#include "wire/yamux_frame.hpp"

namespace agentmesh::transport {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

std::span<const std::uint8_t> b(const std::string& s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

class HostTest : public ::testing::Test {
 protected:
  std::shared_ptr<Host> make_host(TransportConfig config = {}, std::optional<crypto::SigningKey> key = std::nullopt) {
    if (config.listen.empty()) config.listen = {core::Multiaddr::parse("/ip4/127.0.0.1/tcp/0").value()};
    config.reconnect_base = 50ms;
    config.reconnect_max = 200ms;
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
  void TearDown() override {
    for (auto& h : hosts_) h->stop();
    ioc_.run_for(100ms);
  }

  asio::io_context ioc_;
  std::vector<std::shared_ptr<Host>> hosts_;
};

Task<Result<void>> write_all(std::shared_ptr<Stream> s, const std::string& data) {
  auto w = co_await s->write(b(data));
  (void)s->close_write();
  co_return w;
}

Task<Result<std::string>> read_all(std::shared_ptr<Stream> s) {
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

bool identified(const Host& h, const core::PeerId& peer) {
  for (const auto& p : h.peers()) {
    if (p.peer == peer && !p.agent_version.empty() && p.ping_rtt_ms) return true;
  }
  return false;
}

TEST_F(HostTest, ConnectIdentifiesAndPingsBothWays) {
  auto a = make_host();
  auto c = make_host();
  auto peer = run(c->connect(addr_of(*a)));
  ASSERT_TRUE(peer) << peer.error().message();
  EXPECT_EQ(*peer, a->peer_id());
  ASSERT_TRUE(run_until([&] { return identified(*a, c->peer_id()) && identified(*c, a->peer_id()); }));
  const auto seen = c->peers().front();
  EXPECT_TRUE(seen.outbound);
  EXPECT_EQ(seen.agent_version, std::string("agentmesh/") + AGENTMESH_VERSION);
  EXPECT_NE(std::find(seen.protocols.begin(), seen.protocols.end(), "/ipfs/ping/1.0.0"), seen.protocols.end());
  EXPECT_EQ(seen.listen_addrs, a->listen_addrs());
  EXPECT_GT(*seen.ping_rtt_ms, 0.0);
  EXPECT_FALSE(a->peers().front().outbound);
  EXPECT_EQ(a->diagnostics().handshakes_ok, 1u);
  EXPECT_EQ(a->diagnostics().connections_inbound, 1u);
  EXPECT_EQ(c->diagnostics().connections_outbound, 1u);
  // Connecting again reuses the connection.
  ASSERT_TRUE(run(c->connect(addr_of(*a))));
  EXPECT_EQ(c->diagnostics().dialed, 1u);
}

// Peer exchange's dial path: b holds c's signed peer record from identify and
// hands it to a, which has never seen c; a dials c from the record alone. A
// record that is not the expected peer's is refused without dialing.
TEST_F(HostTest, APeerIsDialedFromTheSignedRecordAnotherPeerForwarded) {
  auto a = make_host();
  auto b = make_host();
  auto c = make_host();
  ASSERT_TRUE(run(a->connect(addr_of(*b))));
  ASSERT_TRUE(run(c->connect(addr_of(*b))));
  ASSERT_TRUE(run_until([&] { return identified(*b, c->peer_id()) && identified(*b, a->peer_id()); }));
  auto record = b->signed_record(c->peer_id());
  ASSERT_TRUE(record);
  EXPECT_GE(b->diagnostics().peer_records_valid, 2u);
  const auto seen = b->peers();
  EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](const PeerInfo& p) { return p.signed_record; }));
  EXPECT_FALSE(a->connected(c->peer_id()));
  auto wrong = run(a->dial_record(b->peer_id(), *record));  // c's record offered as b's
  EXPECT_FALSE(wrong);
  EXPECT_EQ(a->diagnostics().peer_records_invalid, 1u);
  auto dialed = run(a->dial_record(c->peer_id(), *record));
  ASSERT_TRUE(dialed) << dialed.error().message();
  EXPECT_EQ(*dialed, c->peer_id());
  EXPECT_TRUE(a->connected(c->peer_id()));
  EXPECT_EQ(a->diagnostics().px_dials, 1u);
  // A tampered record is refused.
  auto bad = *record;
  bad[bad.size() / 2] ^= 0x01;
  EXPECT_FALSE(run(a->dial_record(c->peer_id(), bad)));
}

TEST_F(HostTest, ProtocolHandlersCarryLargeTransfersUnderFlowControl) {
  auto a = make_host();
  auto c = make_host();
  a->set_handler("/test/echo/1.0.0", [](std::shared_ptr<Stream> s) -> Task<void> {
    std::array<std::uint8_t, 8192> buf{};
    for (;;) {
      auto n = co_await s->read_some(buf);
      if (!n || *n == 0) break;
      if (auto w = co_await s->write({buf.data(), *n}); !w) co_return;
    }
    (void)s->close_write();
  });
  ASSERT_TRUE(run(c->connect(addr_of(*a))));
  std::string data(3 * 1024 * 1024 + 5, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 13 + i / 7);
  auto stream = run(c->new_stream(a->peer_id(), {"/test/other/1.0.0", "/test/echo/1.0.0"}));
  ASSERT_TRUE(stream) << stream.error().message();
  auto s = *stream;
  EXPECT_EQ(s->protocol(), "/test/echo/1.0.0");
  // Write and read concurrently: the echo cannot buffer 3 MiB.
  bool written = false;
  asio::co_spawn(ioc_, write_all(s, data), [&](std::exception_ptr, Result<void> w) {
    EXPECT_TRUE(w);
    written = true;
  });
  auto got = run(read_all(s));
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_TRUE(written);
  EXPECT_EQ(got->size(), data.size());
  EXPECT_TRUE(*got == data);
  auto unsupported = run(c->new_stream(a->peer_id(), {"/nope/1.0.0"}));
  EXPECT_EQ(unsupported.error(), make_error_code(error::protocol_unsupported));
}

TEST_F(HostTest, AWrongPeerIdFailsTheHandshake) {
  auto a = make_host();
  auto c = make_host();
  auto other = crypto::SigningKey::generate();
  auto addr = a->listen_addrs().front().with_peer_id(core::PeerId::from_ed25519(other.public_key()));
  auto r = run(c->connect(addr));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), make_error_code(wire::error::peer_id_mismatch));
  EXPECT_EQ(c->diagnostics().handshakes_failed.at("peer_id_mismatch"), 1u);
  EXPECT_TRUE(c->peers().empty());
  // Dialing ourselves is refused before any connect.
  EXPECT_EQ(run(c->connect(addr_of(*c))).error(), make_error_code(error::dial_self));
}

TEST_F(HostTest, GarbageOnTheSocketIsCountedAndTheHostCarriesOn) {
  auto a = make_host();
  auto garbage = [&]() -> Task<Result<void>> {
    asio::ip::tcp::socket s(ioc_);
    auto target = a->listen_addrs().front();
    co_await s.async_connect({asio::ip::make_address("127.0.0.1"), *target.tcp_port()}, asio::use_awaitable);
    std::string junk = "\x13/multistream/1.0.0\n\x07/noise\n";
    co_await asio::async_write(s, asio::buffer(junk), asio::use_awaitable);
    std::string bad_noise = std::string("\x00\x05hello", 7);  // a 5-byte msg1: too short for e
    co_await asio::async_write(s, asio::buffer(bad_noise), asio::use_awaitable);
    std::array<char, 256> buf{};
    for (;;) {
      auto [ec, n] = co_await s.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
      if (ec) break;  // the host closes the connection
    }
    co_return Result<void>{};
  };
  run(garbage());
  ASSERT_TRUE(run_until([&] { return a->diagnostics().handshakes_failed.contains("bad_noise_message"); }));
  auto c = make_host();
  ASSERT_TRUE(run(c->connect(addr_of(*a))));
}

// A hand-driven client: multistream /noise, Noise XX and multistream
// /yamux/1.0.0 done step by step, then raw (possibly malformed) bytes.
struct RawClient {
  explicit RawClient(asio::io_context& ioc) : socket(ioc) {}
  asio::ip::tcp::socket socket;
  crypto::SigningKey key = crypto::SigningKey::generate();
  std::optional<wire::noise::TransportKeys> keys;
  std::string pending;

  Task<void> read_into_pending() {
    std::array<char, 4096> buf{};
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
    if (ec) throw boost::system::system_error(ec);
    pending.append(buf.data(), n);
  }
  Task<std::string> read_noise() {
    while (pending.size() < 2) co_await read_into_pending();
    const std::size_t len = (static_cast<std::uint8_t>(pending[0]) << 8) | static_cast<std::uint8_t>(pending[1]);
    while (pending.size() < 2 + len) co_await read_into_pending();
    std::string msg = pending.substr(2, len);
    pending.erase(0, 2 + len);
    co_return msg;
  }
  Task<void> write(const std::string& bytes) {
    co_await asio::async_write(socket, asio::buffer(bytes), asio::use_awaitable);
  }
  Task<void> write_noise(const std::string& msg) {
    std::string framed{static_cast<char>(msg.size() >> 8), static_cast<char>(msg.size() & 0xff)};
    co_await write(framed + msg);
  }
  // Encrypted plaintext, as one transport frame.
  Task<void> send(const std::string& plain) {
    std::string out;
    EXPECT_TRUE(keys->send.seal(b(plain), out));
    co_await write(out);
  }
  Task<void> handshake(std::uint16_t port) {
    co_await socket.async_connect({asio::ip::make_address("127.0.0.1"), port}, asio::use_awaitable);
    co_await write(wire::multistream::encode(wire::multistream::kProtocolId) + wire::multistream::encode("/noise"));
    // header + echo
    while (pending.size() < 28) co_await read_into_pending();
    pending.erase(0, 28);
    wire::noise::Handshake hs(wire::noise::Handshake::Role::initiator, key);
    co_await write_noise(hs.write_message().value());
    auto m2 = co_await read_noise();
    EXPECT_TRUE(hs.read_message(b(m2)));
    co_await write_noise(hs.write_message().value());
    keys = hs.split();
    co_await send(wire::multistream::encode(wire::multistream::kProtocolId) +
                  wire::multistream::encode("/yamux/1.0.0"));
    (void)co_await read_noise();  // the listener's answer: the upgrade is done
  }
};

TEST_F(HostTest, MalformedFramesInsideNoiseCloseOnlyThatConnection) {
  auto a = make_host();
  auto c = make_host();
  ASSERT_TRUE(run(c->connect(addr_of(*a))));
  const auto port = *a->listen_addrs().front().tcp_port();

  // 1. A yamux header with version 1.
  auto bad_header = [&]() -> Task<Result<void>> {
    RawClient rc(ioc_);
    co_await rc.handshake(port);
    std::string frame(12, '\0');
    frame[0] = 1;
    co_await rc.send(frame);
    co_return Result<void>{};
  };
  ASSERT_TRUE(run(bad_header()));
  ASSERT_TRUE(run_until([&] { return a->diagnostics().frames_rejected.contains("bad_yamux_frame"); }));

  // 2. A data frame announcing more than any window we grant: refused from
  // its header, before anything is buffered. (A window overrun within the
  // limit resets just the stream: yamux_session_test.)
  auto oversized = [&]() -> Task<Result<void>> {
    RawClient rc(ioc_);
    co_await rc.handshake(port);
    auto e = wire::yamux::encode(
        {.type = wire::yamux::FrameType::data, .flags = wire::yamux::kSyn, .stream_id = 1, .length = 64u << 20});
    co_await rc.send(std::string(reinterpret_cast<const char*>(e.data()), e.size()) + "xyz");
    co_return Result<void>{};
  };
  ASSERT_TRUE(run(oversized()));
  ASSERT_TRUE(run_until([&] { return a->diagnostics().frames_rejected.contains("frame_too_large"); }));

  // 3. A tampered ciphertext.
  auto tampered = [&]() -> Task<Result<void>> {
    RawClient rc(ioc_);
    co_await rc.handshake(port);
    std::string out;
    EXPECT_TRUE(rc.keys->send.seal(b("hello"), out));
    out.back() ^= 1;
    co_await rc.write(out);
    co_return Result<void>{};
  };
  ASSERT_TRUE(run(tampered()));
  ASSERT_TRUE(run_until([&] {
    const auto d = a->diagnostics();
    return d.connections_closed.contains("decrypt_failed") && d.frames_rejected.contains("decrypt_failed");
  }));

  // The well-behaved connection is untouched.
  EXPECT_TRUE(a->connected(c->peer_id()));
  auto s = run(c->new_stream(a->peer_id(), {"/ipfs/ping/1.0.0"}));
  EXPECT_TRUE(s);
}

TEST_F(HostTest, InboundConnectionLimit) {
  TransportConfig limited;
  limited.max_inbound = 1;
  auto a = make_host(limited);
  auto c = make_host();
  auto d = make_host();
  ASSERT_TRUE(run(c->connect(addr_of(*a))));
  auto r = run(d->connect(addr_of(*a)));
  EXPECT_FALSE(r);
  EXPECT_EQ(a->diagnostics().refused_at_limit, 1u);
  EXPECT_EQ(a->peers().size(), 1u);
}

TEST_F(HostTest, SimultaneousDialsSettleOnOneConnection) {
  auto a = make_host();
  auto c = make_host();
  std::optional<Result<core::PeerId>> r1, r2;
  spawn_into(a->connect(addr_of(*c)), r1);
  spawn_into(c->connect(addr_of(*a)), r2);
  ASSERT_TRUE(run_until([&] { return r1 && r2; }));
  EXPECT_TRUE(*r1);
  EXPECT_TRUE(*r2);
  ASSERT_TRUE(run_until([&] {
    auto pa = a->peers();
    auto pc = c->peers();
    return pa.size() == 1 && pc.size() == 1 && pa[0].outbound != pc[0].outbound &&
           identified(*a, c->peer_id()) && identified(*c, a->peer_id());
  }));
  // The kept connection is the one dialed by the smaller id, on both sides.
  const bool a_smaller = a->peer_id() < c->peer_id();
  EXPECT_EQ(a->peers()[0].outbound, a_smaller);
}

TEST_F(HostTest, BootstrapPeersAreRedialedAfterARestart) {
  auto key_seed = crypto::SigningKey::generate();
  std::vector<std::uint8_t> seed(key_seed.seed().begin(), key_seed.seed().end());
  auto a = make_host({}, crypto::SigningKey::from_seed(seed).value());
  const auto a_addr = addr_of(*a);
  TransportConfig boot;
  boot.bootstrap = {a_addr};
  auto c = make_host(boot);
  ASSERT_TRUE(run_until([&] { return identified(*c, a->peer_id()); }));

  // Restart A on the same port with the same key.
  a->stop();
  hosts_.erase(hosts_.begin());
  a.reset();
  ASSERT_TRUE(run_until([&] { return c->peers().empty(); }));
  TransportConfig same_port;
  same_port.listen = {a_addr.without_peer_id()};
  auto a2 = make_host(same_port, crypto::SigningKey::from_seed(seed).value());
  ASSERT_TRUE(run_until([&] { return identified(*c, a2->peer_id()); }));

  // disconnect() forgets the peer: no redial.
  ASSERT_TRUE(c->disconnect(a2->peer_id()));
  ASSERT_TRUE(run_until([&] { return c->peers().empty() && a2->peers().empty(); }));
  ioc_.run_for(500ms);
  EXPECT_TRUE(c->peers().empty());
  EXPECT_EQ(c->disconnect(a2->peer_id()).error(), make_error_code(error::not_connected));
}

}  // namespace
}  // namespace agentmesh::transport
