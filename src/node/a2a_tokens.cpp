// node/a2a_tokens: minting, listing, revoking and checking A2A caller tokens.

#include "node/a2a_tokens.hpp"

#include <fmt/format.h>

#include "core/utf8.hpp"
#include "crypto/crypto.hpp"
#include "node/error.hpp"
#include "node/storage_commit.hpp"
#include "store/error.hpp"

namespace agentmesh::node {

namespace {

constexpr std::string_view kPrefix = "amt_";

}  // namespace

A2aTokenService::A2aTokenService(ServiceContext ctx, std::shared_ptr<AgentService> agents)
    : ctx_(std::move(ctx)), agents_(std::move(agents)) {}

Result<void> A2aTokenService::load(std::string& why) {
  auto tokens = ctx_.storage->reader().list_a2a_tokens();
  if (!tokens) {
    why = fmt::format("cannot load A2A tokens: {}", tokens.error().message());
    return tokens.error();
  }
  for (auto& t : *tokens) {
    by_hash_[t.token_hash] = t.id;
    by_id_.emplace(t.id, std::move(t));
  }
  return {};
}

AgentService::Observer A2aTokenService::agent_observer() {
  std::weak_ptr<A2aTokenService> weak = weak_from_this();
  AgentService::Observer o;
  // The store deleted the agent's tokens with it.
  o.deleted = [weak](const store::AgentRecord& a) {
    auto self = weak.lock();
    if (!self) return;
    std::erase_if(self->by_hash_, [&](const auto& kv) { return self->by_id_.at(kv.second).agent == a.id; });
    std::erase_if(self->by_id_, [&](const auto& kv) { return kv.second.agent == a.id; });
  };
  return o;
}

A2aTokenInfo A2aTokenService::info_of(const store::A2aTokenRecord& r) const {
  return A2aTokenInfo{r.id,         r.agent,      r.label,
                      r.created_ms, r.expires_ms, r.expires_ms != 0 && r.expires_ms <= ctx_.now_ms()};
}

A2aTokenService::Task<Result<CreatedA2aToken>> A2aTokenService::create(core::AgentId agent, std::string label,
                                                                       std::int64_t ttl_ms, bool remote) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  auto self = shared_from_this();
  if (!remote && !agents_->find(agent)) co_return error::unknown_agent;
  if (label.size() > kMaxLabelBytes || !core::is_valid_utf8(label) || ttl_ms < 0 || ttl_ms > kMaxTtlMs) {
    co_return error::invalid_agent_field;
  }
  std::size_t held = 0;
  for (const auto& [id, t] : by_id_) held += t.agent == agent ? 1 : 0;
  if (held >= kMaxPerAgent) co_return error::too_many_tokens;
  store::A2aTokenRecord rec;
  core::TokenId::Bytes id{};
  crypto::random_bytes(id);
  rec.id = core::TokenId::from_array(id);
  rec.agent = agent;
  rec.label = std::move(label);
  std::string token = std::string(kPrefix) + crypto::random_token_hex();
  rec.token_hash = crypto::sha256(crypto::as_bytes(token));
  rec.created_ms = ctx_.now_ms();
  rec.expires_ms = ttl_ms == 0 ? 0 : rec.created_ms + ttl_ms;
  rec.remote = remote;
  WorkFn<void> put = [rec](store::Store& s) { return s.put_a2a_token(rec); };
  auto stored = co_await ctx_.storage->commit<void>(std::move(put));
  if (!stored) {
    if (stored.error() == store::error::not_found) co_return error::unknown_agent;
    co_return stored.error();
  }
  if (!remote && !agents_->find(agent)) co_return error::unknown_agent;  // deleted while we waited
  rec.remote = false;
  by_hash_[rec.token_hash] = rec.id;
  by_id_.emplace(rec.id, rec);
  ctx_.log->info("A2A token {} created for agent {} ({})", rec.id, agent, rec.label);
  co_return CreatedA2aToken{info_of(rec), std::move(token)};
}

std::vector<A2aTokenInfo> A2aTokenService::list(const core::AgentId& agent) const {
  std::vector<const store::A2aTokenRecord*> mine;
  for (const auto& [id, t] : by_id_) {
    if (t.agent == agent) mine.push_back(&t);
  }
  std::sort(mine.begin(), mine.end(), [](const auto* a, const auto* b) {
    return std::pair(a->created_ms, a->id) < std::pair(b->created_ms, b->id);
  });
  std::vector<A2aTokenInfo> out;
  for (const auto* t : mine) out.push_back(info_of(*t));
  return out;
}

A2aTokenService::Task<Result<void>> A2aTokenService::revoke(core::AgentId agent, core::TokenId id) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  auto self = shared_from_this();
  auto it = by_id_.find(id);
  if (it == by_id_.end() || it->second.agent != agent) co_return error::unknown_token;
  // Refused from now on, before the delete is durable: a revoked token must
  // not work while the commit is in flight.
  const auto hash = it->second.token_hash;
  by_hash_.erase(hash);
  WorkFn<void> del = [id](store::Store& s) { return s.delete_a2a_token(id); };
  auto deleted = co_await ctx_.storage->commit<void>(std::move(del));
  if (!deleted && deleted.error() != store::error::not_found) {
    if (by_id_.contains(id)) by_hash_[hash] = id;  // still stored: still valid
    co_return deleted.error();
  }
  by_id_.erase(id);
  ctx_.log->info("A2A token {} of agent {} revoked", id, agent);
  co_return Result<void>{};
}

std::optional<A2aCaller> A2aTokenService::authenticate(std::string_view token) const {
  if (!token.starts_with(kPrefix)) return std::nullopt;
  auto it = by_hash_.find(crypto::sha256(crypto::as_bytes(token)));
  if (it == by_hash_.end()) return std::nullopt;
  const auto& t = by_id_.at(it->second);
  if (t.expires_ms != 0 && t.expires_ms <= ctx_.now_ms()) return std::nullopt;
  return A2aCaller{t.id, t.agent, t.label};
}

}  // namespace agentmesh::node
