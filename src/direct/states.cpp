#include "direct/states.hpp"

#include <array>

namespace agentmesh::direct {

std::string_view to_string(MessageState s) noexcept {
  switch (s) {
    case MessageState::queued:
      return "queued";
    case MessageState::sending:
      return "sending";
    case MessageState::accepted:
      return "accepted";
    case MessageState::rejected:
      return "rejected";
    case MessageState::expired:
      return "expired";
  }
  return "queued";
}

std::string_view to_string(Path p) noexcept {
  switch (p) {
    case Path::loopback:
      return "loopback";
    case Path::direct:
      return "direct";
    case Path::gossip:
      return "gossip";
    case Path::gossip_relay:
      return "gossip_relay";
  }
  return "loopback";
}

std::string_view to_string(PathHint h) noexcept {
  switch (h) {
    case PathHint::any:
      return "auto";
    case PathHint::direct:
      return "direct";
    case PathHint::gossip:
      return "gossip";
  }
  return "auto";
}

std::string_view to_string(Failure f) noexcept {
  switch (f) {
    case Failure::timeout:
      return "timeout";
    case Failure::stream_closed:
      return "stream_closed";
    case Failure::stream_failed:
      return "stream_failed";
    case Failure::dial_failed:
      return "dial_failed";
    case Failure::no_route:
      return "no_route";
    case Failure::circuit_open:
      return "circuit_open";
    case Failure::recipient_not_in_directory:
      return "recipient_not_in_directory";
    case Failure::refused:
      return "refused";
    case Failure::superseded:
      return "superseded";
  }
  return "timeout";
}

std::optional<MessageState> parse_message_state(std::string_view s) noexcept {
  for (auto v : {MessageState::queued, MessageState::sending, MessageState::accepted, MessageState::rejected,
                 MessageState::expired}) {
    if (to_string(v) == s) return v;
  }
  return std::nullopt;
}

std::optional<Path> parse_path(std::string_view s) noexcept {
  for (auto v : {Path::loopback, Path::direct, Path::gossip, Path::gossip_relay}) {
    if (to_string(v) == s) return v;
  }
  return std::nullopt;
}

std::optional<PathHint> parse_path_hint(std::string_view s) noexcept {
  if (s.empty()) return PathHint::any;
  for (auto v : {PathHint::any, PathHint::direct, PathHint::gossip}) {
    if (to_string(v) == s) return v;
  }
  return std::nullopt;
}

error parse_reason_code(std::string_view code) noexcept {
  for (int v = 1; v <= static_cast<int>(error::unrecognized_reason); ++v) {
    const auto e = static_cast<error>(v);
    if (reason_code(e) == code) return e;
  }
  return error::unrecognized_reason;
}

std::string PathFailure::describe() const {
  if (kind == Failure::refused) return detail.empty() ? std::string(to_string(kind)) : detail;
  if (detail.empty()) return std::string(to_string(kind));
  return std::string(to_string(kind)) + ": " + detail;
}

std::optional<Failure> AttemptError::primary() const {
  if (direct) return direct->kind;
  if (gossip) return gossip->kind;
  return std::nullopt;
}

std::string AttemptError::describe() const {
  if (direct && gossip) return direct->describe() + "; gossip: " + gossip->describe();
  if (direct) return direct->describe();
  if (gossip) return gossip->describe();
  return {};
}

}  // namespace agentmesh::direct
