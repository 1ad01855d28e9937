#include "pubsub/service.hpp"

#include <boost/asio/as_tuple.hpp>
#include "core/spawn.hpp"
#include <boost/asio/post.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/pressure.hpp"
#include "core/varint.hpp"
#include "transport/connection.hpp"
#include "transport/error.hpp"
#include "transport/stream_io.hpp"
#include "wire/replay.hpp"
#include "core/awaitable.hpp"

namespace agentmesh::pubsub {

namespace asio = boost::asio;

namespace {
using core::kTuple;
constexpr auto kForever = std::chrono::steady_clock::time_point::max();
// js-libp2p ticks its first heartbeat after 100 ms.
constexpr std::chrono::milliseconds kFirstHeartbeat{100};
// Queued RPCs written together per write (see write_loop).
constexpr std::size_t kMaxBatchBytes = 256 * 1024;
// The IP text of an /ip4 or /ip6 address (for IP colocation scoring).
std::string ip_of(const core::Multiaddr& addr) {
  const auto& c = addr.components();
  if (c.empty()) return {};
  boost::system::error_code ec;
  if (c[0].protocol == core::MultiaddrProtocol::ip4 && c[0].value.size() == 4) {
    asio::ip::address_v4::bytes_type b{};
    std::copy(c[0].value.begin(), c[0].value.end(), b.begin());
    return asio::ip::address_v4(b).to_string();
  }
  if (c[0].protocol == core::MultiaddrProtocol::ip6 && c[0].value.size() == 16) {
    asio::ip::address_v6::bytes_type b{};
    std::copy(c[0].value.begin(), c[0].value.end(), b.begin());
    return asio::ip::address_v6(b).to_string();
  }
  return {};
}
}  // namespace

struct Service::Link {
  explicit Link(Executor ex) : signal(ex, kForever) {}
  struct Queued {
    std::string rpc;  // encoded
    std::chrono::steady_clock::time_point expires;
  };
  std::shared_ptr<transport::Stream> out;
  std::deque<Queued> queue;
  std::size_t queued_bytes = 0;
  std::uint64_t dropped = 0;
  asio::steady_timer signal;  // cancelled when the queue grows or the link closes
  bool closed = false;
  core::PressureGate pressure;
};

std::shared_ptr<Service> Service::create(Executor ex, transport::Host& host, const crypto::SigningKey& key,
                                         ServiceConfig config, std::shared_ptr<spdlog::logger> log) {
  return std::shared_ptr<Service>(new Service(std::move(ex), host, key, std::move(config), std::move(log)));
}

Service::Service(Executor ex, transport::Host& host, const crypto::SigningKey& key, ServiceConfig config,
                 std::shared_ptr<spdlog::logger> log)
    : ex_(ex),
      host_(host),
      key_(key),
      config_(std::move(config)),
      log_(std::move(log)),
      router_(host.peer_id(), config_.gossip,
              [this](const core::PeerId& to, wire::pubsub::Rpc rpc) { enqueue(to, std::move(rpc)); },
              std::random_device{}()),
      replay_(config_.replay),
      heartbeat_timer_(ex) {
  // Like js-libp2p v3: a random start, then +1 per message.
  std::array<std::uint8_t, 8> r{};
  crypto::random_bytes(r);
  next_seqno_ = 0;
  for (auto b : r) next_seqno_ = (next_seqno_ << 8) | b;
}

void Service::start() {
  std::weak_ptr<Service> weak = shared_from_this();
  auto handler = [weak](std::shared_ptr<transport::Stream> s) -> Task<void> {
    auto self = weak.lock();
    if (!self) co_return;
    co_await self->read_inbound(std::move(s));
  };
  host_.set_handler(std::string(wire::pubsub::kMeshsub11), handler);
  host_.set_handler(std::string(wire::pubsub::kMeshsub10), handler);
  host_.set_handler(std::string(wire::replay::kProtocol), [weak](std::shared_ptr<transport::Stream> s) -> Task<void> {
    auto self = weak.lock();
    if (!self) co_return;
    co_await self->serve_replay(std::move(s));
  });
  // Peer exchange: we forward the signed peer records peers sent us in
  // identify; offered peers with a record that holds are dialed (once, not
  // kept wanted); offered ids without one are left alone (no address).
  router_.set_px_record([weak](const core::PeerId& peer) -> std::optional<std::string> {
    auto self = weak.lock();
    if (!self) return std::nullopt;
    return self->host_.signed_record(peer);
  });
  router_.set_on_px([weak](const core::PeerId& from, const std::vector<wire::pubsub::PrunePeer>& peers) {
    auto self = weak.lock();
    if (!self || self->stopped_) return;
    for (const auto& p : peers) {
      auto peer = core::PeerId::from_multihash(
          {reinterpret_cast<const std::uint8_t*>(p.peer_id.data()), p.peer_id.size()});
      if (!peer || *peer == self->host_.peer_id() || self->host_.connected(*peer) || p.signed_peer_record.empty()) {
        continue;
      }
      auto dial = [weak, peer = *peer, record = p.signed_peer_record, from]() -> Task<void> {
        auto s = weak.lock();
        if (!s) co_return;
        auto r = co_await s->host_.dial_record(peer, record);
        if (!r) s->log_->debug("peer exchange from {}: dialing {} failed: {}", from.to_string(), peer.to_string(),
                               r.error().message());
      };
      core::spawn(self->ex_, self->host_.tasks(), "pubsub_px_dial", peer->to_string(), dial);
    }
  });
  transport::Host::Observer observer;
  observer.connected = [weak](const transport::PeerInfo& info) {
    if (auto self = weak.lock()) self->peer_connected(info);
  };
  observer.disconnected = [weak](const core::PeerId& peer) {
    if (auto self = weak.lock()) self->peer_gone(peer);
  };
  host_.add_observer(std::move(observer));
  heartbeat_timer_.expires_after(kFirstHeartbeat);
  core::spawn(ex_, host_.tasks(), "pubsub_heartbeat", {}, heartbeat_loop());
}

void Service::stop() {
  stopped_ = true;
  heartbeat_timer_.cancel();
  for (auto& [peer, link] : links_) {
    link->closed = true;
    link->signal.cancel();
  }
  links_.clear();
}

void Service::peer_connected(const transport::PeerInfo& info) {
  if (stopped_) return;
  if (auto old = links_.find(info.peer); old != links_.end()) {  // a replaced duplicate connection
    old->second->closed = true;
    old->second->signal.cancel();
    links_.erase(old);
    router_.remove_peer(info.peer, now());
  }
  auto link = std::make_shared<Link>(ex_);
  links_[info.peer] = link;
  router_.add_peer(info.peer, info.outbound, now(), ip_of(info.remote_addr));  // its first RPC is never dropped
  core::spawn(ex_, host_.tasks(), "pubsub_outbound", info.peer.to_string(), open_outbound(info.peer, link));
}

void Service::peer_gone(const core::PeerId& peer) {
  auto it = links_.find(peer);
  if (it == links_.end()) return;
  it->second->closed = true;
  it->second->signal.cancel();
  links_.erase(it);
  router_.remove_peer(peer, now());
}

void Service::enqueue(const core::PeerId& peer, wire::pubsub::Rpc rpc) {
  auto it = links_.find(peer);
  if (it == links_.end()) return;
  auto& link = *it->second;
  const bool messages = !rpc.publish.empty() || !rpc.encoded_publish.empty();
  const bool other = !rpc.subscriptions.empty() || !rpc.control.empty();
  if (messages && other) {
    // Control and subscriptions must not expire with the messages.
    wire::pubsub::Rpc rest;
    rest.subscriptions = std::move(rpc.subscriptions);
    rest.control = std::move(rpc.control);
    rpc.subscriptions.clear();
    rpc.control = {};
    enqueue(peer, std::move(rest));
  }
  const auto now = std::chrono::steady_clock::now();
  auto encoded = wire::pubsub::encode(rpc);
  if (link.queue.size() >= config_.max_queued_rpcs ||
      (!link.queue.empty() && link.queued_bytes + encoded.size() > config_.max_queued_bytes)) {
    ++stats_.rpcs_dropped;
    ++link.dropped;
    return;
  }
  link.queued_bytes += encoded.size();
  link.queue.push_back({std::move(encoded),
                        messages ? now + config_.max_message_wait : std::chrono::steady_clock::time_point::max()});
  stats_.max_queued = std::max(stats_.max_queued, link.queue.size());
  switch (link.pressure.check(link.queue.size(), config_.max_queued_rpcs, now)) {
    case core::PressureGate::Level::info:
      log_->info("gossipsub queue to {} is over half full ({} of {})", peer.to_string(), link.queue.size(),
                 config_.max_queued_rpcs);
      break;
    case core::PressureGate::Level::warn:
      log_->warn("gossipsub queue to {} is over 80% full ({} of {}; {} dropped so far)", peer.to_string(),
                 link.queue.size(), config_.max_queued_rpcs, stats_.rpcs_dropped);
      break;
    case core::PressureGate::Level::none:
      break;
  }
  link.signal.cancel();
}

Task<void> Service::open_outbound(core::PeerId peer, std::shared_ptr<Link> link) {
  auto self = shared_from_this();
  std::vector<std::string> protocols{std::string(wire::pubsub::kMeshsub11), std::string(wire::pubsub::kMeshsub10)};
  auto stream = co_await host_.new_stream(peer, std::move(protocols));
  if (link->closed) co_return;
  if (!stream) {
    log_->debug("no gossipsub with {}: {}", peer.to_string(), stream.error().message());
    peer_gone(peer);
    co_return;
  }
  link->out = *stream;
  co_await write_loop(peer, link);
}

Task<void> Service::write_loop(core::PeerId peer, std::shared_ptr<Link> link) {
  while (!link->closed) {
    if (link->queue.empty()) {
      co_await link->signal.async_wait(kTuple);
      continue;
    }
    // Everything queued goes out in one write (one yamux frame, one Noise
    // frame, one syscall), up to kMaxBatchBytes: under load a forwarded
    // message then costs a copy instead of its own frame and system call.
    // One turn of the event loop first, so RPCs from handlers already due
    // (the rest of a batch of pipelined publishes, of a read of several
    // frames) join this write.
    co_await asio::post(ex_, asio::use_awaitable);
    if (link->closed) co_return;
    drop_expired(*link);
    if (link->queue.empty()) continue;
    std::size_t bytes = 0;
    for (const auto& q : link->queue) {
      if (bytes > kMaxBatchBytes) break;
      bytes += q.rpc.size() + 10;
    }
    std::string batch;
    batch.reserve(bytes);
    std::size_t count = 0;
    while (!link->queue.empty() && (count == 0 || batch.size() + link->queue.front().rpc.size() <= kMaxBatchBytes)) {
      core::append_lp(batch, link->queue.front().rpc);
      link->queued_bytes -= link->queue.front().rpc.size();
      link->queue.pop_front();
      ++count;
    }
    auto w = co_await link->out->write({reinterpret_cast<const std::uint8_t*>(batch.data()), batch.size()});
    if (!w) {
      log_->debug("gossipsub stream to {} failed: {}", peer.to_string(), w.error().message());
      link->out->reset();
      if (!link->closed) peer_gone(peer);
      co_return;
    }
    stats_.rpcs_out += count;
  }
}

void Service::drop_expired(Link& link) {
  const auto now = std::chrono::steady_clock::now();
  // Messages expire in the order they were queued (one wait for all), so
  // the scan ends at the first that has not; control never expires.
  std::uint64_t expired = 0;
  for (auto q = link.queue.begin(); q != link.queue.end();) {
    if (q->expires == std::chrono::steady_clock::time_point::max()) {
      ++q;
      continue;
    }
    if (q->expires >= now) break;
    link.queued_bytes -= q->rpc.size();
    q = link.queue.erase(q);
    ++expired;
  }
  stats_.rpcs_expired += expired;
  stats_.rpcs_dropped += expired;
  link.dropped += expired;
}

Task<void> Service::read_inbound(std::shared_ptr<transport::Stream> stream) {
  auto self = shared_from_this();
  const auto peer = stream->peer();
  transport::LpReader reader(*stream);
  for (;;) {
    auto msg = co_await reader.read(config_.limits.max_rpc_bytes);
    if (!msg) {
      if (!reader.eof()) {
        ++stats_.rpcs_invalid;
        log_->debug("gossipsub stream from {}: {}", peer.to_string(), msg.error().message());
        stream->reset();
      }
      co_return;
    }
    // Messages seen already (most copies in a mesh) are counted and skipped
    // by the decoder instead of being copied out.
    const auto keep = [this, &peer](const wire::pubsub::MessageView& m) { return !router_.drop_seen(peer, m); };
    auto rpc = wire::pubsub::decode({reinterpret_cast<const std::uint8_t*>(msg->data()), msg->size()}, config_.limits,
                                    keep);
    if (!rpc) {
      ++stats_.rpcs_invalid;
      log_->warn("malformed gossipsub RPC from {}: {}; stream reset", peer.to_string(), rpc.error().message());
      stream->reset();
      co_return;
    }
    ++stats_.rpcs_in;
    if (stopped_) co_return;
    router_.on_rpc(peer, *rpc, now());
  }
}

Task<void> Service::heartbeat_loop() {
  auto self = shared_from_this();
  for (;;) {
    auto [ec] = co_await heartbeat_timer_.async_wait(kTuple);
    if (ec || stopped_) co_return;
    router_.heartbeat(now());
    heartbeat_timer_.expires_after(config_.gossip.heartbeat);
  }
}

void Service::join(const std::string& topic) { router_.join(topic, now()); }

void Service::leave(const std::string& topic) { router_.leave(topic, now()); }

Result<PublishResult> Service::publish(const std::string& topic, std::string data) {
  wire::pubsub::Message m;
  m.topic = topic;
  m.data = std::move(data);
  sign(m, key_, next_seqno_++);
  auto peers = router_.publish(m, now());
  if (!peers) return peers.error();
  if (router_.is_joined(topic)) retain(m);
  return PublishResult{message_id(m), *peers};
}

ServiceStats Service::stats() const {
  ServiceStats s = stats_;
  s.queued = 0;
  s.peers = 0;
  s.retained = replay_.size();
  s.retained_bytes = replay_.bytes();
  for (const auto& [peer, link] : links_) {
    s.queued += link->queue.size();
    if (link->out) ++s.peers;
    s.links.push_back({.peer = peer, .queued = link->queue.size(), .queued_bytes = link->queued_bytes,
                       .dropped = link->dropped});
  }
  return s;
}

}  // namespace agentmesh::pubsub
