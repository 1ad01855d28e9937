#include "direct/outbox.hpp"

#include <utility>

namespace agentmesh::direct {

bool Outbox::add(store::OutboxRecord record) {
  auto it = entries_.find(record.request_id);
  if (it != entries_.end()) {
    if (it->second.in_flight) return false;
    unindex(it->second);
    created_.erase({it->second.record.created_ms, it->second.record.request_id});
    bytes_ -= it->second.record.content.body.size();
    entries_.erase(it);
  }
  const auto id = record.request_id;
  auto& e = entries_[id];
  e.record = std::move(record);
  e.may_have_landed = e.record.attempts > 0;  // reloaded: an earlier run's attempt may have landed
  bytes_ += e.record.content.body.size();
  due_.emplace(e.record.next_attempt_ms, id);
  expiry_.emplace(e.record.expires_ms, id);
  created_.emplace(e.record.created_ms, id);
  return true;
}

void Outbox::unindex(const Entry& e) {
  if (e.in_flight) return;
  due_.erase({e.record.next_attempt_ms, e.record.request_id});
  expiry_.erase({e.record.expires_ms, e.record.request_id});
}

void Outbox::reschedule(Entry& e, UnixMs at) {
  due_.erase({e.record.next_attempt_ms, e.record.request_id});
  e.record.next_attempt_ms = at;
  due_.emplace(at, e.record.request_id);
}

std::vector<core::RequestId> Outbox::start_due(UnixMs now, std::size_t limit) {
  std::vector<core::RequestId> out;
  for (auto it = due_.begin(); it != due_.end() && it->first <= now && out.size() < limit;) {
    const auto id = it->second;
    auto& e = entries_.at(id);
    if (e.record.expires_ms <= now && !e.confirming) {  // take_expired() handles it
      ++it;
      continue;
    }
    it = due_.erase(it);
    expiry_.erase({e.record.expires_ms, id});  // absent when confirming
    e.in_flight = true;
    ++e.record.attempts;
    ++in_flight_;
    out.push_back(id);
  }
  return out;
}

const store::OutboxRecord* Outbox::fail(const core::RequestId& id, std::string why, UnixMs now, double unit_random,
                                        bool may_have_landed) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return nullptr;
  auto& e = it->second;
  e.record.last_error = std::move(why);
  e.may_have_landed = e.may_have_landed || may_have_landed;
  if (e.in_flight) {
    e.in_flight = false;
    --in_flight_;
    expiry_.emplace(e.record.expires_ms, id);
  } else {
    due_.erase({e.record.next_attempt_ms, id});
  }
  if (e.confirming) return &e.record;  // no attempt after the confirming one: take_expired() returns it
  const auto delay = std::exchange(e.woken, false)
                         ? std::chrono::milliseconds(0)
                         : retry_delay(retry_, std::max<std::uint32_t>(1, e.record.attempts), unit_random);
  e.record.next_attempt_ms = now + delay.count();
  due_.emplace(e.record.next_attempt_ms, id);
  return &e.record;
}

std::optional<store::OutboxRecord> Outbox::finish(const core::RequestId& id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return std::nullopt;
  if (it->second.in_flight) {
    --in_flight_;
  } else {
    unindex(it->second);
  }
  auto record = std::move(it->second.record);
  created_.erase({record.created_ms, record.request_id});
  bytes_ -= record.content.body.size();
  entries_.erase(it);
  return record;
}

std::vector<store::OutboxRecord> Outbox::take_expired(UnixMs now) {
  std::vector<store::OutboxRecord> out;
  while (!expiry_.empty() && expiry_.begin()->first <= now) {
    const auto id = expiry_.begin()->second;
    auto it = entries_.find(id);
    auto& e = it->second;
    if (e.may_have_landed && !e.confirming) {
      e.confirming = true;
      expiry_.erase(expiry_.begin());
      reschedule(e, now);
      continue;
    }
    unindex(it->second);
    created_.erase({it->second.record.created_ms, id});
    bytes_ -= it->second.record.content.body.size();
    out.push_back(std::move(it->second.record));
    entries_.erase(it);
  }
  return out;
}

const store::OutboxRecord* Outbox::find(const core::RequestId& id) const {
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : &it->second.record;
}

bool Outbox::confirming(const core::RequestId& id) const {
  auto it = entries_.find(id);
  return it != entries_.end() && it->second.confirming;
}

bool Outbox::in_flight(const core::RequestId& id) const {
  auto it = entries_.find(id);
  return it != entries_.end() && it->second.in_flight;
}

std::optional<core::UnixMs> Outbox::next_wakeup() const {
  std::optional<UnixMs> at;
  if (!due_.empty()) at = due_.begin()->first;
  if (!expiry_.empty() && (!at || expiry_.begin()->first < *at)) at = expiry_.begin()->first;
  return at;
}

std::optional<core::UnixMs> Outbox::oldest_created() const {
  if (created_.empty()) return std::nullopt;
  return created_.begin()->first;
}

std::optional<core::UnixMs> Outbox::next_expiry() const {
  if (expiry_.empty()) return std::nullopt;
  return expiry_.begin()->first;
}

}  // namespace agentmesh::direct
