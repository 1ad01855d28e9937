#pragma once
// What the transport reports about itself: connected peers (GET /v1/peers)
// and counters (GET /v1/diagnostics/transport, /metrics). Plain values,
// light to include (no Asio).

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/multiaddr.hpp"
#include "core/peer_id.hpp"
#include "transport/traffic.hpp"

namespace agentmesh::transport {

// One connected peer, for GET /v1/peers.
struct PeerInfo {
  explicit PeerInfo(core::PeerId p) : peer(p) {}

  core::PeerId peer;
  bool outbound = false;
  core::Multiaddr remote_addr;                  // the connection's address
  std::vector<core::Multiaddr> listen_addrs;    // from identify
  std::int64_t connected_since_ms = 0;
  std::optional<double> ping_rtt_ms;            // /ipfs/ping, latest
  std::size_t open_streams = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::string agent_version;                    // from identify
  std::vector<std::string> protocols;           // from identify
  std::optional<core::Multiaddr> observed_addr; // from identify: the address this peer sees us at
  bool signed_record = false;                   // identify carried a valid signed peer record
  std::optional<core::PeerId> relay;            // set: the connection runs through this relay's circuit
};

// One traffic class on the connection to one peer (transport/traffic.hpp):
// what waits to be sent and what waits to be read.
struct TrafficFigures {
  Traffic traffic = Traffic::other;
  TrafficStats stats;
  // Drops: the transport drops no data (writers wait); what the layers above
  // queue per peer and drop when full is added by them (gossip: pubsub's
  // per-peer RPC queue; control: yamux ping answers).
  std::size_t app_queued = 0;
  std::uint64_t dropped = 0;
};

struct PeerQueues {
  explicit PeerQueues(core::PeerId p) : peer(p) {}
  core::PeerId peer;
  std::chrono::steady_clock::time_point at;  // when taken: the rates are per second up to then
  std::vector<TrafficFigures> traffic;       // classes that carried anything, in enum order
  Pacing pacing;
};

enum class Reachability { unknown, reachable, unreachable };
// "unknown", "public", "private".
std::string_view to_string(Reachability r) noexcept;

// AutoNAT's view (transport/autonat.hpp): GET /v1/node, diagnostics, /metrics.
struct AutoNatStatus {
  Reachability state = Reachability::unknown;
  std::size_t votes_public = 0;
  std::size_t votes_private = 0;
  std::optional<core::Multiaddr> public_addr;  // the last address a server reached
  std::optional<std::int64_t> checked_ms;      // Unix ms of the last answer
  // What connected peers see us at (identify), and how many peers said so.
  std::vector<std::pair<core::Multiaddr, std::size_t>> observed;
  bool service = false;
  // client
  std::uint64_t checks = 0;
  std::map<std::string, std::uint64_t> answers;  // by status (OK, E_DIAL_ERROR, ...; "failed": no answer)
  // server
  std::uint64_t requests = 0;
  std::uint64_t dialed_back = 0;       // OK answers
  std::uint64_t dial_back_failed = 0;  // E_DIAL_ERROR answers
  std::map<std::string, std::uint64_t> refused;  // by reason: rate, busy, bad_request, no_address
};

// Circuit relay v2: our reservations and circuits as a client, and the hop
// service's counters when it runs (GET /v1/diagnostics/transport, /metrics).
struct RelayStatus {
  struct Held {
    core::PeerId relay;
    std::int64_t expires_ms = 0;               // Unix ms
    std::vector<core::Multiaddr> addrs;        // our circuit addresses through it
  };
  std::vector<Held> reservations;              // ours, on other relays
  std::map<std::string, std::uint64_t> reserve_results;  // by status ("OK", "RESERVATION_REFUSED", "failed")
  std::map<std::string, std::uint64_t> dials;            // circuit dials by outcome
  std::uint64_t circuits_accepted = 0;                   // stop: circuits to us
  std::map<std::string, std::uint64_t> circuits_refused; // stop: by reason
  // DCUtR, on relayed connections a peer dialed us through (we start the
  // upgrade): outcomes ("direct", "unilateral", "failed", "no_addresses",
  // "unsupported", "protocol_error"), attempts (SYNCs sent), and the time from
  // the relayed connection's opening to the direct one of the last success.
  std::map<std::string, std::uint64_t> hole_punches;
  std::uint64_t hole_punch_attempts = 0;
  std::optional<std::uint64_t> last_upgrade_ms;
  // The other side: upgrades peers started with us, by outcome.
  std::map<std::string, std::uint64_t> hole_punches_served;
  // The hop service (when enabled).
  bool service = false;
  std::size_t service_reservations = 0;
  std::size_t service_circuits = 0;
  std::map<std::string, std::uint64_t> service_requests;  // by answer status
  std::map<std::string, std::uint64_t> service_circuits_closed;  // by reason: eof, data_limit, duration, reset
  std::uint64_t service_bytes = 0;                       // relayed, both directions
};

// GET /v1/diagnostics/transport and /metrics.
struct TransportDiagnostics {
  RelayStatus relay;
  AutoNatStatus autonat;  // filled by the node (PeerService)
  std::size_t connections_inbound = 0;
  std::size_t connections_outbound = 0;
  std::size_t handshakes_in_progress = 0;
  std::uint64_t accepted = 0;
  std::uint64_t dialed = 0;
  std::uint64_t refused_at_limit = 0;
  std::uint64_t duplicate_connections_closed = 0;
  std::uint64_t handshakes_ok = 0;
  std::map<std::string, std::uint64_t> handshakes_failed;  // by reason
  std::map<std::string, std::uint64_t> dial_failures;      // by reason
  std::map<std::string, std::uint64_t> frames_rejected;    // by reason
  std::map<std::string, std::uint64_t> connections_closed; // by reason
  std::uint64_t streams_opened_in = 0;
  std::uint64_t streams_opened_out = 0;
  std::uint64_t streams_refused = 0;
  std::uint64_t streams_open = 0;
  std::uint64_t window_stalls = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t identify_ok = 0;
  std::uint64_t identify_failed = 0;
  std::uint64_t peer_records_valid = 0;    // signed peer records checked (identify, peer exchange)
  std::uint64_t peer_records_invalid = 0;  // bad signature, wrong peer, malformed: ignored
  std::uint64_t px_dials = 0;              // peers dialed from peer exchange records
  std::uint64_t pings_ok = 0;
  std::uint64_t pings_failed = 0;
  std::vector<PeerQueues> queues;  // by peer id
};

}  // namespace agentmesh::transport
