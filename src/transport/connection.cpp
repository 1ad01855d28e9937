#include "transport/connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include "core/spawn.hpp"
#include <boost/asio/use_awaitable.hpp>
#include <atomic>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "crypto/crypto.hpp"
#include "transport/error.hpp"
#include "transport/tcp_info.hpp"
#include "core/awaitable.hpp"
#include "core/bytes.hpp"

namespace agentmesh::transport {

namespace asio = boost::asio;

namespace {

using core::kTuple;
constexpr auto kForever = std::chrono::steady_clock::time_point::max();
constexpr std::chrono::seconds kCloseGrace{2};

using core::bytes_of;

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

// --- Stream ---

Stream::Stream(std::shared_ptr<Connection> conn, std::uint32_t id)
    : conn_(std::move(conn)),
      id_(id),
      backlog_(Connection::kStreamBacklog),
      signal_(conn_->channel_.socket().get_executor(), kForever) {}

Stream::~Stream() {
  conn_->session_.release(id_);
  conn_->forget(id_);
  conn_->flush();
}

const core::PeerId& Stream::peer() const { return conn_->peer(); }

yamux::Session::StreamState Stream::state() const { return conn_->session_.stream(id_); }

void Stream::wake() { signal_.cancel(); }

void Stream::unread(std::string bytes) { pushback_.insert(0, bytes); }

Task<Result<std::size_t>> Stream::read_some(std::span<std::uint8_t> out) {
  if (out.empty()) co_return std::size_t{0};
  if (!pushback_.empty()) {
    const std::size_t n = std::min(out.size(), pushback_.size());
    std::memcpy(out.data(), pushback_.data(), n);
    pushback_.erase(0, n);
    co_return n;
  }
  for (;;) {
    auto n = conn_->session_.read(id_, out);
    if (!n) co_return n.error();
    if (*n > 0) {
      conn_->flush();  // a window update may be queued
      co_return *n;
    }
    const auto state = conn_->session_.stream(id_);
    if (state.eof) co_return std::size_t{0};
    if (conn_->closed_) co_return make_error_code(error::connection_closed);
    co_await signal_.async_wait(kTuple);
  }
}

Task<Result<void>> Stream::read_exact(std::span<std::uint8_t> out) {
  while (!out.empty()) {
    auto n = co_await read_some(out);
    if (!n) co_return n.error();
    if (*n == 0) co_return make_error_code(error::stream_closed);
    out = out.subspan(*n);
  }
  co_return Result<void>{};
}

Task<Result<void>> Stream::write(std::span<const std::uint8_t> data) {
  while (!data.empty()) {
    if (conn_->closed_ || conn_->closing_) co_return make_error_code(error::connection_closed);
    if (conn_->session_.queued(id_) >= backlog_ ||
        conn_->session_.output_size() >= Connection::kMaxBacklog) {
      co_await conn_->drained_.async_wait(kTuple);
      continue;
    }
    auto n = conn_->session_.write(id_, data);
    if (!n) co_return n.error();
    if (*n > 0) {
      data = data.subspan(*n);
      conn_->flush();
      continue;
    }
    co_await signal_.async_wait(kTuple);
  }
  co_return Result<void>{};
}

Result<void> Stream::close_write() {
  auto r = conn_->session_.close_write(id_);
  conn_->flush();
  return r;
}

void Stream::set_protocol(std::string p) {
  const auto traffic = traffic_of(p);
  conn_->session_.set_traffic(id_, traffic);
  backlog_ = is_bulk(traffic) ? Connection::kBulkStreamBacklog : Connection::kStreamBacklog;
  protocol_ = std::move(p);
}

void Stream::reset() {
  conn_->session_.reset(id_);
  conn_->flush();
  wake();
}

// --- Connection ---

std::uint64_t Connection::next_id() {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

Connection::Connection(SecureChannel channel, Direction direction, core::Multiaddr remote_addr,
                       yamux::SessionConfig yamux, std::chrono::milliseconds keepalive)
    : id_(next_id()),
      channel_(std::move(channel)),
      direction_(direction),
      remote_addr_(std::move(remote_addr)),
      session_(direction == Direction::outbound ? yamux::Role::client : yamux::Role::server, yamux),
      keepalive_(keepalive),
      opened_at_(Clock::now()),
      opened_at_ms_(wall_ms()),
      write_signal_(channel_.socket().get_executor(), kForever),
      drained_(channel_.socket().get_executor(), kForever),
      keepalive_timer_(channel_.socket().get_executor()) {}

Connection::~Connection() = default;

void Connection::start(std::string initial, StreamHandler on_stream, ClosedHandler on_closed,
                       NoticeHandler on_notice, std::shared_ptr<core::TaskReporter> tasks) {
  pending_input_ = std::move(initial);
  on_stream_ = std::move(on_stream);
  on_closed_ = std::move(on_closed);
  on_notice_ = std::move(on_notice);
  tasks_ = std::move(tasks);
  // The low-water mark the host set (Host::tune_socket) bounds the pacing;
  // without one (the kernel's default is "none") writes are not paced.
  int lowat = 0;
  socklen_t len = sizeof lowat;
  if (::getsockopt(channel_.socket().native_handle(), IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, &len) == 0 &&
      lowat > 0 && lowat <= static_cast<int>(kFastWriteBudget)) {
    max_unsent_ = pacing_.unsent_limit = lowat;
    pacing_.write_budget = static_cast<std::size_t>(lowat);
  }
  rate_since_ = Clock::now();
  auto self = shared_from_this();
  // An exception ends the connection too (reported, then closed as an I/O
  // error), never silently.
  auto on_error = [self](const std::exception_ptr& e) {
    if (!e) return;
    if (self->tasks_) self->tasks_->failed("p2p_connection", self->peer().to_string(), e);
    self->finish(make_error_code(boost::system::errc::io_error));
  };
  const auto ex = channel_.socket().get_executor();
  asio::co_spawn(ex, [self]() { return self->read_loop(); }, on_error);
  asio::co_spawn(ex, [self]() { return self->write_loop(); }, on_error);
  if (keepalive_.count() > 0) asio::co_spawn(ex, [self]() { return self->keepalive_loop(); }, on_error);
}

Task<void> Connection::read_loop() {
  // Returns false when the session failed (the connection is closing).
  auto feed = [this](std::span<const std::uint8_t> bytes) {
    const auto violations = session_.stats().window_violations;
    auto fed = session_.on_bytes(bytes);
    dispatch(session_.take_events());
    if (session_.stats().window_violations != violations && on_notice_) {
      on_notice_(*this, "window_exceeded: the peer sent more than the stream's window; stream reset");
    }
    if (!fed) {
      flush();
      close(fed.error());
      return false;
    }
    return true;
  };
  if (!pending_input_.empty()) {
    const std::string initial = std::move(pending_input_);
    if (!feed(bytes_of(initial))) co_return;
    flush();
  }
  std::vector<std::span<const std::uint8_t>> frames;
  for (;;) {
    if (closed_) co_return;
    auto r = co_await channel_.read(frames);
    if (!r) {
      finish(r.error());
      co_return;
    }
    for (const auto& f : frames) {
      if (!feed(f)) co_return;
    }
    flush();
  }
}

Task<void> Connection::write_loop() {
  std::string out;
  for (;;) {
    if (closed_) co_return;
    if (session_.has_output()) {
      pace();
      const auto allowance = bulk_allowance();
      if (allowance == 0 && !session_.has_interactive_output()) {
        // Only bulk data is queued and its allowance is spent: wait for the
        // refill (or for other output: flush() ends the wait).
        write_signal_.expires_after(bulk_wait());
        co_await write_signal_.async_wait(kTuple);
        write_signal_.expires_at(kForever);
        continue;
      }
      bulk_tokens_ -= static_cast<double>(session_.take_output(out, pacing_.write_budget, allowance));
      auto r = co_await channel_.write(bytes_of(out));
      drained_.cancel();
      if (!r) {
        finish(r.error());
        co_return;
      }
      continue;
    }
    if (closing_) break;
    co_await write_signal_.async_wait(kTuple);
  }
  // Closing and everything (GoAway included) is written.
  channel_.shutdown();
  finish(close_reason_);
}

Task<void> Connection::keepalive_loop() {
  std::uint32_t next_value = 1;
  while (!closed_) {
    keepalive_timer_.expires_after(keepalive_);
    co_await keepalive_timer_.async_wait(kTuple);
    if (closed_ || closing_) co_return;
    const auto now = Clock::now();
    if (ping_outstanding_) {
      if (now - ping_sent_ >= 2 * keepalive_) {
        close(make_error_code(error::timeout));
        co_return;
      }
      continue;
    }
    ping_outstanding_ = next_value++;
    ping_sent_ = now;
    session_.ping(*ping_outstanding_);
    flush();
  }
}

void Connection::dispatch(const std::vector<yamux::Event>& events) {
  for (const auto& e : events) {
    switch (e.kind) {
      case yamux::Event::Kind::inbound_stream: {
        std::shared_ptr<Stream> stream(new Stream(shared_from_this(), e.stream));
        streams_[e.stream] = stream;
        if (on_stream_ && !closing_) {
          on_stream_(std::move(stream));
        } else {
          stream->reset();
        }
        break;
      }
      case yamux::Event::Kind::readable:
      case yamux::Event::Kind::writable:
      case yamux::Event::Kind::reset:
        if (auto it = streams_.find(e.stream); it != streams_.end()) {
          if (auto s = it->second.lock()) s->wake();
        }
        break;
      case yamux::Event::Kind::ping_ack:
        if (ping_outstanding_ && *ping_outstanding_ == e.value) {
          keepalive_rtt_ = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - ping_sent_);
          ping_outstanding_.reset();
        }
        break;
      case yamux::Event::Kind::go_away:
        break;  // open_stream() now fails; open streams carry on
    }
  }
}

Result<std::shared_ptr<Stream>> Connection::open_stream() {
  if (closed_ || closing_) return make_error_code(error::connection_closed);
  auto id = session_.open_stream();
  if (!id) return id.error();
  std::shared_ptr<Stream> stream(new Stream(shared_from_this(), *id));
  streams_[*id] = stream;
  flush();
  return stream;
}

void Connection::close(error_code reason) {
  if (closing_ || closed_) return;
  closing_ = true;
  close_reason_ = reason;
  session_.go_away(yamux::GoAwayCode::normal);
  flush();
  // A peer that does not read cannot hold the socket open past the grace.
  auto self = shared_from_this();
  core::spawn(channel_.socket().get_executor(), tasks_, "p2p_close", peer().to_string(), [self]() -> Task<void> {
    asio::steady_timer grace(self->channel_.socket().get_executor(), kCloseGrace);
    co_await grace.async_wait(kTuple);
    self->finish(self->close_reason_);
  });
}

void Connection::finish(error_code reason) {
  if (closed_) return;
  closed_ = true;
  if (!close_reason_) close_reason_ = reason;
  channel_.close();
  write_signal_.cancel();
  drained_.cancel();
  keepalive_timer_.cancel();
  for (auto& [id, weak] : streams_) {
    if (auto s = weak.lock()) s->wake();
  }
  if (auto handler = std::move(on_closed_)) handler(shared_from_this(), close_reason_);
}

void Connection::forget(std::uint32_t id) { streams_.erase(id); }

ConnectionStats Connection::stats() const {
  return {.bytes_in = channel_.bytes_in(),
          .bytes_out = channel_.bytes_out(),
          .open_streams = session_.open_streams(),
          .session = session_.stats(),
          .traffic = session_.traffic(),
          .pacing = pacing_};
}

void Connection::pace() {
  if (max_unsent_ == 0) return;  // pacing off
  const auto now = Clock::now();
  if (pacing_.bulk_rate > 0) {
    const double dt = std::chrono::duration<double>(now - bulk_refill_at_).count();
    const double window_s = std::chrono::duration<double>(kRateWindow).count();
    const double burst = pacing_.bulk_rate * window_s + yamux::Session::kMinSplit;
    bulk_tokens_ = std::min(bulk_tokens_ + pacing_.bulk_rate * dt, burst);
  }
  bulk_refill_at_ = now;
  const bool window_due = now - rate_since_ >= kRateWindow;
  // The bulk window limits only bulk data: without any queued, the kernel is
  // asked once per rate window, not on every write of a direct message.
  if (!window_due && !session_.has_bulk_output()) return;
  TcpSendInfo info;
  if (!read_tcp_send_info(channel_.socket().native_handle(), info)) return;
  pacing_.in_flight = static_cast<std::size_t>(info.unacked_bytes + info.notsent_bytes);
  if (window_due) measure(info, now);
  // The bulk window, from the latest sample too: a flood starting on an idle
  // connection grows by the gain per round trip from what it measures.
  const double bandwidth = std::max(best_drain_rate_, static_cast<double>(info.delivery_rate));
  const auto bdp = static_cast<std::size_t>(kBulkWindowGain * bandwidth * info.min_rtt_us / 1e6);
  pacing_.bulk_window = std::max({kMinBulkWindow, pacing_.write_budget, bdp});
  min_rtt_us_ = info.min_rtt_us;
}

void Connection::measure(const TcpSendInfo& info, Clock::time_point now) {
  // The rate the link drains: what the peer acknowledged over the window, or
  // the kernel's own latest sample when higher (a window that was partly idle
  // under-measures). What we handed over is no measure: the kernel takes
  // whatever fits under the low-water mark at once.
  const double seconds = std::chrono::duration<double>(now - rate_since_).count();
  const double acked_per_s = static_cast<double>(info.bytes_acked - rate_acked_) / seconds;
  const double per_s = std::max(acked_per_s, static_cast<double>(info.delivery_rate));
  pacing_.drain_rate = per_s;
  drain_history_[drain_next_++ % drain_history_.size()] = per_s;
  best_drain_rate_ = *std::max_element(drain_history_.begin(), drain_history_.end());
  const auto target = static_cast<std::size_t>(per_s * std::chrono::duration<double>(kQueueTarget).count());
  pacing_.write_budget = std::clamp(target, kMinWriteBudget, kFastWriteBudget);
  set_unsent_limit(static_cast<int>(pacing_.write_budget));
  rate_since_ = now;
  rate_acked_ = info.bytes_acked;
  // Bulk yields to a queue in the path (LEDBAT's idea, per connection): the
  // round trip above its minimum is time our packets wait in some queue.
  const std::chrono::microseconds queue_delay(info.rtt_us > info.min_rtt_us ? info.rtt_us - info.min_rtt_us : 0);
  pacing_.queue_delay_ms = static_cast<double>(queue_delay.count()) / 1000;
  if (queue_delay > kBulkDelayTarget) {
    pacing_.bulk_rate = pacing_.bulk_rate == 0 ? per_s / 2 : pacing_.bulk_rate * 0.75;
    pacing_.bulk_rate = std::max(pacing_.bulk_rate, kMinBulkRate);
    if (bulk_tokens_ > 0) bulk_tokens_ = 0;
    ++pacing_.bulk_throttled;
  } else if (pacing_.bulk_rate > 0 && queue_delay < kBulkDelayTarget / 2) {
    pacing_.bulk_rate += std::max(kMinBulkRate, pacing_.bulk_rate / 10);
    if (pacing_.bulk_rate > 2 * per_s) pacing_.bulk_rate = 0;  // the link has room again: no limit
  }
}

std::size_t Connection::bulk_allowance() const {
  std::size_t allowance = SIZE_MAX;
  if (pacing_.bulk_rate > 0) allowance = bulk_tokens_ > 0 ? static_cast<std::size_t>(bulk_tokens_) : 0;
  if (pacing_.bulk_window > 0) {
    const auto room = pacing_.bulk_window > pacing_.in_flight ? pacing_.bulk_window - pacing_.in_flight : 0;
    allowance = std::min(allowance, room);
  }
  return allowance;
}

std::chrono::microseconds Connection::bulk_wait() const {
  using std::chrono::microseconds;
  if (pacing_.bulk_rate > 0 && bulk_tokens_ < static_cast<double>(yamux::Session::kMinSplit)) {
    // Until the rate refills enough for one frame.
    const double wait_s = (yamux::Session::kMinSplit - bulk_tokens_) / pacing_.bulk_rate;
    return microseconds(static_cast<std::int64_t>(wait_s * 1e6) + 1000);
  }
  // The window: until acknowledgements free a frame's worth of it at the
  // rate the link drains (the kernel does not say when they arrive), at most
  // a round trip.
  const double excess = static_cast<double>(pacing_.in_flight + yamux::Session::kMinSplit) -
                        static_cast<double>(pacing_.bulk_window);
  const double wait_us = std::max(excess, 0.0) / std::max(pacing_.drain_rate, kMinBulkRate) * 1e6;
  const auto longest = std::max(microseconds(min_rtt_us_), microseconds(1000));
  return std::clamp(microseconds(static_cast<std::int64_t>(wait_us)), microseconds(1000), longest);
}

void Connection::set_unsent_limit(int bytes) {
  if (bytes <= 0 || bytes == pacing_.unsent_limit) return;
  if (::setsockopt(channel_.socket().native_handle(), IPPROTO_TCP, TCP_NOTSENT_LOWAT, &bytes, sizeof bytes) == 0) {
    pacing_.unsent_limit = bytes;
  }
}


}  // namespace agentmesh::transport
