// Node: local agents — create, update, delete (unacked messages to dead
// letters, the advert withdrawn), lookups by id, name and token.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <fmt/format.h>

#include "core/error.hpp"
#include "core/utf8.hpp"
#include "crypto/crypto.hpp"
#include "crypto/key_file.hpp"
#include "direct/delivery.hpp"
#include "direct/error.hpp"
#include "node/commit.hpp"
#include "node/direct_state.hpp"
#include "node/error.hpp"
#include "node/node.hpp"

namespace agentmesh::node {

namespace {

constexpr std::size_t kMaxCapabilities = 64;
constexpr std::size_t kMaxDisplayName = 128;

bool valid_capability(std::string_view c) {
  if (c.empty() || c.size() > 64) return false;
  for (char ch : c) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-' ||
                    ch == ':' || ch == '/';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Result<store::AgentRecord> Node::validated_agent_fields(store::AgentRecord rec) const {
  if (rec.capabilities.size() > kMaxCapabilities) return error::invalid_capability;
  for (const auto& c : rec.capabilities) {
    if (!valid_capability(c)) return error::invalid_capability;
  }
  std::sort(rec.capabilities.begin(), rec.capabilities.end());
  rec.capabilities.erase(std::unique(rec.capabilities.begin(), rec.capabilities.end()), rec.capabilities.end());
  if (rec.display_name.size() > kMaxDisplayName || !core::is_valid_utf8(rec.display_name)) {
    return error::invalid_agent_field;
  }
  return rec;
}

Task<Result<CreatedAgent>> Node::create_agent(CreateAgentRequest req) {
  if (auto r = core::validate_agent_name(req.name); !r) co_return r.error();
  if (agents_.find_by_name(req.name)) co_return error::name_taken;
  store::AgentRecord rec;
  rec.name = req.name;
  rec.display_name = req.display_name.empty() ? req.name : req.display_name;
  rec.capabilities = std::move(req.capabilities);
  auto valid = validated_agent_fields(std::move(rec));
  if (!valid) co_return valid.error();
  rec = std::move(*valid);

  auto key = crypto::SigningKey::generate();
  rec.id = key.agent_id();
  rec.state = store::AgentState::running;
  rec.created_ms = clock_.now_ms();
  std::string token = crypto::random_token_hex();
  rec.token_hash = crypto::sha256(crypto::as_bytes(token));

  const auto key_path = agent_key_path(config_.data_dir, rec.id);
  if (auto r = crypto::save_key(key_path, key); !r) {
    log_->error("cannot write agent key {}: {}", key_path.string(), r.error().message());
    co_return r.error();
  }
  WorkFn<void> insert = [rec](store::Store& s) { return s.insert_agent(rec); };
  auto inserted = co_await commit<void>(std::move(insert));
  if (!inserted) {
    std::error_code ec;
    std::filesystem::remove(key_path, ec);
    if (inserted.error() == store::error::conflict) co_return error::name_taken;
    co_return inserted.error();
  }
  agents_.put(rec);
  cursors_[rec.id] = store::InboxCursor{};
  direct_->agent_keys.emplace(rec.id, std::move(key));
  join_inbox(rec.id);
  log_->info("agent created: {} ({})", rec.name, rec.id);
  wake_adverts();
  CreatedAgent out;
  out.agent = AgentView{rec, {}, 0};
  out.token = std::move(token);
  co_return out;
}

AgentView Node::view(const store::AgentRecord& a) const {
  AgentView v{a, {}, 0};
  if (auto it = cursors_.find(a.id); it != cursors_.end()) v.cursor = it->second;
  if (auto it = watchers_.find(a.id); it != watchers_.end()) v.streams = it->second.streams;
  return v;
}

Result<AgentView> Node::agent(std::string_view ref) const {
  const auto* a = agents_.resolve(ref);
  if (!a) return error::unknown_agent;
  return view(*a);
}

std::vector<AgentView> Node::agents() const {
  std::vector<AgentView> out;
  for (const auto* a : agents_.all()) out.push_back(view(*a));
  return out;
}

Task<Result<AgentView>> Node::update_agent(core::AgentId id, UpdateAgentRequest req) {
  const auto* current = agents_.find(id);
  if (!current) co_return error::unknown_agent;
  store::AgentRecord rec = *current;
  if (req.capabilities) rec.capabilities = std::move(*req.capabilities);
  if (req.state) rec.state = *req.state;
  if (req.display_name) rec.display_name = std::move(*req.display_name);
  auto valid = validated_agent_fields(std::move(rec));
  if (!valid) co_return valid.error();
  rec = std::move(*valid);
  WorkFn<void> update = [rec](store::Store& s) { return s.update_agent(rec); };
  auto updated = co_await commit<void>(std::move(update));
  if (!updated) {
    if (updated.error() == store::error::not_found) co_return error::unknown_agent;
    co_return updated.error();
  }
  const auto* before = agents_.find(id);
  if (!before) co_return error::unknown_agent;  // deleted while we waited
  const bool stopped_running = before->state == store::AgentState::running && rec.state != store::AgentState::running;
  agents_.put(rec);
  log_->info("agent updated: {} ({})", rec.name, rec.id);
  if (stopped_running) withdraw_advert(rec.id);  // others see it offline now, not when its advert expires
  wake_adverts();
  co_return view(rec);
}

Task<Result<std::size_t>> Node::delete_agent(core::AgentId id) {
  const auto* a = agents_.find(id);
  if (!a) co_return error::unknown_agent;
  const std::string name = a->name;
  const auto now = clock_.now_ms();
  WorkFn<std::size_t> dead_letter_all = [id, now](store::Store& s) -> Result<std::size_t> {
    auto cursor = s.inbox_cursor(id);
    if (!cursor) return cursor.error();
    std::size_t n = 0;
    core::Seq after = cursor->acked;
    for (;;) {
      auto batch = s.read_inbox(id, after, 512);
      if (!batch) return batch.error();
      if (batch->empty()) break;
      for (auto& m : *batch) {
        store::DeadLetterRecord dl;
        dl.request_id = m.request_id;
        dl.sender = m.sender;
        dl.recipient = id;
        dl.created_ms = m.received_ms;
        dl.content = std::move(m.content);
        dl.reason = "agent_deleted";
        dl.attempts = 1;
        dl.time_ms = now;
        if (auto r = s.add_dead_letter(dl); !r) return r.error();
        after = m.seq;
        ++n;
      }
    }
    if (auto r = s.delete_agent(id); !r) return r.error();
    return n;
  };
  auto moved = co_await commit<std::size_t>(std::move(dead_letter_all));
  if (!moved) {
    if (moved.error() == store::error::not_found) co_return error::unknown_agent;
    co_return moved.error();
  }
  withdraw_advert(id);  // while its key is still cached
  agents_.remove(id);
  cursors_.erase(id);
  direct_->agent_keys.erase(id);
  leave_inbox(id);
  std::erase_if(blocks_, [&](const auto& b) { return b.first == id; });  // the store dropped them too
  for (auto it = durable_.begin(); it != durable_.end();) {  // the store dropped its subscriptions
    it->second.erase(id);
    const auto topic = it->first;
    it = it->second.empty() ? durable_.erase(it) : std::next(it);
    maybe_leave(topic);
  }
  std::error_code ec;
  std::filesystem::remove(agent_key_path(config_.data_dir, id), ec);
  counters_.dead_lettered.inc(*moved);
  notify(id);  // open streams see the agent gone and close
  log_->info("agent deleted: {} ({}), {} unacked messages moved to dead letters", name, id, *moved);
  co_return *moved;
}

std::optional<core::AgentId> Node::agent_for_token(std::string_view token) const {
  const auto hash = crypto::sha256(crypto::as_bytes(token));
  const auto* a = agents_.find_by_token_hash(hash);
  if (!a) return std::nullopt;
  return a->id;
}

}  // namespace agentmesh::node
