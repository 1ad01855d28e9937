#pragma once
// The yamux session (/yamux/1.0.0) as a sans-I/O state machine: feed it the
// bytes that arrive (on_bytes), drive it with stream operations, and send
// what take_output() returns. Frame codec: wire/yamux_frame.hpp; protocol
// notes: docs/wire/yamux.md. transport/connection.hpp runs it over Noise.
//
// Streams
//   Ids follow the TCP role: the dialer (client) opens odd ids, the listener
//   (server) even ones; an inbound SYN with our parity, a reused id or an id
//   not above the peer's last one is a protocol violation. We open with a
//   WindowUpdate|SYN and accept an inbound SYN at once with WindowUpdate|ACK
//   (both carry the extra credit when our window is above 256 KiB).
//   close_write() sends FIN (half-close); reset() sends RST. A stream is gone
//   once both sides sent FIN, or after a reset, and the owner released it.
//
// Flow control
//   write() never sends beyond the peer's window (it returns how much it
//   took; 0 means stalled until a writable event). Received data counts
//   against the window we granted; more than that resets the stream
//   (window_exceeded). read() consumes buffered data and grants the window
//   back once half of it has been consumed, so a stream's buffered data never
//   exceeds its window.
//
// Output scheduling
//   Control frames (window updates, pings, GoAway, stream open, accept and
//   reset) go out before any data, so flow control and liveness never wait
//   behind a stream's bulk. Data frames (and a stream's FIN, after its data)
//   wait in one queue per stream; take_output() takes them a frame per stream
//   in turn, streams of bulk traffic (transport/traffic.hpp: gossip, replay)
//   only when no other stream has data, except that bulk gets a frame after
//   kBulkPatience takes without one, so it is slowed, never starved. The
//   owner tags each stream with its traffic class (set_traffic); the session
//   keeps queue depths, rates and waits per class (traffic()).
//
// Limits (SessionConfig): inbound streams open at once (more are RST),
// outbound streams awaiting ACK (open_stream fails with too_many_streams),
// and pending control output (ping answers beyond it are dropped, counted).
//
// Errors: on_bytes() fails on a protocol violation; the session then queues a
// GoAway(protocol_error) and is dead: the caller flushes output and closes.
//
// Thread safety: none; one connection owns it on one executor.

#include <cstdint>
#include <deque>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "transport/traffic.hpp"
#include "wire/yamux_frame.hpp"

namespace agentmesh::transport::yamux {

using wire::yamux::GoAwayCode;

enum class Role { client, server };

struct SessionConfig {
  static constexpr std::uint32_t kDefaultReceiveWindow = 1024 * 1024;
  static constexpr std::size_t kDefaultMaxInboundStreams = 512;
  static constexpr std::size_t kDefaultMaxUnackedOutbound = 256;
  static constexpr std::size_t kDefaultMaxFramePayload = 64 * 1024;
  static constexpr std::size_t kDefaultMaxControlBacklog = 1024 * 1024;

  // The receive window we grant each stream (at least 256 KiB, the yamux
  // initial window; more is announced with the SYN or ACK).
  std::uint32_t receive_window = kDefaultReceiveWindow;
  // Streams the peer may have open at once on this connection.
  std::size_t max_inbound_streams = kDefaultMaxInboundStreams;
  // Streams we opened that the peer has not acknowledged yet (ACK backlog).
  std::size_t max_unacked_outbound = kDefaultMaxUnackedOutbound;
  // Largest data frame we queue (take_output splits frames to its budget).
  std::size_t max_frame_payload = kDefaultMaxFramePayload;
  // Output backlog above which ping answers are dropped (a peer that floods
  // pings without reading cannot grow our memory).
  std::size_t max_control_backlog = kDefaultMaxControlBacklog;
};

struct Event {
  enum class Kind {
    inbound_stream,  // the peer opened `stream`
    readable,        // data or FIN arrived on `stream`
    writable,        // `stream` was acknowledged or its send window grew
    reset,           // the peer reset `stream` (or it broke the window)
    ping_ack,        // our ping `value` came back
    go_away,         // the peer will open no more streams; `value` = code
  };
  Kind kind;
  std::uint32_t stream = 0;
  std::uint32_t value = 0;
};

struct SessionStats {
  std::uint64_t streams_opened_in = 0;
  std::uint64_t streams_opened_out = 0;
  std::uint64_t streams_refused = 0;       // inbound SYN over the limit
  std::uint64_t window_stalls = 0;         // write() found no send window
  std::uint64_t window_violations = 0;     // peer overran a window
  std::uint64_t pings_dropped = 0;         // control backlog full
  std::uint64_t frames_in = 0;
  std::uint64_t frames_out = 0;
};

class Session {
 public:
  // Takes without a bulk frame after which bulk data gets one.
  static constexpr std::uint32_t kBulkPatience = 4;
  // The smallest payload a frame is split to when a take's budget is short.
  static constexpr std::size_t kMinSplit = 512;

  // `clock` (monotonic scale) times queue waits; REQUIRES: it outlives the session.
  explicit Session(Role role, SessionConfig config = {}, const core::Clock* clock = nullptr);

  // --- input ---
  // Parses every complete frame in `bytes` (partial frames are buffered).
  // Protocol violations: wire::error::bad_yamux_frame / frame_too_large from
  // the codec, transport::error::protocol_violation. After an error the
  // session is dead (GoAway queued).
  Result<void> on_bytes(std::span<const std::uint8_t> bytes);
  // Events since the last call, in order.
  std::vector<Event> take_events();

  // --- output --- (scheduling: see the top of this file)
  bool has_output() const { return !control_.empty() || data_bytes_ != 0; }
  std::size_t output_size() const { return control_.size() + data_bytes_; }
  // Data bytes stream `id` has queued.
  std::size_t queued(std::uint32_t id) const;
  // Everything queued, in the order it would be sent.
  std::string take_output();
  // Into `into` (cleared first): all control frames, then data frames in
  // turns until `budget` bytes are reached, bulk data only up to
  // `bulk_allowance`; a frame that does not fit is split (at least kMinSplit
  // bytes of payload are taken per frame). Returns the bulk bytes taken.
  std::size_t take_output(std::string& into, std::size_t budget = SIZE_MAX, std::size_t bulk_allowance = SIZE_MAX);
  // Output other than bulk data is queued.
  bool has_interactive_output() const;
  // Bulk data is queued.
  bool has_bulk_output() const { return !turns_[1].empty(); }

  // --- streams ---
  // going_away (either side sent GoAway, or the session is dead) or
  // too_many_streams (ACK backlog full).
  Result<std::uint32_t> open_stream();
  // Queues up to the send window of `data`; returns bytes taken (0 when the
  // window is exhausted: wait for a writable event). stream_closed after
  // close_write(), stream_reset after a reset.
  Result<std::size_t> write(std::uint32_t id, std::span<const std::uint8_t> data);
  // Moves up to out.size() buffered bytes into `out`; 0 with eof() true at the
  // end of the stream; 0 with eof() false means wait for a readable event.
  // stream_reset after a reset.
  Result<std::size_t> read(std::uint32_t id, std::span<std::uint8_t> out);
  Result<void> close_write(std::uint32_t id);
  // Resets the stream (RST); idempotent.
  void reset(std::uint32_t id);
  // The owner is done with the stream. A stream we have not closed for
  // writing is reset; a half-closed one is kept (its incoming data dropped,
  // the window given back) until the peer's FIN or RST, then forgotten.
  void release(std::uint32_t id);

  struct StreamState {
    bool exists = false;
    bool outbound = false;
    bool acked = false;
    bool eof = false;         // remote FIN received and everything read
    bool reset = false;
    bool write_closed = false;
    std::size_t readable = 0;
    std::uint32_t send_window = 0;
  };
  StreamState stream(std::uint32_t id) const;
  std::size_t open_streams() const { return streams_.size(); }
  // What stream `id` carries (untagged: other); data it already queued moves
  // with it.
  void set_traffic(std::uint32_t id, Traffic traffic);
  // Queue figures per traffic class, inbound buffers included.
  const TrafficTable& traffic() const { return traffic_; }

  // --- session ---
  void ping(std::uint32_t value);
  void go_away(GoAwayCode code);
  bool remote_went_away() const { return remote_go_away_; }
  bool dead() const { return dead_; }
  const SessionStats& stats() const { return stats_; }
  Role role() const { return role_; }

 private:
  struct Stream {
    bool outbound = false;
    bool acked = false;          // outbound: peer ACKed; inbound: we ACKed
    bool reset = false;
    bool local_fin = false;
    bool remote_fin = false;
    bool released = false;
    std::uint32_t send_window = wire::yamux::kInitialWindow;
    std::uint32_t recv_window = wire::yamux::kInitialWindow;  // credit the peer still has
    std::uint32_t consumed = 0;  // read since the last window update
    std::string buffer;          // received, not yet read
    std::size_t offset = 0;      // read position in buffer
    Traffic traffic = Traffic::other;
    core::Clock::MonoTime unread_since{};  // arrival of the oldest unread byte
  };
  struct Queued {
    std::string frame;
    core::Clock::MonoTime at;
  };
  struct OutQueue {
    std::deque<Queued> frames;
    std::size_t bytes = 0;
    Traffic traffic = Traffic::other;
  };

  void emit(wire::yamux::FrameType type, std::uint16_t flags, std::uint32_t id, std::uint32_t length,
            std::span<const std::uint8_t> payload = {});
  // Drops the data a reset stream had queued.
  void drop_queued(std::uint32_t id);
  // Drops what the stream received and nobody read.
  void discard_unread(Stream& s);
  // Moves the first `payload` bytes of the front frame's payload into `into`
  // as a frame of their own; false (nothing moved) for a frame with flags.
  bool take_part(OutQueue& q, std::string& into, std::size_t payload, core::Clock::MonoTime now);
  // Moves the front frame of `id`'s queue into `into`, or its first `room`
  // bytes (at least kMinSplit of payload) when it is larger.
  void take_frame(std::uint32_t id, std::string& into, core::Clock::MonoTime now, std::size_t room);
  std::deque<std::uint32_t>& turns(Traffic t) { return turns_[is_bulk(t) ? 1 : 0]; }
  TrafficStats& lane(Traffic t) { return traffic_[static_cast<std::size_t>(t)]; }
  // Handles every complete frame in `in`; `used` = bytes consumed.
  Result<void> parse(std::span<const std::uint8_t> in, std::size_t& used);
  Result<void> on_frame(const wire::yamux::FrameHeader& h, std::span<const std::uint8_t> payload);
  Result<void> on_stream_frame(const wire::yamux::FrameHeader& h, std::span<const std::uint8_t> payload);
  Result<void> fail(error_code ec);
  void maybe_forget(std::uint32_t id);
  bool remote_parity(std::uint32_t id) const;

  Role role_;
  SessionConfig config_;
  const core::Clock* clock_;
  std::string input_;
  std::string control_;  // frames that go first
  std::size_t control_frames_ = 0;
  core::Clock::MonoTime control_since_{};
  std::map<std::uint32_t, OutQueue> queued_;     // data frames per stream
  std::array<std::deque<std::uint32_t>, 2> turns_;  // streams with data queued, next first: [0] other, [1] bulk
  std::uint32_t bulk_waited_ = 0;                 // takes since bulk last got a frame while it had some
  std::size_t data_bytes_ = 0;
  TrafficTable traffic_;
  std::vector<Event> events_;
  std::map<std::uint32_t, Stream> streams_;
  std::uint32_t next_id_;
  std::uint32_t last_remote_id_ = 0;
  std::size_t inbound_open_ = 0;
  std::size_t unacked_outbound_ = 0;
  bool local_go_away_ = false;
  bool remote_go_away_ = false;
  bool dead_ = false;
  SessionStats stats_;
};

}  // namespace agentmesh::transport::yamux
