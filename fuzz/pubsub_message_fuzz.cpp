// Fuzzes the pubsub message validator: an RPC's messages through StrictSign
// verification and, when they carry one, the agentmesh payload decoder and
// the attribution check. Invariants: no crash; a message that verifies has a
// 44-byte id.
#include <cstdint>
#include <cstdlib>

#include "pubsub/attribution.hpp"
#include "pubsub/message.hpp"
#include "wire/agent_message.hpp"
#include "wire/pubsub.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentmesh;
  static pubsub::Attribution attribution;
  auto rpc = wire::pubsub::decode({data, size});
  if (!rpc) {
    (void)wire::agent_message::decode({data, size});
    return 0;
  }
  for (const auto& m : rpc->publish) {
    auto author = pubsub::verify(m);
    if (author && pubsub::message_id(m).size() != 44) std::abort();
    if (!m.data) continue;
    auto payload = wire::agent_message::decode(
        {reinterpret_cast<const std::uint8_t*>(m.data->data()), m.data->size()});
    if (payload && author) (void)attribution.check(*payload, *author, 0);
  }
  return 0;
}
