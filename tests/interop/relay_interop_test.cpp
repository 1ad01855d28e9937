// Circuit relay v2 with js-libp2p (@libp2p/circuit-relay-v2, pinned in
// interop/package.json): our relay service carries a js node's circuit, and a
// js relay carries our daemons' circuit (its voucher checked by us). AutoNAT
// v1 with @libp2p/autonat: a js server answers our dial-back request. These
// tests fail, and never skip, when node or the packages are missing.

#include <gtest/gtest.h>

#include "js_peer.hpp"
#include "testutil/testutil.hpp"

namespace agentmesh::testutil {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

std::string node_field(const Daemon& d, const char* key) {
  return std::string(get_json(d, "/v1/node").at(key).as_string());
}

// The daemon's entry for `peer` once identify completed over the connection.
std::optional<json::object> identified_over(const Daemon& d, const std::string& peer) {
  auto v = get_json(d, "/v1/peers");
  if (!v.is_object()) return std::nullopt;
  for (const auto& p : v.at("peers").as_array()) {
    const auto& o = p.as_object();
    if (o.at("peer_id").as_string() == peer && !o.at("agent_version").as_string().empty()) return o;
  }
  return std::nullopt;
}

std::string circuit_addr(const json::object& addrs_event) {
  for (const auto& a : addrs_event.at("addrs").as_array()) {
    const std::string text(a.as_string());
    if (text.find("/p2p-circuit") != std::string::npos) return text;
  }
  return {};
}

TEST(RelayInteropTest, OurRelayServiceCarriesAJsNodesCircuit) {
  TempDir dir;
  Daemon relay(dir.path() / "relay", {"--relay-service"});
  relay.start();
  const auto relay_id = node_field(relay, "peer_id");
  const std::string relay_addr(get_json(relay, "/v1/node").at("listen_addrs").as_array().at(0).as_string());
  JsPeer js({"--relay", relay_addr});
  ASSERT_EQ(js.startup_error(), "");
  // js reserved on our relay and listens on its circuit address.
  auto listening = js.wait_for([](const json::object& e) {
    return e.at("event").as_string() == "addrs" && !circuit_addr(e).empty();
  });
  ASSERT_TRUE(listening) << js.transcript() << relay.log();
  const auto via = circuit_addr(*listening);
  EXPECT_NE(via.find("/p2p/" + relay_id + "/p2p-circuit"), std::string::npos) << via;
  const auto service = get_json(relay, "/v1/diagnostics/transport").at("circuit_relay").at("service");
  EXPECT_EQ(service.at("reservations").to_number<int>(), 1) << json::serialize(service);

  // Another daemon dials the js node through our relay: Noise, yamux and
  // identify run end to end over the circuit.
  Daemon dialer(dir.path() / "dialer");
  dialer.start();
  auto r = dialer.admin().request("POST", "/v1/peers", R"({"addr":")" + via + "\"}", "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body << dialer.log();
  std::optional<json::object> seen;
  ASSERT_TRUE(eventually([&] { return (seen = identified_over(dialer, js.peer_id())).has_value(); }, 20s))
      << dialer.log() << js.transcript();
  EXPECT_EQ(seen->at("relay").as_string(), relay_id);
  EXPECT_EQ(std::string(seen->at("agent_version").as_string()).rfind("js-libp2p/", 0), 0u);
  EXPECT_EQ(get_json(relay, "/v1/diagnostics/transport")
                .at("circuit_relay").at("service").at("circuits").to_number<int>(), 1);
}

TEST(RelayInteropTest, AJsRelayCarriesOurDaemonsCircuit) {
  JsPeer js({"--relay-service"});
  ASSERT_EQ(js.startup_error(), "");
  TempDir dir;
  Daemon target(dir.path() / "target", {"--relay", js.addr()});
  target.start();
  // The js relay granted a reservation whose voucher held under our checks.
  std::string via;
  ASSERT_TRUE(eventually([&] {
    const auto addrs = get_json(target, "/v1/node").at("relay_addrs").as_array();
    if (addrs.empty()) return false;
    via = std::string(addrs.at(0).as_string());
    return true;
  }, 20s)) << target.log() << js.transcript();
  const auto client = get_json(target, "/v1/diagnostics/transport").at("circuit_relay");
  EXPECT_EQ(client.at("reserve_total").at("OK").to_number<int>(), 1) << json::serialize(client);
  EXPECT_FALSE(client.at("reserve_total").as_object().contains("bad_voucher"));
  EXPECT_NE(via.find("/p2p/" + js.peer_id() + "/p2p-circuit/p2p/" + node_field(target, "peer_id")),
            std::string::npos) << via;

  Daemon dialer(dir.path() / "dialer");
  dialer.start();
  auto r = dialer.admin().request("POST", "/v1/peers", R"({"addr":")" + via + "\"}", "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body << dialer.log() << target.log();
  const auto target_id = node_field(target, "peer_id");
  std::optional<json::object> seen;
  ASSERT_TRUE(eventually([&] { return (seen = identified_over(dialer, target_id)).has_value(); }, 20s)) << dialer.log();
  EXPECT_EQ(seen->at("relay").as_string(), js.peer_id());
  ASSERT_TRUE(eventually([&] { return identified_over(target, node_field(dialer, "peer_id")).has_value(); }, 20s));
  EXPECT_EQ(get_json(target, "/v1/diagnostics/transport").at("circuit_relay").at("accepted_total").to_number<int>(),
            1);
}

// Our AutoNAT client asks a js-libp2p AutoNAT server. js dials back only
// public addresses on another host than its own, so on 127.0.0.1 it refuses
// (E_DIAL_REFUSED, "no dialable addresses"): that answer proves it decoded
// our DIAL (peer id and addresses) and we decoded its DIAL_RESPONSE; a
// refusal is no vote, so the verdict stays unknown.
TEST(RelayInteropTest, AJsAutoNatServerAnswersOurDialRequest) {
  JsPeer js({"--autonat-service"});
  ASSERT_EQ(js.startup_error(), "");
  TempDir dir;
  Daemon d(dir.path() / "d", {"--bootstrap", js.addr()});
  d.start();
  auto autonat = [&] { return get_json(d, "/v1/diagnostics/transport").at("autonat"); };
  ASSERT_TRUE(eventually([&] { return autonat().at("answers_total").as_object().contains("E_DIAL_REFUSED"); }, 30s))
      << json::serialize(autonat()) << d.log() << js.transcript();
  const auto a = autonat();
  EXPECT_GE(a.at("checks_total").to_number<int>(), 1);
  EXPECT_FALSE(a.at("answers_total").as_object().contains("failed")) << json::serialize(a);
  EXPECT_EQ(a.at("state").as_string(), "unknown");
}

}  // namespace
}  // namespace agentmesh::testutil
