#pragma once
// node/agents: the agents this daemon hosts, their keys and their tokens.
//
// Each agent has an Ed25519 key (its id is the public key; the key file is
// <data dir>/agents/<id>.key, 0600, written atomically) and an API token of
// which only the SHA-256 is stored. The in-memory index (registry::
// LocalAgents) answers lookups by id, name and token hash in O(1); SQLite
// holds the durable copy, and every change is committed before it shows.
//
// Other services react to changes through observers (the inboxes create and
// drop cursors, the directory publishes and withdraws adverts, the direct
// service joins and leaves the agent's inbox topic, the topic service drops
// durable subscriptions): `created` and `updated` after the commit,
// `deleted` after the commit but while the agent's key is still cached (a
// withdrawal advert is signed with it).
//
// Errors (each operation lists its own): node::error::unknown_agent,
// name_taken, invalid_capability, invalid_agent_field; core::error::
// invalid_name; the store's (queue_full, stopped, io) and shutting_down.
//
// Threading: the node's executor (checked in debug builds).

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "crypto/crypto.hpp"
#include "node/context.hpp"
#include "node/types.hpp"
#include "registry/local_agents.hpp"

namespace agentmesh::node {

class AgentService : public std::enable_shared_from_this<AgentService> {
 public:
  struct Observer {
    std::function<void(const store::AgentRecord&)> created;
    std::function<void(const store::AgentRecord& before, const store::AgentRecord& after)> updated;
    std::function<void(const store::AgentRecord&)> deleted;
  };

  explicit AgentService(ServiceContext ctx);

  // Loads the agents from the store and checks that each key file exists
  // and is private. `why` says what is wrong for the operator.
  Result<void> load(std::string& why);
  void add_observer(Observer observer);

  // Creates an agent: its key file, then its row. Errors: invalid_name,
  // name_taken, invalid_capability, invalid_agent_field, the store's. The
  // token is returned here only.
  Task<Result<CreatedAgent>> create(CreateAgentRequest req);
  // Changes capabilities, state, display name. Errors: unknown_agent,
  // invalid_capability, invalid_agent_field, the store's.
  Task<Result<AgentInfo>> update(core::AgentId id, UpdateAgentRequest req);
  // Deletes the agent: its unacked messages become dead letters (reason
  // agent_deleted) in the same transaction; its key file goes after the
  // commit. Returns how many messages were dead-lettered. unknown_agent.
  Task<Result<std::size_t>> remove(core::AgentId id);

  // By id or name. unknown_agent. (Inbox figures are the inboxes'.)
  Result<AgentInfo> info(std::string_view ref) const;
  std::vector<AgentInfo> list() const;
  // The agent whose token this is (a hash lookup; docs/security.md).
  std::optional<core::AgentId> for_token(std::string_view token) const;

  // --- for the other services ---
  const store::AgentRecord* find(const core::AgentId& id) const;
  const store::AgentRecord* resolve(std::string_view ref) const;
  std::vector<const store::AgentRecord*> all() const;
  std::size_t size() const { return agents_.size(); }
  // The agent's signing key, read from its key file once and cached. Null
  // for an unknown agent or an unreadable key file.
  const crypto::SigningKey* signing_key(const core::AgentId& id);

 private:
  Result<store::AgentRecord> validated(store::AgentRecord rec) const;
  static AgentInfo info_of(const store::AgentRecord& rec);

  ServiceContext ctx_;
  registry::LocalAgents agents_;
  std::unordered_map<core::AgentId, crypto::SigningKey> keys_;
  std::vector<Observer> observers_;
};

// Where a local agent's key file lives.
std::filesystem::path agent_key_path(const std::filesystem::path& data_dir, const core::AgentId& id);

store::AgentState to_store(AgentState s);
AgentState from_store(store::AgentState s);

}  // namespace agentmesh::node
