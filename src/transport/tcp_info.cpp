#include "transport/tcp_info.hpp"

#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>

namespace agentmesh::transport {

bool read_tcp_send_info(int fd, TcpSendInfo& out) {
  tcp_info info{};
  socklen_t len = sizeof info;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return false;
  // Older kernels fill less: the fields we read end with tcpi_delivery_rate.
  if (len < offsetof(tcp_info, tcpi_delivery_rate) + sizeof info.tcpi_delivery_rate) return false;
  out.bytes_acked = info.tcpi_bytes_acked;
  out.delivery_rate = info.tcpi_delivery_rate;
  out.notsent_bytes = info.tcpi_notsent_bytes;
  out.unacked_bytes = static_cast<std::uint64_t>(info.tcpi_unacked) * info.tcpi_snd_mss;
  out.rtt_us = info.tcpi_rtt;
  out.min_rtt_us = info.tcpi_min_rtt;
  return true;
}

}  // namespace agentmesh::transport
