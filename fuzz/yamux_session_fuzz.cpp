// Fuzzes the yamux session state machine: the input is a byte stream from
// the peer, interleaved with local operations chosen by a leading byte per
// chunk. Invariants: no crash; buffered data never exceeds the receive
// window; a dead session stays dead.
#include <cstdint>
#include <cstdlib>

#include "transport/yamux_session.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentmesh::transport::yamux;
  if (size < 2) return 0;
  SessionConfig config;
  config.receive_window = 256 * 1024;
  config.max_inbound_streams = 8;
  config.max_unacked_outbound = 4;
  Session s(data[0] & 1 ? Role::client : Role::server, config);
  std::size_t pos = 1;
  std::uint8_t buf[4096];
  while (pos < size) {
    const std::uint8_t op = data[pos++];
    const std::size_t n = std::min<std::size_t>(size - pos, (op >> 3) + 1);
    const std::span<const std::uint8_t> chunk(data + pos, n);
    pos += n;
    switch (op & 7) {
      case 0:
      case 1:
      case 2: {
        const bool was_dead = s.dead();
        (void)s.on_bytes(chunk);
        if (was_dead && !s.dead()) std::abort();
        break;
      }
      case 3: (void)s.open_stream(); break;
      case 4: (void)s.write(n, chunk); break;
      case 5: (void)s.read(n, buf); break;
      case 6: (void)s.close_write(n); break;
      default: s.release(n); break;
    }
    for (const auto& e : s.take_events()) {
      if (e.kind == Event::Kind::readable && s.stream(e.stream).readable > config.receive_window) std::abort();
    }
    (void)s.take_output();
  }
  return 0;
}
