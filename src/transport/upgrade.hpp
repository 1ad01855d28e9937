#pragma once
// The connection upgrade: a connected TCP socket, or a relayed circuit
// (RawLink), becomes a Connection.
//
//   1. multistream-select /noise             (dialer proposes)
//   2. Noise XX with the libp2p payload      (dialer = initiator; a dial to
//                                             /p2p/<id> rejects another id)
//   3. multistream-select /yamux/1.0.0       (inside Noise; we send no
//                                             stream_muxers extension, so
//                                             js falls back to this too)
//   4. yamux session (dialer = client, odd stream ids)
//
// Bytes that arrive early (after a final negotiation message in the same
// read) are carried into the next stage. The caller bounds the whole upgrade
// with a deadline (Host: handshake_timeout).

#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <optional>
#include <string>

#include "core/multiaddr.hpp"
#include "core/peer_id.hpp"
#include "crypto/crypto.hpp"
#include "transport/connection.hpp"

namespace agentmesh::transport {

struct Upgraded {
  std::shared_ptr<Connection> connection;
  std::string initial;  // yamux bytes received with the negotiation
};

// REQUIRES: `identity` outlives the returned task.
Task<Result<Upgraded>> upgrade(RawLink link, Direction direction,
                               const crypto::SigningKey& identity, std::optional<core::PeerId> expected,
                               core::Multiaddr remote_addr, yamux::SessionConfig yamux,
                               std::chrono::milliseconds keepalive);

}  // namespace agentmesh::transport
