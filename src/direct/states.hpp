#pragma once
// direct/states: the typed vocabulary of a direct message's life, and the one
// mapping of each type to the text that leaves the process (the API's JSON,
// metrics labels, logs, the outbox row's columns).
//
//   MessageState  queued -> sending -> accepted | rejected | expired
//   Path          how it travelled: loopback (same daemon), direct (a
//                 /agentmesh/dm/1.0.0 stream), gossip (the inbox topic)
//   PathHint      what the sender allowed: any, direct only, gossip only
//   Failure       why one path of one attempt failed (the attempt is retried)
//   AttemptError  the failures of one attempt, by path
//
// Why a message was refused is a direct::error (direct/error.hpp, with its
// stable reason_code()); a reason from another daemon that this version does
// not know maps to error::unrecognized_reason.
//
// Threading: values only.

#include <optional>
#include <string>
#include <string_view>

#include "direct/error.hpp"

namespace agentmesh::direct {

enum class MessageState { queued, sending, accepted, rejected, expired };
// gossip: the recipient's inbox topic, through a neighbour subscribed to it;
// gossip_relay: the mesh-wide relay topic, carried hop by hop by every daemon
// (no neighbour carries the recipient's inbox: no path but the mesh itself).
enum class Path { loopback, direct, gossip, gossip_relay };
enum class PathHint { any, direct, gossip };

enum class Failure {
  // No ack within the attempt timeout.
  timeout,
  // The dm stream ended while the attempt waited for its ack.
  stream_closed,
  // Connected, but the dm stream could not be opened (the peer does not
  // speak /agentmesh/dm/1.0.0, or refused the stream).
  stream_failed,
  // No connection to the hosting daemon could be made.
  dial_failed,
  // Nobody to send it to: no subscriber of the recipient's inbox topic nor
  // of the relay topic (no daemon connected at all), or (path "direct") the
  // recipient is hosted by no other daemon we know.
  no_route,
  // The hosting peer's circuit breaker is open.
  circuit_open,
  // Path "direct", and the recipient is not in the directory.
  recipient_not_in_directory,
  // The recipient's daemon answered an unauthenticated rejection (it could
  // not check the envelope: expired, clock skew...). Detail: its reason.
  refused,
  // Path gossip, sent and waiting for its ack, ended early: a connection to
  // the recipient's daemon came up, so the next attempt goes there at once.
  superseded,
};

std::string_view to_string(MessageState s) noexcept;
std::string_view to_string(Path p) noexcept;
std::string_view to_string(PathHint h) noexcept;  // "auto", "direct", "gossip"
std::string_view to_string(Failure f) noexcept;
std::optional<MessageState> parse_message_state(std::string_view s) noexcept;
std::optional<Path> parse_path(std::string_view s) noexcept;
// "auto" and "" are PathHint::any.
std::optional<PathHint> parse_path_hint(std::string_view s) noexcept;
// A reason code from an ack (reason_code()'s text); unrecognized_reason for
// a code this version does not know.
error parse_reason_code(std::string_view code) noexcept;

struct PathFailure {
  Failure kind;
  std::string detail;  // an error message (dial_failed, stream_failed) or a reason code (refused)

  // "timeout", "dial_failed: connection refused", or a refused reason itself.
  std::string describe() const;
};

// One attempt's failures: the direct path's (when tried) and the gossip
// path's (when tried).
struct AttemptError {
  std::optional<PathFailure> direct;
  std::optional<PathFailure> gossip;

  bool empty() const { return !direct && !gossip; }
  // The failure that names the attempt in metrics: the first path's.
  std::optional<Failure> primary() const;
  // "<direct>; gossip: <gossip>", or whichever part exists.
  std::string describe() const;
};

}  // namespace agentmesh::direct
