// Host: listening, dialing, the connection table and diagnostics.
// Protocols (identify, ping, stream dispatch): host_protocols.cpp.
// Wanted peers and redials: host_manager.cpp.

#include "transport/host.hpp"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstring>

#include "core/awaitable.hpp"
#include "core/spawn.hpp"
#include "transport/detail/host_state.hpp"
#include "transport/detail/negotiate.hpp"
#include "transport/detail/timeout.hpp"
#include "transport/error.hpp"
#include "transport/upgrade.hpp"
#include "wire/circuit.hpp"
#include "wire/dcutr.hpp"
#include "wire/error.hpp"

namespace agentmesh::transport {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
using core::kTuple;
}  // namespace

std::shared_ptr<Host> Host::create(Executor ex, crypto::SigningKey identity, TransportConfig config,
                                   std::shared_ptr<spdlog::logger> log, std::shared_ptr<core::TaskReporter> tasks) {
  return std::shared_ptr<Host>(
      new Host(std::move(ex), std::move(identity), std::move(config), std::move(log), std::move(tasks)));
}

Host::Host(Executor ex, crypto::SigningKey identity, TransportConfig config, std::shared_ptr<spdlog::logger> log,
           std::shared_ptr<core::TaskReporter> tasks)
    : ex_(ex),
      identity_(std::move(identity)),
      self_(core::PeerId::from_ed25519(identity_.public_key())),
      config_(std::move(config)),
      log_(std::move(log)),
      tasks_(std::move(tasks)),
      manage_timer_(ex),
      rng_(std::random_device{}()) {
  if (config_.agent_version.empty()) config_.agent_version = std::string("agentmesh/") + AGENTMESH_VERSION;
  handlers_[std::string(wire::identify::kProtocolId)] = [this](std::shared_ptr<Stream> s) {
    return serve_identify(std::move(s));
  };
  handlers_[std::string(wire::identify::kPushProtocolId)] = [this](std::shared_ptr<Stream> s) {
    return serve_identify_push(std::move(s));
  };
  handlers_[std::string(kPingProtocol)] = [this](std::shared_ptr<Stream> s) { return serve_ping(std::move(s)); };
  handlers_[std::string(wire::circuit::kStopProtocol)] = [this](std::shared_ptr<Stream> s) {
    return serve_stop(std::move(s));
  };
  if (config_.hole_punching) {
    handlers_[std::string(wire::dcutr::kProtocol)] = [this](std::shared_ptr<Stream> s) {
      return serve_dcutr(std::move(s));
    };
  }
}

Host::~Host() = default;

Result<void> Host::listen(std::string& why) {
  for (const auto& addr : config_.listen) {
    auto target = detail::tcp_target(addr);
    if (!target || (target->kind != detail::TcpTarget::Kind::ip4 && target->kind != detail::TcpTarget::Kind::ip6)) {
      why = fmt::format("cannot listen on {}: need /ip4/ADDR/tcp/PORT or /ip6/ADDR/tcp/PORT", addr.to_string());
      return make_error_code(error::unsupported_address);
    }
    boost::system::error_code ec;
    const auto ip = asio::ip::make_address(target->host, ec);
    auto l = std::make_unique<Listener>(ex_);
    const tcp::endpoint ep(ip, target->port);
    // SO_REUSEPORT lets a hole punch dial from the listen port (host_dcutr.cpp);
    // a probe bind without it first keeps "address in use" for a port another
    // process listens on.
    if (target->port != 0) {
      tcp::acceptor probe(ex_);
      probe.open(ep.protocol(), ec);
      if (!ec) probe.set_option(asio::socket_base::reuse_address(true), ec);
      if (!ec && ip.is_v6()) probe.set_option(asio::ip::v6_only(true), ec);
      if (!ec) probe.bind(ep, ec);
    }
    if (!ec) l->acceptor.open(ep.protocol(), ec);
    if (!ec) l->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) l->acceptor.set_option(asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>(true), ec);
    if (!ec && ip.is_v6()) l->acceptor.set_option(asio::ip::v6_only(true), ec);
    if (!ec) l->acceptor.bind(ep, ec);
    if (!ec) l->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      why = fmt::format("cannot listen on {}: {}", addr.to_string(), ec.message());
      return ec;
    }
    l->configured = addr;
    l->bound = detail::to_multiaddr(l->acceptor.local_endpoint());
    listeners_.push_back(std::move(l));
  }
  return {};
}

void Host::start() {
  if (started_) return;
  started_ = true;
  auto self = shared_from_this();  // the loops keep the host alive
  for (std::size_t i = 0; i < listeners_.size(); ++i) {
    log_->info("listening on {}/p2p/{}", listeners_[i]->bound.to_string(), self_.to_string());
    core::spawn(ex_, tasks_, "p2p_accept", listeners_[i]->bound.to_string(),
                [self, i]() { return self->accept_loop(i); });
  }
  for (const auto& addr : config_.relays) want(addr);
  for (const auto& addr : config_.bootstrap) want(addr);
  core::spawn(ex_, tasks_, "p2p_manager", {}, [self]() { return self->manage_loop(); });
}

void Host::stop() {
  if (stopped_) return;
  stopped_ = true;
  manage_timer_.cancel();
  for (auto& l : listeners_) {
    boost::system::error_code ignored;
    l->acceptor.close(ignored);
  }
  std::vector<std::shared_ptr<Connection>> conns;
  for (auto& [peer, state] : peers_) {
    conns.push_back(state->conn);
    if (state->ping_timer) state->ping_timer->cancel();
  }
  for (auto& c : conns) c->close(make_error_code(error::going_away));
}

Task<void> Host::accept_loop(std::size_t index) {
  auto& acceptor = listeners_[index]->acceptor;
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kTuple);
    if (stopped_ || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      log_->warn("accept on {}: {}", listeners_[index]->bound.to_string(), ec.message());
      asio::steady_timer pause(ex_, std::chrono::milliseconds(100));  // EMFILE and friends
      co_await pause.async_wait(kTuple);
      continue;
    }
    if (count(Direction::inbound) >= config_.max_inbound) {
      ++diag_.refused_at_limit;
      log_->debug("inbound connection refused: {} connections (limit)", config_.max_inbound);
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    ++diag_.accepted;
    core::spawn(ex_, tasks_, "p2p_inbound", {}, handle_inbound(std::move(socket)));
  }
}

Task<void> Host::handle_inbound(tcp::socket socket) {
  auto self = shared_from_this();  // outlives this coroutine
  boost::system::error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  if (ec) co_return;
  socket.set_option(tcp::no_delay(true), ec);
  tune_socket(socket);
  const auto remote_addr = detail::to_multiaddr(remote);
  // A hole punch dial of the peer that started the upgrade (B) that reached
  // our listener: we (A) are the initiator all the same (host_dcutr.cpp).
  auto direction = Direction::inbound;
  std::optional<core::PeerId> punching;
  const auto now = std::chrono::steady_clock::now();
  for (auto& [peer, p] : punches_) {
    if (now < p.until && std::find(p.from.begin(), p.from.end(), remote_addr.to_string()) != p.from.end()) {
      direction = Direction::outbound;
      punching = peer;
      ++p.accepting;
      break;
    }
  }
  auto handshaking = handshake(RawLink{std::move(socket), nullptr}, direction, identity_, punching, remote_addr);
  auto up = co_await std::move(handshaking);
  if (punching) {
    if (auto it = punches_.find(*punching); it != punches_.end()) --it->second.accepting;
  }
  if (!up) {
    log_->debug("inbound handshake from {} failed: {}", remote_addr.to_string(), up.error().message());
    co_return;
  }
  (void)adopt_upgraded(std::move(*up));
}

Task<Result<core::PeerId>> Host::dial(core::Multiaddr addr, std::optional<std::chrono::milliseconds> connect_timeout) {
  auto self = shared_from_this();
  if (stopped_) co_return make_error_code(error::going_away);
  const auto& parts = addr.components();
  if (std::any_of(parts.begin(), parts.end(),
                  [](const auto& c) { return c.protocol == core::MultiaddrProtocol::p2p_circuit; })) {
    co_return co_await dial_circuit(std::move(addr));
  }
  auto target = detail::tcp_target(addr);
  if (!target) co_return target.error();
  const auto expected = addr.peer_id();
  if (expected && *expected == self_) co_return make_error_code(error::dial_self);
  if (expected) {
    // A relayed connection does not stop a direct dial: the direct one replaces it (adopt).
    if (auto it = peers_.find(*expected); it != peers_.end() && !it->second->conn->relay()) co_return *expected;
  }
  if (count(Direction::outbound) >= config_.max_outbound) co_return make_error_code(error::connection_limit);
  auto up = co_await open(*target, addr.without_peer_id(), expected, connect_timeout.value_or(config_.dial_timeout),
                          identity_);
  if (!up) co_return up.error();
  const auto peer = up->connection->peer();
  if (peer == self_) {
    up->connection->start({}, {}, {}, {}, tasks_);
    up->connection->close(make_error_code(error::dial_self));
    co_return make_error_code(error::dial_self);
  }
  if (stopped_) co_return make_error_code(error::going_away);
  auto kept = adopt(std::move(up->connection), std::move(up->initial));
  if (auto it = peers_.find(peer);
      it != peers_.end() && it->second->conn == kept && kept->direction() == Direction::outbound) {
    it->second->dialed = addr.without_peer_id();
  }
  co_return peer;
}

Task<Result<void>> Host::probe(core::PeerId expected, core::Multiaddr addr, std::chrono::milliseconds timeout) {
  auto self = shared_from_this();
  if (stopped_) co_return make_error_code(error::going_away);
  auto target = detail::tcp_target(addr);
  if (!target) co_return target.error();
  // Under a throwaway identity (the spec allows it): the peer takes the
  // probe for a new peer, not a second connection from us that its
  // one-connection-per-peer rule would weigh against the one it has.
  const auto ephemeral = crypto::SigningKey::generate();
  auto up = co_await open(*target, addr.without_peer_id(), expected, timeout, ephemeral);
  if (!up) co_return up.error();
  // Proven by the handshake; not kept.
  up->connection->start({}, {}, {}, {}, tasks_);
  up->connection->close(make_error_code(error::going_away));
  co_return Result<void>{};
}

// TCP connect (within `connect_timeout`) and the upgrade (within the
// handshake timeout), counted; the connection is not started.
Task<Result<Upgraded>> Host::open(detail::TcpTarget target_value, core::Multiaddr addr,
                                  std::optional<core::PeerId> expected, std::chrono::milliseconds connect_timeout,
                                  const crypto::SigningKey& identity) {
  auto self = shared_from_this();
  const auto* target = &target_value;
  auto dialing = std::make_optional<Counted>(handshakes_out_);  // until handshake() counts it

  // Resolve and connect within the dial timeout.
  tcp::socket socket(ex_);
  auto connecting = [&]() -> Task<Result<void>> {
    tcp::resolver resolver(ex_);
    const auto port = std::to_string(target->port);
    auto flags = tcp::resolver::numeric_service;
    if (target->kind == detail::TcpTarget::Kind::ip4 || target->kind == detail::TcpTarget::Kind::ip6) {
      flags |= tcp::resolver::numeric_host;
    }
    auto [rec, results] = co_await resolver.async_resolve(target->host, port, flags, kTuple);
    if (rec) co_return rec;
    std::vector<tcp::endpoint> endpoints;
    for (const auto& r : results) {
      const auto& ep = r.endpoint();
      if (target->kind == detail::TcpTarget::Kind::dns4 && !ep.address().is_v4()) continue;
      if (target->kind == detail::TcpTarget::Kind::dns6 && !ep.address().is_v6()) continue;
      endpoints.push_back(ep);
    }
    if (endpoints.empty()) co_return make_error_code(error::unsupported_address);
    auto [cec, ep] = co_await asio::async_connect(socket, endpoints, kTuple);
    if (cec) co_return cec;
    co_return Result<void>{};
  };
  auto connect_task = connecting();
  auto connected = co_await detail::with_timeout(std::move(connect_task), connect_timeout);
  if (!connected) {
    auto ec =
        connected.error() == make_error_code(error::timeout) ? make_error_code(error::dial_timeout) : connected.error();
    count_failure(diag_.dial_failures, ec);
    co_return ec;
  }
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  tune_socket(socket);
  ++diag_.dialed;

  dialing.reset();
  auto handshaking = handshake(RawLink{std::move(socket), nullptr}, Direction::outbound, identity, expected,
                               std::move(addr));
  auto up = co_await std::move(handshaking);
  if (!up) count_failure(diag_.dial_failures, up.error());
  co_return up;
}

std::shared_ptr<Connection> Host::adopt(std::shared_ptr<Connection> conn, std::string initial) {
  const auto peer = conn->peer();
  std::weak_ptr<Host> weak = shared_from_this();
  conn->start(
      std::move(initial),
      [weak](std::shared_ptr<Stream> s) {
        if (auto h = weak.lock()) h->on_stream(std::move(s));
      },
      [weak](const std::shared_ptr<Connection>& c, error_code reason) {
        if (auto h = weak.lock()) h->on_closed(c, reason);
      },
      [weak](const Connection& c, std::string_view what) {
        if (auto h = weak.lock()) h->log_->warn("peer {}: {}", c.peer().to_string(), what);
      },
      tasks_);

  auto& slot = peers_[peer];
  if (slot && slot->conn && !slot->conn->closed()) {
    // A direct connection replaces a relayed one; between two of a kind,
    // both sides keep the one dialed by the smaller PeerId.
    const auto dialer_of = [&](const Connection& c) { return c.direction() == Direction::outbound ? self_ : peer; };
    const bool new_relayed = conn->relay().has_value();
    const bool keep_new = new_relayed != slot->conn->relay().has_value()
                              ? !new_relayed
                              : dialer_of(*conn) < dialer_of(*slot->conn);
    ++diag_.duplicate_connections_closed;
    if (!keep_new) {
      conn->close(make_error_code(error::going_away));
      return slot->conn;
    }
    auto old = std::exchange(slot->conn, conn);
    if (slot->ping_timer) slot->ping_timer->cancel();
    slot->info.reset();
    slot->ping_rtt_ms.reset();
    slot->dialed.reset();
    old->close(make_error_code(error::going_away));
  } else {
    slot = std::make_unique<PeerState>();
    slot->conn = conn;
  }
  log_->info("connected to {} ({}, {})", peer.to_string(),
             conn->direction() == Direction::outbound ? "outbound" : "inbound", conn->remote_addr().to_string());
  PeerInfo info(peer);
  info.relay = conn->relay();
  info.outbound = conn->direction() == Direction::outbound;
  info.remote_addr = conn->remote_addr();
  info.connected_since_ms = conn->opened_at_ms();
  for (const auto& o : observers_) {
    if (o.connected) o.connected(info);
  }
  core::spawn(ex_, tasks_, "p2p_identify", peer.to_string(), identify_peer(conn));
  redial_failing_after(peer);
  return conn;
}

void Host::on_closed(const std::shared_ptr<Connection>& conn, error_code reason) {
  const auto s = conn->stats();
  diag_.bytes_in += s.bytes_in;
  diag_.bytes_out += s.bytes_out;
  diag_.streams_opened_in += s.session.streams_opened_in;
  diag_.streams_opened_out += s.session.streams_opened_out;
  diag_.streams_refused += s.session.streams_refused;
  diag_.window_stalls += s.session.window_stalls;
  if (s.session.window_violations > 0) diag_.frames_rejected["window_exceeded"] += s.session.window_violations;
  const auto label = detail::reason_label(reason);
  ++diag_.connections_closed[label];
  if (reason.category() == wire::error_category() || reason == make_error_code(error::protocol_violation)) {
    ++diag_.frames_rejected[label];
    log_->warn("connection to {} closed: {} ({})", conn->peer().to_string(), reason.message(), label);
  } else {
    log_->info("connection to {} closed: {}", conn->peer().to_string(), reason.message());
  }
  inbound_pings_.erase(conn->id());
  auto it = peers_.find(conn->peer());
  if (it == peers_.end() || it->second->conn != conn) return;  // a replaced duplicate
  if (reservations_.erase(conn->peer()) > 0) {
    log_->info("relay {} disconnected: its reservation is gone", conn->peer().to_string());
    addresses_changed();
  }
  reserving_.erase(conn->peer());
  if (it->second->ping_timer) it->second->ping_timer->cancel();
  peers_.erase(it);
  for (auto& w : wanted_) {
    if (w->peer == conn->peer()) w->lost_at = std::chrono::steady_clock::now();
  }
  for (const auto& o : observers_) {
    if (o.disconnected) o.disconnected(conn->peer());
  }
}

Result<void> Host::disconnect(const core::PeerId& peer) {
  bool known = false;
  for (auto& w : wanted_) {
    if (w->peer && *w->peer == peer && !w->paused) {
      w->paused = true;
      known = true;
    }
  }
  if (auto it = peers_.find(peer); it != peers_.end()) {
    it->second->conn->close(make_error_code(error::going_away));
    known = true;
  }
  if (!known) return make_error_code(error::not_connected);
  for (const auto& o : observers_) {
    if (o.forgotten) o.forgotten(peer);
  }
  return {};
}

Task<Result<std::shared_ptr<Stream>>> Host::new_stream(const core::PeerId& peer, std::vector<std::string> protocols) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) co_return make_error_code(error::not_connected);
  auto conn = it->second->conn;
  auto stream = conn->open_stream();
  if (!stream) co_return stream.error();
  auto s = *stream;
  auto selecting = [](std::shared_ptr<Stream> st, std::vector<std::string> protos) -> Task<Result<void>> {
    detail::StreamIO io{*st};
    auto sel = co_await detail::select_as_dialer(io, std::move(protos));
    if (!sel) co_return sel.error();
    st->set_protocol(sel->protocol);
    if (!sel->leftover.empty()) st->unread(std::move(sel->leftover));
    co_return Result<void>{};
  };
  auto negotiation = selecting(s, std::move(protocols));
  auto r = co_await detail::with_timeout(std::move(negotiation), config_.stream_timeout);
  if (!r) {
    s->reset();
    if (r.error() == make_error_code(wire::error::no_common_protocol)) {
      co_return make_error_code(error::protocol_unsupported);
    }
    co_return r.error();
  }
  co_return s;
}

std::vector<core::Multiaddr> Host::listen_addrs() const {
  std::vector<core::Multiaddr> out;
  for (const auto& l : listeners_) {
    auto target = detail::tcp_target(l->bound);
    const bool any4 = target && target->host == "0.0.0.0";
    const bool any6 = target && target->host == "::";
    if (!any4 && !any6) {
      out.push_back(l->bound);
      continue;
    }
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) continue;
    for (auto* i = list; i != nullptr; i = i->ifa_next) {
      if (i->ifa_addr == nullptr) continue;
      if (any4 && i->ifa_addr->sa_family == AF_INET) {
        const auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
        const asio::ip::address_v4 a(ntohl(sin->sin_addr.s_addr));
        out.push_back(detail::to_multiaddr(tcp::endpoint(a, target->port)));
      } else if (any6 && i->ifa_addr->sa_family == AF_INET6) {
        const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
        asio::ip::address_v6::bytes_type bytes{};
        std::memcpy(bytes.data(), &sin6->sin6_addr, bytes.size());
        const asio::ip::address_v6 a(bytes);
        if (a.is_link_local()) continue;
        out.push_back(detail::to_multiaddr(tcp::endpoint(a, target->port)));
      }
    }
    ::freeifaddrs(list);
  }
  return out;
}

std::vector<std::string> Host::protocols() const {
  std::vector<std::string> out;
  for (const auto& [p, h] : handlers_) out.push_back(p);
  return out;
}

void Host::set_handler(std::string protocol, Handler handler) { handlers_[std::move(protocol)] = std::move(handler); }

void Host::add_observer(Observer observer) { observers_.push_back(std::move(observer)); }

bool Host::connected(const core::PeerId& peer) const { return peers_.contains(peer); }

std::vector<PeerInfo> Host::peers() const {
  std::vector<PeerInfo> out;
  for (const auto& [peer, state] : peers_) {
    PeerInfo p(peer);
    const auto& c = *state->conn;
    p.outbound = c.direction() == Direction::outbound;
    p.remote_addr = c.remote_addr();
    p.connected_since_ms = c.opened_at_ms();
    p.relay = c.relay();
    p.ping_rtt_ms = state->ping_rtt_ms;
    const auto s = c.stats();
    p.open_streams = s.open_streams;
    p.bytes_in = s.bytes_in;
    p.bytes_out = s.bytes_out;
    if (state->info) {
      p.listen_addrs = state->info->listen_addrs;
      p.agent_version = state->info->agent_version;
      p.signed_record = state->info->signed_peer_record.has_value();
      p.protocols = state->info->protocols;
      p.observed_addr = state->info->observed_addr;
    }
    out.push_back(std::move(p));
  }
  std::sort(out.begin(), out.end(), [](const PeerInfo& a, const PeerInfo& b) { return a.peer < b.peer; });
  return out;
}

std::size_t Host::count(Direction direction) const {
  std::size_t n = direction == Direction::inbound ? handshakes_in_ : handshakes_out_;
  for (const auto& [peer, state] : peers_) n += state->conn->direction() == direction ? 1 : 0;
  return n;
}

TransportDiagnostics Host::diagnostics() const {
  TransportDiagnostics d = diag_;
  d.connections_inbound = count(Direction::inbound) - handshakes_in_;
  d.connections_outbound = count(Direction::outbound) - handshakes_out_;
  d.handshakes_in_progress = handshakes_in_ + handshakes_out_;
  const auto now = std::chrono::steady_clock::now();
  for (const auto& [relay, r] : reservations_) {
    if (r.expires > now) d.relay.reservations.push_back(r.held);
  }
  for (const auto& [peer, state] : peers_) {
    const auto s = state->conn->stats();
    d.bytes_in += s.bytes_in;
    d.bytes_out += s.bytes_out;
    d.streams_opened_in += s.session.streams_opened_in;
    d.streams_opened_out += s.session.streams_opened_out;
    d.streams_refused += s.session.streams_refused;
    d.streams_open += s.open_streams;
    d.window_stalls += s.session.window_stalls;
    if (s.session.window_violations > 0) d.frames_rejected["window_exceeded"] += s.session.window_violations;
    d.queues.push_back(queue_figures(peer, s));
  }
  std::sort(d.queues.begin(), d.queues.end(), [](const PeerQueues& a, const PeerQueues& b) { return a.peer < b.peer; });
  return d;
}

PeerQueues Host::queue_figures(const core::PeerId& peer, const ConnectionStats& s) {
  PeerQueues q(peer);
  q.at = std::chrono::steady_clock::now();
  q.pacing = s.pacing;
  for (std::size_t i = 0; i < kTrafficClasses; ++i) {
    if (!s.traffic[i].used()) continue;
    const auto traffic = static_cast<Traffic>(i);
    q.traffic.push_back({.traffic = traffic,
                         .stats = s.traffic[i],
                         .dropped = traffic == Traffic::control ? s.session.pings_dropped : 0});
  }
  return q;
}

void Host::count_failure(std::map<std::string, std::uint64_t>& table, error_code ec) {
  ++table[detail::reason_label(ec)];
}

void Host::tune_socket(tcp::socket& socket) const {
  boost::system::error_code ignored;  // best effort: the kernel caps buffers at net.core.[rw]mem_max
  if (config_.socket_buffer_bytes > 0) {
    socket.set_option(asio::socket_base::send_buffer_size(config_.socket_buffer_bytes), ignored);
    socket.set_option(asio::socket_base::receive_buffer_size(config_.socket_buffer_bytes), ignored);
  }
  if (config_.unsent_lowat_bytes > 0) {
    using notsent_lowat = asio::detail::socket_option::integer<IPPROTO_TCP, TCP_NOTSENT_LOWAT>;
    socket.set_option(notsent_lowat(config_.unsent_lowat_bytes), ignored);
  }
  if (config_.stall_timeout.count() > 0) {
    using user_timeout = asio::detail::socket_option::integer<IPPROTO_TCP, TCP_USER_TIMEOUT>;
    socket.set_option(user_timeout(static_cast<int>(config_.stall_timeout.count())), ignored);
  }
}

double Host::unit_random() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }

}  // namespace agentmesh::transport
