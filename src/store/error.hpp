#pragma once
// store::error: failures of durable state operations, from either backend.

#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>

namespace agentmesh::store {

enum class error {
  // The row the operation names does not exist.
  not_found = 1,
  // A uniqueness constraint failed (duplicate agent id or name).
  conflict,
  // An ack or cursor beyond the last sequence number.
  beyond_last,
  // The writer's bounded queue is full; retry later.
  queue_full,
  // The writer has stopped (daemon shutting down).
  stopped,
  // A stored record could not be decoded.
  corrupt,
  // The database reported an I/O, full-disk or other engine failure.
  io,
  // The database schema is newer than this binary understands.
  schema_too_new,
};

const boost::system::error_category& error_category() noexcept;

inline boost::system::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

}  // namespace agentmesh::store

template <>
struct boost::system::is_error_code_enum<agentmesh::store::error> : std::true_type {};
