#include "daemon/data_dir.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/fs.hpp"
#include "core/hex.hpp"
#include "crypto/crypto.hpp"

namespace agentmesh::daemon {

Result<DataDirLock> DataDirLock::acquire(const std::filesystem::path& dir, std::string& why) {
  const auto path = dir / "daemon.lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    const error_code ec(errno, boost::system::system_category());
    why = fmt::format("cannot open {}: {}", path.string(), ec.message());
    return ec;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const error_code ec(errno, boost::system::system_category());
    char buf[32] = {};
    const auto n = ::pread(fd, buf, sizeof buf - 1, 0);
    std::string pid = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "unknown";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    ::close(fd);
    why = fmt::format("another agentmesh daemon (pid {}) is already using {}", pid, dir.string());
    return ec;
  }
  const auto pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const error_code ec(errno, boost::system::system_category());
    ::close(fd);
    why = fmt::format("cannot write {}: {}", path.string(), ec.message());
    return ec;
  }
  return DataDirLock(fd);
}

DataDirLock::~DataDirLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

Result<std::string> load_or_create_admin_token(const std::filesystem::path& dir, std::string& why) {
  const auto path = dir / "api-token";
  std::error_code exists_ec;
  if (std::filesystem::exists(path, exists_ec)) {
    if (auto msg = core::check_file_private(path); !msg.empty()) {
      why = msg;
      return make_error_code(boost::system::errc::permission_denied);
    }
    auto text = core::read_small_file(path, 256);
    if (!text) {
      why = fmt::format("cannot read {}: {}", path.string(), text.error().message());
      return text.error();
    }
    std::string token = *text;
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
    if (token.size() == 64 && core::from_hex(token)) return token;
    // A damaged token file is replaced: the CLI reads the new one on its next call.
  }
  std::string token = crypto::random_token_hex();
  if (auto r = core::write_file_atomic(path, token + "\n", 0600); !r) {
    why = fmt::format("cannot write {}: {}", path.string(), r.error().message());
    return r.error();
  }
  return token;
}

Result<void> write_port_file(const std::filesystem::path& dir, const std::string& host, std::uint16_t port,
                             std::string_view file) {
  const bool v6 = host.find(':') != std::string::npos;
  const auto text = v6 ? fmt::format("[{}]:{}\n", host, port) : fmt::format("{}:{}\n", host, port);
  return core::write_file_atomic(dir / file, text, 0600);
}

void remove_port_file(const std::filesystem::path& dir, std::string_view file) {
  std::error_code ec;
  std::filesystem::remove(dir / file, ec);
}

}  // namespace agentmesh::daemon
