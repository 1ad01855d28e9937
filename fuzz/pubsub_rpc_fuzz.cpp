// Fuzzes the pubsub RPC decoder:
//   - what decodes re-encodes and decodes equal (presence included), and
//     signing_bytes never throws;
//   - the hand-written decoder agrees with protobuf's generated parser: it
//     accepts exactly what that parser accepts (except groups nested deeper
//     than ProtobufReader::kMaxGroupDepth) and reads the same fields;
//   - a filter that drops every message leaves everything else unchanged.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <limits>

#include "rpc.pb.h"
#include "wire/protobuf_reader.hpp"
#include "wire/pubsub.hpp"

namespace {

using namespace agentmesh::wire;

bool same_field(const std::optional<std::string>& ours, bool has, const std::string& theirs) {
  return ours.has_value() == has && (!has || *ours == theirs);
}

void check_against_protobuf(const std::uint8_t* data, std::size_t size) {
  constexpr auto kMax = std::numeric_limits<std::size_t>::max();
  pubsub::Limits none;
  none.max_rpc_bytes = kMax;
  none.max_subscriptions = kMax;
  none.max_messages = kMax;
  none.max_control_entries = kMax;
  none.max_message_ids = kMax;
  none.max_prune_peers = kMax;
  none.max_topic_bytes = kMax;
  auto ours = pubsub::decode({data, size}, none);
  pb::RPC theirs;
  const bool their_ok = theirs.ParseFromArray(data, static_cast<int>(size));
  if (!ours) {
    // Our only stricter rule: group nesting. Deeper groups need more than
    // kMaxGroupDepth start-group tags, each with wire type 3 in a byte.
    const auto group_bytes = std::count_if(data, data + size, [](std::uint8_t b) { return (b & 7) == 3; });
    if (their_ok && group_bytes <= ProtobufReader::kMaxGroupDepth) std::abort();
    return;
  }
  if (!their_ok) std::abort();
  if (static_cast<int>(ours->subscriptions.size()) != theirs.subscriptions_size()) std::abort();
  for (int i = 0; i < theirs.subscriptions_size(); ++i) {
    const auto& s = theirs.subscriptions(i);
    if (ours->subscriptions[i].subscribe != s.subscribe() || ours->subscriptions[i].topic != s.topicid()) std::abort();
  }
  if (static_cast<int>(ours->publish.size()) != theirs.publish_size()) std::abort();
  for (int i = 0; i < theirs.publish_size(); ++i) {
    const auto& m = theirs.publish(i);
    const auto& o = ours->publish[i];
    if (!same_field(o.from, m.has_from(), m.from()) || !same_field(o.data, m.has_data(), m.data()) ||
        !same_field(o.seqno, m.has_seqno(), m.seqno()) || !same_field(o.topic, m.has_topic(), m.topic()) ||
        !same_field(o.signature, m.has_signature(), m.signature()) || !same_field(o.key, m.has_key(), m.key())) {
      std::abort();
    }
  }
  const auto& c = theirs.control();
  if (static_cast<int>(ours->control.ihave.size()) != c.ihave_size() ||
      static_cast<int>(ours->control.iwant.size()) != c.iwant_size() ||
      static_cast<int>(ours->control.graft.size()) != c.graft_size() ||
      static_cast<int>(ours->control.prune.size()) != c.prune_size()) {
    std::abort();
  }
  // Dropping every message changes nothing else.
  auto filtered = pubsub::decode({data, size}, none, [](const pubsub::MessageView&) { return false; });
  if (!filtered || !filtered->publish.empty()) std::abort();
  filtered->publish = ours->publish;
  if (!(*filtered == *ours)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  check_against_protobuf(data, size);
  auto rpc = pubsub::decode({data, size});
  if (!rpc) return 0;
  const auto again = pubsub::encode(*rpc);
  auto back = pubsub::decode({reinterpret_cast<const std::uint8_t*>(again.data()), again.size()});
  if (!back || !(*back == *rpc)) std::abort();
  for (const auto& m : rpc->publish) (void)pubsub::signing_bytes(m);
  return 0;
}
