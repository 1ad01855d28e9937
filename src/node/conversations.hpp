#pragma once
// node/conversations: conversation tracking (issue 13).
//
// Every message that carries a conversation_id updates a view of that
// conversation for each local participant: the sender's when it is hosted
// here, the recipient's when it is. A view holds the participants, the
// protocol, the message count, first and last activity, and the newest
// messages (ConversationConfig::limits). It is written by note() inside the
// transaction that commits the message itself (a local delivery, an outbox
// row, a task event), so a view counts each message exactly once and
// survives any crash the message survives.
//
// A view is `active` until it has had no message for idle_timeout_ms, then
// `expired` (computed from its last activity; a new message makes it active
// again); expired views are deleted retention_ms later (tick()).
//
// Replies: resolve_reply() fills a send's recipient and conversation_id from
// the received message its in_reply_to names (by reply_with, or by request
// id).
//
// Errors: node::error::unknown_agent, unknown_conversation,
// unknown_reply_target; the store's.
//
// Threading: the node's executor, except note(), which runs in writer jobs.

#include <memory>
#include <optional>
#include <vector>

#include "node/agents.hpp"
#include "node/context.hpp"
#include "node/ticker.hpp"
#include "node/types.hpp"

namespace agentmesh::node {

class ConversationService : public std::enable_shared_from_this<ConversationService> {
 public:
  static constexpr std::chrono::seconds kPurgeInterval{60};

  ConversationService(ServiceContext ctx, std::shared_ptr<AgentService> agents);

  void start();
  void stop();

  // In a writer job: adds a message to `agent`'s view of its conversation
  // when it has a conversation_id (nothing otherwise). `peer` is the
  // recipient of a sent message, the sender of a received one. Returns
  // whether a view was created.
  static Result<bool> note(store::Store& s, const ConversationConfig& config, const core::AgentId& agent, bool sent,
                           const core::AgentId& peer, const core::RequestId& id, core::Seq seq, core::UnixMs now,
                           const MessageContent& content);

  // Fills in req.to and req.content.conversation_id, where they are empty,
  // from the message `from` received that req.content.in_reply_to names.
  // unknown_reply_target when req.to is empty and nothing matches.
  static Result<void> resolve_reply(store::Store& reader, const core::AgentId& from, SendRequest& req);

  // The agent's conversations, by id. unknown_agent.
  Result<std::vector<Conversation>> list(const core::AgentId& agent, const ConversationListQuery& q) const;
  // One conversation and its messages with index > after, at most `limit`.
  // unknown_agent, unknown_conversation.
  Result<ConversationView> get(const core::AgentId& agent, const std::string& id, std::uint64_t after,
                               std::size_t limit) const;

  // Observes the views that expired since the last call (their length and
  // duration, for the figures); deletes views expired for longer than the
  // retention when a pass is due. Returns the next due time.
  std::optional<core::UnixMs> tick();
  // One pass now (what tick() runs).
  Task<Result<std::size_t>> purge(core::UnixMs now);

  Result<ConversationStats> stats() const;

 private:
  Conversation to_conversation(const store::ConversationRecord& r) const;

  ServiceContext ctx_;
  std::shared_ptr<AgentService> agents_;
  Ticker ticker_;
  core::UnixMs next_purge_ms_ = 0;
  bool purging_ = false;
  std::uint64_t purged_ = 0;
  // Views with last activity before this have been observed as ended.
  std::optional<core::UnixMs> observed_until_;
  core::Histogram ended_messages_{1, 2, 5, 10, 20, 50, 100, 1000, 10000};
  core::Histogram ended_duration_ms_{1e3, 1e4, 6e4, 6e5, 3.6e6, 2.16e7, 8.64e7, 6.048e8};
};

}  // namespace agentmesh::node
