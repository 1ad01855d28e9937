#pragma once
// Host's private bookkeeping, shared by host.cpp (connections),
// host_protocols.cpp (identify, ping, stream dispatch) and host_manager.cpp
// (wanted peers, redials). Private to transport/.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "transport/connection.hpp"
#include "transport/host.hpp"

namespace agentmesh::transport {

using SteadyTime = std::chrono::steady_clock::time_point;

struct Host::PeerState {
  std::shared_ptr<Connection> conn;
  std::optional<wire::identify::Info> info;
  std::optional<double> ping_rtt_ms;
  std::optional<core::Multiaddr> dialed;  // the address of an outbound connection
  std::shared_ptr<boost::asio::steady_timer> ping_timer;  // cancelled when the peer goes
};

struct Host::Wanted {
  Wanted(std::vector<core::Multiaddr> a, std::optional<core::PeerId> p, Backoff b)
      : addrs(std::move(a)), peer(p), backoff(b) {}

  std::vector<core::Multiaddr> addrs;  // tried in order
  std::optional<core::PeerId> peer;    // known from /p2p or once connected
  Backoff backoff;
  SteadyTime next_attempt{};
  bool dialing = false;
  bool paused = false;                 // disconnect(): not redialed
  // When its connection last closed: for probe_window after it, an address
  // whose SYNs go unanswered is probed rather than backed off.
  std::optional<SteadyTime> lost_at;
  struct AddrBackoff {
    Backoff backoff;
    SteadyTime until{};
    bool unanswered = false;  // its last dial timed out connecting
  };
  std::map<std::string, AddrBackoff> failing;  // by address text
};

struct Host::Listener {
  explicit Listener(boost::asio::any_io_executor ex) : acceptor(ex) {}
  boost::asio::ip::tcp::acceptor acceptor;
  core::Multiaddr configured;
  core::Multiaddr bound;
};

namespace detail {

// A stable label for an error, for counters by reason ("peer_id_mismatch").
std::string reason_label(error_code ec);
// ip4/ip6/dns*/tcp targets: host text and port; unsupported_address otherwise.
struct TcpTarget {
  std::string host;
  std::uint16_t port = 0;
  enum class Kind { ip4, ip6, dns, dns4, dns6 } kind = Kind::ip4;
};
Result<TcpTarget> tcp_target(const core::Multiaddr& addr);
core::Multiaddr to_multiaddr(const boost::asio::ip::tcp::endpoint& ep);

}  // namespace detail
}  // namespace agentmesh::transport
