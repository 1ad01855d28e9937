// Host: inbound stream dispatch and the built-in protocols (identify,
// identify push, ping).

#include <boost/asio/as_tuple.hpp>
#include "core/spawn.hpp"
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "crypto/crypto.hpp"
#include "transport/detail/host_state.hpp"
#include "transport/detail/negotiate.hpp"
#include "transport/detail/timeout.hpp"
#include "transport/error.hpp"
#include "wire/peer_record.hpp"
#include "transport/host.hpp"
#include "transport/stream_io.hpp"
#include "wire/error.hpp"

namespace agentmesh::transport {

namespace asio = boost::asio;

namespace {

constexpr std::size_t kPingSize = 32;
constexpr int kMaxInboundPings = 2;

Task<Result<detail::Selected>> negotiate_inbound(std::shared_ptr<Stream> stream, std::vector<std::string> supported) {
  detail::StreamIO io{*stream};
  co_return co_await detail::select_as_listener(io, std::move(supported));
}

}  // namespace

void Host::on_stream(std::shared_ptr<Stream> stream) {
  if (stopped_) {
    stream->reset();
    return;
  }
  const auto peer = stream->peer().to_string();
  core::spawn(ex_, tasks_, "p2p_stream", peer, serve_stream(std::move(stream)));
}

Task<void> Host::serve_stream(std::shared_ptr<Stream> stream) {
  auto self = shared_from_this();
  auto negotiation = negotiate_inbound(stream, protocols());
  auto selected = co_await detail::with_timeout(std::move(negotiation), config_.stream_timeout);
  if (!selected) {
    log_->debug("stream from {}: negotiation failed: {}", stream->peer().to_string(), selected.error().message());
    stream->reset();
    co_return;
  }
  stream->set_protocol(selected->protocol);
  if (!selected->leftover.empty()) stream->unread(std::move(selected->leftover));
  auto it = handlers_.find(selected->protocol);
  if (it == handlers_.end()) {  // removed meanwhile
    stream->reset();
    co_return;
  }
  auto handler = it->second;
  co_await handler(std::move(stream));
}

wire::identify::Info Host::own_info(const Connection& conn) const {
  wire::identify::Info info(self_);
  info.protocol_version = std::string(wire::identify::kProtocolVersion);
  info.agent_version = config_.agent_version;
  info.listen_addrs = advertised_addrs();
  // What we see the peer at; over a circuit we do not see it at all.
  if (!conn.relay()) info.observed_addr = conn.remote_addr();
  info.protocols = protocols();
  if (own_record_.empty()) {
    const auto seq = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    own_record_ = wire::peer_record::seal(identity_, static_cast<std::uint64_t>(seq), info.listen_addrs);
  }
  info.signed_peer_record = own_record_;
  return info;
}

void Host::check_record(const core::PeerId& peer, wire::identify::Info& info) {
  if (!info.signed_peer_record) return;
  auto rec = wire::peer_record::open({reinterpret_cast<const std::uint8_t*>(info.signed_peer_record->data()),
                                      info.signed_peer_record->size()});
  if (rec && rec->peer == peer) {
    ++diag_.peer_records_valid;
    return;
  }
  ++diag_.peer_records_invalid;
  log_->debug("{} sent a signed peer record that does not hold; ignored", peer.to_string());
  info.signed_peer_record.reset();
}

std::optional<std::string> Host::signed_record(const core::PeerId& peer) const {
  auto it = peers_.find(peer);
  if (it == peers_.end() || !it->second->info) return std::nullopt;
  return it->second->info->signed_peer_record;
}

Task<Result<core::PeerId>> Host::dial_record(core::PeerId expected, std::string record) {
  auto self = shared_from_this();
  auto rec = wire::peer_record::open({reinterpret_cast<const std::uint8_t*>(record.data()), record.size()});
  if (!rec || rec->peer != expected) {
    ++diag_.peer_records_invalid;
    co_return make_error_code(wire::error::bad_protobuf);
  }
  ++diag_.peer_records_valid;
  if (expected == self_) co_return make_error_code(error::dial_self);
  if (connected(expected)) co_return expected;
  ++diag_.px_dials;
  co_return co_await dial_addrs(expected, std::move(rec->addrs));
}

Task<Result<core::PeerId>> Host::dial_addrs(core::PeerId expected, std::vector<core::Multiaddr> addrs) {
  auto self = shared_from_this();
  if (expected == self_) co_return make_error_code(error::dial_self);
  if (connected(expected)) co_return expected;
  // Direct addresses first; circuit addresses after them. When there is a
  // circuit to fall back on, a direct address gets kDirectFirst to connect,
  // not the whole dial timeout: behind NAT it never answers.
  std::vector<core::Multiaddr> direct;
  std::vector<core::Multiaddr> relayed;
  for (const auto& a : addrs) {
    const auto& parts = a.components();
    const bool circuit = std::any_of(parts.begin(), parts.end(), [](const auto& c) {
      return c.protocol == core::MultiaddrProtocol::p2p_circuit;
    });
    (circuit ? relayed : direct).push_back(a.without_peer_id().with_peer_id(expected));
  }
  const auto connect_timeout = relayed.empty() ? config_.dial_timeout : std::min(config_.dial_timeout, kDirectFirst);
  Result<core::PeerId> last = make_error_code(error::unsupported_address);
  for (const auto& a : direct) {
    last = co_await dial(a, connect_timeout);
    if (last) co_return last;
  }
  for (const auto& a : relayed) {
    last = co_await dial(a);
    if (last) break;
  }
  co_return last;
}

Task<void> Host::serve_identify(std::shared_ptr<Stream> stream) {
  const auto msg = wire::identify::encode(own_info(stream->connection()));
  if (auto w = co_await write_lp(*stream, msg); !w) {
    stream->reset();
    co_return;
  }
  (void)stream->close_write();
}

Task<void> Host::identify_peer(std::shared_ptr<Connection> conn) {
  auto self = shared_from_this();
  const auto peer = conn->peer();
  auto exchange = [this, peer]() -> Task<Result<wire::identify::Info>> {
    std::vector<std::string> protos{std::string(wire::identify::kProtocolId)};
    auto stream = co_await new_stream(peer, std::move(protos));
    if (!stream) co_return stream.error();
    LpReader reader(**stream);
    auto msg = co_await reader.read(wire::identify::kMaxMessage);
    if (!msg) co_return msg.error();
    auto info = wire::identify::decode(
        {reinterpret_cast<const std::uint8_t*>(msg->data()), msg->size()});
    if (!info) co_return info.error();
    (void)(*stream)->close_write();
    co_return std::move(*info);
  };
  auto task = exchange();
  auto info = co_await detail::with_timeout(std::move(task), config_.stream_timeout);
  auto it = peers_.find(peer);
  if (it == peers_.end() || it->second->conn != conn) co_return;  // gone or replaced meanwhile
  if (!info) {
    ++diag_.identify_failed;
    const bool bad = info.error().category() == wire::error_category();
    log_->log(bad ? spdlog::level::warn : spdlog::level::debug, "identify {} failed: {}", peer.to_string(),
              info.error().message());
    if (bad) {
      ++diag_.frames_rejected[detail::reason_label(info.error())];
      conn->close(info.error());
      co_return;
    }
  } else if (info->peer != peer) {
    ++diag_.identify_failed;
    ++diag_.frames_rejected["bad_identify"];
    log_->warn("identify from {} names another peer ({}); closing", peer.to_string(), info->peer.to_string());
    conn->close(make_error_code(wire::error::bad_identify));
    co_return;
  } else {
    ++diag_.identify_ok;
    check_record(peer, *info);
    log_->debug("identified {}: {} ({} protocols)", peer.to_string(), info->agent_version, info->protocols.size());
    it->second->info = *info;
    for (const auto& o : observers_) {
      if (o.identified) o.identified(*info, it->second->dialed);
    }
  }
  // A peer that reached us through a relay: try for a direct connection.
  if (config_.hole_punching && conn->relay() && conn->direction() == Direction::inbound) {
    core::spawn(ex_, tasks_, "p2p_hole_punch", peer.to_string(), upgrade_relayed(conn));
  }
  core::spawn(ex_, tasks_, "p2p_ping", peer.to_string(), ping_loop(conn));
}

Task<void> Host::serve_identify_push(std::shared_ptr<Stream> stream) {
  LpReader reader(*stream);
  auto msg = co_await reader.read(wire::identify::kMaxMessage);
  if (!msg) {
    stream->reset();
    co_return;
  }
  auto info = wire::identify::decode({reinterpret_cast<const std::uint8_t*>(msg->data()), msg->size()});
  auto it = peers_.find(stream->peer());
  if (!info || info->peer != stream->peer() || it == peers_.end()) {
    ++diag_.frames_rejected["bad_identify"];
    stream->reset();
    co_return;
  }
  check_record(stream->peer(), *info);
  it->second->info = *info;
  for (const auto& o : observers_) {
    if (o.identified) o.identified(*info, it->second->dialed);
  }
  (void)stream->close_write();
}

Task<void> Host::serve_ping(std::shared_ptr<Stream> stream) {
  const auto conn_id = stream->connection().id();
  if (inbound_pings_[conn_id] >= kMaxInboundPings) {
    stream->reset();
    co_return;
  }
  ++inbound_pings_[conn_id];
  std::array<std::uint8_t, kPingSize> buf{};
  for (;;) {
    if (auto r = co_await stream->read_exact(buf); !r) break;  // EOF ends the session
    if (auto w = co_await stream->write(buf); !w) break;
  }
  (void)stream->close_write();
  if (auto it = inbound_pings_.find(conn_id); it != inbound_pings_.end() && --it->second <= 0) {
    inbound_pings_.erase(it);
  }
}

Task<void> Host::ping_loop(std::shared_ptr<Connection> conn) {
  auto self = shared_from_this();
  const auto peer = conn->peer();
  auto timer = std::make_shared<asio::steady_timer>(ex_);
  if (auto it = peers_.find(peer); it != peers_.end() && it->second->conn == conn) it->second->ping_timer = timer;
  for (;;) {
    auto it = peers_.find(peer);
    if (stopped_ || conn->closed() || it == peers_.end() || it->second->conn != conn) co_return;
    auto once = [this, peer]() -> Task<Result<double>> {
      std::vector<std::string> protos{std::string(kPingProtocol)};
      auto stream = co_await new_stream(peer, std::move(protos));
      if (!stream) co_return stream.error();
      std::array<std::uint8_t, kPingSize> out{};
      std::array<std::uint8_t, kPingSize> in{};
      crypto::random_bytes(out);
      const auto t0 = std::chrono::steady_clock::now();
      if (auto w = co_await (*stream)->write(out); !w) co_return w.error();
      if (auto r = co_await (*stream)->read_exact(in); !r) co_return r.error();
      const auto rtt = std::chrono::steady_clock::now() - t0;
      (void)(*stream)->close_write();
      if (in != out) co_return make_error_code(error::protocol_violation);
      co_return std::chrono::duration<double, std::milli>(rtt).count();
    };
    auto task = once();
    auto rtt = co_await detail::with_timeout(std::move(task), config_.stream_timeout);
    it = peers_.find(peer);
    if (it == peers_.end() || it->second->conn != conn) co_return;
    if (rtt) {
      ++diag_.pings_ok;
      it->second->ping_rtt_ms = *rtt;
    } else {
      ++diag_.pings_failed;
      log_->debug("ping {} failed: {}", peer.to_string(), rtt.error().message());
      if (rtt.error() == make_error_code(error::protocol_unsupported)) co_return;
    }
    timer->expires_after(config_.ping_interval);
    auto [ec] = co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
  }
}

}  // namespace agentmesh::transport
