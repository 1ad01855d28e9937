#include "transport/yamux_session.hpp"

#include <algorithm>
#include <cstring>

#include "transport/error.hpp"

namespace agentmesh::transport::yamux {

using wire::yamux::FrameHeader;
using wire::yamux::FrameType;
using wire::yamux::kAck;
using wire::yamux::kFin;
using wire::yamux::kHeaderSize;
using wire::yamux::kInitialWindow;
using wire::yamux::kRst;
using wire::yamux::kSyn;

namespace {
const core::SystemClock kSystemClock;
}  // namespace

Session::Session(Role role, SessionConfig config, const core::Clock* clock)
    : role_(role), config_(config), clock_(clock ? clock : &kSystemClock), next_id_(role == Role::client ? 1 : 2) {
  config_.receive_window = std::max(config_.receive_window, kInitialWindow);
  config_.max_frame_payload = std::max<std::size_t>(config_.max_frame_payload, 1);
}

bool Session::remote_parity(std::uint32_t id) const {
  const bool odd = (id & 1) != 0;
  return role_ == Role::client ? !odd : odd;
}

void Session::emit(FrameType type, std::uint16_t flags, std::uint32_t id, std::uint32_t length,
                   std::span<const std::uint8_t> payload) {
  const auto header = wire::yamux::encode({.type = type, .flags = flags, .stream_id = id, .length = length});
  ++stats_.frames_out;
  const auto now = clock_->mono();
  if (type != FrameType::data) {
    if (control_.empty()) control_since_ = now;
    control_.append(reinterpret_cast<const char*>(header.data()), header.size());
    ++control_frames_;
    lane(Traffic::control).out.add(now, header.size());
    return;
  }
  std::string frame;
  frame.reserve(header.size() + payload.size());
  frame.append(reinterpret_cast<const char*>(header.data()), header.size());
  frame.append(reinterpret_cast<const char*>(payload.data()), payload.size());
  auto& q = queued_[id];
  if (q.frames.empty()) {
    auto s = streams_.find(id);
    q.traffic = s == streams_.end() ? Traffic::other : s->second.traffic;
    turns(q.traffic).push_back(id);
  }
  auto& l = lane(q.traffic);
  l.out.add(now, frame.size());
  ++l.queued_frames;
  data_bytes_ += frame.size();
  q.bytes += frame.size();
  q.frames.push_back({std::move(frame), now});
}

void Session::drop_queued(std::uint32_t id) {
  auto it = queued_.find(id);
  if (it == queued_.end()) return;
  auto& l = lane(it->second.traffic);
  l.out.discard(it->second.bytes);
  l.queued_frames -= it->second.frames.size();
  data_bytes_ -= it->second.bytes;
  std::erase(turns(it->second.traffic), id);
  queued_.erase(it);
}

std::size_t Session::queued(std::uint32_t id) const {
  auto it = queued_.find(id);
  return it == queued_.end() ? 0 : it->second.bytes;
}

std::string Session::take_output() {
  std::string out;
  take_output(out);
  return out;
}

bool Session::take_part(OutQueue& q, std::string& into, std::size_t payload, core::Clock::MonoTime now) {
  auto& f = q.frames.front();
  const auto header =
      wire::yamux::decode({reinterpret_cast<const std::uint8_t*>(f.frame.data()), kHeaderSize}, 0xffffffffU);
  if (!header || header->flags != 0) return false;  // a frame with flags goes whole
  auto first = *header;
  first.length = static_cast<std::uint32_t>(payload);
  const auto h1 = wire::yamux::encode(first);
  into.append(reinterpret_cast<const char*>(h1.data()), h1.size());
  into.append(f.frame, kHeaderSize, payload);
  // The rest: what follows the taken payload, under a header of its own
  // (written over the last kHeaderSize bytes taken).
  auto rest = *header;
  rest.length = header->length - first.length;
  const auto h2 = wire::yamux::encode(rest);
  f.frame.erase(0, payload);
  std::memcpy(f.frame.data(), h2.data(), h2.size());
  auto& l = lane(q.traffic);
  l.out.add(now, kHeaderSize);  // the new header
  l.out.remove(now, kHeaderSize + payload);
  data_bytes_ -= payload;
  q.bytes -= payload;
  return true;
}

void Session::take_frame(std::uint32_t id, std::string& into, core::Clock::MonoTime now, std::size_t room) {
  auto it = queued_.find(id);
  auto& q = it->second;
  auto& f = q.frames.front();
  const auto n = f.frame.size();
  // A frame larger than the room left is split, so what is written per take
  // stays near the budget however large the stream's writes were.
  const std::size_t payload = std::max(room, kMinSplit + kHeaderSize) - kHeaderSize;
  if (n > kHeaderSize + payload && take_part(q, into, payload, now)) {
    turns(q.traffic).push_front(id);  // its turn is not over: the rest goes next
    return;
  }
  auto& l = lane(q.traffic);
  into += f.frame;
  l.out.remove(now, n);
  l.out.dwell.observe(now - f.at);
  --l.queued_frames;
  ++l.sent_frames;
  data_bytes_ -= n;
  q.bytes -= n;
  q.frames.pop_front();
  if (q.frames.empty()) {
    queued_.erase(it);
  } else {
    turns(q.traffic).push_back(id);
  }
}

std::size_t Session::take_output(std::string& into, std::size_t budget, std::size_t bulk_allowance) {
  const auto now = clock_->mono();
  into.clear();
  if (!control_.empty()) {
    auto& l = lane(Traffic::control);
    l.out.remove(now, control_.size());
    l.out.dwell.observe(now - control_since_);
    l.sent_frames += control_frames_;
    control_frames_ = 0;
    into.swap(control_);
  }
  auto& interactive = turns_[0];
  auto& bulk = turns_[1];
  bool took = false;
  std::size_t bulk_taken = 0;
  const auto room = [&] { return budget > into.size() ? budget - into.size() : 0; };
  const auto take_from = [&](std::deque<std::uint32_t>& turn, std::size_t limit) {
    const auto id = turn.front();
    turn.pop_front();
    const auto before = into.size();
    take_frame(id, into, now, limit);
    took = true;
    return into.size() - before;
  };
  // Bulk data goes only within its allowance (at least kMinSplit of payload
  // when any is allowed).
  const auto bulk_room = [&] { return bulk_allowance > bulk_taken ? bulk_allowance - bulk_taken : 0; };
  if (!bulk.empty() && bulk_waited_ >= kBulkPatience && bulk_room() > 0) {
    bulk_taken += take_from(bulk, std::min(room(), bulk_room()));
  }
  while (!interactive.empty() && (!took || into.size() < budget)) take_from(interactive, room());
  while (!bulk.empty() && (!took || into.size() < budget) && bulk_room() > 0) {
    bulk_taken += take_from(bulk, std::min(room(), bulk_room()));
  }
  if (bulk_taken > 0 || bulk.empty()) {
    bulk_waited_ = 0;
  } else {
    ++bulk_waited_;
  }
  return bulk_taken;
}

bool Session::has_interactive_output() const { return !control_.empty() || !turns_[0].empty(); }

void Session::set_traffic(std::uint32_t id, Traffic traffic) {
  auto s = streams_.find(id);
  if (s == streams_.end() || s->second.traffic == traffic) return;
  const auto unread = s->second.buffer.size() - s->second.offset;
  lane(s->second.traffic).in.queued_bytes -= unread;
  lane(traffic).in.queued_bytes += unread;
  s->second.traffic = traffic;
  auto it = queued_.find(id);
  if (it == queued_.end() || it->second.traffic == traffic) return;
  auto& q = it->second;
  auto& from = lane(q.traffic);
  auto& to = lane(traffic);
  from.out.queued_bytes -= q.bytes;
  from.queued_frames -= q.frames.size();
  to.out.queued_bytes += q.bytes;
  to.queued_frames += q.frames.size();
  if (is_bulk(q.traffic) != is_bulk(traffic)) {
    std::erase(turns(q.traffic), id);
    turns(traffic).push_back(id);
  }
  q.traffic = traffic;
}

void Session::discard_unread(Stream& s) {
  lane(s.traffic).in.discard(s.buffer.size() - s.offset);
  s.buffer.clear();
  s.offset = 0;
}

std::vector<Event> Session::take_events() { return std::exchange(events_, {}); }

Result<void> Session::fail(error_code ec) {
  if (!dead_) {
    dead_ = true;
    // The connection closes after the GoAway: no data follows it.
    while (!queued_.empty()) drop_queued(queued_.begin()->first);
    emit(FrameType::go_away, 0, 0, static_cast<std::uint32_t>(GoAwayCode::protocol_error));
  }
  return ec;
}

Result<void> Session::on_bytes(std::span<const std::uint8_t> bytes) {
  if (dead_) return error::connection_closed;
  std::size_t used = 0;
  Result<void> result;
  if (input_.empty()) {
    // The common case: parse straight from the caller's buffer, keep only a
    // partial frame at the end.
    result = parse(bytes, used);
    if (!dead_) input_.assign(reinterpret_cast<const char*>(bytes.data()) + used, bytes.size() - used);
  } else {
    input_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    result = parse({reinterpret_cast<const std::uint8_t*>(input_.data()), input_.size()}, used);
    input_.erase(0, used);
  }
  if (dead_) input_.clear();
  return result;
}

Result<void> Session::parse(std::span<const std::uint8_t> in, std::size_t& used) {
  std::size_t pos = 0;
  Result<void> result;
  while (in.size() - pos >= kHeaderSize) {
    const auto* p = in.data() + pos;
    auto header = wire::yamux::decode({p, kHeaderSize}, config_.receive_window);
    if (!header) {
      result = fail(header.error());
      break;
    }
    const std::size_t payload = header->type == FrameType::data ? header->length : 0;
    if (in.size() - pos < kHeaderSize + payload) break;
    ++stats_.frames_in;
    result = on_frame(*header, {p + kHeaderSize, payload});
    pos += kHeaderSize + payload;
    if (!result) break;
  }
  used = pos;
  return result;
}

Result<void> Session::on_frame(const FrameHeader& h, std::span<const std::uint8_t> payload) {
  switch (h.type) {
    case FrameType::ping:
      if (h.flags & kSyn) {
        if (control_.size() >= config_.max_control_backlog) {
          ++stats_.pings_dropped;
        } else {
          emit(FrameType::ping, kAck, 0, h.length);
        }
      } else if (h.flags & kAck) {
        events_.push_back({Event::Kind::ping_ack, 0, h.length});
      }
      return {};
    case FrameType::go_away:
      if (!remote_go_away_) {
        remote_go_away_ = true;
        events_.push_back({Event::Kind::go_away, 0, h.length});
      }
      return {};
    case FrameType::data:
    case FrameType::window_update:
      return on_stream_frame(h, payload);
  }
  return fail(error::protocol_violation);
}

Result<void> Session::on_stream_frame(const FrameHeader& h, std::span<const std::uint8_t> payload) {
  auto it = streams_.find(h.stream_id);
  if (h.flags & kSyn) {
    if (!remote_parity(h.stream_id) || h.stream_id <= last_remote_id_ || it != streams_.end()) {
      return fail(error::protocol_violation);
    }
    last_remote_id_ = h.stream_id;
    if (local_go_away_ || inbound_open_ >= config_.max_inbound_streams) {
      ++stats_.streams_refused;
      emit(FrameType::window_update, kRst, h.stream_id, 0);
      return {};
    }
    it = streams_.emplace(h.stream_id, Stream{}).first;
    ++inbound_open_;
    ++stats_.streams_opened_in;
    auto& s = it->second;
    s.acked = true;
    const std::uint32_t extra = config_.receive_window - kInitialWindow;
    s.recv_window = config_.receive_window;
    emit(FrameType::window_update, kAck, h.stream_id, extra);
    events_.push_back({Event::Kind::inbound_stream, h.stream_id});
  }
  if (it == streams_.end()) return {};  // a stream already forgotten: late frames are dropped
  auto& s = it->second;
  if (s.reset) return {};

  if (h.flags & kAck && s.outbound && !s.acked) {
    s.acked = true;
    --unacked_outbound_;
    events_.push_back({Event::Kind::writable, h.stream_id});
  }
  if (h.flags & kRst) {
    if (s.outbound && !s.acked) --unacked_outbound_;
    s.acked = true;
    s.reset = true;
    discard_unread(s);
    drop_queued(h.stream_id);  // the peer discards it anyway
    events_.push_back({Event::Kind::reset, h.stream_id});
    maybe_forget(h.stream_id);
    return {};
  }
  if (h.type == FrameType::window_update) {
    if (h.length > 0) {
      if (static_cast<std::uint64_t>(s.send_window) + h.length > 0xffffffffULL) return fail(error::protocol_violation);
      s.send_window += h.length;
      events_.push_back({Event::Kind::writable, h.stream_id});
    }
  } else if (!payload.empty()) {
    if (payload.size() > s.recv_window) {
      // The peer ignored our window: reset this stream, keep the session.
      ++stats_.window_violations;
      s.reset = true;
      discard_unread(s);
      emit(FrameType::window_update, kRst, h.stream_id, 0);
      events_.push_back({Event::Kind::reset, h.stream_id});
      maybe_forget(h.stream_id);
      return {};
    }
    if (s.released) {
      // Nobody will read it: drop the data and give the window straight back.
      emit(FrameType::window_update, 0, h.stream_id, static_cast<std::uint32_t>(payload.size()));
    } else if (!s.remote_fin) {
      s.recv_window -= static_cast<std::uint32_t>(payload.size());
      const auto now = clock_->mono();
      if (s.buffer.size() == s.offset) s.unread_since = now;
      lane(s.traffic).in.add(now, payload.size());
      s.buffer.append(reinterpret_cast<const char*>(payload.data()), payload.size());
      events_.push_back({Event::Kind::readable, h.stream_id});
    }
  }
  if (h.flags & kFin && !s.remote_fin) {
    s.remote_fin = true;
    events_.push_back({Event::Kind::readable, h.stream_id});
    maybe_forget(h.stream_id);
  }
  return {};
}

Result<std::uint32_t> Session::open_stream() {
  if (dead_ || local_go_away_ || remote_go_away_ || next_id_ > 0xfffffffdU) return error::going_away;
  if (unacked_outbound_ >= config_.max_unacked_outbound) return error::too_many_streams;
  const std::uint32_t id = next_id_;
  next_id_ += 2;
  Stream s;
  s.outbound = true;
  s.recv_window = config_.receive_window;
  streams_.emplace(id, std::move(s));
  ++unacked_outbound_;
  ++stats_.streams_opened_out;
  emit(FrameType::window_update, kSyn, id, config_.receive_window - kInitialWindow);
  return id;
}

Result<std::size_t> Session::write(std::uint32_t id, std::span<const std::uint8_t> data) {
  auto it = streams_.find(id);
  if (it == streams_.end() || dead_) return error::stream_closed;
  auto& s = it->second;
  if (s.reset) return error::stream_reset;
  if (s.local_fin) return error::stream_closed;
  const std::size_t n = std::min<std::size_t>(data.size(), s.send_window);
  if (n == 0) {
    if (!data.empty()) ++stats_.window_stalls;
    return std::size_t{0};
  }
  for (std::size_t off = 0; off < n;) {
    const std::size_t chunk = std::min(n - off, config_.max_frame_payload);
    emit(FrameType::data, 0, id, static_cast<std::uint32_t>(chunk), data.subspan(off, chunk));
    off += chunk;
  }
  s.send_window -= static_cast<std::uint32_t>(n);
  return n;
}

Result<std::size_t> Session::read(std::uint32_t id, std::span<std::uint8_t> out) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return error::stream_closed;
  auto& s = it->second;
  if (s.reset) return error::stream_reset;
  const std::size_t n = std::min(out.size(), s.buffer.size() - s.offset);
  if (n == 0) return std::size_t{0};
  std::memcpy(out.data(), s.buffer.data() + s.offset, n);
  s.offset += n;
  auto& l = lane(s.traffic).in;
  const auto now = clock_->mono();
  l.remove(now, n);
  if (s.offset == s.buffer.size()) {
    s.buffer.clear();
    s.offset = 0;
    l.dwell.observe(now - s.unread_since);
  } else if (s.offset >= 64 * 1024 && s.offset * 2 >= s.buffer.size()) {
    s.buffer.erase(0, s.offset);
    s.offset = 0;
  }
  s.consumed += static_cast<std::uint32_t>(n);
  if (!s.remote_fin && !dead_ && s.consumed >= config_.receive_window / 2) {
    emit(FrameType::window_update, 0, id, s.consumed);
    s.recv_window += s.consumed;
    s.consumed = 0;
  }
  return n;
}

Result<void> Session::close_write(std::uint32_t id) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return error::stream_closed;
  auto& s = it->second;
  if (s.reset) return error::stream_reset;
  if (s.local_fin) return {};
  s.local_fin = true;
  if (!dead_) emit(FrameType::data, kFin, id, 0);
  maybe_forget(id);
  return {};
}

void Session::reset(std::uint32_t id) {
  auto it = streams_.find(id);
  if (it == streams_.end() || it->second.reset) return;
  auto& s = it->second;
  if (s.outbound && !s.acked) --unacked_outbound_;
  s.acked = true;
  s.reset = true;
  discard_unread(s);
  drop_queued(id);
  if (!dead_) emit(FrameType::window_update, kRst, id, 0);
  maybe_forget(id);
}

void Session::release(std::uint32_t id) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  auto& s = it->second;
  s.released = true;
  discard_unread(s);
  if (!s.reset && !s.local_fin) {
    reset(id);  // also forgets it
    return;
  }
  // Half-closed by us: forgotten when the peer's FIN (or RST) arrives.
  maybe_forget(id);
}

void Session::maybe_forget(std::uint32_t id) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  const auto& s = it->second;
  if (!s.released || !(s.reset || (s.local_fin && s.remote_fin))) return;
  if (!s.outbound) --inbound_open_;
  streams_.erase(it);
}

Session::StreamState Session::stream(std::uint32_t id) const {
  auto it = streams_.find(id);
  if (it == streams_.end()) return {};
  const auto& s = it->second;
  const std::size_t readable = s.buffer.size() - s.offset;
  return {.exists = true,
          .outbound = s.outbound,
          .acked = s.acked,
          .eof = s.remote_fin && readable == 0,
          .reset = s.reset,
          .write_closed = s.local_fin,
          .readable = readable,
          .send_window = s.send_window};
}

void Session::ping(std::uint32_t value) {
  if (!dead_) emit(FrameType::ping, kSyn, 0, value);
}

void Session::go_away(GoAwayCode code) {
  if (local_go_away_ || dead_) return;
  local_go_away_ = true;
  emit(FrameType::go_away, 0, 0, static_cast<std::uint32_t>(code));
}

}  // namespace agentmesh::transport::yamux
