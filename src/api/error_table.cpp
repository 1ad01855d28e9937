#include "api/error_table.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "api/error.hpp"
#include "core/error.hpp"
#include "crypto/error.hpp"
#include "direct/error.hpp"
#include "node/error.hpp"
#include "store/error.hpp"
#include "tasks/error.hpp"

namespace agentmesh::api {
namespace {

struct Entry {
  const boost::system::error_category* category;
  int value;
  ErrorInfo info;
};

const std::vector<Entry>& table() {
  static const std::vector<Entry> t = [] {
    std::vector<Entry> v;
    auto add = [&](auto e, int status, std::string_view code, bool retryable) {
      const error_code ec = e;
      v.push_back({&ec.category(), ec.value(), {status, code, retryable}});
    };
    add(error::malformed_json, 400, "malformed_json", false);
    add(error::invalid_field, 400, "invalid_field", false);
    add(error::unknown_field, 400, "unknown_field", false);
    add(error::missing_field, 400, "missing_field", false);
    add(error::body_too_large, 413, "body_too_large", false);
    add(error::headers_too_large, 431, "headers_too_large", false);
    add(error::unsupported_media_type, 415, "unsupported_media_type", false);
    add(error::unauthorized, 401, "unauthorized", false);
    add(error::forbidden, 403, "forbidden", false);
    add(error::no_route, 404, "not_found", false);
    add(error::method_not_allowed, 405, "method_not_allowed", false);
    add(error::bad_request, 400, "bad_request", false);
    add(error::too_many_connections, 503, "too_many_connections", true);
    add(error::rate_limited, 429, "rate_limited", true);
    add(error::dial_failed, 502, "dial_failed", true);
    add(error::unknown_peer, 404, "unknown_peer", false);
    add(error::host_not_allowed, 421, "host_not_allowed", false);
    add(error::csrf_failed, 403, "csrf_failed", false);
    add(error::invalid_login_code, 401, "invalid_login_code", false);
    add(error::unknown_credential, 404, "unknown_credential", false);
    add(core::error::invalid_multiaddr, 400, "invalid_multiaddr", false);

    add(core::error::invalid_hex, 400, "invalid_id", false);
    add(core::error::invalid_length, 400, "invalid_id", false);
    add(core::error::invalid_name, 400, "invalid_name", false);
    add(core::error::out_of_range, 400, "invalid_field", false);

    add(node::error::unknown_agent, 404, "unknown_agent", false);
    add(node::error::name_taken, 409, "name_taken", false);
    add(node::error::invalid_capability, 400, "invalid_capability", false);
    add(node::error::invalid_agent_field, 400, "invalid_field", false);
    add(node::error::unknown_dead_letter, 404, "unknown_dead_letter", false);
    add(node::error::shutting_down, 503, "shutting_down", true);
    add(node::error::too_many_streams, 429, "too_many_streams", true);
    add(node::error::unknown_message, 404, "unknown_message", false);
    add(node::error::outbox_full, 503, "outbox_full", true);
    add(node::error::unknown_conversation, 404, "unknown_conversation", false);
    add(node::error::unknown_reply_target, 404, "unknown_reply_target", false);
    add(node::error::unknown_token, 404, "unknown_token", false);
    add(node::error::too_many_tokens, 409, "too_many_tokens", false);
    add(node::error::unknown_push_config, 404, "unknown_push_config", false);
    add(node::error::too_many_push_configs, 409, "too_many_push_configs", false);
    add(node::error::outcome_unknown, 500, "outcome_unknown", false);

    add(direct::error::idempotency_conflict, 409, "idempotency_conflict", false);
    add(direct::error::unknown_recipient, 404, "unknown_recipient", false);
    add(direct::error::recipient_unavailable, 409, "recipient_unavailable", true);
    add(direct::error::sender_stopped, 409, "agent_stopped", false);
    add(direct::error::payload_too_large, 413, "payload_too_large", false);
    add(direct::error::unsupported_version, 400, "unsupported_version", false);
    add(direct::error::clock_skew, 400, "clock_skew", false);
    add(direct::error::expired, 410, "expired", false);
    add(direct::error::lifetime_too_long, 400, "lifetime_too_long", false);
    add(direct::error::not_authenticated, 400, "not_authenticated", false);
    add(direct::error::bad_signature, 400, "bad_signature", false);
    add(direct::error::blocked, 403, "blocked", false);

    add(tasks::error::unknown_task, 404, "unknown_task", false);
    add(tasks::error::invalid_transition, 409, "invalid_transition", false);
    add(tasks::error::task_reassigned, 409, "task_reassigned", false);
    add(tasks::error::task_not_cancelable, 409, "task_not_cancelable", false);
    add(tasks::error::not_participant, 403, "not_participant", false);
    add(tasks::error::idempotency_conflict, 409, "idempotency_conflict", false);
    add(tasks::error::no_candidate, 404, "no_candidate", false);
    add(tasks::error::too_many_tasks, 503, "too_many_tasks", true);
    add(tasks::error::artifact_too_large, 413, "artifact_too_large", false);
    add(tasks::error::message_too_large, 413, "message_too_large", false);
    add(tasks::error::malformed_transition, 400, "malformed_transition", false);
    add(tasks::error::out_of_order, 503, "out_of_order", true);

    add(store::error::beyond_last, 400, "ack_beyond_last", false);
    add(store::error::queue_full, 503, "queue_full", true);
    add(store::error::stopped, 503, "shutting_down", true);
    add(store::error::not_found, 404, "not_found", false);
    add(store::error::conflict, 409, "conflict", false);
    add(store::error::corrupt, 500, "store_corrupt", false);
    add(store::error::io, 500, "store_failed", true);
    add(store::error::schema_too_new, 500, "store_failed", false);
    return v;
  }();
  return t;
}

}  // namespace

ErrorInfo lookup_error(const error_code& ec) {
  for (const auto& e : table()) {
    if (*e.category == ec.category() && e.value == ec.value()) return e.info;
  }
  return ErrorInfo{500, "internal", false};
}

std::vector<std::pair<error_code, ErrorInfo>> error_table_entries() {
  std::vector<std::pair<error_code, ErrorInfo>> out;
  for (const auto& e : table()) out.emplace_back(error_code(e.value, *e.category), e.info);
  return out;
}

std::string error_body(const error_code& ec, std::string_view message) {
  const auto info = lookup_error(ec);
  boost::json::object o;
  o["error"] = info.code;
  o["message"] = message.empty() ? ec.message() : std::string(message);
  o["retryable"] = info.retryable;
  return boost::json::serialize(o);
}

}  // namespace agentmesh::api
