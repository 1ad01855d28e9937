// Host: DCUtR, Direct Connection Upgrade through Relay (docs/wire/dcutr.md).
// When a peer reaches us through a relay's circuit, we (the spec's B) ask it
// over /libp2p/dcutr for the addresses it is seen at, time a simultaneous
// TCP open from the round trip of that exchange, and dial it from our listen
// port while it dials us from its own. Through NATs that keep a mapping per
// source port, both SYNs leave before the other arrives and the kernel joins
// them into one connection. The relayed connection carries traffic until the
// direct one is adopted (adopt() prefers direct connections).
//
// Roles: both sides of a simultaneous open are dialers, so the Noise and
// multistream roles are fixed by DCUtR instead, as go-libp2p and js-libp2p
// fix them: A (which dials as soon as SYNC arrives) initiates, B responds,
// on A's dial, on B's dial, and on either reaching the other's listener (A
// recognises B's dial by its source address, punches_).

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>
#include <algorithm>

#include "core/awaitable.hpp"
#include "core/bytes.hpp"
#include "core/spawn.hpp"
#include "transport/detail/host_state.hpp"
#include "transport/detail/timeout.hpp"
#include "transport/error.hpp"
#include "transport/stream_io.hpp"
#include "transport/upgrade.hpp"
#include "wire/dcutr.hpp"

namespace agentmesh::transport {

namespace asio = boost::asio;
namespace dcutr = wire::dcutr;
using asio::ip::tcp;
using core::kTuple;
using HolePunch = dcutr::HolePunch;
using SteadyClock = std::chrono::steady_clock;
using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

namespace {

// The spec: the side that starts retries twice.
constexpr int kAttempts = 3;
// A punch dial's TCP connect: the first SYN and its retransmissions at 1 s
// and 3 s.
constexpr std::chrono::milliseconds kPunchConnect{5'000};
// At most this many of the peer's addresses are dialed at once.
constexpr std::size_t kMaxTargets = 8;

std::optional<tcp::endpoint> endpoint_of(const core::Multiaddr& addr) {
  const auto& parts = addr.components();
  if (parts.size() != 2 && !(parts.size() == 3 && parts[2].protocol == core::MultiaddrProtocol::p2p)) {
    return std::nullopt;
  }
  auto target = detail::tcp_target(addr);
  if (!target || target->port == 0 ||
      (target->kind != detail::TcpTarget::Kind::ip4 && target->kind != detail::TcpTarget::Kind::ip6)) {
    return std::nullopt;
  }
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(target->host, ec);
  if (ec || ip.is_unspecified() || ip.is_multicast()) return std::nullopt;
  return tcp::endpoint(ip, target->port);
}

std::string key_of(const tcp::endpoint& ep) { return detail::to_multiaddr(ep).to_string(); }

// The peer's addresses we can dial directly: TCP over an IP, deduplicated.
std::vector<core::Multiaddr> dialable(const std::vector<core::Multiaddr>& addrs) {
  std::vector<core::Multiaddr> out;
  std::vector<std::string> seen;
  for (const auto& a : addrs) {
    auto ep = endpoint_of(a);
    if (!ep) continue;
    auto key = key_of(*ep);
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
    seen.push_back(std::move(key));
    out.push_back(detail::to_multiaddr(*ep));
    if (out.size() == kMaxTargets) break;
  }
  return out;
}

Task<Result<HolePunch>> read_punch(LpReader& reader, std::chrono::milliseconds timeout) {
  auto reading = reader.read(dcutr::kMaxMessage);
  auto msg = co_await detail::with_timeout(std::move(reading), timeout);
  if (!msg) co_return msg.error();
  co_return dcutr::decode(core::bytes_of(*msg));
}

}  // namespace

bool Host::direct_to(const core::PeerId& peer) const {
  auto it = peers_.find(peer);
  return it != peers_.end() && !it->second->conn->closed() && !it->second->conn->relay();
}

std::vector<core::Multiaddr> Host::punch_addrs() const {
  std::vector<core::Multiaddr> candidates;
  for (const auto& [peer, state] : peers_) {
    if (state->conn->relay() || !state->info || !state->info->observed_addr) continue;
    auto seen = endpoint_of(*state->info->observed_addr);
    if (!seen) continue;
    for (const auto& l : listeners_) {
      const auto bound = l->acceptor.local_endpoint();
      if (bound.address().is_v4() == seen->address().is_v4()) {
        candidates.push_back(detail::to_multiaddr(tcp::endpoint(seen->address(), bound.port())));
      }
    }
  }
  for (auto& a : listen_addrs()) candidates.push_back(std::move(a));
  auto out = dialable(candidates);
  if (out.size() > dcutr::kMaxAddrs) out.resize(dcutr::kMaxAddrs);
  return out;
}

Task<Result<void>> Host::punch(core::PeerId peer, std::vector<core::Multiaddr> addrs, Direction role) {
  auto self = shared_from_this();
  struct Race {
    explicit Race(const Executor& ex) : wake(ex) {}
    asio::steady_timer wake;
    std::vector<std::shared_ptr<tcp::socket>> sockets;
    std::shared_ptr<tcp::socket> winner;
    core::Multiaddr winner_addr;
    std::size_t pending = 0;
  };
  auto race = std::make_shared<Race>(ex_);
  for (const auto& addr : addrs) {
    const auto ep = endpoint_of(addr);
    if (!ep) continue;
    auto socket = std::make_shared<tcp::socket>(ex_);
    boost::system::error_code ec;
    socket->open(ep->protocol(), ec);
    if (!ec) socket->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) socket->set_option(reuse_port(true), ec);
    // From our listen port: that is the port the peer was told about.
    for (const auto& l : listeners_) {
      auto local = l->acceptor.local_endpoint();
      if (ec || local.address().is_v4() != ep->address().is_v4()) continue;
      if (ep->address().is_v6()) socket->set_option(asio::ip::v6_only(true), ec);
      if (!ec) socket->bind(local, ec);
      break;
    }
    if (ec) {
      log_->debug("hole punch to {}: cannot bind the listen port: {}", addr.to_string(), ec.message());
      continue;
    }
    ++race->pending;
    race->sockets.push_back(socket);
    core::spawn(ex_, tasks_, "p2p_punch_dial", addr.to_string(),
                [race, socket, to = *ep, addr]() -> Task<void> {
                  auto [cec] = co_await socket->async_connect(to, kTuple);
                  --race->pending;
                  if (!cec && !race->winner) {
                    race->winner = socket;
                    race->winner_addr = addr;
                  }
                  race->wake.cancel();
                });
  }
  if (race->pending == 0) co_return make_error_code(error::unsupported_address);
  const auto deadline = SteadyClock::now() + kPunchConnect;
  while (!race->winner && race->pending > 0 && SteadyClock::now() < deadline) {
    race->wake.expires_at(deadline);
    co_await race->wake.async_wait(kTuple);
  }
  for (auto& s : race->sockets) {
    boost::system::error_code ignored;
    if (s != race->winner) s->close(ignored);  // ends the dials still connecting
  }
  if (!race->winner) {
    count_failure(diag_.dial_failures, make_error_code(error::dial_timeout));
    co_return make_error_code(error::dial_failed);
  }
  ++diag_.dialed;
  tcp::socket socket = std::move(*race->winner);
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  tune_socket(socket);
  auto handshaking = handshake(RawLink{std::move(socket), nullptr}, role, identity_, peer, race->winner_addr);
  auto up = co_await std::move(handshaking);
  if (!up) co_return up.error();
  co_return adopt_upgraded(std::move(*up));
}

Task<void> Host::upgrade_relayed(std::shared_ptr<Connection> relayed) {
  auto self = shared_from_this();
  const auto peer = relayed->peer();
  auto it = peers_.find(peer);
  if (it == peers_.end() || it->second->conn != relayed || !it->second->info || punches_.contains(peer)) co_return;
  const auto info = *it->second->info;
  punches_.emplace(peer, Punch{});
  struct Done {
    Host& host;
    core::PeerId peer;
    ~Done() { host.punches_.erase(peer); }
  } done{*this, peer};
  auto& relay_diag = diag_.relay;
  const auto finish = [&](std::string_view outcome) {
    ++relay_diag.hole_punches[std::string(outcome)];
    if (outcome == "direct" || outcome == "unilateral") {
      const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch()).count();
      const auto took = std::max<std::int64_t>(0, now_ms - relayed->opened_at_ms());
      relay_diag.last_upgrade_ms = static_cast<std::uint64_t>(took);
      log_->info("hole punch: {} is now direct ({})", peer.to_string(), outcome);
    } else {
      log_->info("hole punch to {}: {}; the relayed connection stays", peer.to_string(), outcome);
    }
  };

  // A peer without DCUtR: try its direct addresses, in case it is reachable.
  if (std::find(info.protocols.begin(), info.protocols.end(), dcutr::kProtocol) == info.protocols.end()) {
    for (const auto& a : dialable(info.listen_addrs)) {
      if (direct_to(peer)) break;
      (void)co_await dial(a.with_peer_id(peer), kDirectFirst);
    }
    finish(direct_to(peer) ? "unilateral" : "unsupported");
    co_return;
  }
  std::vector<std::string> protos{std::string(dcutr::kProtocol)};
  auto stream = co_await new_stream(peer, std::move(protos));
  if (!stream) {
    finish(direct_to(peer) ? "direct" : "unsupported");
    co_return;
  }
  LpReader reader(**stream);
  asio::steady_timer timer(ex_);
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    if (direct_to(peer)) break;
    HolePunch connect{HolePunch::Type::connect, punch_addrs()};
    if (connect.addrs.empty()) {
      (*stream)->reset();
      finish("no_addresses");
      co_return;
    }
    const auto sent = SteadyClock::now();
    if (auto w = co_await write_lp(**stream, dcutr::encode(connect)); !w) break;
    auto reply = co_await read_punch(reader, config_.stream_timeout);
    if (!reply || reply->type != HolePunch::Type::connect) {
      if (direct_to(peer)) break;
      (*stream)->reset();
      finish(reply ? "protocol_error" : "failed");
      co_return;
    }
    const auto rtt = SteadyClock::now() - sent;
    auto targets = dialable(reply->addrs);
    if (targets.empty()) {
      (*stream)->reset();
      finish("no_addresses");
      co_return;
    }
    HolePunch sync{HolePunch::Type::sync, {}};
    if (auto w = co_await write_lp(**stream, dcutr::encode(sync)); !w) break;
    ++relay_diag.hole_punch_attempts;
    // A dials as soon as the SYNC arrives, half a round trip from now.
    timer.expires_after(rtt / 2);
    co_await timer.async_wait(kTuple);
    const auto until = SteadyClock::now() + config_.handshake_timeout;
    auto r = co_await punch(peer, std::move(targets), Direction::inbound);
    if (!r) log_->debug("hole punch to {}, attempt {}: {}", peer.to_string(), attempt + 1, r.error().message());
    // A's dial may have reached our listener instead: give handshakes in
    // progress their time.
    while (!direct_to(peer) && handshakes_in_ > 0 && SteadyClock::now() < until) {
      timer.expires_after(std::chrono::milliseconds(20));
      co_await timer.async_wait(kTuple);
    }
  }
  if (direct_to(peer)) {
    finish("direct");
  } else {
    (*stream)->reset();
    finish("failed");
  }
}

Task<void> Host::serve_dcutr(std::shared_ptr<Stream> stream) {
  auto self = shared_from_this();
  const auto peer = stream->peer();
  auto& served = diag_.relay.hole_punches_served;
  if (!stream->connection().relay()) {
    ++served["refused"];  // only a relayed connection is upgraded
    stream->reset();
    co_return;
  }
  LpReader reader(*stream);
  // Our expectation of B's dial is dropped however this ends.
  struct Expecting {
    Host& host;
    core::PeerId peer;
    ~Expecting() { host.punches_.erase(peer); }
  } expecting{*this, peer};
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto connect = co_await read_punch(reader, config_.stream_timeout);
    if (!connect) co_return;  // the peer is done (or the connection was replaced)
    if (connect->type != HolePunch::Type::connect) {
      ++served["protocol_error"];
      stream->reset();
      co_return;
    }
    // B dials half a round trip after sending SYNC, and under load its SYN
    // can reach our listener before we have read the SYNC: expect it from
    // before our answer leaves, so that handle_inbound initiates on it (two
    // responders would wait out the handshake timeout).
    auto targets = dialable(connect->addrs);
    auto& expect = punches_[peer];
    expect.from.clear();
    for (const auto& t : targets) expect.from.push_back(t.to_string());
    expect.until = SteadyClock::now() + config_.stream_timeout + kPunchConnect + config_.handshake_timeout;
    HolePunch answer{HolePunch::Type::connect, punch_addrs()};
    if (auto w = co_await write_lp(*stream, dcutr::encode(answer)); !w) co_return;
    auto sync = co_await read_punch(reader, config_.stream_timeout);
    if (!sync) co_return;
    if (sync->type != HolePunch::Type::sync) {
      ++served["protocol_error"];
      stream->reset();
      co_return;
    }
    if (!targets.empty()) {
      // If B's SYN reaches our listener first, our dial fails and the
      // connection handle_inbound accepted carries the upgrade.
      punches_[peer].until = SteadyClock::now() + kPunchConnect + config_.handshake_timeout;
      (void)co_await punch(peer, std::move(targets), Direction::outbound);
      asio::steady_timer timer(ex_);
      while (!direct_to(peer) && punches_[peer].accepting > 0 && SteadyClock::now() < punches_[peer].until) {
        timer.expires_after(std::chrono::milliseconds(20));
        co_await timer.async_wait(kTuple);
      }
    }
    if (direct_to(peer)) {
      ++served["direct"];
      co_return;
    }
    ++served["failed"];
  }
}

}  // namespace agentmesh::transport
