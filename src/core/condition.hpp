#pragma once
// Error condition groups: the questions callers ask of an error, answered by
// the layer that owns the error.
//
//   if (r.error() == core::condition::retryable) ...
//
// Each layer's error category declares which of its codes belong to which
// group (its `equivalent()` override; one table per layer, next to the
// enumerators), so code above never tests another layer's category or lists
// its enumerators by hand. The API's error table (api/error_table.cpp) gives
// every code its HTTP status and string; a unit test checks that the table's
// `retryable` flags agree with condition::retryable.
//
// A code may be in several groups, or none.

#include <boost/system/error_category.hpp>
#include <boost/system/error_condition.hpp>

namespace agentmesh::core {

enum class condition {
  // The same request may succeed later, unchanged: back-pressure (a full
  // queue or outbox), a daemon shutting down, a peer that cannot be reached
  // now, a recipient that is draining.
  retryable = 1,
  // Bytes from another node broke a protocol rule: a malformed frame or
  // message, a bad signature, an envelope that does not authenticate. The
  // peer is at fault; the connection or stream may be dropped and counted.
  peer_misbehaved,
  // A value from a local caller failed validation (an id, a name, a field).
  invalid_input,
  // The thing named does not exist (an agent, a dead letter, a row).
  not_found,
  // The database failed (I/O, corruption, a schema from a newer binary): not
  // the caller's fault, and counted as a store failure.
  store_failure,
  // A recipient decided not to take a message (its block list, its state,
  // an idempotency conflict, or a check of the envelope by its daemon): final
  // for that message, and what its sender's receipt says.
  refused_by_recipient,
};

const boost::system::error_category& condition_category() noexcept;

inline boost::system::error_condition make_error_condition(condition c) noexcept {
  return {static_cast<int>(c), condition_category()};
}

// For a layer's category: whether `cond` is one of our condition groups and,
// if so, which (0 otherwise).
inline int condition_of(const boost::system::error_condition& cond) noexcept {
  return cond.category() == condition_category() ? cond.value() : 0;
}

}  // namespace agentmesh::core

template <>
struct boost::system::is_error_condition_enum<agentmesh::core::condition> : std::true_type {};
