#pragma once
// Attribution: who published a topic message, without a second signature per
// message. docs/security.md ("Topic messages: who published") has the threat
// model.
//
// An agent signs a binding to the daemon (peer) that publishes for it:
//   Ed25519_agent("agentmesh-agent-binding/1:" || peer multihash || expires_ms)
// and every message the daemon publishes for that agent carries the binding.
// The libp2p signature (StrictSign, by the peer) covers the whole payload, so
// a receiver that checks (1) the libp2p signature (the router does), (2) that
// the binding names the message's author peer, (3) that it has not expired
// and (4) the agent's signature on it, knows the agent authorised that peer
// and the peer published this message. (4) is cached per binding: one
// Ed25519 verification per (agent, peer, expiry), not per message.

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_set>

#include "core/ids.hpp"
#include "core/peer_id.hpp"
#include "core/result.hpp"
#include "crypto/crypto.hpp"
#include "wire/agent_message.hpp"

namespace agentmesh::pubsub {

class Attribution {
 public:
  explicit Attribution(std::size_t cache_size = 4096) : cache_size_(cache_size) {}

  static wire::agent_message::Binding bind(const crypto::SigningKey& agent, const core::PeerId& peer,
                                           std::uint64_t expires_ms);
  // The publishing agent, if the binding holds (error::bad_binding otherwise).
  Result<core::AgentId> check(const wire::agent_message::Payload& payload, const core::PeerId& author,
                              std::uint64_t now_ms);

  std::uint64_t verifications() const { return verifications_; }
  std::uint64_t cache_hits() const { return cache_hits_; }

 private:
  std::size_t cache_size_;
  std::unordered_set<std::string> verified_;
  std::deque<std::string> order_;
  std::uint64_t verifications_ = 0;
  std::uint64_t cache_hits_ = 0;
};

}  // namespace agentmesh::pubsub
