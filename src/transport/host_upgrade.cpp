// Host: the Noise and yamux upgrade every connection runs, whichever way its
// bytes travel (a dialed or accepted TCP socket, a hole punch, a relay's
// circuit), and adopting what it yields.
#include "core/awaitable.hpp"
#include "transport/detail/host_state.hpp"
#include "transport/detail/timeout.hpp"
#include "transport/error.hpp"
#include "transport/upgrade.hpp"

namespace agentmesh::transport {

Task<Result<Upgraded>> Host::handshake(RawLink link, Direction direction, const crypto::SigningKey& identity,
                                       std::optional<core::PeerId> expected, core::Multiaddr remote_addr) {
  auto self = shared_from_this();
  const Counted pending(direction == Direction::inbound ? handshakes_in_ : handshakes_out_);
  auto upgrading = upgrade(std::move(link), direction, identity, expected, std::move(remote_addr), config_.yamux,
                           config_.keepalive_interval);
  auto up = co_await detail::with_timeout(std::move(upgrading), config_.handshake_timeout);
  if (up) {
    ++diag_.handshakes_ok;
  } else {
    count_failure(diag_.handshakes_failed, up.error());
  }
  co_return up;
}

Result<void> Host::adopt_upgraded(Upgraded up) {
  if (stopped_) {
    up.connection->start({}, {}, {}, {}, tasks_);
    up.connection->close(make_error_code(error::going_away));
    return make_error_code(error::going_away);
  }
  adopt(std::move(up.connection), std::move(up.initial));
  return {};
}

}  // namespace agentmesh::transport
