#include "transport/relay_service.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <algorithm>
#include <optional>

#include "core/awaitable.hpp"
#include "core/bytes.hpp"
#include "core/spawn.hpp"
#include "transport/connection.hpp"
#include "transport/detail/timeout.hpp"
#include "transport/error.hpp"
#include "transport/stream_io.hpp"

namespace agentmesh::transport {

namespace asio = boost::asio;
namespace circuit = wire::circuit;
using circuit::Status;

namespace {
using core::kTuple;
using SteadyClock = std::chrono::steady_clock;
constexpr std::size_t kCopyChunk = 16 * 1024;
constexpr std::size_t kMaxRateEntries = 4096;
// A hop request must arrive whole within this.
constexpr std::chrono::seconds kRequestTimeout{10};

std::uint64_t unix_seconds_after(std::chrono::seconds ttl) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(now + ttl).count());
}
}  // namespace

struct RelayService::Circuit {
  Circuit(std::shared_ptr<Stream> s, core::PeerId from, core::PeerId to, asio::any_io_executor ex)
      : source(std::move(s)), source_peer(from), target_peer(to), timer(ex) {}
  std::shared_ptr<Stream> source;  // the hop stream of the peer that connected
  std::shared_ptr<Stream> target;  // the stop stream to the reserved peer
  core::PeerId source_peer;
  core::PeerId target_peer;
  asio::steady_timer timer;        // the duration limit
  int pumps = 2;
  std::string ended;               // why it ended early: data_limit, duration, reset
  void end(std::string why) {
    if (!ended.empty()) return;
    ended = std::move(why);
    source->reset();
    target->reset();
    timer.cancel();
  }
};

std::shared_ptr<RelayService> RelayService::create(std::shared_ptr<Host> host, RelayServiceConfig config,
                                                   std::shared_ptr<spdlog::logger> log) {
  return std::shared_ptr<RelayService>(new RelayService(std::move(host), config, std::move(log)));
}

RelayService::RelayService(std::shared_ptr<Host> host, RelayServiceConfig config,
                           std::shared_ptr<spdlog::logger> log)
    : host_(std::move(host)), config_(config), log_(std::move(log)) {}

void RelayService::start() {
  std::weak_ptr<RelayService> weak = shared_from_this();
  host_->set_handler(std::string(circuit::kHopProtocol), [weak](std::shared_ptr<Stream> s) -> Task<void> {
    if (auto self = weak.lock()) co_await self->serve(std::move(s));
  });
  Host::Observer o;
  o.disconnected = [weak](const core::PeerId& peer) {
    if (auto self = weak.lock()) self->reservations_.erase(peer);
  };
  host_->add_observer(std::move(o));
}

void RelayService::stop() {
  stopped_ = true;
  for (auto& weak : live_) {
    if (auto c = weak.lock()) c->end("reset");
  }
  reservations_.clear();
}

void RelayService::fill(RelayStatus& status) const {
  status.service = true;
  const auto now = SteadyClock::now();
  status.service_reservations = static_cast<std::size_t>(
      std::count_if(reservations_.begin(), reservations_.end(), [&](const auto& r) { return r.second.expires > now; }));
  status.service_circuits = circuits_;
  status.service_requests = requests_;
  status.service_circuits_closed = closed_;
  status.service_bytes = bytes_;
}

std::optional<circuit::Limit> RelayService::limit() const {
  circuit::Limit l;
  if (config_.circuit_duration.count() > 0) l.duration_s = static_cast<std::uint32_t>(config_.circuit_duration.count());
  if (config_.circuit_bytes > 0) l.data_bytes = config_.circuit_bytes;
  if (!l.duration_s && !l.data_bytes) return std::nullopt;  // absent: the circuit is not limited
  return l;
}

bool RelayService::within_rate(const core::PeerId& peer) {
  const auto now = SteadyClock::now();
  if (rates_.size() >= kMaxRateEntries) {
    std::erase_if(rates_, [&](const auto& r) { return now - r.second.since >= std::chrono::minutes(1); });
    if (rates_.size() >= kMaxRateEntries) return false;  // a flood of new peers: refuse until the minute passes
  }
  auto& r = rates_[peer];
  if (now - r.since >= std::chrono::minutes(1)) r = Rate{now, 0};
  return ++r.count <= config_.max_requests_per_peer_per_minute;
}

bool RelayService::reserved(const core::PeerId& peer) const {
  auto it = reservations_.find(peer);
  return it != reservations_.end() && it->second.expires > SteadyClock::now();
}

Task<void> RelayService::answer(std::shared_ptr<Stream> stream, Status status) {
  ++requests_[std::string(circuit::to_string(status))];
  circuit::HopMessage reply;
  reply.type = circuit::HopMessage::Type::status;
  reply.status = status;
  if (auto w = co_await write_lp(*stream, circuit::encode(reply)); !w) {
    stream->reset();
    co_return;
  }
  (void)stream->close_write();
}

Task<void> RelayService::serve(std::shared_ptr<Stream> stream) {
  auto self = shared_from_this();
  LpReader reader(*stream);
  auto reading = reader.read(circuit::kMaxMessage);
  auto msg = co_await detail::with_timeout(std::move(reading), kRequestTimeout);
  if (!msg) {
    ++requests_[msg.error() == make_error_code(error::message_too_large) ? "oversized" : "unreadable"];
    stream->reset();
    co_return;
  }
  if (stopped_) {
    stream->reset();
    co_return;
  }
  // Every request that arrived whole counts against the peer's rate, garbage included.
  if (!within_rate(stream->peer())) co_return co_await answer(stream, Status::resource_limit_exceeded);
  auto hop = circuit::decode_hop(core::bytes_of(*msg));
  if (!hop) co_return co_await answer(stream, Status::malformed_message);
  if (stream->connection().relay()) co_return co_await answer(stream, Status::permission_denied);
  switch (hop->type) {
    case circuit::HopMessage::Type::reserve:
      co_return co_await reserve(stream);
    case circuit::HopMessage::Type::connect:
      stream->unread(reader.take_buffered());
      co_return co_await connect(stream, std::move(*hop->peer));
    case circuit::HopMessage::Type::status:
      break;
  }
  co_await answer(stream, Status::unexpected_message);
}

Task<void> RelayService::reserve(std::shared_ptr<Stream> stream) {
  const auto peer = stream->peer();
  const auto now = SteadyClock::now();
  // The address part of the connection's remote address: many identities
  // from one address share its quota.
  const auto remote = stream->connection().remote_addr().to_string();
  auto ip = remote.substr(0, remote.find('/', remote.find('/', 1) + 1));
  if (!reserved(peer)) {
    std::erase_if(reservations_, [&](const auto& r) { return r.second.expires <= now; });
    const auto same_ip = static_cast<std::size_t>(
        std::count_if(reservations_.begin(), reservations_.end(), [&](const auto& r) { return r.second.ip == ip; }));
    if (reservations_.size() >= config_.max_reservations || same_ip >= config_.max_reservations_per_ip) {
      co_return co_await answer(stream, Status::reservation_refused);
    }
  }
  reservations_[peer] = Reserved{now + config_.reservation_ttl, std::move(ip)};
  const auto expire = unix_seconds_after(config_.reservation_ttl);
  circuit::HopMessage reply;
  reply.type = circuit::HopMessage::Type::status;
  reply.status = Status::ok;
  circuit::Reservation r;
  r.expire = expire;
  for (const auto& a : host_->listen_addrs()) r.addrs.push_back(a.with_peer_id(host_->peer_id()));
  r.voucher = circuit::seal_voucher(host_->identity(), peer, expire);
  reply.reservation = std::move(r);
  reply.limit = limit();
  ++requests_["OK"];
  log_->info("relay: reservation for {} until {}", peer.to_string(), expire);
  if (auto w = co_await write_lp(*stream, circuit::encode(reply)); !w) {
    stream->reset();
    co_return;
  }
  (void)stream->close_write();
}

Task<void> RelayService::connect(std::shared_ptr<Stream> stream, circuit::Peer target_peer) {
  const auto source = stream->peer();
  auto target = core::PeerId::from_multihash(core::bytes_of(target_peer.id));
  if (!target) co_return co_await answer(stream, Status::malformed_message);
  if (!reserved(*target) || !host_->connected(*target)) co_return co_await answer(stream, Status::no_reservation);
  if (circuits_ >= config_.max_circuits || circuits_per_peer_[source] >= config_.max_circuits_per_peer ||
      circuits_per_peer_[*target] >= config_.max_circuits_per_peer) {
    co_return co_await answer(stream, Status::resource_limit_exceeded);
  }
  // Counted from here: the stop handshake holds a slot too.
  ++circuits_;
  ++circuits_per_peer_[source];
  ++circuits_per_peer_[*target];
  auto c = std::make_shared<Circuit>(stream, source, *target, host_->executor());

  std::vector<std::string> stop_protocol{std::string(circuit::kStopProtocol)};
  auto opened = co_await host_->new_stream(*target, std::move(stop_protocol));
  Result<circuit::StopMessage> accepted = make_error_code(error::relay_failed);
  if (opened) {
    c->target = *opened;
    circuit::StopMessage request;
    request.type = circuit::StopMessage::Type::connect;
    request.peer = circuit::Peer{source.multihash(), {}};
    request.limit = limit();
    if (auto w = co_await write_lp(*c->target, circuit::encode(request)); w) {
      LpReader reader(*c->target);
      auto reply = co_await reader.read(circuit::kMaxMessage);
      if (reply) {
        accepted = circuit::decode_stop(core::bytes_of(*reply));
        c->target->unread(reader.take_buffered());
      }
    }
  }
  const bool ok = accepted && accepted->type == circuit::StopMessage::Type::status && accepted->status &&
                  *accepted->status == Status::ok;
  if (!ok || stopped_) {
    release(*c);
    if (c->target) c->target->reset();
    co_return co_await answer(stream, Status::connection_failed);
  }
  circuit::HopMessage reply;
  reply.type = circuit::HopMessage::Type::status;
  reply.status = Status::ok;
  reply.limit = limit();
  ++requests_["OK"];
  if (auto w = co_await write_lp(*stream, circuit::encode(reply)); !w) {
    release(*c);
    c->end("reset");
    ++closed_["reset"];
    co_return;
  }
  log_->debug("relay: circuit {} -> {}", source.to_string(), target->to_string());
  run(std::move(c));
}

void RelayService::run(std::shared_ptr<Circuit> c) {
  std::erase_if(live_, [](const auto& w) { return w.expired(); });
  live_.push_back(c);
  auto self = shared_from_this();
  const auto ex = host_->executor();
  const auto label = c->source_peer.to_string();
  core::spawn(ex, host_->tasks(), "relay_pump", label, pump(c, true));
  core::spawn(ex, host_->tasks(), "relay_pump", label, pump(c, false));
  if (config_.circuit_duration.count() > 0) {
    c->timer.expires_after(config_.circuit_duration);
    core::spawn(ex, host_->tasks(), "relay_timer", label, [self, c]() -> Task<void> {
      auto [ec] = co_await c->timer.async_wait(kTuple);
      if (!ec && c->pumps > 0) c->end("duration");
    });
  }
}

// Copies one direction. At the data limit one more byte is read: the end of
// the stream closes the other side as usual, anything more ends the circuit.
Task<void> RelayService::pump(std::shared_ptr<Circuit> c, bool forward) {
  auto self = shared_from_this();
  Stream& from = forward ? *c->source : *c->target;
  Stream& to = forward ? *c->target : *c->source;
  std::vector<std::uint8_t> buf(kCopyChunk);
  std::uint64_t moved = 0;
  const std::uint64_t limit = config_.circuit_bytes;
  while (c->ended.empty()) {
    std::size_t room = buf.size();
    if (limit > 0) {
      room = static_cast<std::size_t>(std::min<std::uint64_t>(room, std::max<std::uint64_t>(limit - moved, 1)));
    }
    auto n = co_await from.read_some({buf.data(), room});
    if (!n) {
      c->end("reset");
      break;
    }
    if (*n == 0) {
      (void)to.close_write();
      break;
    }
    if (limit > 0 && moved == limit) {
      c->end("data_limit");
      break;
    }
    if (auto w = co_await to.write({buf.data(), *n}); !w) {
      c->end("reset");
      break;
    }
    moved += *n;
    bytes_ += *n;
  }
  if (--c->pumps == 0) finished(*c);
}

void RelayService::finished(Circuit& c) {
  c.timer.cancel();
  ++closed_[c.ended.empty() ? "eof" : c.ended];
  release(c);
}

void RelayService::release(const Circuit& c) {
  --circuits_;
  for (const auto& p : {c.source_peer, c.target_peer}) {
    if (auto it = circuits_per_peer_.find(p); it != circuits_per_peer_.end() && --it->second == 0) {
      circuits_per_peer_.erase(it);
    }
  }
}

}  // namespace agentmesh::transport
