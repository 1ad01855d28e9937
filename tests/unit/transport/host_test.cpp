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

#include "transport/autonat.hpp"
#include "host_fixture.hpp"
#include "transport/connection.hpp"
#include "transport/stream_io.hpp"
#include "transport/error.hpp"
#include "wire/autonat.hpp"
#include "wire/error.hpp"
#include "wire/multistream.hpp"
#include "wire/noise.hpp"
#include "testutil/testutil.hpp"
#include "wire/yamux_frame.hpp"

namespace agentmesh::transport {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using fixture::HostTest;
using fixture::b;
using fixture::read_all;
using fixture::write_all;

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
  a->set_handler("/test/echo/1.0.0", fixture::echo);
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
  const auto seed = new_seed();
  auto a = make_host({}, key_of(seed));
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
  auto a2 = restart_at(a_addr, seed);
  ASSERT_TRUE(run_until([&] { return identified(*c, a2->peer_id()); }));

  // disconnect() forgets the peer: no redial.
  ASSERT_TRUE(c->disconnect(a2->peer_id()));
  ASSERT_TRUE(run_until([&] { return c->peers().empty() && a2->peers().empty(); }));
  ioc_.run_for(500ms);
  EXPECT_TRUE(c->peers().empty());
  EXPECT_EQ(c->disconnect(a2->peer_id()).error(), make_error_code(error::not_connected));
}

// C wants A and B and fails to reach either while both are down; its next
// redials are an hour away. When A comes back and connects to C, C takes it
// as a healed network and redials B at once instead of in an hour.
TEST_F(HostTest, AWantedPeerComingBackRedialsTheOtherUnreachableOnesAtOnce) {
  reconnect_base_ = 1h;
  reconnect_max_ = 1h;
  const auto a_seed = new_seed();
  const auto b_seed = new_seed();
  auto a = make_host({}, key_of(a_seed));
  auto b = make_host({}, key_of(b_seed));
  const auto a_addr = addr_of(*a);
  const auto b_addr = addr_of(*b);
  TransportConfig boot;
  boot.bootstrap = {a_addr, b_addr};
  auto c = make_host(boot);
  ASSERT_TRUE(run_until([&] { return c->peers().size() == 2; }));

  const auto dial_failures = [&] {
    std::uint64_t n = 0;
    for (const auto& [reason, count] : c->diagnostics().dial_failures) n += count;
    return n;
  };
  const auto before = dial_failures();
  for (auto& h : {a, b}) h->stop();
  hosts_.erase(hosts_.begin(), hosts_.begin() + 2);
  a.reset();
  b.reset();
  // One failed redial each; the next ones are an hour away.
  ASSERT_TRUE(run_until([&] { return c->peers().empty() && dial_failures() >= before + 2; }));

  auto b2 = restart_at(b_addr, b_seed);
  TransportConfig a_again;
  a_again.bootstrap = {addr_of(*c)};
  auto a2 = restart_at(a_addr, a_seed, a_again);
  ASSERT_TRUE(run_until([&] { return info_of(*c, b2->peer_id()).has_value(); }, 10s));
  EXPECT_TRUE(info_of(*c, b2->peer_id())->outbound);
  EXPECT_TRUE(info_of(*c, a2->peer_id()).has_value());
}

// C is connected to B; B goes away and its port stops answering SYNs, as a
// cut path does (a listener whose accept queue is full drops them). C's
// redial times out, and from then on C probes the address (short connects,
// no backoff) instead of waiting out its backoff (an hour here), so it
// reaches B within a probe of B answering again.
TEST_F(HostTest, AnAddressThatStopsAnsweringIsProbedUntilItAnswersAgain) {
  reconnect_base_ = 1h;
  reconnect_max_ = 1h;
  const auto b_seed = new_seed();
  auto b = make_host({}, key_of(b_seed));
  const auto b_addr = addr_of(*b);
  TransportConfig boot;
  boot.bootstrap = {b_addr};
  boot.dial_timeout = 1s;
  boot.probe_timeout = 200ms;
  auto c = make_host(boot);
  ASSERT_TRUE(run_until([&] { return c->peers().size() == 1; }));
  const auto timeouts = [&] {
    const auto& f = c->diagnostics().dial_failures;
    const auto it = f.find("dial_timeout");
    return it == f.end() ? std::uint64_t{0} : it->second;
  };

  // Nothing runs between B's stop and the blackhole taking its port: the
  // io_context runs only inside run_until.
  const auto port = *b_addr.tcp_port();
  b->stop();
  hosts_.erase(std::find(hosts_.begin(), hosts_.end(), b));
  b.reset();
  const asio::ip::tcp::endpoint at(asio::ip::make_address("127.0.0.1"), port);
  asio::ip::tcp::acceptor hole(ioc_);
  hole.open(at.protocol());
  hole.set_option(asio::socket_base::reuse_address(true));
  hole.bind(at);
  hole.listen(0);
  asio::ip::tcp::socket filler(ioc_);
  filler.connect(at);  // fills the accept queue: later SYNs are dropped
  // One full dial (1 s), then probes every 200 ms plus a manager tick; with
  // the backoff alone there would be one timeout and then an hour's wait.
  ASSERT_TRUE(run_until([&] { return timeouts() >= 3; }, 10s)) << timeouts();
  EXPECT_TRUE(c->peers().empty());

  filler.close();
  hole.close();
  auto b2 = restart_at(b_addr, b_seed);
  ASSERT_TRUE(run_until([&] { return info_of(*c, b2->peer_id()).has_value(); }, 5s));
  EXPECT_TRUE(info_of(*c, b2->peer_id())->outbound);
}

// --- AutoNAT (transport/autonat.hpp) ---

namespace autonat_test {

namespace an = wire::autonat;

std::shared_ptr<AutoNat> make_autonat(const std::shared_ptr<Host>& h, bool service, AutoNatConfig config = {}) {
  config.service = service;
  config.first_check = 10ms;
  auto log = std::make_shared<spdlog::logger>("autonat", std::make_shared<spdlog::sinks::null_sink_mt>());
  auto a = std::make_shared<AutoNat>(h, config, log);
  a->start();
  return a;
}

// One request as any client would send it; the server's answer.
Task<Result<an::DialResponse>> ask(std::shared_ptr<Host> client, core::PeerId server, an::Dial dial) {
  std::vector<std::string> protocols{std::string(an::kProtocolId)};
  auto stream = co_await client->new_stream(server, std::move(protocols));
  if (!stream) co_return stream.error();
  if (auto w = co_await write_lp(**stream, an::encode(an::Message{dial})); !w) co_return w.error();
  LpReader reader(**stream);
  auto msg = co_await reader.read(an::kMaxMessage);
  if (!msg) co_return msg.error();
  auto decoded = an::decode(b(*msg));
  if (!decoded) co_return decoded.error();
  co_return std::get<an::DialResponse>(*decoded);
}

}  // namespace autonat_test

// A client connected to a daemon that serves AutoNAT asks to be dialed back
// and learns it is public; the server proved the dial with a new connection.
TEST_F(HostTest, AutoNatDialsBackAndTheClientLearnsItIsPublic) {
  auto server = make_host();
  auto client = make_host();
  auto served = autonat_test::make_autonat(server, true);
  auto asking = autonat_test::make_autonat(client, false);
  EXPECT_EQ(asking->status().state, Reachability::unknown);
  ASSERT_TRUE(run(client->connect(addr_of(*server))));
  ASSERT_TRUE(run_until([&] { return asking->status().state == Reachability::reachable; }));
  const auto st = asking->status();
  EXPECT_EQ(st.votes_public, 1u);
  EXPECT_EQ(st.votes_private, 0u);
  ASSERT_TRUE(st.public_addr);
  EXPECT_EQ(*st.public_addr, client->listen_addrs().front());
  EXPECT_EQ(st.answers.at("OK"), 1u);
  ASSERT_EQ(st.observed.size(), 1u);  // where the server sees us: 127.0.0.1 and our dial's source port
  EXPECT_EQ(st.observed[0].second, 1u);
  EXPECT_EQ(served->status().dialed_back, 1u);
  EXPECT_EQ(served->status().state, Reachability::unknown);  // the client serves nothing: no one to ask
  EXPECT_EQ(server->diagnostics().dialed, 1u);  // the dial-back: a probe, not kept
  EXPECT_EQ(server->peers().size(), 1u);
  EXPECT_EQ(client->diagnostics().accepted, 1u);             // the probe, proven and closed
}

// The server dials only addresses on the IP the request came from (never a
// third party), refuses a request naming another peer, answers E_DIAL_ERROR
// when nothing answers, and holds every client to its limits.
TEST_F(HostTest, AutoNatServerRefusesForeignAddressesBadRequestsAndFloods) {
  namespace an = wire::autonat;
  auto server = make_host();
  auto client = make_host();
  AutoNatConfig limits;
  limits.per_peer_interval = 0ms;
  limits.max_requests_per_minute = 3;
  auto served = autonat_test::make_autonat(server, true, limits);
  ASSERT_TRUE(run(client->connect(addr_of(*server))));
  const auto me = client->peer_id().multihash();
  const auto other = core::PeerId::from_ed25519(crypto::SigningKey::generate().public_key()).multihash();
  auto closed_port = [&] {
    asio::ip::tcp::acceptor acc(ioc_, {asio::ip::make_address("127.0.0.1"), 0});
    return acc.local_endpoint().port();
  }();
  auto ask = [&](std::string peer, std::vector<std::string> addrs) {
    an::Dial dial{std::move(peer), {}};
    for (const auto& a : addrs) dial.addrs.push_back(core::Multiaddr::parse(a).value());
    auto r = run(autonat_test::ask(client, server->peer_id(), std::move(dial)));
    EXPECT_TRUE(r) << r.error().message();
    return r ? r->status : an::Status::internal;
  };
  const auto mine = client->listen_addrs().front().to_string();
  EXPECT_EQ(ask(other, {mine}), an::Status::bad_request);
  EXPECT_EQ(ask(me, {"/ip4/10.9.9.9/tcp/7782", "/ip4/192.0.2.1/tcp/1"}), an::Status::dial_refused);
  EXPECT_EQ(ask(me, {"/ip4/127.0.0.1/tcp/" + std::to_string(closed_port)}), an::Status::dial_error);
  EXPECT_EQ(ask(me, {"/ip4/10.9.9.9/tcp/7782", mine}), an::Status::ok);
  EXPECT_EQ(ask(me, {mine}), an::Status::dial_refused);  // the fourth request in a minute
  const auto st = served->status();
  EXPECT_EQ(st.requests, 5u);
  EXPECT_EQ(st.refused.at("bad_request"), 1u);
  EXPECT_EQ(st.refused.at("no_address"), 1u);
  EXPECT_EQ(st.refused.at("rate"), 1u);
  EXPECT_EQ(st.dial_back_failed, 1u);
  EXPECT_EQ(st.dialed_back, 1u);
  // Only the client's own IP was ever dialed: one refused port, one probe.
  std::uint64_t failed_dials = 0;
  for (const auto& [reason, n] : server->diagnostics().dial_failures) failed_dials += n;
  EXPECT_EQ(failed_dials, 1u);
}

}  // namespace
}  // namespace agentmesh::transport
