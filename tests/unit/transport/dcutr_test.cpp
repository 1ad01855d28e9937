// DCUtR between hosts on 127.0.0.1: a peer that dials us through a relay is
// upgraded to a direct connection (docs/wire/dcutr.md), a peer without DCUtR
// gets the unilateral dial, and a peer that answers out of turn keeps the
// relayed connection. Simultaneous opens through NATs are proven in the
// fault harness (tests/netsim, scenario hole_punch).

#include <gtest/gtest.h>

#include "core/bytes.hpp"
#include "host_fixture.hpp"
#include "transport/relay_service.hpp"
#include "transport/stream_io.hpp"
#include "wire/dcutr.hpp"

namespace agentmesh::transport {
namespace {

namespace dcutr = wire::dcutr;
using namespace std::chrono_literals;
using fixture::echo;
using fixture::read_all;
using fixture::write_all;

using fixture::kEcho;

class DcutrTest : public fixture::HostTest {
 protected:
  void SetUp() override {
    relay_ = make_host();
    RelayServiceConfig config;
    config.enabled = true;
    auto log = std::make_shared<spdlog::logger>("relay", std::make_shared<spdlog::sinks::null_sink_mt>());
    service_ = RelayService::create(relay_, config, log);
    service_->start();
  }
  // A host that holds a reservation on the relay (so it is the side a
  // circuit arrives at, which starts the upgrade) and echoes.
  std::shared_ptr<Host> make_reserving() {
    TransportConfig config;
    config.relays = {addr_of(*relay_)};
    auto h = make_host(config);
    h->set_handler(std::string(kEcho), echo);
    EXPECT_TRUE(run_until([&] { return !h->relay_addrs().empty(); }));
    return h;
  }
  bool direct_both_ways(const Host& a, const Host& b) {
    auto pa = info_of(a, b.peer_id());
    auto pb = info_of(b, a.peer_id());
    return pa && pb && !pa->relay && !pb->relay;
  }
  std::uint64_t count(const std::map<std::string, std::uint64_t>& m, const std::string& key) {
    auto it = m.find(key);
    return it == m.end() ? 0 : it->second;
  }

  std::shared_ptr<Host> relay_;
  std::shared_ptr<RelayService> service_;
};

TEST_F(DcutrTest, APeerThatDialedThroughARelayIsMovedToADirectConnection) {
  auto a = make_reserving();
  auto b = make_host();
  b->set_handler(std::string(kEcho), echo);
  ASSERT_TRUE(run(b->connect(circuit_addr(*a))));
  // A (reached through the circuit) starts DCUtR; the two dial each other
  // from their listen ports and the direct connection replaces the circuit.
  ASSERT_TRUE(run_until([&] { return direct_both_ways(*a, *b); }));
  ASSERT_TRUE(run_until([&] { return !a->diagnostics().relay.hole_punches.empty(); }));
  const auto da = a->diagnostics().relay;
  EXPECT_EQ(count(da.hole_punches, "direct"), 1u);
  EXPECT_GE(da.hole_punch_attempts, 1u);
  ASSERT_TRUE(da.last_upgrade_ms.has_value());
  EXPECT_LT(*da.last_upgrade_ms, 10'000u);
  // B counts once its own dial is done too (it may have lost the race to A's).
  ASSERT_TRUE(run_until([&] { return count(b->diagnostics().relay.hole_punches_served, "direct") == 1; }));
  ASSERT_TRUE(run_until([&] {
    RelayStatus s;
    service_->fill(s);
    return s.service_circuits == 0;
  }));
  EXPECT_EQ(echoed(b, a->peer_id(), "over the punched connection"), "over the punched connection");
  EXPECT_EQ(echoed(a, b->peer_id(), "and back"), "and back");
}

TEST_F(DcutrTest, APeerWithoutDcutrIsDialedDirectlyAtItsListenAddresses) {
  auto a = make_reserving();
  TransportConfig plain;
  plain.hole_punching = false;
  auto b = make_host(plain);
  b->set_handler(std::string(kEcho), echo);
  ASSERT_TRUE(run(b->connect(circuit_addr(*a))));
  ASSERT_TRUE(run_until([&] { return direct_both_ways(*a, *b); }));
  ASSERT_TRUE(run_until([&] { return !a->diagnostics().relay.hole_punches.empty(); }));
  EXPECT_EQ(count(a->diagnostics().relay.hole_punches, "unilateral"), 1u);
  EXPECT_EQ(a->diagnostics().relay.hole_punch_attempts, 0u);
  EXPECT_EQ(echoed(a, b->peer_id(), "direct"), "direct");
}

// A peer that answers CONNECT with SYNC: the upgrade stops, counted, and the
// relayed connection carries on.
TEST_F(DcutrTest, APeerThatAnswersOutOfTurnKeepsTheRelayedConnection) {
  auto a = make_reserving();
  TransportConfig plain;
  plain.hole_punching = false;
  auto b = make_host(plain);
  b->set_handler(std::string(kEcho), echo);
  b->set_handler(std::string(dcutr::kProtocol), [](std::shared_ptr<Stream> s) -> Task<void> {
    LpReader reader(*s);
    (void)co_await reader.read(dcutr::kMaxMessage);
    dcutr::HolePunch wrong{dcutr::HolePunch::Type::sync, {}};
    (void)co_await write_lp(*s, dcutr::encode(wrong));
    (void)co_await reader.read(dcutr::kMaxMessage);  // until A resets
  });
  ASSERT_TRUE(run(b->connect(circuit_addr(*a))));
  ASSERT_TRUE(run_until([&] { return count(a->diagnostics().relay.hole_punches, "protocol_error") == 1; }));
  EXPECT_EQ(info_of(*a, b->peer_id())->relay, relay_->peer_id());
  EXPECT_EQ(echoed(a, b->peer_id(), "still relayed"), "still relayed");
  EXPECT_EQ(info_of(*b, a->peer_id())->relay, relay_->peer_id());
}

// Hole punching dials from the listen port; the listener shares it
// (SO_REUSEPORT) but a second listener on a port in use still fails.
TEST_F(DcutrTest, ListeningOnAPortInUseStillFails) {
  auto a = make_host();
  TransportConfig config;
  config.listen = {a->listen_addrs().front()};
  auto log = std::make_shared<spdlog::logger>("second", std::make_shared<spdlog::sinks::null_sink_mt>());
  auto second = Host::create(ioc_.get_executor(), crypto::SigningKey::generate(), config, log);
  std::string why;
  EXPECT_FALSE(second->listen(why));
  EXPECT_NE(why.find("in use"), std::string::npos) << why;
}

}  // namespace
}  // namespace agentmesh::transport
