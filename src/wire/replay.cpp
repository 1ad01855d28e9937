#include "wire/replay.hpp"

#include "replay.pb.h"
#include "wire/error.hpp"

namespace agentmesh::wire::replay {

std::string encode(const Request& request) {
  pb::ReplayRequest r;
  r.set_topic(request.topic);
  r.set_since_ms(request.since_ms);
  r.set_max_messages(request.max_messages);
  return r.SerializeAsString();
}

Result<Request> decode_request(std::span<const std::uint8_t> bytes, const pubsub::Limits& limits) {
  if (bytes.size() > kMaxRequestBytes) return error::frame_too_large;
  pb::ReplayRequest r;
  if (!r.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return error::bad_protobuf;
  if (!r.has_topic() || r.topic().empty() || r.topic().size() > limits.max_topic_bytes) return error::bad_protobuf;
  return Request{r.topic(), r.since_ms(), r.max_messages()};
}

std::string encode(const Batch& batch) {
  pb::ReplayBatch b;
  for (auto t : batch.received_ms) b.add_received_ms(t);
  b.set_rpc(pubsub::encode(batch.rpc));
  return b.SerializeAsString();
}

Result<Batch> decode_batch(std::span<const std::uint8_t> bytes, const pubsub::Limits& limits) {
  if (bytes.size() > limits.max_rpc_bytes) return error::frame_too_large;
  pb::ReplayBatch b;
  if (!b.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return error::bad_protobuf;
  auto rpc = pubsub::decode({reinterpret_cast<const std::uint8_t*>(b.rpc().data()), b.rpc().size()}, limits);
  if (!rpc) return rpc.error();
  if (!rpc->subscriptions.empty() || !rpc->control.empty()) return error::bad_protobuf;
  if (static_cast<std::size_t>(b.received_ms_size()) != rpc->publish.size()) return error::bad_protobuf;
  Batch out;
  out.received_ms.assign(b.received_ms().begin(), b.received_ms().end());
  out.rpc = std::move(*rpc);
  return out;
}

}  // namespace agentmesh::wire::replay
