#pragma once
// node/inboxes: every local agent's inbox, its live streams, its block list,
// and the dead letters.
//
// An inbox is an ordered log with gap-free sequence numbers and a cumulative
// ack cursor ("everything up to seq N is handled"). deliver() is the one way
// into an inbox for every path (loopback sends, messages from other daemons,
// durable topic subscriptions, dead-letter retries): it runs direct::deliver
// (dedup on (sender, request_id), the caller's policy, the append) as one
// store transaction, and only after the commit advances the cached cursor and
// wakes the agent's streams. Nothing acked is redelivered; nothing unacked is
// ever pruned.
//
// Retention (tick(), every minute): dedup rows past their expiry and acked
// messages older than acked_retention_ms are deleted.
//
// Errors: node::error::unknown_agent, too_many_streams, unknown_dead_letter;
// store::error::beyond_last (an ack past the last seq), conflict (already
// blocked), not_found (not blocked); the store's (queue_full, stopped, io).
//
// Threading: the node's executor (checked in debug builds).

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include "direct/delivery.hpp"
#include "node/agents.hpp"
#include "node/context.hpp"
#include "node/ticker.hpp"
#include "node/types.hpp"

namespace agentmesh::node {

// What one retention pass deleted.
struct PurgeResult {
  std::size_t dedup = 0;  // expired dedup rows
  std::size_t acked = 0;  // acknowledged messages past retention
};

// Figures for /metrics and /v1/diagnostics.
struct InboxStats {
  struct Agent {
    std::string name;
    InboxPosition position;
  };
  std::vector<Agent> agents;
  std::size_t streams = 0;  // open SSE/WebSocket streams, all agents
  std::uint64_t purged_dedup = 0;
  std::uint64_t purged_acked = 0;
};

class InboxService : public std::enable_shared_from_this<InboxService> {
 public:
  static constexpr std::chrono::seconds kPurgeInterval{60};

  InboxService(ServiceContext ctx, std::shared_ptr<AgentService> agents);

  // Loads every local agent's cursor and the block lists. REQUIRES: the
  // agents are loaded.
  Result<void> load(std::string& why);
  // The reactions to agents created and deleted (cursors, block lists,
  // streams told the agent is gone).
  AgentService::Observer agent_observer();
  void start();
  void stop();

  // --- delivery ---
  // Commits `d` to its recipient's inbox, exactly once (direct/delivery.hpp);
  // then advances the cursor and wakes streams. Counts accepted and
  // duplicate messages. Errors: the delivery's (idempotency_conflict, the
  // policy's refusal), unknown_agent (the recipient is gone), the store's.
  // When it is appended, the message goes into the recipient's conversation
  // view, and into the sender's when `sender_local` (a loopback send).
  Task<Result<direct::DeliveryResult>> deliver(direct::Delivery d, bool sender_local = false);

  // Something committed an entry to `agent`'s inbox in its own transaction
  // (the task service's events): advance the cursor and wake its streams.
  void appended(const core::AgentId& agent, core::Seq seq) { note_appended(agent, seq); }

  // --- reading and acking ---
  // Messages after `after`, at most `limit`, from committed data.
  // unknown_agent.
  Result<std::vector<InboxMessage>> read(const core::AgentId& agent, core::Seq after, std::size_t limit) const;
  // Acks everything up to `up_to` (idempotent; never backwards). Errors:
  // unknown_agent, beyond_last, the store's.
  Task<Result<InboxPosition>> ack(core::AgentId agent, core::Seq up_to);
  std::optional<InboxPosition> position(const core::AgentId& agent) const;
  // Fills in an agent's inbox position and stream count.
  void describe(AgentInfo& info) const;

  // --- live streams ---
  // `wake` is called (on the node thread) when the agent's inbox grows or
  // the agent is deleted. Returns a token for unwatch().
  std::uint64_t watch(const core::AgentId& agent, std::function<void()> wake);
  void unwatch(const core::AgentId& agent, std::uint64_t token);
  // Stream accounting against max_streams_per_agent: too_many_streams.
  Result<void> open_stream(const core::AgentId& agent);
  void close_stream(const core::AgentId& agent);

  // --- block lists ---
  // Messages from a blocked sender are refused (direct::error::blocked) and
  // its topic messages skip the agent's durable subscriptions. Errors:
  // unknown_agent, conflict (already blocked), not_found (not blocked).
  Task<Result<void>> block(core::AgentId agent, core::AgentId sender);
  Task<Result<void>> unblock(core::AgentId agent, core::AgentId sender);
  std::vector<core::AgentId> blocked(const core::AgentId& agent) const;
  bool blocks(const core::AgentId& agent, const core::AgentId& sender) const;

  // --- dead letters ---
  Result<std::vector<DeadLetter>> dead_letters(std::int64_t after_id, std::size_t limit) const;
  // unknown_dead_letter.
  Result<DeadLetter> dead_letter(std::int64_t id) const;
  Task<Result<void>> delete_dead_letter(std::int64_t id);
  // Delivers a dead letter whose recipient is hosted here again, and deletes
  // it, in one transaction. unknown_dead_letter (retried or deleted
  // meanwhile), unknown_recipient, recipient_unavailable.
  Task<Result<SendReceipt>> redeliver(std::int64_t id);

  // --- retention ---
  // Runs a retention pass when one is due. Returns the next due time.
  std::optional<core::UnixMs> tick();
  // One retention pass now (what tick() runs).
  Task<Result<PurgeResult>> purge(core::UnixMs now);

  InboxStats stats() const;

 private:
  struct Watchers {
    std::map<std::uint64_t, std::function<void()>> wakers;
    std::size_t streams = 0;
  };
  void note_appended(const core::AgentId& agent, core::Seq seq);
  void notify(const core::AgentId& agent);

  ServiceContext ctx_;
  std::shared_ptr<AgentService> agents_;
  std::unordered_map<core::AgentId, InboxPosition> positions_;
  std::unordered_map<core::AgentId, Watchers> watchers_;
  std::set<std::pair<core::AgentId, core::AgentId>> blocks_;  // (agent, blocked sender)
  std::uint64_t next_watch_token_ = 1;
  std::size_t total_streams_ = 0;
  core::UnixMs next_purge_ms_ = 0;
  bool purging_ = false;
  std::uint64_t purged_dedup_ = 0;
  std::uint64_t purged_acked_ = 0;
  Ticker ticker_;
};

// The service-level form of a dead-letter row.
DeadLetter dead_letter_of(store::DeadLetterRecord r);

}  // namespace agentmesh::node
