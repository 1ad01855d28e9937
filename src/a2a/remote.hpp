#pragma once
// a2a/remote: what the outbound client (api/a2a_outbound.hpp) reads from
// and writes to an A2A agent outside the mesh: its Agent Card, the JSON-RPC
// requests it is sent, its answers, and the SSE stream they come in.
//
//   parse_card        an AgentCard (v1.0 ProtoJSON): its name, the interface
//                     to call (JSON-RPC 1.0, else HTTP+JSON 1.0), and whether
//                     it streams; a card with neither is refused with the
//                     reason (A2A 0.3 cards, gRPC-only cards)
//   parse_response    a JSON-RPC response envelope: its result as an Update,
//                     or its error
//   parse_answer      an answer of the card's binding: JSON-RPC's envelope, or
//                     HTTP+JSON's bare result or google.rpc.Status error
//   send_message_call, task_call: a request in the card's binding (JSON-RPC:
//                     a POST of the envelope to the interface; HTTP+JSON:
//                     /message:send, /message:stream, GET /tasks/{id},
//                     POST /tasks/{id}:cancel, POST /tasks/{id}:subscribe)
//   Update            a Task, a Message, a status update or an artifact
//                     update (a SendMessage result, a StreamResponse, or
//                     GetTask's Task), parts decoded as a2a/mapping's part_of
//   SseParser         text/event-stream: the data of each event, each at most
//                     max_event bytes (longer: an error, the stream is dropped)
//
// Every decoder takes untrusted bytes; bounded (kMaxBodyBytes, kMaxDepth),
// never throws (fuzz/a2a_remote_fuzz.cpp).
//
// Threading: none (pure functions; an SseParser belongs to one stream).

#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tasks/types.hpp"

namespace agentmesh::a2a {

struct RemoteCard {
  std::string name;
  std::string url;    // the interface's URL (HTTP+JSON: without a trailing slash)
  bool rest = false;  // HTTP+JSON (else JSON-RPC)
  bool streaming = false;
};

// The card's JSON, or why it cannot be used.
std::variant<RemoteCard, std::string> parse_card(std::string_view body);

struct RemoteArtifact {
  std::string id;  // artifactId
  std::vector<tasks::Part> parts;
  bool append = false;
  bool last = true;
};

struct Update {
  enum class Kind : std::uint8_t { task, message, status, artifact };
  Kind kind = Kind::task;
  std::string task_id;  // empty for a Message without one
  std::string context_id;
  std::optional<tasks::TaskState> state;  // task, status
  std::vector<tasks::Part> message;       // the status message's parts, or the Message's
  std::vector<RemoteArtifact> artifacts;  // task: all of them; artifact: the one
};

// A result object ({"task"}, {"message"}, {"statusUpdate"}, {"artifactUpdate"}
// or a bare Task), or why it is not one.
std::variant<Update, std::string> parse_update(const boost::json::value& v);

struct RpcFailure {
  int code = 0;
  std::string message;
};
// A JSON-RPC response's result decoded, its error, or why it is neither.
std::variant<Update, RpcFailure, std::string> parse_response(std::string_view body);

// The JSON-RPC requests (v1.0 method names). `message_id` is the idempotency
// key: a request sent again after an unknown outcome keeps it.
struct OutboundMessage {
  std::string message_id;
  std::string task_id;  // answers that task (input required)
  std::string context_id;
  std::vector<tasks::Part> parts;
};
std::string send_message_request(std::uint64_t id, const OutboundMessage& m, bool streaming);
std::string task_request(std::uint64_t id, std::string_view method, std::string_view task_id);

// One HTTP request of the card's binding.
struct RemoteCall {
  bool get = false;  // else POST
  std::string url;
  std::string body;
};
RemoteCall send_message_call(const RemoteCard& card, std::uint64_t id, const OutboundMessage& m, bool streaming);
// `method`: GetTask, CancelTask or SubscribeToTask.
RemoteCall task_call(const RemoteCard& card, std::uint64_t id, std::string_view method, std::string_view task_id);
// An answer's body (a whole answer, or one event of a stream) in the card's binding.
std::variant<Update, RpcFailure, std::string> parse_answer(const RemoteCard& card, std::string_view body);

class SseParser {
 public:
  explicit SseParser(std::size_t max_event) : max_event_(max_event) {}
  // Appends bytes; the data of each event they complete. False (and `why`)
  // when an event is too long.
  bool feed(std::string_view bytes, std::vector<std::string>& events, std::string& why);

 private:
  std::size_t max_event_;
  std::string line_;
  std::string data_;
  bool has_data_ = false;
  bool skip_lf_ = false;
};

}  // namespace agentmesh::a2a
