#pragma once
// Connection: a SecureChannel multiplexed by a yamux::Session, and Stream,
// one multiplexed stream. The pipeline in types:
//
//   tcp::socket --(mss /noise, Noise XX)--> SecureChannel (knows the PeerId)
//               --(mss /yamux/1.0.0)------> Connection --> Stream
//
// upgrade.hpp composes the steps; Host owns the connections.
//
// Threading: a Connection and its Streams belong to one executor (the
// node's). Each connection runs three coroutines: the read loop (decrypt,
// feed the session, wake streams), the write loop (one write in flight,
// drains the session's output in the session's order: control frames first,
// then data frames by stream in turns, bulk traffic last; a bounded amount per
// write while the kernel still holds unsent bytes) and keep-alive (yamux
// ping; two missed intervals close the connection). Stream operations are
// awaitables that wait on the session's flow control; a stream's writer also
// waits while its own queued data is above kStreamBacklog or the connection's
// is above kMaxBacklog, so a slow socket holds writers back instead of
// growing memory, and one stream's backlog does not hold back the others.
//
// Ownership: Host holds shared_ptr<Connection>; a Stream holds its
// Connection (shared_ptr) and the Connection holds its streams weakly.
// Dropping the last Stream handle releases it (a stream not closed both ways
// is reset).

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/multiaddr.hpp"
#include "core/peer_id.hpp"
#include "core/result.hpp"
#include "core/task_reporter.hpp"
#include "transport/secure_channel.hpp"
#include "transport/yamux_session.hpp"

namespace agentmesh::transport {

class Connection;

enum class Direction { inbound, outbound };

class Stream : public std::enable_shared_from_this<Stream> {
 public:
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // Reads what is available (waiting for at least one byte). 0 = the peer
  // closed its side (EOF). stream_reset, connection_closed.
  Task<Result<std::size_t>> read_some(std::span<std::uint8_t> out);
  // Reads exactly out.size() bytes; EOF before that is stream_closed.
  Task<Result<void>> read_exact(std::span<std::uint8_t> out);
  // Writes all of `data`, waiting for send window as needed.
  Task<Result<void>> write(std::span<const std::uint8_t> data);
  // Half-close (FIN): we write no more; reading continues.
  Result<void> close_write();
  // RST: both directions end now.
  void reset();
  // Bytes that belong in front of the stream (multistream leftovers).
  void unread(std::string bytes);

  std::uint32_t id() const { return id_; }
  // The multiplexer's view of this stream (windows, buffered bytes, FINs).
  yamux::Session::StreamState state() const;
  const core::PeerId& peer() const;
  Connection& connection() { return *conn_; }
  const std::string& protocol() const { return protocol_; }
  // Also tags the stream's traffic class (transport/traffic.hpp).
  void set_protocol(std::string p);

 private:
  friend class Connection;
  Stream(std::shared_ptr<Connection> conn, std::uint32_t id);
  void wake();

  std::shared_ptr<Connection> conn_;
  std::uint32_t id_;
  std::string protocol_;
  std::string pushback_;
  std::size_t backlog_;  // queued bytes a writer waits behind (set_protocol)
  boost::asio::steady_timer signal_;  // cancelled on readable/writable/reset/close
};

struct ConnectionStats {
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::size_t open_streams = 0;
  yamux::SessionStats session;
  TrafficTable traffic;
  Pacing pacing;
};

struct TcpSendInfo;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Clock = std::chrono::steady_clock;
  // Called for each stream the peer opens (protocol not negotiated yet).
  using StreamHandler = std::function<void(std::shared_ptr<Stream>)>;
  // Called once when the connection is gone, with the reason.
  using ClosedHandler = std::function<void(std::shared_ptr<Connection>, error_code)>;
  // Called when the peer misbehaved on one stream without losing the
  // connection (a window overrun: that stream was reset).
  using NoticeHandler = std::function<void(const Connection&, std::string_view what)>;

  static constexpr std::size_t kMaxBacklog = 4 * 1024 * 1024;
  static constexpr std::size_t kStreamBacklog = 256 * 1024;
  // A bulk stream's (gossip, replay) writer waits sooner: what waits behind
  // a slow link waits in the layer above, which can drop it when stale
  // (pubsub's per-peer queue), not here, where nothing is ever dropped.
  static constexpr std::size_t kBulkStreamBacklog = 64 * 1024;
  // Pacing (write_loop): both what one write takes from the session and what
  // the kernel may hold unsent (TCP_NOTSENT_LOWAT) are sized to kQueueTarget
  // of the rate the link drains (the bytes the peer acknowledged over the
  // last kRateWindow, or the kernel's delivery rate sample), within
  // [kMinWriteBudget, kFastWriteBudget] (the configured low-water mark until
  // the first measurement): a direct message or an ack queued now waits
  // behind about that much, not behind seconds of gossip, and a fast link
  // still gets large writes. Without a configured mark, no pacing. The
  // scheduling itself is the session's (yamux_session.hpp).
  static constexpr std::size_t kFastWriteBudget = 1024 * 1024;
  static constexpr std::size_t kMinWriteBudget = 2 * 1024;
  static constexpr std::chrono::milliseconds kQueueTarget{50};
  static constexpr std::chrono::milliseconds kRateWindow{200};
  // Bulk traffic (gossip, replay) yields to queues in the path: when the
  // round trip exceeds its minimum by more than kBulkDelayTarget, the rate
  // bulk data may take is cut (to half the drain rate, then by a quarter per
  // window, not below kMinBulkRate, which keeps gossip's own control
  // messages moving); below half the target it grows again by a tenth, and
  // once above twice the drain rate the limit is lifted. Bulk's excess then
  // waits in, and is dropped from, the bounded queue of the layer above
  // (pubsub's per peer), where it is counted, instead of in the network's
  // queues in front of direct messages and acks.
  static constexpr std::chrono::milliseconds kBulkDelayTarget{50};
  static constexpr double kMinBulkRate = 4 * 1024;
  // The rate cut reacts to the smoothed round trip, a second or more late on
  // a slow path; a flood's first seconds would overflow the path's queue (and
  // lose the direct messages caught in it) first. So bulk data also waits
  // while the kernel holds (unsent and unacknowledged) more than the bulk
  // window: kBulkWindowGain x the highest drain rate of the last
  // kBandwidthMemory x the minimum round trip, at least the write budget and
  // kMinBulkWindow. Every connection crossing one bottleneck then queues at
  // most (gain - 1) x its round trip there, however many there are, and a
  // flood grows by the gain per round trip instead of all at once.
  static constexpr double kBulkWindowGain = 1.5;
  static constexpr std::size_t kMinBulkWindow = 4 * 1024;
  static constexpr std::chrono::seconds kBandwidthMemory{10};

  Connection(SecureChannel channel, Direction direction, core::Multiaddr remote_addr, yamux::SessionConfig yamux,
             std::chrono::milliseconds keepalive);
  ~Connection();

  // Starts the loops; `initial` is yamux bytes that arrived with the
  // negotiation.
  // `tasks`: where exceptions that end the connection's coroutines are
  // reported (they also close the connection); may be null.
  void start(std::string initial, StreamHandler on_stream, ClosedHandler on_closed, NoticeHandler on_notice = {},
             std::shared_ptr<core::TaskReporter> tasks = nullptr);
  const std::shared_ptr<core::TaskReporter>& tasks() const { return tasks_; }
  // Opens a yamux stream (no protocol negotiated yet). going_away,
  // too_many_streams, connection_closed.
  Result<std::shared_ptr<Stream>> open_stream();
  // Sends GoAway, flushes, closes the socket. Idempotent.
  void close(error_code reason);
  bool closed() const { return closed_; }
  // The executor the connection's loops run on (the node's).
  boost::asio::any_io_executor executor() { return write_signal_.get_executor(); }

  std::uint64_t id() const { return id_; }
  const core::PeerId& peer() const { return channel_.remote(); }
  // Set when the connection runs through a relay's circuit (that relay).
  std::optional<core::PeerId> relay() const { return channel_.relay(); }
  Direction direction() const { return direction_; }
  const core::Multiaddr& remote_addr() const { return remote_addr_; }
  Clock::time_point opened_at() const { return opened_at_; }
  std::int64_t opened_at_ms() const { return opened_at_ms_; }
  ConnectionStats stats() const;
  // The most recent keep-alive round trip, if any.
  std::optional<std::chrono::microseconds> keepalive_rtt() const { return keepalive_rtt_; }

 private:
  friend class Stream;
  Task<void> read_loop();
  Task<void> write_loop();
  Task<void> keepalive_loop();
  void dispatch(const std::vector<yamux::Event>& events);
  void flush() { write_signal_.cancel(); }
  void finish(error_code reason);
  void forget(std::uint32_t id);
  // Measures the link once per kRateWindow: sets the write budget and the
  // socket's low-water mark (kQueueTarget) and the bulk rate (kBulkDelayTarget);
  // refills the bulk allowance.
  void pace();
  // Once per kRateWindow (pace()).
  void measure(const TcpSendInfo& info, Clock::time_point now);
  // Bulk bytes the next write may take (SIZE_MAX: no limit).
  std::size_t bulk_allowance() const;
  // How long a writer with only bulk data and no allowance waits.
  std::chrono::microseconds bulk_wait() const;
  void set_unsent_limit(int bytes);

  static std::uint64_t next_id();

  std::uint64_t id_;
  SecureChannel channel_;
  Direction direction_;
  core::Multiaddr remote_addr_;
  yamux::Session session_;
  std::chrono::milliseconds keepalive_;
  Clock::time_point opened_at_;
  std::int64_t opened_at_ms_;

  std::map<std::uint32_t, std::weak_ptr<Stream>> streams_;
  StreamHandler on_stream_;
  ClosedHandler on_closed_;
  NoticeHandler on_notice_;
  std::shared_ptr<core::TaskReporter> tasks_;
  boost::asio::steady_timer write_signal_;  // cancelled when output is queued
  boost::asio::steady_timer drained_;       // cancelled when output was written
  boost::asio::steady_timer keepalive_timer_;
  std::string pending_input_;
  bool closing_ = false;
  bool closed_ = false;
  error_code close_reason_;
  int loops_ = 0;  // read + write loops still running

  // Pacing state (pace()).
  int max_unsent_ = 0;      // the low-water mark the host configured (0: none)
  Clock::time_point rate_since_{};
  std::uint64_t rate_acked_ = 0;  // the peer's acknowledged bytes when the window began
  double bulk_tokens_ = 0;
  Clock::time_point bulk_refill_at_{};
  // The drain rate of each of the last kBandwidthMemory / kRateWindow windows.
  std::array<double, kBandwidthMemory / kRateWindow> drain_history_{};
  std::size_t drain_next_ = 0;
  double best_drain_rate_ = 0;  // the highest of drain_history_ (measure())
  std::uint32_t min_rtt_us_ = 0;
  Pacing pacing_{.write_budget = kFastWriteBudget};

  std::optional<std::uint32_t> ping_outstanding_;
  Clock::time_point ping_sent_;
  std::optional<std::chrono::microseconds> keepalive_rtt_;
};

}  // namespace agentmesh::transport
