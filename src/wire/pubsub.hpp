#pragma once
// The pubsub RPC codec (gossipsub /meshsub/1.1.0 and /meshsub/1.0.0):
// libp2p/specs pubsub/README.md and pubsub/gossipsub/gossipsub-v1.1.md; notes
// and what js-libp2p sends (tests/interop/). Wire format:
// docs/wire/pubsub.md. Generated protobuf types stay in this module; these are
// the domain structs.
//
// Field presence is kept (proto2): a Message's optional fields are
// std::optional, because the signature covers the re-encoded message and an
// empty field that was present must stay present.
//
// decode() is bounded by Limits (checked on the parsed counts; the caller
// bounds the RPC's byte length before reading it, from its length prefix).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace agentmesh::wire::pubsub {

inline constexpr std::string_view kMeshsub11 = "/meshsub/1.1.0";
inline constexpr std::string_view kMeshsub10 = "/meshsub/1.0.0";
// The signature covers this prefix followed by the re-encoded message.
inline constexpr std::string_view kSignaturePrefix = "libp2p-pubsub:";
inline constexpr std::size_t kSeqnoSize = 8;

struct Limits {
  static constexpr std::size_t kDefaultMaxRpcBytes = 1024 * 1024 + 64 * 1024;
  // Largest RPC accepted (the length prefix is checked against it).
  std::size_t max_rpc_bytes = kDefaultMaxRpcBytes;
  // Entries per RPC.
  std::size_t max_subscriptions = 1024;
  std::size_t max_messages = 1024;
  // Control entries per RPC (IHAVE, IWANT, GRAFT, PRUNE each), and message
  // ids across all IHAVE/IWANT of one RPC.
  std::size_t max_control_entries = 1024;
  std::size_t max_message_ids = 5000;
  // PRUNE peer exchange entries.
  std::size_t max_prune_peers = 16;
  // Topic names.
  std::size_t max_topic_bytes = 256;
};

struct SubOpt {
  bool subscribe = false;
  std::string topic;
  friend bool operator==(const SubOpt&, const SubOpt&) = default;
};

struct Message {
  std::optional<std::string> from;       // PeerId multihash bytes
  std::optional<std::string> data;
  std::optional<std::string> seqno;      // 8 bytes, big-endian
  std::optional<std::string> topic;
  std::optional<std::string> signature;  // Ed25519, 64 bytes
  std::optional<std::string> key;        // PublicKey protobuf
  friend bool operator==(const Message&, const Message&) = default;
};

struct IHave {
  std::string topic;
  std::vector<std::string> message_ids;
  friend bool operator==(const IHave&, const IHave&) = default;
};

struct IWant {
  std::vector<std::string> message_ids;
  friend bool operator==(const IWant&, const IWant&) = default;
};

struct Graft {
  std::string topic;
  friend bool operator==(const Graft&, const Graft&) = default;
};

struct PrunePeer {
  std::string peer_id;             // multihash bytes
  std::string signed_peer_record;  // may be empty
  friend bool operator==(const PrunePeer&, const PrunePeer&) = default;
};

struct Prune {
  std::string topic;
  std::vector<PrunePeer> peers;
  std::optional<std::uint64_t> backoff_s;
  friend bool operator==(const Prune&, const Prune&) = default;
};

struct Control {
  std::vector<IHave> ihave;
  std::vector<IWant> iwant;
  std::vector<Graft> graft;
  std::vector<Prune> prune;
  bool empty() const { return ihave.empty() && iwant.empty() && graft.empty() && prune.empty(); }
  friend bool operator==(const Control&, const Control&) = default;
};

// A message encoded once (encode_message()) and shared by every RPC that
// carries it: gossip fan-out, flood publishing and IWANT answers copy the
// pointer, not the message.
using EncodedMessage = std::shared_ptr<const std::string>;

struct Rpc {
  std::vector<SubOpt> subscriptions;
  std::vector<Message> publish;
  // Outbound only: messages already encoded, written as `publish` entries
  // after those of `publish`. decode() never fills it.
  std::vector<EncodedMessage> encoded_publish;
  Control control;  // encoded only when not empty
  bool empty() const {
    return subscriptions.empty() && publish.empty() && encoded_publish.empty() && control.empty();
  }
  friend bool operator==(const Rpc&, const Rpc&) = default;
};

// The protobuf encoding: subscriptions, publish, encoded_publish, control (a
// parser sees encoded_publish as more publish entries).
std::string encode(const Rpc& rpc);

// A message's fields as views into the bytes being decoded (valid only
// during decode()).
struct MessageView {
  std::optional<std::string_view> from;
  std::optional<std::string_view> data;
  std::optional<std::string_view> seqno;
  std::optional<std::string_view> topic;
  std::optional<std::string_view> signature;
  std::optional<std::string_view> key;
};
Message to_message(const MessageView& view);
// Called for each message before it is copied out of the bytes; false leaves
// it out of Rpc::publish (the gossipsub service drops messages it has seen
// already, three of every four copies in a full mesh, without copying them).
using MessageFilter = std::function<bool(const MessageView&)>;

// bad_protobuf when the bytes do not parse or break a limit (limits count
// every message, kept or not). Parses what protobuf's parser accepts.
Result<Rpc> decode(std::span<const std::uint8_t> bytes, const Limits& limits = {}, const MessageFilter& keep = {});

// The protobuf encoding of one Message (fields in tag order, presence kept).
std::string encode_message(const Message& message);
EncodedMessage encode_shared(const Message& message);
// What a message signature covers: kSignaturePrefix || the message encoded
// with `signature` and `key` cleared (what js-libp2p and go-libp2p sign,
// although the spec text names only `signature`).
std::string signing_bytes(const Message& message);

}  // namespace agentmesh::wire::pubsub
