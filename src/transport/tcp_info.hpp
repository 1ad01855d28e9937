#pragma once
// What the kernel knows about a TCP connection's sending side (TCP_INFO),
// for the connection's pacing (connection.hpp). Separate from Asio: the
// kernel's <linux/tcp.h> and the C library's <netinet/tcp.h> cannot be in one
// translation unit.

#include <cstdint>

namespace agentmesh::transport {

struct TcpSendInfo {
  std::uint64_t bytes_acked = 0;    // acknowledged by the peer since the connection opened
  std::uint64_t delivery_rate = 0;  // the kernel's latest delivery rate sample, bytes per second
  std::uint32_t notsent_bytes = 0;  // written, not sent yet
  std::uint64_t unacked_bytes = 0;  // sent, not acknowledged yet (segments in flight x MSS)
  std::uint32_t rtt_us = 0;         // smoothed round-trip time
  std::uint32_t min_rtt_us = 0;     // the smallest seen lately (no queue in the path)
};

// False when the socket cannot say (not TCP, an old kernel).
bool read_tcp_send_info(int fd, TcpSendInfo& out);

}  // namespace agentmesh::transport
