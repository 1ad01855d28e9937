#pragma once
// transport/autonat: AutoNAT v1 (/libp2p/autonat/1.0.0; wire/autonat.hpp,
// docs/wire/autonat.md). Whether this daemon can be dialed from outside:
// `public` (peers dialed it back), `private` (their dial-backs failed: behind
// NAT or a firewall), or `unknown` (no peer that serves AutoNAT answered).
//
// Client: after the first connection to a peer that lists the protocol in
// identify, and then periodically, asks up to servers_per_check of them to
// dial it back at its listen addresses and at the addresses peers observe it
// at (identify's observedAddr, with the listen port). The latest answer of
// each server counts (at most 8 servers): OK is a vote for public,
// E_DIAL_ERROR for private; refusals and failures are no vote. The state is
// public (private) when those votes outnumber the others and there are at
// least two of them, or one when only one server answered.
//
// Server (opt-in, AutoNatConfig::service): dials back only addresses on the
// IP the request came from (the spec's rule against using servers to flood
// a third party), at most max_dial_back_addrs of them, each with a fresh
// connection that the Noise handshake proves is the requester's; one
// request per peer per per_peer_interval, max_requests_per_minute in all,
// max_concurrent at once; every refusal is counted.
//
// Threading: the host's executor.

#include <spdlog/logger.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/multiaddr.hpp"
#include "core/peer_id.hpp"
#include "transport/config.hpp"
#include "transport/host.hpp"
#include "transport/info.hpp"
#include "wire/autonat.hpp"

namespace agentmesh::transport {

class AutoNat : public std::enable_shared_from_this<AutoNat> {
 public:
  AutoNat(std::shared_ptr<Host> host, AutoNatConfig config, std::shared_ptr<spdlog::logger> log);

  // Registers the server's handler when configured, and starts the client.
  void start();
  void stop();
  AutoNatStatus status() const;

 private:
  struct Vote {
    wire::autonat::Status status;
    std::int64_t at_ms;
  };

  Task<void> client_loop();
  // One check: asks the servers in parallel; true when any answered.
  Task<bool> check();
  Task<void> ask(core::PeerId server, std::vector<core::Multiaddr> addrs, std::shared_ptr<std::size_t> pending);
  // One DIAL on a fresh stream; the server's DIAL_RESPONSE.
  Task<Result<wire::autonat::DialResponse>> request(core::PeerId server, std::vector<core::Multiaddr> addrs);
  std::vector<core::Multiaddr> candidate_addrs() const;
  void recompute();

  Task<void> serve(std::shared_ptr<Stream> stream);
  Task<wire::autonat::DialResponse> answer(const core::PeerId& peer, const core::Multiaddr& from,
                                           const wire::autonat::Dial& dial);
  std::optional<std::string> refuse_reason(const core::PeerId& peer, std::chrono::steady_clock::time_point now);

  std::shared_ptr<Host> host_;
  AutoNatConfig config_;
  std::shared_ptr<spdlog::logger> log_;
  std::shared_ptr<boost::asio::steady_timer> timer_;
  std::mt19937_64 rng_{std::random_device{}()};
  bool stopped_ = false;
  // client
  std::map<core::PeerId, Vote> votes_;  // the latest answer of each server
  AutoNatStatus status_;
  // server
  std::unordered_map<core::PeerId, std::chrono::steady_clock::time_point> last_request_;
  std::deque<std::chrono::steady_clock::time_point> recent_;  // requests in the last minute
  std::size_t in_progress_ = 0;
};

}  // namespace agentmesh::transport
