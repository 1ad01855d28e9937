#include "floor.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <stdexcept>
#include <thread>

#include "bench_util.hpp"
#include "crypto/crypto.hpp"

namespace agentmesh::bench {

namespace {

constexpr std::size_t kRecord = 256;
constexpr int kFsyncSamples = 2000;
constexpr int kRoundTrips = 20000;
constexpr int kSealRounds = 20000;

Distribution fsync_latency(const std::filesystem::path& dir) {
  const auto path = dir / "floor-fsync.log";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0600);
  if (fd < 0) throw std::runtime_error("floor: cannot create " + path.string());
  const std::array<char, kRecord> record{};
  std::vector<double> ms;
  ms.reserve(kFsyncSamples);
  for (int i = 0; i < kFsyncSamples; ++i) {
    const auto t0 = now_ns();
    if (::write(fd, record.data(), record.size()) != static_cast<ssize_t>(record.size()) || ::fdatasync(fd) != 0) {
      ::close(fd);
      throw std::runtime_error("floor: write or fdatasync failed");
    }
    ms.push_back(static_cast<double>(now_ns() - t0) / 1e6);
  }
  ::close(fd);
  std::filesystem::remove(path);
  return distribution(std::move(ms));
}

bool exchange(int fd, char* buf, bool send_first) {
  auto recv_all = [&] {
    for (std::size_t got = 0; got < kRecord;) {
      const auto n = ::recv(fd, buf + got, kRecord - got, 0);
      if (n <= 0) return false;
      got += static_cast<std::size_t>(n);
    }
    return true;
  };
  if (!send_first && !recv_all()) return false;
  if (::send(fd, buf, kRecord, MSG_NOSIGNAL) != static_cast<ssize_t>(kRecord)) return false;
  return send_first ? recv_all() : true;
}

Distribution loopback_round_trip() {
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listener, 1) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(listener);
    throw std::runtime_error("floor: loopback listener");
  }
  std::thread echo([listener] {
    const int fd = ::accept(listener, nullptr, nullptr);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::array<char, kRecord> buf{};
    while (exchange(fd, buf.data(), false)) {
    }
    ::close(fd);
  });
  const int fd = connect_loopback(ntohs(addr.sin_port));
  const bool connected = fd >= 0;
  std::vector<double> ms;
  ms.reserve(kRoundTrips);
  std::array<char, kRecord> buf{};
  for (int i = 0; connected && i < kRoundTrips; ++i) {
    const auto t0 = now_ns();
    if (!exchange(fd, buf.data(), true)) break;
    ms.push_back(static_cast<double>(now_ns() - t0) / 1e6);
  }
  if (connected) {
    ::close(fd);  // the echo thread's recv ends
  } else {
    ::shutdown(listener, SHUT_RDWR);  // its accept ends
  }
  echo.join();
  ::close(listener);
  if (ms.size() != static_cast<std::size_t>(kRoundTrips)) throw std::runtime_error("floor: loopback exchange failed");
  return distribution(std::move(ms));
}

// A 256-byte message's body encodes to about 330 bytes; the envelope header (the associated data) to about 100.
double seal_open_us() {
  crypto::SymmetricKey key{};
  crypto::random_bytes(key);
  const std::vector<std::uint8_t> body(330, 0x78);
  const std::vector<std::uint8_t> header(100, 0x68);
  std::size_t opened = 0;
  const auto t0 = now_ns();
  for (int i = 0; i < kSealRounds; ++i) {
    const auto sealed = crypto::seal(key, body, header);
    if (crypto::open(key, sealed, header).has_value()) ++opened;
  }
  const auto per = static_cast<double>(now_ns() - t0) / 1e3 / kSealRounds;
  if (opened != static_cast<std::size_t>(kSealRounds)) throw std::runtime_error("floor: an envelope did not open");
  return per;
}

}  // namespace

Floor measure_floor(const std::filesystem::path& dir) {
  Floor f;
  f.fsync_ms = fsync_latency(dir);
  f.loopback_ms = loopback_round_trip();
  f.envelope_seal_open_us = seal_open_us();
  return f;
}

}  // namespace agentmesh::bench
