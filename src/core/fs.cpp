#include "core/fs.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

namespace agentmesh::core {
namespace {

error_code last_errno() { return {errno, boost::system::system_category()}; }

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

Result<void> fsync_dir(const std::filesystem::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return last_errno();
  if (::fsync(fd.get()) != 0) return last_errno();
  return {};
}

}  // namespace

Result<void> write_file_atomic(const std::filesystem::path& path, std::string_view contents, mode_t mode) {
  const auto dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
  std::string tmpl = (dir / ("." + path.filename().string() + ".tmpXXXXXX")).string();
  Fd fd(::mkstemp(tmpl.data()));
  if (fd.get() < 0) return last_errno();
  auto fail = [&](error_code ec) -> Result<void> {
    ::unlink(tmpl.c_str());
    return ec;
  };
  if (::fchmod(fd.get(), mode) != 0) return fail(last_errno());
  std::size_t off = 0;
  while (off < contents.size()) {
    const ssize_t n = ::write(fd.get(), contents.data() + off, contents.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(last_errno());
    }
    off += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return fail(last_errno());
  if (::close(fd.release()) != 0) return fail(last_errno());
  if (::rename(tmpl.c_str(), path.c_str()) != 0) return fail(last_errno());
  return fsync_dir(dir);
}

Result<std::string> read_small_file(const std::filesystem::path& path, std::size_t max_bytes) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return last_errno();
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return last_errno();
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > max_bytes) return error_code(EFBIG, boost::system::system_category());
  }
  return out;
}

Result<void> ensure_private_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return {};
  if (!dir.parent_path().empty()) {
    std::filesystem::create_directories(dir.parent_path(), ec);
    if (ec) return error_code(ec.value(), boost::system::system_category());
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return last_errno();
  return {};
}

std::string check_dir_private(const std::filesystem::path& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return fmt::format("cannot stat {}: {}", dir.string(), std::strerror(errno));
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return fmt::format("data directory {} is writable by group or others (mode {:o}); fix it with: chmod 700 {}",
                       dir.string(), st.st_mode & 0777, dir.string());
  }
  if ((st.st_mode & 0077) != 0) {
    return fmt::format(
        "data directory {} is readable by group or others (mode {:o}), and its database holds every agent's "
        "messages; fix it with: chmod 700 {}",
        dir.string(), st.st_mode & 0777, dir.string());
  }
  return {};
}

Result<std::optional<unsigned>> make_file_private(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::optional<unsigned>{};
    return last_errno();
  }
  if ((st.st_mode & 0077) == 0) return std::optional<unsigned>{};
  if (::chmod(file.c_str(), st.st_mode & 0700) != 0) return last_errno();
  return std::optional<unsigned>{st.st_mode & 0777};
}

std::string check_file_private(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return fmt::format("cannot stat {}: {}", file.string(), std::strerror(errno));
  if ((st.st_mode & 0077) != 0) {
    return fmt::format("key file {} is accessible by group or others (mode {:o}); fix it with: chmod 600 {}",
                       file.string(), st.st_mode & 0777, file.string());
  }
  return {};
}

}  // namespace agentmesh::core
