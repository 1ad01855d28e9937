#pragma once
// Host: this node on the libp2p network. It listens and dials, upgrades
// connections (upgrade.hpp), keeps one connection per peer, runs identify and
// ping on every connection, dispatches inbound streams to protocol handlers,
// and keeps wanted peers connected.
//
// Protocol registry: set_handler("/meshsub/1.1.0", h) makes the host accept
// that protocol on inbound streams (multistream-select answers na to the
// rest) and list it in identify. Later layers add their protocols this way,
// without touching transport code. Built in: /ipfs/id/1.0.0,
// /ipfs/id/push/1.0.0, /ipfs/ping/1.0.0.
//
// Connection manager
//   * One connection per peer. When both sides dial at once, both keep the
//     connection dialed by the peer with the smaller PeerId and close the
//     other with GoAway.
//   * Wanted peers: bootstrap addresses, peers connected through connect(),
//     and remembered peers (remember(), from the peer store at start). A
//     wanted peer that is not connected is redialed with exponential backoff
//     and jitter (reconnect_base .. reconnect_max); each failing address is
//     held off with its own backoff. disconnect() forgets a peer: it is not
//     redialed until restart or the next connect().
//   * A wanted peer we had failed to reach that connects again (either way)
//     is taken as a sign that the network healed: the other wanted peers we
//     are failing to reach are redialed at once rather than at the end of
//     their backoff (up to reconnect_max). Their backoff keeps its count, so
//     a peer that is really gone costs one dial per such event, at most one
//     event per second.
//   * Limits: max_inbound (excess connections are closed at accept, counted)
//     and max_outbound (dials fail with connection_limit).
//
// Observers hear about connections, identify results and forgotten peers
// (the node persists addresses in the peer store from them).
//
// Threading: every member runs on the executor given to create() (the
// node's); the API reaches the host through the node on that executor.

#include <spdlog/logger.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/multiaddr.hpp"
#include "core/peer_id.hpp"
#include "core/result.hpp"
#include "core/task_reporter.hpp"
#include "crypto/crypto.hpp"
#include "transport/backoff.hpp"
#include "transport/config.hpp"
#include "transport/info.hpp"
#include "wire/identify.hpp"

namespace agentmesh::transport {

struct ConnectionStats;

template <class T>
using Task = boost::asio::awaitable<T>;

class Connection;
class Stream;
struct Upgraded;
struct RawLink;
namespace detail {
struct TcpTarget;
}
enum class Direction;

inline constexpr std::string_view kPingProtocol = "/ipfs/ping/1.0.0";
// dial_addrs(): how long a direct address may take to connect before the
// circuit addresses are tried.
inline constexpr std::chrono::milliseconds kDirectFirst{1'000};

class Host : public std::enable_shared_from_this<Host> {
 public:
  using Executor = boost::asio::any_io_executor;
  using Handler = std::function<Task<void>(std::shared_ptr<Stream>)>;

  struct Observer {
    std::function<void(const PeerInfo&)> connected;
    std::function<void(const core::PeerId&)> disconnected;
    // identify arrived: the peer's info and the address we reached it on
    // (outbound connections only).
    std::function<void(const wire::identify::Info&, std::optional<core::Multiaddr> dialed)> identified;
    std::function<void(const core::PeerId&)> forgotten;
    // Our advertised addresses changed (a relay reservation came or went).
    std::function<void()> addresses_changed;
  };

  // `tasks` hears of exceptions that end the host's coroutines (logged and
  // counted; core/task_reporter.hpp); null in tests of this layer.
  static std::shared_ptr<Host> create(Executor ex, crypto::SigningKey identity, TransportConfig config,
                                      std::shared_ptr<spdlog::logger> log,
                                      std::shared_ptr<core::TaskReporter> tasks = nullptr);
  ~Host();

  // Binds every listen address. On failure `why` names the address.
  Result<void> listen(std::string& why);
  // Starts accepting and the connection manager (bootstrap, redials).
  void start();
  // Closes listeners and every connection (GoAway); idempotent.
  void stop();

  void set_handler(std::string protocol, Handler handler);
  void add_observer(Observer observer);
  // A peer to keep connected, with addresses to try (from the peer store).
  void remember(const core::PeerId& peer, std::vector<core::Multiaddr> addrs);

  // Dials (or finds the existing connection) and returns the peer's id once
  // the connection is up. dial_self, unsupported_address, connection_limit,
  // dial_timeout, timeout (handshake), peer_id_mismatch, ... The peer
  // becomes wanted (redialed if the connection drops).
  Task<Result<core::PeerId>> connect(core::Multiaddr addr);
  // Peer exchange: dials the peer of a signed peer record (wire/peer_record)
  // if it is `expected`, not us and not connected, trying its addresses in
  // order. Unlike connect(), the peer does not become wanted.
  Task<Result<core::PeerId>> dial_record(core::PeerId expected, std::string record);
  // Dials `expected` at the first of `addrs` that answers (any /p2p part is
  // replaced by `expected`), unless already connected: direct addresses
  // first, each given kDirectFirst to connect when circuit addresses follow,
  // then the circuit addresses. Like dial_record(),
  // the peer does not become wanted: the direct-message path dials the
  // hosting daemon of a recipient it found in the directory.
  Task<Result<core::PeerId>> dial_addrs(core::PeerId expected, std::vector<core::Multiaddr> addrs);
  // AutoNAT's dial-back: a new connection to `expected` at `addr`, under a
  // throwaway identity, proven by the Noise handshake and closed at once,
  // whether or not the peer is connected already (that connection stays). `timeout` bounds the TCP
  // connect (the handshake has its usual deadline).
  Task<Result<void>> probe(core::PeerId expected, core::Multiaddr addr, std::chrono::milliseconds timeout);
  // Circuit relay v2, client side (host_relay.cpp; docs/wire/circuit.md).
  // Reserves a slot on a connected relay (the configured relays are reserved
  // on and refreshed by the connection manager). The reservation lasts until
  // its expiry or until the relay disconnects. relay_refused,
  // relay_failed (no reservation in the answer, a voucher that does not
  // hold), not_connected, protocol_unsupported.
  Task<Result<RelayStatus::Held>> reserve(core::PeerId relay);
  // Our circuit addresses (/…/p2p/RELAY/p2p-circuit) through live reservations.
  std::vector<core::Multiaddr> relay_addrs() const;
  // listen_addrs() then relay_addrs(): what identify and our signed record carry.
  std::vector<core::Multiaddr> advertised_addrs() const;
  // AutoNAT's verdict (transport/autonat.hpp). While private, the host also
  // reserves on up to kAutoRelays connected peers that offer the relay
  // service (identify lists the hop protocol); once not, it drops those.
  static constexpr std::size_t kAutoRelays = 2;
  void set_private(bool unreachable);
  bool is_private() const { return private_; }
  // The signed peer record a connected peer sent in identify (checked).
  std::optional<std::string> signed_record(const core::PeerId& peer) const;
  // Closes the connection and forgets the peer. not_connected when unknown.
  Result<void> disconnect(const core::PeerId& peer);
  // Opens a stream to a connected peer and negotiates one of `protocols`.
  Task<Result<std::shared_ptr<Stream>>> new_stream(const core::PeerId& peer, std::vector<std::string> protocols);

  const core::PeerId& peer_id() const { return self_; }
  Executor executor() const { return ex_; }
  // The node's identity key (pubsub signs with it).
  const crypto::SigningKey& identity() const { return identity_; }
  // Bound listen addresses (an unspecified host expands to the machine's
  // interface addresses), without /p2p.
  std::vector<core::Multiaddr> listen_addrs() const;
  std::vector<std::string> protocols() const;
  const std::string& agent_version() const { return config_.agent_version; }
  std::vector<PeerInfo> peers() const;
  bool connected(const core::PeerId& peer) const;
  TransportDiagnostics diagnostics() const;
  const std::shared_ptr<core::TaskReporter>& tasks() const { return tasks_; }

 private:
  struct PeerState;
  struct Wanted;
  Host(Executor ex, crypto::SigningKey identity, TransportConfig config, std::shared_ptr<spdlog::logger> log,
       std::shared_ptr<core::TaskReporter> tasks);

  Task<void> accept_loop(std::size_t index);
  Task<void> handle_inbound(boost::asio::ip::tcp::socket socket);
  // `connect_timeout`: the TCP connect's (default: config's dial_timeout).
  Task<Result<core::PeerId>> dial(core::Multiaddr addr, std::optional<std::chrono::milliseconds> connect_timeout = {});
  // /…/p2p/RELAY/p2p-circuit/p2p/TARGET: the relay is dialed if the address
  // says where, then asked for a circuit; Noise and yamux run over it.
  Task<Result<core::PeerId>> dial_circuit(core::Multiaddr addr);
  // The stop protocol: a relay we hold a reservation on brings a circuit.
  Task<void> serve_stop(std::shared_ptr<Stream> stream);
  // Reserves on configured relays that are connected and hold no fresh
  // reservation (manage_loop).
  void keep_reservations();
  // Runs the upgrade over a circuit stream and adopts the connection.
  Task<Result<core::PeerId>> adopt_circuit(std::shared_ptr<Stream> circuit, Direction direction,
                                           core::PeerId remote, core::Multiaddr remote_addr);
  // TCP connect and upgrade as `identity` (REQUIRES: it outlives the task).
  Task<Result<Upgraded>> open(detail::TcpTarget target, core::Multiaddr addr, std::optional<core::PeerId> expected,
                              std::chrono::milliseconds connect_timeout, const crypto::SigningKey& identity);
  // Noise and yamux over `link` as `identity` (REQUIRES: it outlives the
  // task), within the handshake timeout; counted as ok or failed, and as a
  // handshake in progress in `direction` while it runs.
  Task<Result<Upgraded>> handshake(RawLink link, Direction direction, const crypto::SigningKey& identity,
                                   std::optional<core::PeerId> expected, core::Multiaddr remote_addr);
  // Adopts a connection upgraded by us, or closes it (going_away) when the
  // host stopped meanwhile.
  Result<void> adopt_upgraded(Upgraded up);
  // Keeps one connection per peer; returns the one kept.
  std::shared_ptr<Connection> adopt(std::shared_ptr<Connection> conn, std::string initial);
  void on_stream(std::shared_ptr<Stream> stream);
  void on_closed(const std::shared_ptr<Connection>& conn, error_code reason);
  Task<void> serve_stream(std::shared_ptr<Stream> stream);
  Task<void> identify_peer(std::shared_ptr<Connection> conn);
  Task<void> ping_loop(std::shared_ptr<Connection> conn);
  Task<void> serve_identify(std::shared_ptr<Stream> stream);
  Task<void> serve_identify_push(std::shared_ptr<Stream> stream);
  // Drops an invalid or foreign record from `info` (counted).
  void check_record(const core::PeerId& peer, wire::identify::Info& info);
  mutable std::string own_record_;  // our signed peer record, made at the first identify
  Task<void> serve_ping(std::shared_ptr<Stream> stream);
  Task<void> manage_loop();
  void redial(Wanted& wanted);
  // A configured peer (relay or bootstrap) to keep connected: merged into the
  // entry of the same peer id, if any.
  void want(const core::Multiaddr& addr);
  // `peer` connected (adopt()): when it is a wanted peer whose redials had
  // failed, the failing wanted peers become due now (see the header comment).
  void redial_failing_after(const core::PeerId& peer);
  wire::identify::Info own_info(const Connection& conn) const;
  std::size_t count(Direction direction) const;
  void count_failure(std::map<std::string, std::uint64_t>& table, error_code ec);
  static PeerQueues queue_figures(const core::PeerId& peer, const ConnectionStats& s);
  double unit_random();
  // Buffers (socket_buffer_bytes) and the stall timeout, on every connection.
  void tune_socket(boost::asio::ip::tcp::socket& socket) const;

  Executor ex_;
  crypto::SigningKey identity_;
  core::PeerId self_;
  TransportConfig config_;
  std::shared_ptr<spdlog::logger> log_;
  std::shared_ptr<core::TaskReporter> tasks_;

  struct Listener;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::map<std::string, Handler> handlers_;
  std::vector<Observer> observers_;
  std::unordered_map<core::PeerId, std::unique_ptr<PeerState>> peers_;
  std::vector<std::unique_ptr<Wanted>> wanted_;
  // Handshakes in progress (an outbound one from its TCP connect on).
  std::size_t handshakes_in_ = 0;
  std::size_t handshakes_out_ = 0;
  struct Counted {
    explicit Counted(std::size_t& count) : n(++count) {}
    ~Counted() { --n; }
    Counted(const Counted&) = delete;
    Counted& operator=(const Counted&) = delete;
    std::size_t& n;
  };
  std::unordered_map<std::uint64_t, int> inbound_pings_;  // connection id -> open ping streams
  boost::asio::steady_timer manage_timer_;
  std::chrono::steady_clock::time_point last_heal_redial_{};
  std::mt19937_64 rng_;
  bool started_ = false;
  bool stopped_ = false;
  TransportDiagnostics diag_;  // cumulative counters (the live gauges are computed)
  struct HeldReservation {
    RelayStatus::Held held;
    std::chrono::steady_clock::time_point expires;
    std::chrono::seconds lifetime;  // as granted
  };
  std::map<core::PeerId, HeldReservation> reservations_;  // by relay
  std::map<core::PeerId, std::chrono::steady_clock::time_point> reserving_;  // in flight or held off until
  bool private_ = false;
  // The relays to hold a reservation on now: the configured ones, and while
  // private, connected peers that offer the service (reserved ones first).
  std::vector<core::PeerId> wanted_relays() const;
  void addresses_changed();

  // DCUtR (host_dcutr.cpp; docs/wire/dcutr.md). A peer dialed us through a
  // relay: we start the upgrade (the spec's B) and are the responder on the
  // direct connection whichever side's SYN makes it, our own dial included;
  // the peer (A) answers in serve_dcutr() and initiates.
  Task<void> upgrade_relayed(std::shared_ptr<Connection> relayed);
  Task<void> serve_dcutr(std::shared_ptr<Stream> stream);
  // What we send in CONNECT: the addresses peers see us at with our listen
  // ports (a NAT that keeps the source port maps a dial from the listen port
  // there), then the listen addresses.
  std::vector<core::Multiaddr> punch_addrs() const;
  // Dials `peer` at each of `addrs` at once from our listen port; the first
  // TCP connection up is upgraded with us as `role` and adopted.
  Task<Result<void>> punch(core::PeerId peer, std::vector<core::Multiaddr> addrs, Direction role);
  bool direct_to(const core::PeerId& peer) const;
  // Upgrades in progress, by peer (one at a time). As A: an inbound TCP
  // connection from one of `from` (B's punch addresses, "ip:port") before
  // `until` is B's dial reaching our listener, and we run it as the initiator.
  struct Punch {
    std::vector<std::string> from;
    std::chrono::steady_clock::time_point until{};
    int accepting = 0;
  };
  std::map<core::PeerId, Punch> punches_;
};

}  // namespace agentmesh::transport
