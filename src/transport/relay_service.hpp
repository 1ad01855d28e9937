#pragma once
// RelayService: the hop side of circuit relay v2 (docs/wire/circuit.md),
// opt-in (--relay-service). A peer RESERVEs a slot (answered with our
// addresses, an expiry and a voucher we sign); another peer CONNECTs to a
// peer holding a slot: we open a stop stream to it, and once it accepts we
// copy bytes between the two streams until either side ends, a direction
// passes the data limit or the duration limit passes.
//
// Limits (RelayServiceConfig): reservations, circuits in all and per peer
// (as source or target), requests per peer per minute, per-circuit bytes in
// each direction and duration. Over a limit the request is answered with the
// spec's status (RESERVATION_REFUSED, RESOURCE_LIMIT_EXCEEDED) and counted;
// nothing else is affected. A request over 4 KiB, or not whole within 10 s,
// resets its stream (counted as oversized / unreadable). A peer connected through a relay can neither
// reserve nor connect through us (PERMISSION_DENIED: no circuits over
// circuits). A reservation ends at its expiry or when its peer disconnects.
//
// Threading: the host's executor, like the host.

#include <spdlog/logger.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/peer_id.hpp"
#include "transport/config.hpp"
#include "transport/host.hpp"
#include "transport/info.hpp"
#include "wire/circuit.hpp"

namespace agentmesh::transport {

class RelayService : public std::enable_shared_from_this<RelayService> {
 public:
  static std::shared_ptr<RelayService> create(std::shared_ptr<Host> host, RelayServiceConfig config,
                                              std::shared_ptr<spdlog::logger> log);
  // Serves the hop protocol; drops reservations of peers that disconnect.
  void start();
  // Ends every circuit; answers no more requests.
  void stop();
  // The service's part of RelayStatus.
  void fill(RelayStatus& status) const;

 private:
  struct Circuit;
  struct Rate {
    std::chrono::steady_clock::time_point since;
    std::size_t count = 0;
  };
  RelayService(std::shared_ptr<Host> host, RelayServiceConfig config, std::shared_ptr<spdlog::logger> log);

  Task<void> serve(std::shared_ptr<Stream> stream);
  Task<void> reserve(std::shared_ptr<Stream> stream);
  Task<void> connect(std::shared_ptr<Stream> stream, wire::circuit::Peer target);
  // Answers a hop request with `status` (and counts it).
  Task<void> answer(std::shared_ptr<Stream> stream, wire::circuit::Status status);
  // What every answer and stop request carries; none without limits.
  std::optional<wire::circuit::Limit> limit() const;
  bool within_rate(const core::PeerId& peer);
  bool reserved(const core::PeerId& peer) const;
  void run(std::shared_ptr<Circuit> circuit);
  Task<void> pump(std::shared_ptr<Circuit> circuit, bool forward);
  void finished(Circuit& circuit);
  // Gives back the circuit's slots (in all, per source, per target).
  void release(const Circuit& circuit);

  std::shared_ptr<Host> host_;
  RelayServiceConfig config_;
  std::shared_ptr<spdlog::logger> log_;
  struct Reserved {
    std::chrono::steady_clock::time_point expires;
    std::string ip;  // "/ip4/A.B.C.D" of the connection it came on
  };
  std::unordered_map<core::PeerId, Reserved> reservations_;
  std::unordered_map<core::PeerId, std::size_t> circuits_per_peer_;
  std::unordered_map<core::PeerId, Rate> rates_;
  std::vector<std::weak_ptr<Circuit>> live_;
  std::size_t circuits_ = 0;
  bool stopped_ = false;
  std::map<std::string, std::uint64_t> requests_;
  std::map<std::string, std::uint64_t> closed_;
  std::uint64_t bytes_ = 0;
};

}  // namespace agentmesh::transport
