#pragma once
// multistream-select 1.0 as a sans-I/O codec and two negotiation state
// machines. Wire format: docs/wire/multistream.md.
//
// A negotiation is fed the bytes that arrive (`on_data`) and returns what to
// send and, once done, the selected protocol plus any bytes that followed the
// final message in the same read (optimistic data, which belongs to the
// selected protocol). The caller owns the socket; nothing here does I/O.
//
//   Dialer:   sends the header with its first proposal; on `na` proposes the
//             next; done when the listener echoes a proposal.
//   Listener: answers the header, echoes the first supported proposal, says
//             `na` to the others (js gossipsub proposes /meshsub/1.2.0 first),
//             answers `ls` with its list.
//
// Limits: messages of at most kMaxMessage bytes (checked from the length
// prefix, before buffering), at most kMaxMessages messages per negotiation.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace agentmesh::wire::multistream {

inline constexpr std::string_view kProtocolId = "/multistream/1.0.0";
inline constexpr std::string_view kNa = "na";
inline constexpr std::size_t kMaxMessage = 1024;
inline constexpr std::size_t kMaxMessages = 64;

// lp(text + "\n").
std::string encode(std::string_view text);

// Splits a byte stream into messages (text without the trailing newline).
class Reader {
 public:
  void feed(std::span<const std::uint8_t> bytes);
  // The next complete message, nullopt when more bytes are needed.
  Result<std::optional<std::string>> next();
  // Bytes received but not consumed by next().
  std::string take_rest();

 private:
  std::string buf_;
};

// What both sides share: framing, the message limit and the header check.
class Negotiation {
 public:
  struct Message {
    std::string text;
    bool header = false;  // the peer's /multistream/1.0.0, checked
  };
  void feed(std::span<const std::uint8_t> bytes) { reader_.feed(bytes); }
  // The next message, nullopt when more bytes are needed. The first one must
  // be the header (bad_multistream_header otherwise).
  Result<std::optional<Message>> next();
  std::string take_rest() { return reader_.take_rest(); }

 private:
  Reader reader_;
  bool header_seen_ = false;
  std::size_t messages_ = 0;
};

struct Step {
  std::string send;                       // bytes to write now (may be empty)
  std::optional<std::string> selected;    // set once negotiation is done
  std::string leftover;                   // bytes after the final message
};

class Dialer {
 public:
  explicit Dialer(std::vector<std::string> protocols);
  // The header and the first proposal, batched.
  std::string start();
  Result<Step> on_data(std::span<const std::uint8_t> bytes);

 private:
  std::vector<std::string> protocols_;
  std::size_t next_ = 0;  // index of the proposal awaiting an answer
  Negotiation negotiation_;
};

class Listener {
 public:
  explicit Listener(std::vector<std::string> supported);
  Result<Step> on_data(std::span<const std::uint8_t> bytes);

 private:
  std::vector<std::string> supported_;
  Negotiation negotiation_;
};

}  // namespace agentmesh::wire::multistream
