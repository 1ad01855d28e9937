#include "wire/yamux_frame.hpp"

#include "wire/error.hpp"

namespace agentmesh::wire::yamux {
namespace {

void put32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

std::uint32_t get32(const std::uint8_t* p) {
  return (static_cast<std::uint32_t>(p[0]) << 24) | (static_cast<std::uint32_t>(p[1]) << 16) |
         (static_cast<std::uint32_t>(p[2]) << 8) | p[3];
}

}  // namespace

std::array<std::uint8_t, kHeaderSize> encode(const FrameHeader& h) {
  std::array<std::uint8_t, kHeaderSize> out{};
  out[0] = 0;
  out[1] = static_cast<std::uint8_t>(h.type);
  out[2] = static_cast<std::uint8_t>(h.flags >> 8);
  out[3] = static_cast<std::uint8_t>(h.flags);
  put32(out.data() + 4, h.stream_id);
  put32(out.data() + 8, h.length);
  return out;
}

Result<FrameHeader> decode(std::span<const std::uint8_t> b, std::uint32_t max_data) {
  if (b.size() < kHeaderSize) return error::bad_length;
  if (b[0] != 0 || b[1] > static_cast<std::uint8_t>(FrameType::go_away)) return error::bad_yamux_frame;
  FrameHeader h;
  h.type = static_cast<FrameType>(b[1]);
  h.flags = static_cast<std::uint16_t>((b[2] << 8) | b[3]);
  h.stream_id = get32(b.data() + 4);
  h.length = get32(b.data() + 8);
  if ((h.flags & ~(kSyn | kAck | kFin | kRst)) != 0) return error::bad_yamux_frame;
  const bool session_frame = h.type == FrameType::ping || h.type == FrameType::go_away;
  if (session_frame != (h.stream_id == 0)) return error::bad_yamux_frame;
  if (h.type == FrameType::go_away && h.length > static_cast<std::uint32_t>(GoAwayCode::internal_error)) {
    return error::bad_yamux_frame;
  }
  if (h.type == FrameType::data && h.length > max_data) return error::frame_too_large;
  return h;
}

}  // namespace agentmesh::wire::yamux
