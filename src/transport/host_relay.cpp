// Host: the client side of circuit relay v2 (docs/wire/circuit.md):
// reservations on relays, dialing through a relay's circuit, and accepting
// circuits a relay brings (the stop protocol). The relayed connection runs
// the usual upgrade (Noise, yamux) over the circuit stream (RawLink), so
// everything above works unchanged.

#include <boost/asio/ip/tcp.hpp>
#include <algorithm>

#include "core/bytes.hpp"
#include "core/spawn.hpp"
#include "transport/detail/host_state.hpp"
#include "transport/detail/timeout.hpp"
#include "transport/error.hpp"
#include "transport/stream_io.hpp"
#include "transport/upgrade.hpp"
#include "wire/circuit.hpp"

namespace agentmesh::transport {

namespace circuit = wire::circuit;
using circuit::Status;
using SteadyClock = std::chrono::steady_clock;

namespace {

// A reservation is renewed once less than this share of it is left, or less
// than kRenewMargin (a few manage ticks and a round trip).
constexpr double kRenewAt = 0.25;
constexpr std::chrono::seconds kRenewMargin{2};
// A failed reservation is retried after this long.
constexpr std::chrono::seconds kReserveRetry{15};

struct Exchanged {
  std::string reply;
  std::string rest;  // bytes read past the reply (the circuit's first bytes)
};

// Writes one request and reads the one reply on `stream`.
Task<Result<Exchanged>> exchange(std::shared_ptr<Stream> stream, std::string request) {
  if (auto w = co_await write_lp(*stream, request); !w) co_return w.error();
  LpReader reader(*stream);
  auto reply = co_await reader.read(circuit::kMaxMessage);
  if (!reply) co_return reply.error();
  co_return Exchanged{std::move(*reply), reader.take_buffered()};
}

error_code error_of(Status status) {
  switch (status) {
    case Status::no_reservation:
      return make_error_code(error::relay_no_reservation);
    case Status::reservation_refused:
    case Status::resource_limit_exceeded:
    case Status::permission_denied:
      return make_error_code(error::relay_refused);
    default:
      return make_error_code(error::relay_failed);
  }
}

// /…/p2p/RELAY/p2p-circuit
core::Multiaddr circuit_of(const core::Multiaddr& relay_addr, const core::PeerId& relay) {
  return core::Multiaddr::parse(relay_addr.with_peer_id(relay).to_string() + "/p2p-circuit").value();
}

}  // namespace

Task<Result<RelayStatus::Held>> Host::reserve(core::PeerId relay) {
  auto self = shared_from_this();
  auto& results = diag_.relay.reserve_results;
  std::vector<std::string> protos{std::string(circuit::kHopProtocol)};
  auto stream = co_await new_stream(relay, std::move(protos));
  if (!stream) {
    ++results["failed"];
    co_return stream.error();
  }
  circuit::HopMessage request;
  request.type = circuit::HopMessage::Type::reserve;
  auto exchanging = exchange(*stream, circuit::encode(request));
  auto got = co_await detail::with_timeout(std::move(exchanging), config_.stream_timeout);
  (void)(*stream)->close_write();
  if (!got) {
    ++results["failed"];
    co_return got.error();
  }
  auto hop = circuit::decode_hop(core::bytes_of(got->reply));
  if (!hop || hop->type != circuit::HopMessage::Type::status || !hop->status) {
    ++results["MALFORMED_MESSAGE"];
    co_return make_error_code(error::relay_failed);
  }
  if (*hop->status != Status::ok) {
    ++results[std::string(circuit::to_string(*hop->status))];
    co_return error_of(*hop->status);
  }
  if (!hop->reservation) {
    ++results["MALFORMED_MESSAGE"];
    co_return make_error_code(error::relay_failed);
  }
  const auto& r = *hop->reservation;
  if (!r.voucher.empty()) {
    auto voucher = circuit::open_voucher(core::bytes_of(r.voucher));
    if (!voucher || voucher->relay != relay || voucher->peer != self_) {
      ++results["bad_voucher"];
      co_return make_error_code(error::relay_failed);
    }
  }
  const auto unix_now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
  const auto lifetime = std::chrono::seconds(std::max<std::int64_t>(static_cast<std::int64_t>(r.expire) - unix_now, 0));
  RelayStatus::Held held{relay, static_cast<std::int64_t>(r.expire) * 1000, {}};
  for (const auto& a : r.addrs) {
    const bool relayed = std::any_of(a.components().begin(), a.components().end(), [](const auto& c) {
      return c.protocol == core::MultiaddrProtocol::p2p_circuit;
    });
    if (!relayed && detail::tcp_target(a.without_peer_id())) held.addrs.push_back(circuit_of(a.without_peer_id(), relay));
  }
  if (held.addrs.empty()) {
    // The relay named no address: the one we reached it at.
    if (auto it = peers_.find(relay); it != peers_.end()) {
      held.addrs.push_back(circuit_of(it->second->conn->remote_addr(), relay));
    }
  }
  const bool fresh = !reservations_.contains(relay);
  reservations_.insert_or_assign(relay, HeldReservation{held, SteadyClock::now() + lifetime, lifetime});
  if (fresh) addresses_changed();
  ++results["OK"];
  log_->info("reserved a relay slot on {} for {} s", relay.to_string(), lifetime.count());
  co_return held;
}

std::vector<core::Multiaddr> Host::relay_addrs() const {
  std::vector<core::Multiaddr> out;
  const auto now = SteadyClock::now();
  for (const auto& [relay, r] : reservations_) {
    if (r.expires <= now || !connected(relay)) continue;
    out.insert(out.end(), r.held.addrs.begin(), r.held.addrs.end());
  }
  return out;
}

std::vector<core::Multiaddr> Host::advertised_addrs() const {
  auto out = listen_addrs();
  auto relayed = relay_addrs();
  out.insert(out.end(), relayed.begin(), relayed.end());
  return out;
}

void Host::addresses_changed() {
  own_record_.clear();  // the next identify carries the new addresses
  for (const auto& o : observers_) {
    if (o.addresses_changed) o.addresses_changed();
  }
}

void Host::set_private(bool unreachable) {
  if (private_ == unreachable) return;
  private_ = unreachable;
  if (private_) return;  // keep_reservations() adds relays at the next tick
  // Dialable again: drop the reservations only privacy asked for.
  const auto wanted = wanted_relays();
  const auto dropped = std::erase_if(reservations_, [&](const auto& r) {
    return std::find(wanted.begin(), wanted.end(), r.first) == wanted.end();
  });
  if (dropped > 0) addresses_changed();
}

std::vector<core::PeerId> Host::wanted_relays() const {
  std::vector<core::PeerId> out;
  for (const auto& addr : config_.relays) {
    if (auto p = addr.peer_id()) out.push_back(*p);
  }
  if (!private_) return out;
  const auto limit = out.size() + kAutoRelays;
  const auto offers = [](const PeerState& s) {
    return !s.conn->relay() && s.info &&
           std::find(s.info->protocols.begin(), s.info->protocols.end(), circuit::kHopProtocol) !=
               s.info->protocols.end();
  };
  for (const bool reserved : {true, false}) {
    for (const auto& [peer, state] : peers_) {
      if (out.size() >= limit) return out;
      if (reservations_.contains(peer) != reserved || !offers(*state)) continue;
      if (std::find(out.begin(), out.end(), peer) == out.end()) out.push_back(peer);
    }
  }
  return out;
}

void Host::keep_reservations() {
  const auto now = SteadyClock::now();
  for (const auto& relay : wanted_relays()) {
    if (!connected(relay)) continue;
    if (auto it = reservations_.find(relay); it != reservations_.end()) {
      const auto left = it->second.expires - now;
      const auto renew_at = std::max<SteadyClock::duration>(
          std::chrono::duration_cast<SteadyClock::duration>(it->second.lifetime * kRenewAt), kRenewMargin);
      if (left > renew_at) continue;
    }
    if (auto it = reserving_.find(relay); it != reserving_.end() && now < it->second) continue;
    reserving_[relay] = now + kReserveRetry;  // also: one request at a time
    auto self = shared_from_this();
    core::spawn(ex_, tasks_, "relay_reserve", relay.to_string(), [self, relay]() -> Task<void> {
      auto r = co_await self->reserve(relay);
      if (r) {
        self->reserving_.erase(relay);
      } else {
        self->log_->warn("reservation on relay {} failed: {}", relay.to_string(), r.error().message());
      }
    });
  }
}

Task<Result<core::PeerId>> Host::dial_circuit(core::Multiaddr addr) {
  auto self = shared_from_this();
  auto& dials = diag_.relay.dials;
  const auto& parts = addr.components();
  const auto at = std::find_if(parts.begin(), parts.end(),
                               [](const auto& c) { return c.protocol == core::MultiaddrProtocol::p2p_circuit; });
  const auto text = addr.to_string();
  const auto cut = text.find("/p2p-circuit");
  auto relay_addr = core::Multiaddr::parse(text.substr(0, cut));
  const bool shaped = at != parts.begin() && std::prev(at)->protocol == core::MultiaddrProtocol::p2p &&
                      std::distance(at, parts.end()) == 2 && parts.back().protocol == core::MultiaddrProtocol::p2p;
  if (!shaped || !relay_addr) co_return make_error_code(error::unsupported_address);
  const auto relay = *relay_addr->peer_id();
  const auto target = *addr.peer_id();
  if (target == self_) co_return make_error_code(error::dial_self);
  if (relay == self_ || relay == target) co_return make_error_code(error::unsupported_address);
  if (peers_.contains(target)) co_return target;
  if (!connected(relay)) {
    if (relay_addr->components().size() < 2) co_return make_error_code(error::not_connected);
    auto r = co_await dial(*relay_addr);
    if (!r) {
      ++dials["relay_unreachable"];
      co_return r.error();
    }
  }
  std::vector<std::string> protos{std::string(circuit::kHopProtocol)};
  auto stream = co_await new_stream(relay, std::move(protos));
  if (!stream) {
    ++dials["relay_unsupported"];
    co_return stream.error();
  }
  circuit::HopMessage request;
  request.type = circuit::HopMessage::Type::connect;
  request.peer = circuit::Peer{target.multihash(), {}};
  auto exchanging = exchange(*stream, circuit::encode(request));
  auto got = co_await detail::with_timeout(std::move(exchanging), config_.stream_timeout);
  if (!got) {
    (*stream)->reset();
    ++dials["failed"];
    co_return got.error();
  }
  auto hop = circuit::decode_hop(core::bytes_of(got->reply));
  if (!hop || hop->type != circuit::HopMessage::Type::status || !hop->status) {
    (*stream)->reset();
    ++dials["MALFORMED_MESSAGE"];
    co_return make_error_code(error::relay_failed);
  }
  if (*hop->status != Status::ok) {
    (*stream)->reset();
    ++dials[std::string(circuit::to_string(*hop->status))];
    co_return error_of(*hop->status);
  }
  (*stream)->unread(std::move(got->rest));
  auto r = co_await adopt_circuit(*stream, Direction::outbound, target, addr.without_peer_id());
  ++dials[r ? "OK" : "handshake_failed"];
  co_return r;
}

Task<void> Host::serve_stop(std::shared_ptr<Stream> stream) {
  auto self = shared_from_this();
  const auto relay = stream->peer();
  auto& refused = diag_.relay.circuits_refused;
  LpReader reader(*stream);
  auto reading = reader.read(circuit::kMaxMessage);
  auto msg = co_await detail::with_timeout(std::move(reading), config_.stream_timeout);
  if (!msg) {
    ++refused["read_failed"];
    stream->reset();
    co_return;
  }
  auto request = circuit::decode_stop(core::bytes_of(*msg));
  std::optional<core::PeerId> source;
  Status status = Status::ok;
  if (!request) {
    status = Status::malformed_message;
  } else if (request->type != circuit::StopMessage::Type::connect) {
    status = Status::unexpected_message;
  } else if (auto id = core::PeerId::from_multihash(core::bytes_of(request->peer->id)); !id || *id == self_) {
    status = Status::malformed_message;
  } else if (!reservations_.contains(relay) || stream->connection().relay()) {
    status = Status::permission_denied;  // circuits only from relays we reserved on, never over a circuit
  } else {
    source = *id;
  }
  circuit::StopMessage reply;
  reply.type = circuit::StopMessage::Type::status;
  reply.status = status;
  if (auto w = co_await write_lp(*stream, circuit::encode(reply)); !w || status != Status::ok) {
    ++refused[w ? std::string(circuit::to_string(status)) : "write_failed"];
    (void)stream->close_write();
    co_return;
  }
  stream->unread(reader.take_buffered());
  ++diag_.relay.circuits_accepted;
  auto from = circuit_of(stream->connection().remote_addr(), relay);
  auto r = co_await adopt_circuit(stream, Direction::inbound, *source, std::move(from));
  if (!r) log_->debug("circuit from {} via {}: {}", source->to_string(), relay.to_string(), r.error().message());
}

Task<Result<core::PeerId>> Host::adopt_circuit(std::shared_ptr<Stream> circuit_stream, Direction direction,
                                               core::PeerId remote, core::Multiaddr remote_addr) {
  auto self = shared_from_this();
  // The Noise handshake proves the peer is the one the relay named.
  auto handshaking = handshake(RawLink{boost::asio::ip::tcp::socket(ex_), circuit_stream}, direction, identity_, remote,
                               std::move(remote_addr));
  auto up = co_await std::move(handshaking);
  if (!up) {
    circuit_stream->reset();
    co_return up.error();
  }
  if (auto r = adopt_upgraded(std::move(*up)); !r) co_return r.error();
  co_return remote;
}

}  // namespace agentmesh::transport
