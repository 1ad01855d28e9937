// Circuit relay v2 between hosts on 127.0.0.1: reservations, circuits, the
// limits, a direct connection replacing a relayed one, and a relay that lies.

#include "transport/relay_service.hpp"

#include <gtest/gtest.h>

#include <boost/asio/detached.hpp>
#include <limits>

#include "core/bytes.hpp"
#include "host_fixture.hpp"
#include "transport/error.hpp"
#include "transport/stream_io.hpp"
#include "wire/circuit.hpp"
#include "wire/error.hpp"

namespace agentmesh::transport {
namespace {

namespace asio = boost::asio;
namespace circuit = wire::circuit;
using namespace std::chrono_literals;
using fixture::echo;
using fixture::read_all;
using fixture::write_all;

using fixture::kEcho;

class RelayTest : public fixture::HostTest {
 protected:
  std::shared_ptr<Host> make_relay(RelayServiceConfig config) {
    auto r = make_host();
    config.enabled = true;
    auto log = std::make_shared<spdlog::logger>("relay", std::make_shared<spdlog::sinks::null_sink_mt>());
    service_ = RelayService::create(r, config, log);
    service_->start();
    return r;
  }
  // A host that keeps a reservation on `relay` and echoes.
  // (No hole punching: on loopback it would replace the circuit at once;
  // dcutr_test.cpp covers it.)
  std::shared_ptr<Host> make_reserving(const std::shared_ptr<Host>& relay) {
    TransportConfig config;
    config.relays = {addr_of(*relay)};
    config.hole_punching = false;
    auto h = make_host(config);
    h->set_handler(std::string(kEcho), echo);
    return h;
  }
  RelayStatus relay_status() const {
    RelayStatus s;
    service_->fill(s);
    return s;
  }

  std::shared_ptr<RelayService> service_;
};

TEST_F(RelayTest, ARelayAlsoNamedAsABootstrapPeerIsDialedOnce) {
  auto r = make_relay({});
  TransportConfig config;
  config.relays = {addr_of(*r)};
  config.bootstrap = {addr_of(*r)};
  config.hole_punching = false;
  auto a = make_host(config);
  ASSERT_TRUE(run_until([&] { return !a->relay_addrs().empty(); }));
  // Both entries were due at the manager's first tick, long before the reservation: a second dial would have
  // connected (counted) by now, and one of the two connections been closed as a duplicate.
  EXPECT_EQ(a->diagnostics().dialed, 1u);
  EXPECT_EQ(a->diagnostics().duplicate_connections_closed, 0u);
  EXPECT_EQ(r->diagnostics().accepted, 1u);
  EXPECT_EQ(r->diagnostics().duplicate_connections_closed, 0u);
}

TEST_F(RelayTest, APeerWithAReservationIsReachedThroughTheRelayUntilADirectConnectionReplacesIt) {
  RelayServiceConfig config;
  config.circuit_bytes = 0;  // no limits: this test moves a megabyte each way
  config.circuit_duration = 0s;
  auto r = make_relay(config);
  auto a = make_reserving(r);
  ASSERT_TRUE(run_until([&] { return !a->relay_addrs().empty(); }));
  const auto via = circuit_addr(*a);
  EXPECT_NE(via.to_string().find("/p2p/" + r->peer_id().to_string() + "/p2p-circuit/p2p/"), std::string::npos);
  EXPECT_EQ(a->diagnostics().relay.reservations.size(), 1u);
  EXPECT_EQ(relay_status().service_reservations, 1u);

  auto b = make_host();
  auto dialed = run(b->connect(via));
  ASSERT_TRUE(dialed) << dialed.error().message();
  EXPECT_EQ(*dialed, a->peer_id());
  EXPECT_EQ(info_of(*b, a->peer_id())->relay, r->peer_id());
  ASSERT_TRUE(run_until([&] { return info_of(*a, b->peer_id()).has_value(); }));
  EXPECT_EQ(info_of(*a, b->peer_id())->relay, r->peer_id());
  // Identify ran over the circuit: B learned A's circuit address from A itself.
  ASSERT_TRUE(run_until([&] {
    auto p = info_of(*b, a->peer_id());
    return p && std::count(p->listen_addrs.begin(), p->listen_addrs.end(), via.without_peer_id()) == 1;
  }));

  std::string data(1024 * 1024 + 3, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 31 + i / 5);
  auto got = echo_through(b, a->peer_id(), data);
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_TRUE(*got == data);
  EXPECT_EQ(relay_status().service_circuits, 1u);
  EXPECT_GE(relay_status().service_bytes, 2 * data.size());
  EXPECT_EQ(b->diagnostics().relay.dials.at("OK"), 1u);
  EXPECT_EQ(a->diagnostics().relay.circuits_accepted, 1u);

  // A direct connection replaces the relayed one on both sides, and the
  // circuit on the relay ends.
  ASSERT_TRUE(run(b->connect(addr_of(*a))));
  ASSERT_TRUE(run_until([&] {
    auto pa = info_of(*a, b->peer_id());
    auto pb = info_of(*b, a->peer_id());
    return pa && pb && !pa->relay && !pb->relay && relay_status().service_circuits == 0;
  }));
  EXPECT_EQ(relay_status().service_circuits_closed.size(), 1u);
  got = echo_through(b, a->peer_id(), "direct now");
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, "direct now");

  // The reservation goes with the relay's connection and comes back when A,
  // which wants its relay, reconnects and reserves again.
  ASSERT_TRUE(r->disconnect(a->peer_id()));
  ASSERT_TRUE(run_until([&] { return a->relay_addrs().empty(); }));
  ASSERT_TRUE(run_until([&] { return !a->relay_addrs().empty(); }));
  EXPECT_EQ(a->diagnostics().relay.reserve_results.at("OK"), 2u);
}

// Many identities from one address share its quota; renewals are not new
// reservations.
TEST_F(RelayTest, ReservationsPerAddressAreBounded) {
  RelayServiceConfig config;
  config.max_reservations_per_ip = 2;
  config.reservation_ttl = 4s;  // renewed at 2 s left
  auto r = make_relay(config);
  auto a = make_reserving(r);
  auto b = make_reserving(r);
  ASSERT_TRUE(run_until([&] { return !a->relay_addrs().empty() && !b->relay_addrs().empty(); }));
  auto c = make_reserving(r);  // also from 127.0.0.1
  ASSERT_TRUE(run_until([&] { return c->diagnostics().relay.reserve_results.contains("RESERVATION_REFUSED"); }));
  EXPECT_TRUE(c->relay_addrs().empty());
  ASSERT_TRUE(run_until([&] { return a->diagnostics().relay.reserve_results.at("OK") >= 2; }));
  EXPECT_EQ(relay_status().service_reservations, 2u);
  EXPECT_FALSE(a->relay_addrs().empty());
}

TEST_F(RelayTest, LimitsHoldAreAnsweredWithTheSpecsStatusAndCounted) {
  RelayServiceConfig config;
  config.max_reservations = 1;
  config.circuit_bytes = 32 * 1024;
  config.circuit_duration = 0s;
  config.max_circuits_per_peer = 1;
  auto r = make_relay(config);
  auto a = make_reserving(r);
  ASSERT_TRUE(run_until([&] { return !a->relay_addrs().empty(); }));
  // A second peer finds the relay full.
  auto c = make_reserving(r);
  ASSERT_TRUE(run_until([&] { return c->diagnostics().relay.reserve_results.contains("RESERVATION_REFUSED"); }));
  EXPECT_TRUE(c->relay_addrs().empty());
  EXPECT_GE(relay_status().service_requests.at("RESERVATION_REFUSED"), 1u);

  // A circuit to a peer without a reservation.
  auto b = make_host();
  const auto to_c = a->relay_addrs().front().with_peer_id(c->peer_id());
  auto refused = run(b->connect(to_c));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), make_error_code(error::relay_no_reservation));
  EXPECT_EQ(b->diagnostics().relay.dials.at("NO_RESERVATION"), 1u);

  // Past the data limit the circuit ends; the relay's own connections stay.
  ASSERT_TRUE(run(b->connect(circuit_addr(*a))));
  auto small = echo_through(b, a->peer_id(), std::string(1000, 's'));
  ASSERT_TRUE(small) << small.error().message();
  // One circuit per peer at a time: A's second is refused while the first lives.
  auto d = make_host();
  ASSERT_TRUE(run(d->connect(addr_of(*r))));
  auto second = run(d->connect(circuit_addr(*a)));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error(), make_error_code(error::relay_refused));
  EXPECT_EQ(d->diagnostics().relay.dials.at("RESOURCE_LIMIT_EXCEEDED"), 1u);

  auto big = echo_through(b, a->peer_id(), std::string(64 * 1024, 'b'));
  EXPECT_FALSE(big);
  ASSERT_TRUE(run_until([&] { return relay_status().service_circuits_closed.contains("data_limit"); }));
  ASSERT_TRUE(run_until([&] { return !info_of(*b, a->peer_id()); }));
  EXPECT_EQ(relay_status().service_circuits, 0u);
  for (const auto& h : {a, b, c, d}) {
    auto p = info_of(*h, r->peer_id());
    ASSERT_TRUE(p);
    EXPECT_FALSE(p->relay);
  }
}

TEST_F(RelayTest, ACircuitEndsAtItsDurationLimit) {
  RelayServiceConfig config;
  config.circuit_duration = 1s;
  auto r = make_relay(config);
  auto a = make_reserving(r);
  ASSERT_TRUE(run_until([&] { return !a->relay_addrs().empty(); }));
  auto b = make_host();
  ASSERT_TRUE(run(b->connect(circuit_addr(*a))));
  ASSERT_TRUE(run_until([&] { return relay_status().service_circuits_closed.contains("duration"); }));
  ASSERT_TRUE(run_until([&] { return !info_of(*b, a->peer_id()) && !info_of(*a, b->peer_id()); }));
  EXPECT_TRUE(info_of(*a, r->peer_id()));
}

Task<void> copy(std::shared_ptr<Stream> from, std::shared_ptr<Stream> to) {
  std::array<std::uint8_t, 8192> buf{};
  for (;;) {
    auto n = co_await from->read_some(buf);
    if (!n || *n == 0) break;
    if (auto w = co_await to->write({buf.data(), *n}); !w) break;
  }
  (void)to->close_write();
}

TEST_F(RelayTest, ARelayThatNamesAnotherPeerAsTheSourceGetsNoConnection) {
  // A hand-made relay that grants reservations and carries circuits, but
  // tells the target the circuit comes from `claimed`.
  auto liar = make_host();
  const auto claimed = core::PeerId::from_ed25519(crypto::SigningKey::generate().public_key());
  std::weak_ptr<Host> weak = liar;
  liar->set_handler(std::string(circuit::kHopProtocol), [this, weak, claimed](std::shared_ptr<Stream> s) -> Task<void> {
    auto l = weak.lock();
    LpReader reader(*s);
    auto msg = co_await reader.read(circuit::kMaxMessage);
    auto hop = circuit::decode_hop(core::bytes_of(msg.value())).value();
    circuit::HopMessage reply;
    reply.type = circuit::HopMessage::Type::status;
    reply.status = circuit::Status::ok;
    if (hop.type == circuit::HopMessage::Type::reserve) {
      circuit::Reservation granted;
      granted.expire = std::numeric_limits<std::uint32_t>::max();
      granted.addrs.push_back(addr_of(*l));
      reply.reservation = std::move(granted);
      co_await write_lp(*s, circuit::encode(reply));
      (void)s->close_write();
      co_return;
    }
    const auto target = core::PeerId::from_multihash(core::bytes_of(hop.peer->id)).value();
    std::vector<std::string> protocols{std::string(circuit::kStopProtocol)};
    auto stop = (co_await l->new_stream(target, std::move(protocols))).value();
    circuit::StopMessage request;
    request.type = circuit::StopMessage::Type::connect;
    request.peer = circuit::Peer{claimed.multihash(), {}};
    co_await write_lp(*stop, circuit::encode(request));
    LpReader stop_reader(*stop);
    (void)co_await stop_reader.read(circuit::kMaxMessage);
    co_await write_lp(*s, circuit::encode(reply));
    asio::co_spawn(ioc_, copy(stop, s), asio::detached);
    co_await copy(s, stop);
  });
  auto a = make_reserving(liar);
  ASSERT_TRUE(run_until([&] { return !a->relay_addrs().empty(); }));
  auto b = make_host();
  auto dialed = run(b->connect(circuit_addr(*a)));
  EXPECT_FALSE(dialed);
  ASSERT_TRUE(run_until([&] { return a->diagnostics().handshakes_failed.contains("peer_id_mismatch"); }));
  EXPECT_FALSE(info_of(*a, b->peer_id()));
  EXPECT_FALSE(info_of(*a, claimed));
  EXPECT_TRUE(info_of(*a, liar->peer_id()));
}

// AutoNAT says private: the host reserves on a connected peer that offers
// the relay service, without being told which; dialable again, it drops it.
TEST_F(RelayTest, APrivateHostReservesOnAConnectedRelayOfItsOwnAccord) {
  auto r = make_relay({});
  auto plain = make_host();  // connected, but no relay service: not a candidate
  auto a = make_host();
  int changes = 0;
  Host::Observer o;
  o.addresses_changed = [&] { ++changes; };
  a->add_observer(o);
  ASSERT_TRUE(run(a->connect(addr_of(*plain))));
  ASSERT_TRUE(run(a->connect(addr_of(*r))));
  ASSERT_TRUE(run_until([&] { return info_of(*a, r->peer_id()) && !info_of(*a, r->peer_id())->protocols.empty(); }));
  a->set_private(true);
  ASSERT_TRUE(run_until([&] { return !a->relay_addrs().empty(); }));
  const auto held = a->diagnostics().relay.reservations;
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(held[0].relay, r->peer_id());
  EXPECT_EQ(changes, 1);
  EXPECT_FALSE(a->diagnostics().relay.reserve_results.contains("failed"));
  a->set_private(false);
  EXPECT_TRUE(a->relay_addrs().empty());
  EXPECT_EQ(changes, 2);
}

TEST_F(RelayTest, AReservationIsRenewedBeforeItExpires) {
  RelayServiceConfig config;
  config.reservation_ttl = 3s;
  auto r = make_relay(config);
  auto a = make_reserving(r);
  ASSERT_TRUE(run_until([&] { return !a->relay_addrs().empty(); }));
  // Renewed with 2 s (or a quarter of its lifetime) left, so it never
  // lapses: still held after more than two lifetimes, asked for again each time.
  bool lapsed = false;
  run_until([&] {
    lapsed = lapsed || a->relay_addrs().empty() || relay_status().service_reservations != 1;
    return false;
  }, 7s);
  EXPECT_FALSE(lapsed);
  EXPECT_GE(a->diagnostics().relay.reserve_results.at("OK"), 3u);
}

// One hop request on a fresh stream from `from`; the relay's answer.
Task<Result<circuit::HopMessage>> hop_request(std::shared_ptr<Host> from, core::PeerId relay, std::string request) {
  std::vector<std::string> protocols{std::string(circuit::kHopProtocol)};
  auto s = co_await from->new_stream(relay, std::move(protocols));
  if (!s) co_return s.error();
  if (auto w = co_await write_lp(**s, request); !w) co_return w.error();
  LpReader reader(**s);
  auto reply = co_await reader.read(circuit::kMaxMessage);
  if (!reply) co_return reply.error();
  co_return circuit::decode_hop(core::bytes_of(*reply));
}

TEST_F(RelayTest, OversizedAndFloodingRequestsAreRefusedAndCounted) {
  RelayServiceConfig config;
  config.max_requests_per_peer_per_minute = 3;
  auto r = make_relay(config);
  auto flooder = make_host();
  ASSERT_TRUE(run(flooder->connect(addr_of(*r))));
  // Over 4 KiB: the stream is reset, nothing is answered.
  EXPECT_FALSE(run(hop_request(flooder, r->peer_id(), std::string(5000, 'x'))));
  ASSERT_TRUE(run_until([&] { return relay_status().service_requests.contains("oversized"); }));
  // Garbage that fits: MALFORMED_MESSAGE.
  auto garbage = run(hop_request(flooder, r->peer_id(), "\xff\xff"));
  ASSERT_TRUE(garbage);
  EXPECT_EQ(garbage->status, circuit::Status::malformed_message);
  // Three requests a minute, the garbage included: the third is answered, the fourth refused.
  circuit::HopMessage reserve;
  reserve.type = circuit::HopMessage::Type::reserve;
  ASSERT_TRUE(run(hop_request(flooder, r->peer_id(), circuit::encode(reserve))));
  auto third = run(hop_request(flooder, r->peer_id(), circuit::encode(reserve)));
  ASSERT_TRUE(third);
  EXPECT_EQ(third->status, circuit::Status::ok);
  auto fourth = run(hop_request(flooder, r->peer_id(), circuit::encode(reserve)));
  ASSERT_TRUE(fourth);
  EXPECT_EQ(fourth->status, circuit::Status::resource_limit_exceeded);
  // Another peer is not affected, nor the flooder's connection.
  auto other = make_reserving(r);
  ASSERT_TRUE(run_until([&] { return !other->relay_addrs().empty(); }));
  EXPECT_TRUE(flooder->connected(r->peer_id()));
  EXPECT_EQ(relay_status().service_requests.at("RESOURCE_LIMIT_EXCEEDED"), 1u);
}

}  // namespace
}  // namespace agentmesh::transport
