// Host: wanted peers (bootstrap, connect(), remembered), redials with
// backoff, and the address helpers.

#include <boost/asio/as_tuple.hpp>
#include "core/spawn.hpp"
#include <boost/asio/error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "transport/detail/host_state.hpp"
#include "transport/error.hpp"
#include "transport/host.hpp"
#include "wire/error.hpp"

namespace agentmesh::transport {

namespace asio = boost::asio;

namespace {
constexpr std::chrono::milliseconds kManageTick{500};
// At most one early redial of the failing wanted peers per this interval.
constexpr std::chrono::seconds kHealRedialInterval{1};
}  // namespace

void Host::remember(const core::PeerId& peer, std::vector<core::Multiaddr> addrs) {
  if (peer == self_ || addrs.empty()) return;
  for (auto& w : wanted_) {
    if (w->peer && *w->peer == peer) {
      for (auto& a : addrs) {
        if (std::find(w->addrs.begin(), w->addrs.end(), a) == w->addrs.end()) w->addrs.push_back(std::move(a));
      }
      return;
    }
  }
  wanted_.push_back(std::make_unique<Wanted>(std::move(addrs), peer,
                                             Backoff(config_.reconnect_base, config_.reconnect_max)));
}

// One wanted entry per peer: a relay also named in --bootstrap is dialed once
// (two entries would dial it twice at the first tick, and the second
// connection would be closed as a duplicate).
void Host::want(const core::Multiaddr& addr) {
  const auto peer = addr.peer_id();
  for (auto& w : wanted_) {
    if (!peer || w->peer != peer) continue;
    if (std::find(w->addrs.begin(), w->addrs.end(), addr) == w->addrs.end()) w->addrs.push_back(addr);
    return;
  }
  wanted_.push_back(std::make_unique<Wanted>(std::vector<core::Multiaddr>{addr}, peer,
                                             Backoff(config_.reconnect_base, config_.reconnect_max)));
}

Task<Result<core::PeerId>> Host::connect(core::Multiaddr addr) {
  auto self = shared_from_this();
  auto peer = co_await dial(addr);
  if (!peer) co_return peer.error();
  // Wanted from now on: redialed if the connection drops.
  bool found = false;
  for (auto& w : wanted_) {
    if (w->peer && *w->peer == *peer) {
      w->paused = false;
      w->backoff.reset();
      if (std::find(w->addrs.begin(), w->addrs.end(), addr) == w->addrs.end()) w->addrs.insert(w->addrs.begin(), addr);
      found = true;
    }
  }
  if (!found) {
    wanted_.push_back(std::make_unique<Wanted>(std::vector<core::Multiaddr>{addr}, *peer,
                                               Backoff(config_.reconnect_base, config_.reconnect_max)));
  }
  co_return *peer;
}

Task<void> Host::manage_loop() {
  auto self = shared_from_this();
  while (!stopped_) {
    const auto now = std::chrono::steady_clock::now();
    for (auto& w : wanted_) {
      if (w->paused || w->dialing || now < w->next_attempt) continue;
      if (w->peer && peers_.contains(*w->peer)) {
        w->backoff.reset();
        continue;
      }
      redial(*w);
    }
    keep_reservations();
    manage_timer_.expires_after(kManageTick);
    auto [ec] = co_await manage_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
  }
}

void Host::redial(Wanted& wanted) {
  wanted.dialing = true;
  auto self = shared_from_this();
  Wanted* w = &wanted;  // wanted_ entries are never removed while the host lives
  auto attempt = [self, this, w]() -> Task<void> {
    const auto now = std::chrono::steady_clock::now();
    bool ok = false;
    error_code last;
    std::optional<SteadyTime> held_until;  // the earliest end of a skipped address's hold-off
    // Within probe_window of losing the peer's connection, an address whose
    // SYNs went unanswered is probed (config.hpp): a short connect, no
    // hold-off, and no backoff for the peer while every failure is a probe.
    const bool recent = w->lost_at && now - *w->lost_at < config_.probe_window;
    const auto probe_timeout = std::min(config_.probe_timeout, config_.dial_timeout);
    bool probes_only = true;
    bool probing_starts = false;  // an address went unanswered on a dial that was no probe
    for (const auto& addr : w->addrs) {
      auto key = addr.to_string();
      auto fit = w->failing.find(key);
      if (fit != w->failing.end() && now < fit->second.until) {
        held_until = std::min(held_until.value_or(fit->second.until), fit->second.until);
        continue;
      }
      auto target = addr;
      if (w->peer && !addr.peer_id()) target = addr.with_peer_id(*w->peer);
      const auto dialed_at = std::chrono::steady_clock::now();
      const bool probe = recent && fit != w->failing.end() && fit->second.unanswered;
      const auto connect_timeout = probe ? probe_timeout : config_.dial_timeout;
      auto peer = co_await dial(target, connect_timeout);
      if (stopped_) co_return;
      if (peer) {
        w->peer = *peer;
        w->failing.erase(key);
        ok = true;
        break;
      }
      last = peer.error();
      if (fit == w->failing.end()) {
        fit = w->failing.emplace(key, Wanted::AddrBackoff{Backoff(config_.reconnect_base, config_.reconnect_max), {}})
                  .first;
      }
      auto& held = fit->second;
      held.unanswered = last == make_error_code(error::dial_timeout);
      if (recent && held.unanswered) {
        held.until = dialed_at;
        probing_starts = probing_starts || !probe;
      } else {
        // Backoffs count from the dial's start: a dial that timed out has
        // already waited (10 s, beyond the 5-s cap), and waiting more on top
        // leaves a healed path unprobed (its connect's last SYN went out at 7 s).
        held.until = dialed_at + held.backoff.next(unit_random());
        probes_only = false;
      }
      log_->debug("dial {} failed: {}", key, peer.error().message());
    }
    w->dialing = false;
    if (ok) {
      w->backoff.reset();
    } else if (!last && held_until) {
      // Every address was held off: nothing was tried, so this is no failure
      // of the peer's; come back when the first hold-off ends.
      w->next_attempt = *held_until;
    } else if (last && probes_only) {
      // Every address tried went unanswered: probe again at the next tick.
      // The backoff still counts the failure (redial_failing_after reads it).
      (void)w->backoff.next(unit_random());
      w->next_attempt = now;
      if (probing_starts) {
        log_->info("reconnect to {} failed ({}); probing it every {} ms for up to {} s",
                   w->peer ? w->peer->to_string() : w->addrs.front().to_string(), last.message(),
                   (probe_timeout + kManageTick).count(),
                   std::chrono::duration_cast<std::chrono::seconds>(config_.probe_window).count());
      }
    } else {
      const auto delay = w->backoff.next(unit_random());
      w->next_attempt = now + delay;
      if (last) {
        const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::max(w->next_attempt - std::chrono::steady_clock::now(), SteadyTime::duration::zero()));
        log_->info("reconnect to {} failed ({}); next attempt in {} ms",
                   w->peer ? w->peer->to_string() : w->addrs.front().to_string(), last.message(), wait.count());
      }
    }
  };
  core::spawn(ex_, tasks_, "p2p_redial", w->peer ? w->peer->to_string() : std::string(), std::move(attempt));
}

void Host::redial_failing_after(const core::PeerId& peer) {
  if (stopped_) return;
  const auto back = std::find_if(wanted_.begin(), wanted_.end(), [&](const auto& w) { return w->peer == peer; });
  if (back == wanted_.end() || (*back)->backoff.failures() == 0) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_heal_redial_ < kHealRedialInterval) return;
  last_heal_redial_ = now;
  std::size_t due = 0;
  for (auto& w : wanted_) {
    if (w.get() == back->get() || w->paused || w->dialing || w->backoff.failures() == 0) continue;
    if (w->peer && peers_.contains(*w->peer)) continue;
    for (auto& [addr, held] : w->failing) held.until = now;
    w->next_attempt = now;
    redial(*w);
    ++due;
  }
  if (due > 0) {
    log_->info("{} is back after failed redials; redialing {} other unreachable peers now", peer.to_string(), due);
  }
}

namespace detail {

std::string reason_label(error_code ec) {
  if (!ec) return "normal";
  if (ec.category() == wire::error_category()) {
    switch (static_cast<wire::error>(ec.value())) {
      case wire::error::frame_too_large: return "frame_too_large";
      case wire::error::bad_length: return "bad_length";
      case wire::error::bad_multistream_header: return "bad_multistream_header";
      case wire::error::bad_multistream_message: return "bad_multistream_message";
      case wire::error::no_common_protocol: return "no_common_protocol";
      case wire::error::unexpected_protocol: return "unexpected_protocol";
      case wire::error::negotiation_limit: return "negotiation_limit";
      case wire::error::bad_yamux_frame: return "bad_yamux_frame";
      case wire::error::bad_protobuf: return "bad_protobuf";
      case wire::error::bad_noise_message: return "bad_noise_message";
      case wire::error::bad_handshake_payload: return "bad_handshake_payload";
      case wire::error::bad_identity_signature: return "bad_identity_signature";
      case wire::error::peer_id_mismatch: return "peer_id_mismatch";
      case wire::error::bad_dh_key: return "bad_dh_key";
      case wire::error::decrypt_failed: return "decrypt_failed";
      case wire::error::nonce_exhausted: return "nonce_exhausted";
      case wire::error::bad_identify: return "bad_identify";
    }
  }
  if (ec.category() == error_category()) {
    switch (static_cast<error>(ec.value())) {
      case error::protocol_violation: return "yamux_protocol_violation";
      case error::window_exceeded: return "window_exceeded";
      case error::timeout: return "timeout";
      case error::dial_timeout: return "dial_timeout";
      case error::going_away: return "going_away";
      case error::dial_self: return "dial_self";
      case error::connection_limit: return "connection_limit";
      case error::unsupported_address: return "unsupported_address";
      case error::relay_no_reservation: return "relay_no_reservation";
      case error::relay_refused: return "relay_refused";
      case error::relay_failed: return "relay_failed";
      default: return "transport";
    }
  }
  if (ec == asio::error::eof) return "eof";
  if (ec == asio::error::connection_refused) return "connection_refused";
  if (ec == asio::error::connection_reset) return "connection_reset";
  if (ec == asio::error::operation_aborted) return "aborted";
  if (ec == asio::error::host_not_found || ec == asio::error::host_not_found_try_again) return "dns";
  if (ec == asio::error::network_unreachable || ec == asio::error::host_unreachable) return "unreachable";
  return "io";
}

Result<TcpTarget> tcp_target(const core::Multiaddr& addr) {
  const auto& c = addr.components();
  if (c.size() < 2 || c[1].protocol != core::MultiaddrProtocol::tcp) return make_error_code(error::unsupported_address);
  if (c.size() > 3 || (c.size() == 3 && c[2].protocol != core::MultiaddrProtocol::p2p)) {
    return make_error_code(error::unsupported_address);
  }
  TcpTarget t;
  auto port = addr.tcp_port();
  if (!port) return make_error_code(error::unsupported_address);
  t.port = *port;
  const auto& v = c[0].value;
  switch (c[0].protocol) {
    case core::MultiaddrProtocol::ip4: {
      asio::ip::address_v4::bytes_type b{};
      std::memcpy(b.data(), v.data(), b.size());
      t.host = asio::ip::address_v4(b).to_string();
      t.kind = TcpTarget::Kind::ip4;
      break;
    }
    case core::MultiaddrProtocol::ip6: {
      asio::ip::address_v6::bytes_type b{};
      std::memcpy(b.data(), v.data(), b.size());
      t.host = asio::ip::address_v6(b).to_string();
      t.kind = TcpTarget::Kind::ip6;
      break;
    }
    case core::MultiaddrProtocol::dns: t.host = v; t.kind = TcpTarget::Kind::dns; break;
    case core::MultiaddrProtocol::dns4: t.host = v; t.kind = TcpTarget::Kind::dns4; break;
    case core::MultiaddrProtocol::dns6: t.host = v; t.kind = TcpTarget::Kind::dns6; break;
    default: return make_error_code(error::unsupported_address);
  }
  return t;
}

core::Multiaddr to_multiaddr(const asio::ip::tcp::endpoint& ep) {
  const auto a = ep.address();
  const auto text = a.is_v4() ? fmt::format("/ip4/{}/tcp/{}", a.to_string(), ep.port())
                              : fmt::format("/ip6/{}/tcp/{}", a.to_v6().to_string(), ep.port());
  return core::Multiaddr::parse(text).value();
}

}  // namespace detail
}  // namespace agentmesh::transport
