// Service: topic replay (/agentmesh/topic-replay/1.0.0, wire/replay.hpp).
// Serving what we retained, and asking a peer for what we missed.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "pubsub/error.hpp"
#include "pubsub/service.hpp"
#include "transport/connection.hpp"
#include "transport/stream_io.hpp"
#include "wire/replay.hpp"
#include "core/bytes.hpp"

namespace agentmesh::pubsub {

namespace asio = boost::asio;

namespace {
// A batch holds at most this many bytes of messages (well under max_rpc_bytes
// unless one message alone is larger).
constexpr std::size_t kBatchBytes = 256 * 1024;

std::uint64_t wall_ms() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

using core::bytes_of;
}  // namespace

void Service::retain(const wire::pubsub::Message& message) {
  if (!message.topic) return;
  const auto now = wall_ms();
  replay_.expire(now);
  replay_.put(message, now);
}

Task<void> Service::serve_replay(std::shared_ptr<transport::Stream> stream) {
  auto self = shared_from_this();
  transport::LpReader reader(*stream);
  auto raw = co_await reader.read(wire::replay::kMaxRequestBytes);
  if (!raw) {
    ++stats_.replay_invalid;
    stream->reset();
    co_return;
  }
  auto request = wire::replay::decode_request(bytes_of(*raw), config_.limits);
  if (!request) {
    ++stats_.replay_invalid;
    log_->debug("bad topic replay request from {}: {}", stream->peer().to_string(), request.error().message());
    stream->reset();
    co_return;
  }
  ++stats_.replays_served;
  replay_.expire(wall_ms());
  // Only topics we are in: what we retained is what we received as a member.
  std::vector<ReplayBuffer::Entry> entries;
  if (router_.is_joined(request->topic)) entries = replay_.since(request->topic, request->since_ms, request->max_messages);
  wire::replay::Batch batch;
  std::size_t batch_bytes = 0;
  auto flush = [&]() -> Task<bool> {
    if (batch.rpc.publish.empty()) co_return true;
    const auto encoded = wire::replay::encode(batch);
    stats_.replay_messages_sent += batch.rpc.publish.size();
    batch = {};
    batch_bytes = 0;
    auto w = co_await transport::write_lp(*stream, encoded);
    co_return w.has_value();
  };
  for (const auto& e : entries) {
    if (batch_bytes > 0 && batch_bytes + e.bytes > kBatchBytes) {
      if (!co_await flush()) co_return;
    }
    batch.received_ms.push_back(e.received_ms);
    batch.rpc.publish.push_back(*e.message);
    batch_bytes += e.bytes;
  }
  if (!co_await flush()) co_return;
  (void)stream->close_write();
}

Task<Result<ReplayResult>> Service::replay_from(core::PeerId peer, std::string topic, std::uint64_t since_ms,
                                                ReplayHandler on_message) {
  auto self = shared_from_this();
  ++stats_.replays_requested;
  std::vector<std::string> protocols{std::string(wire::replay::kProtocol)};
  auto stream = co_await host_.new_stream(peer, std::move(protocols));
  if (!stream) co_return stream.error();
  auto s = *stream;
  // A server that stops answering is cut off.
  auto deadline = std::make_shared<asio::steady_timer>(ex_, config_.replay_timeout);
  deadline->async_wait([s](boost::system::error_code ec) {
    if (!ec) s->reset();
  });
  ReplayResult result;
  wire::replay::Request request;
  request.topic = topic;
  request.since_ms = since_ms;
  const auto encoded = wire::replay::encode(request);
  auto w = co_await transport::write_lp(*s, encoded);
  if (w) w = s->close_write();
  transport::LpReader reader(*s);
  Result<void> outcome = w;
  while (outcome) {
    auto raw = co_await reader.read(config_.limits.max_rpc_bytes);
    if (!raw) {
      if (!reader.eof()) outcome = raw.error();
      break;
    }
    auto batch = wire::replay::decode_batch(bytes_of(*raw), config_.limits);
    if (!batch) {
      ++stats_.replay_invalid;
      s->reset();
      outcome = batch.error();
      break;
    }
    for (std::size_t i = 0; i < batch->rpc.publish.size(); ++i) {
      const auto& m = batch->rpc.publish[i];
      ++result.received;
      if (!m.topic || *m.topic != topic) {
        ++result.invalid;
        continue;
      }
      auto accepted = router_.accept_replayed(peer, m, now());
      if (!accepted) {
        if (accepted.error() == make_error_code(error::duplicate)) {
          ++result.duplicates;
        } else {
          ++result.invalid;
        }
        continue;
      }
      ++result.accepted;
      retain(m);  // so we can serve it on in turn
      if (on_message) on_message(message_id(m), m, *accepted, batch->received_ms[i]);
    }
  }
  deadline->cancel();
  stats_.replay_messages_received += result.received;
  if (!outcome) co_return outcome.error();
  co_return result;
}

}  // namespace agentmesh::pubsub
