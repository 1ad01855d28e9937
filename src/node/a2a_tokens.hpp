#pragma once
// node/a2a_tokens: the bearer tokens of A2A callers. The admin mints one for
// a local agent (POST /v1/agents/{id}/a2a/tokens, `agentmesh a2a token
// create`); its bearer may call that agent through the A2A gateway and sees
// only the tasks it created there. Tokens are 68 characters ("amt_" and 64
// hex) shown once; the store keeps their SHA-256 only. A token may expire;
// revoking deletes it; deleting the agent deletes its tokens.
//
// Bounds: kMaxPerAgent tokens per agent (expired ones count until revoked);
// labels of at most kMaxLabelBytes of UTF-8.
//
// Threading: the node's executor (AGENTMESH_ASSERT_ON_THREAD).

#include <boost/asio/awaitable.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ids.hpp"
#include "core/result.hpp"
#include "node/agents.hpp"
#include "node/context.hpp"
#include "store/records.hpp"

namespace agentmesh::node {

class A2aTokenService : public std::enable_shared_from_this<A2aTokenService> {
 public:
  template <class T>
  using Task = boost::asio::awaitable<T>;

  static constexpr std::size_t kMaxPerAgent = 256;
  static constexpr std::size_t kMaxLabelBytes = 128;
  static constexpr std::int64_t kMaxTtlMs = 3650LL * 24 * 3600 * 1000;

  A2aTokenService(ServiceContext ctx, std::shared_ptr<AgentService> agents);

  Result<void> load(std::string& why);
  AgentService::Observer agent_observer();

  // `ttl_ms` 0: never expires. Errors: unknown_agent, invalid_agent_field
  // (label, ttl), too_many_tokens.
  // `remote`: the agent is hosted on another daemon and publishes itself to
  // A2A clients (the caller checked the directory); its tokens stay until
  // revoked.
  Task<Result<CreatedA2aToken>> create(core::AgentId agent, std::string label, std::int64_t ttl_ms,
                                       bool remote = false);
  // The agent's tokens, by creation.
  std::vector<A2aTokenInfo> list(const core::AgentId& agent) const;
  // unknown_token when the agent has no such token.
  Task<Result<void>> revoke(core::AgentId agent, core::TokenId id);
  // nullopt for an unknown, revoked or expired token.
  std::optional<A2aCaller> authenticate(std::string_view token) const;

  std::size_t size() const { return by_id_.size(); }

 private:
  A2aTokenInfo info_of(const store::A2aTokenRecord& r) const;

  ServiceContext ctx_;
  std::shared_ptr<AgentService> agents_;
  std::map<core::TokenId, store::A2aTokenRecord> by_id_;
  std::map<store::Digest, core::TokenId> by_hash_;
};

}  // namespace agentmesh::node
