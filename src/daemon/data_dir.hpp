#pragma once
// The daemon's files in its data directory, besides keys and the database:
//
//   daemon.lock   held with flock() while a daemon runs; contains its pid
//   api.port      "host:port" of the local API; removed on clean exit
//   api-token     the admin bearer token (64 hex chars), mode 0600
//
// All writes are atomic (core::write_file_atomic).

#include <filesystem>
#include <string>

#include "core/result.hpp"

namespace agentmesh::daemon {

// An exclusive lock on <dir>/daemon.lock for the lifetime of the object.
class DataDirLock {
 public:
  // Fails when another process holds it; `why` names that process's pid.
  static Result<DataDirLock> acquire(const std::filesystem::path& dir, std::string& why);
  DataDirLock(DataDirLock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  DataDirLock& operator=(DataDirLock&&) = delete;
  ~DataDirLock();

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_;
};

// Loads <dir>/api-token, creating it (32 random bytes as hex, 0600) when
// absent. Refuses a token file readable by group or others.
Result<std::string> load_or_create_admin_token(const std::filesystem::path& dir, std::string& why);

Result<void> write_port_file(const std::filesystem::path& dir, const std::string& host, std::uint16_t port,
                             std::string_view file = "api.port");
void remove_port_file(const std::filesystem::path& dir, std::string_view file = "api.port");

}  // namespace agentmesh::daemon
