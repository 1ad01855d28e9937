#pragma once
// TransportConfig: the node-to-node layer's settings, with documented
// defaults. Built by the daemon from --listen,
// --bootstrap, the environment and the TOML file.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/multiaddr.hpp"
#include "transport/yamux_session.hpp"

namespace agentmesh::transport {

using std::chrono::milliseconds;

// AutoNAT v1 (transport/autonat.hpp): learning whether this daemon can be
// dialed from outside, and, opt-in, helping other daemons learn it.
struct AutoNatConfig {
  // Answer other peers' dial-back requests (--autonat-service).
  bool service = false;
  // The first check, after the first connection to a peer that serves
  // AutoNAT; then every `interval` while the answer is unknown, every
  // `confirmed_interval` once public or private.
  milliseconds first_check{1'000};
  milliseconds interval{60'000};
  milliseconds confirmed_interval{15 * 60'000};
  // Servers asked per check (of the connected peers that serve AutoNAT).
  std::size_t servers_per_check = 3;
  // The server's dial-back: per address (TCP connect; the handshake has its
  // own deadline), and at most this many addresses per request.
  milliseconds dial_back_timeout{5'000};
  std::size_t max_dial_back_addrs = 4;
  // Server limits: one request per peer per `per_peer_interval`, at most
  // `max_requests_per_minute` in all and `max_concurrent` dial-backs at once.
  milliseconds per_peer_interval{10'000};
  std::size_t max_requests_per_minute = 60;
  std::size_t max_concurrent = 4;
};

// Circuit relay v2 (transport/relay_service.hpp, docs/wire/circuit.md). The
// service (hop) is opt-in: --relay-service. The limits default to the ones
// the reference implementations use; a limited circuit is meant to carry a
// connection until a direct one replaces it, so operators who relay for
// their own daemons raise or lift them (0: no limit).
struct RelayServiceConfig {
  bool enabled = false;
  std::size_t max_reservations = 128;
  std::size_t max_reservations_per_ip = 8;  // peers reserving from one IP address
  std::size_t max_circuits = 256;          // at once, in all
  std::size_t max_circuits_per_peer = 16;  // at once, per source and per target
  std::chrono::seconds reservation_ttl{3600};
  std::chrono::seconds circuit_duration{120};
  std::uint64_t circuit_bytes = 128 * 1024;  // per direction
  // RESERVE and CONNECT requests one peer may make per minute.
  std::size_t max_requests_per_peer_per_minute = 60;
};

struct TransportConfig {
  static constexpr std::uint16_t kDefaultPort = 7782;
  static constexpr std::size_t kDefaultMaxInbound = 200;
  static constexpr std::size_t kDefaultMaxOutbound = 50;

  // Where to accept connections. Default: /ip4/0.0.0.0/tcp/7782 (port 0 picks
  // a free port; GET /v1/node shows the bound addresses).
  std::vector<core::Multiaddr> listen;
  // Peers to connect to at start and to keep connected (with /p2p/<id> the
  // remote identity is checked during the handshake).
  std::vector<core::Multiaddr> bootstrap;
  // Connection limits; over them inbound connections are closed at accept
  // and dials fail with connection_limit.
  std::size_t max_inbound = kDefaultMaxInbound;
  std::size_t max_outbound = kDefaultMaxOutbound;
  // TCP connect (including DNS) deadline.
  milliseconds dial_timeout{10'000};
  // multistream-select + Noise + yamux negotiation deadline.
  milliseconds handshake_timeout{10'000};
  // A stream's protocol negotiation and the identify exchange deadline.
  milliseconds stream_timeout{10'000};
  // yamux keep-alive ping; a connection whose ping goes unanswered for two
  // intervals is closed.
  milliseconds keepalive_interval{15'000};
  // /ipfs/ping RTT measurement interval per connection.
  milliseconds ping_interval{30'000};
  // Reconnect backoff for wanted peers (bootstrap and remembered ones):
  // exponential from base to max, with +-20% jitter. The cap bounds how long
  // a healed partition or a restarted peer waits for the redial. In a cut,
  // each dial sends SYNs at 0, 1, 3 and 7 s and times out at 10 s; the
  // backoff counts from the dial's start, so with a cap below 10 s the next
  // dial follows at once (the fault harness, tests/netsim: with a 60-s cap,
  // messages held through a 20 s partition arrived up to 33 s after it
  // healed; with 15 s counted from the dial's end, a pair reconnected 8.4 s
  // after a heal). A peer that is gone costs one dial per cap, or one
  // connect in flight if it drops SYNs (but see probe_window).
  milliseconds reconnect_base{1'000};
  milliseconds reconnect_max{5'000};
  // For probe_window after a wanted peer's connection closed, an address of
  // it that stops answering SYNs (a dial timed out: a cut or a blackhole,
  // not a refusal) is probed: each dial of it gives the connect
  // probe_timeout (SYNs at 0 and 1 s) and the next starts at the manager's
  // next tick, about every 2.5 s, so a heal is seen within about 1.5 s
  // rather than up to 4 s (the gap between the last SYNs of a 10-s
  // connect). Past the window, the backoff above applies again. A peer gone
  // for good costs 2 SYNs per 2.5 s for that long; remembered peers not
  // connected since the start are not probed.
  milliseconds probe_timeout{2'000};
  milliseconds probe_window{300'000};
  // A connection whose sent data stays unacknowledged this long is closed by
  // the kernel (TCP_USER_TIMEOUT) and its peer redialed, rather than left to
  // TCP's retransmission backoff, which after a partition of 20 s waits up to
  // 13 s more between retransmissions. 0: the kernel's default (minutes).
  milliseconds stall_timeout{10'000};
  // How many remembered peers to redial at start (most recently seen first).
  std::size_t max_remembered_peers = 64;
  // Kernel socket send and receive buffer per connection, in bytes (0: the
  // kernel's autotuning). Large buffers keep a fast stream from stalling on
  // wakeups (docs/benchmarks.md: on loopback, 4 MiB gives a steady ~2.2 GB/s
  // where autotuning varies between 1.3 and 2.2). Kernel memory, used only
  // while data is in flight.
  int socket_buffer_bytes = 4 * 1024 * 1024;
  // At most this much data the kernel has not sent yet per connection
  // (TCP_NOTSENT_LOWAT; 0: no limit). The rest waits in the connection's
  // queues, where control frames and other streams can go ahead of it: with
  // a 4 MiB buffer and no limit, a 1 Mbit/s link held 30 s of gossip in front
  // of every ack and window update (tests/netsim, slow_receiver).
  int unsent_lowat_bytes = 16 * 1024;
  // Multiplexer settings per connection.
  yamux::SessionConfig yamux;
  // Sent in identify.
  std::string agent_version;
  AutoNatConfig autonat;
  RelayServiceConfig relay_service;
  // Relays to keep a reservation on (--relay /ip4/../tcp/../p2p/RELAY): they
  // are kept connected, the reservation is refreshed before it expires, and
  // their circuit addresses are advertised (identify, signed peer record).
  std::vector<core::Multiaddr> relays;
  // DCUtR (docs/wire/dcutr.md): over a relayed connection a peer dialed us
  // through, coordinate a simultaneous TCP open from our listen port and move
  // to the direct connection when one comes up. Serving the other side
  // (/libp2p/dcutr) follows the same switch.
  bool hole_punching = true;
};

}  // namespace agentmesh::transport
