#pragma once
// The yamux frame header codec (/yamux/1.0.0). Wire format:
// docs/wire/yamux.md. Pure and bounded: decode() validates version, type,
// flags and the stream-0 rules before a session looks at a frame, so a session
// state machine only ever sees well-formed headers.
//
//   ver u8 = 0 | type u8 | flags u16 | stream_id u32 | length u32   (big-endian)

#include <array>
#include <cstdint>
#include <span>

#include "core/result.hpp"

namespace agentmesh::wire::yamux {

inline constexpr std::size_t kHeaderSize = 12;
inline constexpr std::uint32_t kInitialWindow = 256 * 1024;

enum class FrameType : std::uint8_t { data = 0, window_update = 1, ping = 2, go_away = 3 };

// Flag bits (combinable).
inline constexpr std::uint16_t kSyn = 1;
inline constexpr std::uint16_t kAck = 2;
inline constexpr std::uint16_t kFin = 4;
inline constexpr std::uint16_t kRst = 8;

// GoAway codes (carried in `length`).
enum class GoAwayCode : std::uint32_t { normal = 0, protocol_error = 1, internal_error = 2 };

struct FrameHeader {
  FrameType type = FrameType::data;
  std::uint16_t flags = 0;
  std::uint32_t stream_id = 0;
  // data: payload bytes that follow; window_update: window delta;
  // ping: opaque value; go_away: GoAwayCode.
  std::uint32_t length = 0;

  friend bool operator==(const FrameHeader&, const FrameHeader&) = default;
};

std::array<std::uint8_t, kHeaderSize> encode(const FrameHeader& header);

// Decodes the first kHeaderSize bytes. wire::error::bad_length when fewer are
// given; wire::error::bad_yamux_frame for a version other than 0, an unknown
// type or flag bit, a ping or go_away on a stream other than 0, or data or a
// window update on stream 0; frame_too_large when a data frame announces more
// than `max_data` bytes.
Result<FrameHeader> decode(std::span<const std::uint8_t> bytes, std::uint32_t max_data = kInitialWindow);

}  // namespace agentmesh::wire::yamux
