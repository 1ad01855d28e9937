#include "wire/agent_message.hpp"

#include "agent_message.pb.h"
#include "wire/error.hpp"

namespace agentmesh::wire::agent_message {

std::string encode(const Payload& p) {
  pb::AgentPayload m;
  m.set_version(kVersion);
  m.set_agent(std::string(p.agent.begin(), p.agent.end()));
  m.set_content_type(p.content_type);
  m.set_body(p.body);
  auto* b = m.mutable_binding();
  b->set_peer(p.binding.peer);
  b->set_expires_ms(p.binding.expires_ms);
  b->set_signature(p.binding.signature);
  return m.SerializeAsString();
}

Result<Payload> decode(std::span<const std::uint8_t> bytes) {
  pb::AgentPayload m;
  if (!m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return error::bad_protobuf;
  if (!m.has_version() || m.version() != kVersion || !m.has_agent() || m.agent().size() != 32 ||
      !m.has_body() || !m.has_binding() || !m.binding().has_peer() || !m.binding().has_expires_ms() ||
      m.binding().signature().size() != 64) {
    return error::bad_protobuf;
  }
  Payload p;
  std::copy(m.agent().begin(), m.agent().end(), p.agent.begin());
  p.content_type = m.content_type();
  p.body = m.body();
  p.binding.peer = m.binding().peer();
  p.binding.expires_ms = m.binding().expires_ms();
  p.binding.signature = m.binding().signature();
  return p;
}

std::string binding_bytes(const std::string& peer, std::uint64_t expires_ms) {
  std::string out(kBindingPrefix);
  out += peer;
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>(expires_ms >> (8 * i)));
  return out;
}

}  // namespace agentmesh::wire::agent_message
