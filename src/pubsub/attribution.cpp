#include "pubsub/attribution.hpp"

#include "core/bytes.hpp"
#include "pubsub/error.hpp"

namespace agentmesh::pubsub {
namespace {
using core::bytes_of;
}  // namespace

wire::agent_message::Binding Attribution::bind(const crypto::SigningKey& agent, const core::PeerId& peer,
                                               std::uint64_t expires_ms) {
  wire::agent_message::Binding b;
  b.peer = peer.multihash();
  b.expires_ms = expires_ms;
  const auto sig = agent.sign(bytes_of(wire::agent_message::binding_bytes(b.peer, expires_ms)));
  b.signature.assign(sig.begin(), sig.end());
  return b;
}

Result<core::AgentId> Attribution::check(const wire::agent_message::Payload& p, const core::PeerId& author,
                                         std::uint64_t now_ms) {
  if (p.binding.peer != author.multihash() || p.binding.expires_ms <= now_ms || p.binding.signature.size() != 64) {
    return error::bad_binding;
  }
  const auto agent = core::AgentId::from_array(p.agent);
  std::string key(p.agent.begin(), p.agent.end());
  key += p.binding.peer;
  key += wire::agent_message::binding_bytes({}, p.binding.expires_ms);
  key += p.binding.signature;
  if (verified_.contains(key)) {
    ++cache_hits_;
    return agent;
  }
  ++verifications_;
  crypto::Signature sig{};
  std::copy(p.binding.signature.begin(), p.binding.signature.end(), sig.begin());
  if (!crypto::verify(p.agent, bytes_of(wire::agent_message::binding_bytes(p.binding.peer, p.binding.expires_ms)),
                      sig)) {
    return error::bad_binding;
  }
  verified_.insert(key);
  order_.push_back(std::move(key));
  if (order_.size() > cache_size_) {
    verified_.erase(order_.front());
    order_.pop_front();
  }
  return agent;
}

}  // namespace agentmesh::pubsub
