// node/agents: create, update, delete local agents; lookups by id, name and
// token; their signing keys.

#include "node/agents.hpp"

#include <fmt/format.h>

#include "a2a/profile.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/utf8.hpp"
#include "crypto/key_file.hpp"
#include "node/error.hpp"
#include "node/storage_commit.hpp"
#include "store/error.hpp"

namespace agentmesh::node {

namespace {

constexpr std::size_t kMaxCapabilities = 64;
constexpr std::size_t kMaxCapabilityBytes = 64;
constexpr std::size_t kMaxDisplayName = 128;

bool valid_capability(std::string_view c) {
  if (c.empty() || c.size() > kMaxCapabilityBytes) return false;
  for (char ch : c) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-' ||
                    ch == ':' || ch == '/';
    if (!ok) return false;
  }
  return true;
}

// Moves the agent's unacked inbox to dead letters and deletes the agent, in
// one transaction (a Writer job).
Result<std::size_t> dead_letter_and_delete(store::Store& s, const core::AgentId& id, core::UnixMs now) {
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
}

}  // namespace

std::filesystem::path agent_key_path(const std::filesystem::path& data_dir, const core::AgentId& id) {
  return data_dir / "agents" / (id.to_string() + ".key");
}

store::AgentState to_store(AgentState s) {
  switch (s) {
    case AgentState::running:
      return store::AgentState::running;
    case AgentState::draining:
      return store::AgentState::draining;
    case AgentState::stopped:
      return store::AgentState::stopped;
  }
  return store::AgentState::running;
}

AgentState from_store(store::AgentState s) {
  switch (s) {
    case store::AgentState::running:
      return AgentState::running;
    case store::AgentState::draining:
      return AgentState::draining;
    case store::AgentState::stopped:
      return AgentState::stopped;
  }
  return AgentState::running;
}

AgentService::AgentService(ServiceContext ctx) : ctx_(std::move(ctx)) {}

Result<void> AgentService::load(std::string& why) {
  auto rows = ctx_.storage->reader().list_agents();
  if (!rows) {
    why = fmt::format("cannot read agents: {}", rows.error().message());
    return rows.error();
  }
  for (const auto& a : *rows) {
    const auto key_path = agent_key_path(ctx_.config->data_dir, a.id);
    if (!std::filesystem::exists(key_path)) {
      why = fmt::format("key file of agent {} ({}) is missing: {}", a.name, a.id, key_path.string());
      return make_error_code(boost::system::errc::no_such_file_or_directory);
    }
    if (auto msg = core::check_file_private(key_path); !msg.empty()) {
      why = msg;
      return make_error_code(boost::system::errc::permission_denied);
    }
    agents_.put(a);
  }
  return {};
}

void AgentService::add_observer(Observer observer) { observers_.push_back(std::move(observer)); }

Result<store::AgentRecord> AgentService::validated(store::AgentRecord rec) const {
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

AgentInfo AgentService::info_of(const store::AgentRecord& rec) {
  AgentInfo out;
  out.id = rec.id;
  out.name = rec.name;
  out.display_name = rec.display_name;
  out.capabilities = rec.capabilities;
  out.state = from_store(rec.state);
  out.created_ms = rec.created_ms;
  if (!rec.a2a.empty()) {
    // Written by encode() above; a record this version cannot read shows no profile.
    if (auto p = a2a::decode(rec.a2a)) out.a2a = std::move(*p);
  }
  return out;
}

Task<Result<CreatedAgent>> AgentService::create(CreateAgentRequest req) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  auto self = shared_from_this();
  if (auto r = core::validate_agent_name(req.name); !r) co_return r.error();
  if (agents_.find_by_name(req.name)) co_return error::name_taken;
  store::AgentRecord rec;
  rec.name = req.name;
  rec.display_name = req.display_name.empty() ? req.name : req.display_name;
  rec.capabilities = std::move(req.capabilities);
  auto valid = validated(std::move(rec));
  if (!valid) co_return valid.error();
  rec = std::move(*valid);

  auto key = crypto::SigningKey::generate();
  rec.id = key.agent_id();
  rec.state = store::AgentState::running;
  rec.created_ms = ctx_.now_ms();
  std::string token = crypto::random_token_hex();
  rec.token_hash = crypto::sha256(crypto::as_bytes(token));

  const auto key_path = agent_key_path(ctx_.config->data_dir, rec.id);
  if (auto r = crypto::save_key(key_path, key); !r) {
    ctx_.log->error("cannot write agent key {}: {}", key_path.string(), r.error().message());
    co_return r.error();
  }
  WorkFn<void> insert = [rec](store::Store& s) { return s.insert_agent(rec); };
  auto inserted = co_await ctx_.storage->commit<void>(std::move(insert));
  if (!inserted) {
    std::error_code ec;
    std::filesystem::remove(key_path, ec);
    if (inserted.error() == store::error::conflict) co_return error::name_taken;
    co_return inserted.error();
  }
  agents_.put(rec);
  keys_.emplace(rec.id, std::move(key));
  ctx_.log->info("agent created: {} ({})", rec.name, rec.id);
  for (const auto& o : observers_) {
    if (o.created) o.created(rec);
  }
  CreatedAgent out;
  out.agent = info_of(rec);
  out.token = std::move(token);
  co_return out;
}

Task<Result<AgentInfo>> AgentService::update(core::AgentId id, UpdateAgentRequest req) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  auto self = shared_from_this();
  const auto* current = agents_.find(id);
  if (!current) co_return error::unknown_agent;
  store::AgentRecord rec = *current;
  if (req.capabilities) rec.capabilities = std::move(*req.capabilities);
  if (req.state) rec.state = to_store(*req.state);
  if (req.display_name) rec.display_name = std::move(*req.display_name);
  if (req.a2a) {
    std::string why;
    if (!a2a::validate(*req.a2a, why)) co_return error::invalid_agent_field;
    rec.a2a = a2a::encode(*req.a2a);
  }
  auto valid = validated(std::move(rec));
  if (!valid) co_return valid.error();
  rec = std::move(*valid);
  WorkFn<void> update = [rec](store::Store& s) { return s.update_agent(rec); };
  auto updated = co_await ctx_.storage->commit<void>(std::move(update));
  if (!updated) {
    if (updated.error() == store::error::not_found) co_return error::unknown_agent;
    co_return updated.error();
  }
  const auto* now_current = agents_.find(id);
  if (!now_current) co_return error::unknown_agent;  // deleted while we waited
  const auto before = *now_current;
  agents_.put(rec);
  ctx_.log->info("agent updated: {} ({})", rec.name, rec.id);
  for (const auto& o : observers_) {
    if (o.updated) o.updated(before, rec);
  }
  co_return info_of(rec);
}

Task<Result<std::size_t>> AgentService::remove(core::AgentId id) {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  auto self = shared_from_this();
  const auto* a = agents_.find(id);
  if (!a) co_return error::unknown_agent;
  const auto now = ctx_.now_ms();
  WorkFn<std::size_t> work = [id, now](store::Store& s) { return dead_letter_and_delete(s, id, now); };
  auto moved = co_await ctx_.storage->commit<std::size_t>(std::move(work));
  if (!moved) {
    if (moved.error() == store::error::not_found) co_return error::unknown_agent;
    co_return moved.error();
  }
  const auto* gone = agents_.find(id);
  if (!gone) co_return error::unknown_agent;  // deleted concurrently
  const auto rec = *gone;
  for (const auto& o : observers_) {
    if (o.deleted) o.deleted(rec);  // while the key is still cached
  }
  agents_.remove(id);
  keys_.erase(id);
  std::error_code ec;
  std::filesystem::remove(agent_key_path(ctx_.config->data_dir, id), ec);
  ctx_.counters->dead_lettered.inc(*moved);
  ctx_.log->info("agent deleted: {} ({}), {} unacked messages moved to dead letters", rec.name, id, *moved);
  co_return *moved;
}

Result<AgentInfo> AgentService::info(std::string_view ref) const {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  const auto* a = agents_.resolve(ref);
  if (!a) return error::unknown_agent;
  return info_of(*a);
}

std::vector<AgentInfo> AgentService::list() const {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  std::vector<AgentInfo> out;
  for (const auto* a : agents_.all()) out.push_back(info_of(*a));
  return out;
}

std::optional<core::AgentId> AgentService::for_token(std::string_view token) const {
  AGENTMESH_ASSERT_ON_THREAD(*ctx_.thread);
  const auto hash = crypto::sha256(crypto::as_bytes(token));
  const auto* a = agents_.find_by_token_hash(hash);
  if (!a) return std::nullopt;
  return a->id;
}

const store::AgentRecord* AgentService::find(const core::AgentId& id) const { return agents_.find(id); }

const store::AgentRecord* AgentService::resolve(std::string_view ref) const { return agents_.resolve(ref); }

std::vector<const store::AgentRecord*> AgentService::all() const { return agents_.all(); }

const crypto::SigningKey* AgentService::signing_key(const core::AgentId& id) {
  if (auto it = keys_.find(id); it != keys_.end()) return &it->second;
  if (!agents_.find(id)) return nullptr;
  auto key = crypto::load_key(agent_key_path(ctx_.config->data_dir, id));
  if (!key) return nullptr;
  return &keys_.emplace(id, std::move(*key)).first->second;
}

}  // namespace agentmesh::node
