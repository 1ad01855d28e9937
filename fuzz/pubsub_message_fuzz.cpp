// Fuzzes the pubsub message validator: an RPC's messages through StrictSign
// verification and, when they carry one, the agentmesh payload decoder and
// the attribution check. Invariants: no crash; a message that verifies has a
// 44-byte id; the payload decoder (by hand) agrees with protobuf's generated
// parser followed by the same checks.
#include <cstdint>
#include <cstdlib>

#include "agent_message.pb.h"
#include "pubsub/attribution.hpp"
#include "pubsub/message.hpp"
#include "wire/agent_message.hpp"
#include "wire/pubsub.hpp"

namespace {

// The payload decoder against protobuf's parser and the documented checks.
void check_payload(std::span<const std::uint8_t> bytes) {
  using namespace agentmesh::wire;
  auto ours = agent_message::decode(bytes);
  pb::AgentPayload m;
  const bool valid = m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) && m.has_version() &&
                     m.version() == agent_message::kVersion && m.has_agent() && m.agent().size() == 32 &&
                     m.has_body() && m.has_binding() && m.binding().has_peer() && m.binding().has_expires_ms() &&
                     m.binding().signature().size() == 64;
  if (ours.has_value() != valid) std::abort();
  if (!valid) return;
  if (std::string(ours->agent.begin(), ours->agent.end()) != m.agent() || ours->content_type != m.content_type() ||
      ours->body != m.body() || ours->binding.peer != m.binding().peer() ||
      ours->binding.expires_ms != m.binding().expires_ms() || ours->binding.signature != m.binding().signature()) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentmesh;
  static pubsub::Attribution attribution;
  auto rpc = wire::pubsub::decode({data, size});
  if (!rpc) {
    check_payload({data, size});
    return 0;
  }
  for (const auto& m : rpc->publish) {
    auto author = pubsub::verify(m);
    if (author && pubsub::message_id(m).size() != 44) std::abort();
    if (!m.data) continue;
    check_payload({reinterpret_cast<const std::uint8_t*>(m.data->data()), m.data->size()});
    auto payload = wire::agent_message::decode(
        {reinterpret_cast<const std::uint8_t*>(m.data->data()), m.data->size()});
    if (payload && author) (void)attribution.check(*payload, *author, 0);
  }
  return 0;
}
