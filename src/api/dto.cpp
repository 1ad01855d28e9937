// The API's response bodies for agents, messages, topics, the directory and
// peers.

#include "api/dto.hpp"

#include "api/dto_util.hpp"
#include "core/base64.hpp"
#include "core/hex.hpp"
#include "core/utf8.hpp"
#include "tasks/codec.hpp"

namespace agentmesh::api {
namespace json = boost::json;

namespace {

void put_body(json::object& o, const std::string& body) {
  if (core::is_valid_utf8(body)) {
    o["body"] = body;
  } else {
    o["body_base64"] = core::base64_encode(body);
  }
}

void put_content(json::object& o, const node::MessageContent& c) {
  o["content_type"] = c.content_type;
  // A task step in an inbox or a conversation: the step in the public form
  // of the task event streams (docs/api.md, "Tasks"), not the store's bytes.
  if (c.content_type == node::kTaskEventContentType) {
    if (auto e = tasks::decode_event(c.body)) {
      o["task_event"] = task_event_json(*e);
    } else {
      put_body(o, c.body);
    }
  } else {
    put_body(o, c.body);
  }
  const std::pair<const char*, const std::string*> optional[] = {{"performative", &c.performative},
                                                                 {"conversation_id", &c.conversation_id},
                                                                 {"reply_with", &c.reply_with},
                                                                 {"in_reply_to", &c.in_reply_to},
                                                                 {"protocol", &c.protocol}};
  for (const auto& [key, value] : optional) {
    if (!value->empty()) o[key] = *value;
  }
  if (!c.metadata.empty()) {
    json::object md;
    for (const auto& [k, v] : c.metadata) md[k] = v;
    o["metadata"] = std::move(md);
  }
}

json::object profile_json(const a2a::Profile& p) {
  json::array skills;
  for (const auto& s : p.skills) {
    skills.push_back(json::object{{"id", s.id},
                                  {"name", s.name},
                                  {"description", s.description},
                                  {"tags", string_array(s.tags)},
                                  {"examples", string_array(s.examples)}});
  }
  return json::object{{"enabled", p.enabled}, {"description", p.description}, {"skills", std::move(skills)}};
}

}  // namespace

json::object agent_json(const node::AgentInfo& a) {
  json::object o;
  o["agent_id"] = a.id.to_string();
  o["name"] = a.name;
  o["display_name"] = a.display_name;
  o["capabilities"] = string_array(a.capabilities);
  o["state"] = node::to_string(a.state);
  o["created_ms"] = a.created_ms;
  o["last_seq"] = a.inbox.last.value;
  o["acked_seq"] = a.inbox.acked.value;
  o["unacked"] = a.inbox.unacked();
  o["streams"] = a.streams;
  if (a.a2a) o["a2a"] = profile_json(*a.a2a);
  return o;
}

json::object inbox_json(const node::InboxMessage& m) {
  json::object o;
  o["seq"] = m.seq.value;
  o["request_id"] = m.request_id.to_string();
  o["from"] = m.from.to_string();
  o["to"] = m.to.to_string();
  o["received_ms"] = m.received_ms;
  put_content(o, m.content);
  return o;
}

json::object receipt_json(const node::SendReceipt& r) {
  json::object o;
  o["request_id"] = r.request_id.to_string();
  o["state"] = direct::to_string(r.state);
  if (r.seq.value > 0) o["seq"] = r.seq.value;
  o["to"] = r.recipient.to_string();
  o["duplicate"] = r.duplicate;
  if (r.path) o["path"] = direct::to_string(*r.path);
  o["attempts"] = r.attempts;
  if (!r.reason.empty()) o[r.final() ? "reason" : "last_error"] = r.reason;
  if (r.created_ms > 0) o["created_ms"] = r.created_ms;
  if (r.expires_ms > 0) o["expires_ms"] = r.expires_ms;
  return o;
}

json::object dead_letter_json(const node::DeadLetter& d) {
  json::object o;
  o["id"] = d.id;
  o["request_id"] = d.request_id.to_string();
  o["from"] = d.from.to_string();
  o["to"] = d.to.to_string();
  o["created_ms"] = d.created_ms;
  o["reason"] = d.reason;
  o["attempts"] = d.attempts;
  o["time_ms"] = d.time_ms;
  put_content(o, d.content);
  return o;
}

json::object topic_event_json(const node::TopicEvent& e) {
  json::object o;
  o["topic"] = e.topic;
  o["message_id"] = core::to_hex({reinterpret_cast<const std::uint8_t*>(e.message_id.data()), e.message_id.size()});
  o["from_peer"] = e.from_peer;
  if (e.from_agent) {
    o["from_agent"] = *e.from_agent;
  } else {
    o["from_agent"] = nullptr;
  }
  o["content_type"] = e.content_type;
  put_body(o, e.body);
  o["received_ms"] = e.received_ms;
  return o;
}

json::object topic_view_json(const node::TopicView& v) {
  json::object o;
  o["topic"] = v.topic;
  o["local_subscribers"] = v.local_subscribers;
  o["mesh"] = v.mesh;
  o["fanout"] = v.fanout;
  o["peers"] = v.peers;
  return o;
}

json::object directory_view_json(const node::DirectoryView& v) {
  json::object o;
  o["agent_id"] = v.agent_id;
  o["peer_id"] = v.peer_id;
  o["addrs"] = string_array(v.addrs);
  o["capabilities"] = string_array(v.capabilities);
  o["display_name"] = v.display_name;
  o["online"] = v.online;
  o["presence"] = v.presence;
  o["local"] = v.local;
  o["seq"] = v.seq;
  o["expires_ms"] = v.expires_ms;
  o["last_seen_ms"] = v.last_seen_ms;
  if (v.a2a) o["a2a"] = profile_json(*v.a2a);
  return o;
}

json::object node_info_json(const node::NodeInfo& info) {
  json::object o;
  o["peer_id"] = info.peer.to_string();
  o["listen_addrs"] = addr_array(info.listen_addrs);
  o["relay_addrs"] = addr_array(info.relay_addrs);
  o["agent_version"] = info.agent_version;
  o["protocols"] = string_array(info.protocols);
  o["reachability"] = reachability_json(info.reachability, false);
  return o;
}

json::object reachability_json(const transport::AutoNatStatus& s, bool counters) {
  json::object o;
  o["state"] = transport::to_string(s.state);
  o["votes_public"] = s.votes_public;
  o["votes_private"] = s.votes_private;
  o["public_addr"] = s.public_addr ? json::value(s.public_addr->to_string()) : json::value(nullptr);
  o["checked_ms"] = s.checked_ms ? json::value(*s.checked_ms) : json::value(nullptr);
  json::array observed;
  for (const auto& [addr, peers] : s.observed) {
    observed.push_back(json::object{{"addr", addr.to_string()}, {"peers", peers}});
  }
  o["observed_addrs"] = std::move(observed);
  o["service"] = s.service;
  if (counters) {
    o["checks_total"] = s.checks;
    o["answers_total"] = count_map(s.answers);
    json::object server;
    server["requests_total"] = s.requests;
    server["dialed_back_total"] = s.dialed_back;
    server["dial_back_failed_total"] = s.dial_back_failed;
    server["refused_total"] = count_map(s.refused);
    o["server"] = std::move(server);
  }
  return o;
}

json::object peer_json(const transport::PeerInfo& p) {
  json::object o;
  o["peer_id"] = p.peer.to_string();
  o["direction"] = p.outbound ? "outbound" : "inbound";
  o["addr"] = p.remote_addr.to_string();
  o["relay"] = p.relay ? json::value(p.relay->to_string()) : json::value(nullptr);
  o["listen_addrs"] = addr_array(p.listen_addrs);
  o["connected_since_ms"] = p.connected_since_ms;
  if (p.ping_rtt_ms) {
    o["ping_rtt_ms"] = *p.ping_rtt_ms;
  } else {
    o["ping_rtt_ms"] = nullptr;
  }
  o["open_streams"] = p.open_streams;
  o["bytes_in"] = p.bytes_in;
  o["bytes_out"] = p.bytes_out;
  o["agent_version"] = p.agent_version;
  o["protocols"] = string_array(p.protocols);
  o["signed_peer_record"] = p.signed_record;
  return o;
}

json::object conversation_json(const node::Conversation& c) {
  json::object o;
  o["conversation_id"] = c.id;
  json::array who;
  for (const auto& p : c.participants) who.emplace_back(p.to_string());
  o["participants"] = std::move(who);
  if (!c.protocol.empty()) o["protocol"] = c.protocol;
  o["message_count"] = c.messages;
  o["first_ms"] = c.first_ms;
  o["last_ms"] = c.last_ms;
  o["state"] = node::to_string(c.state);
  o["expires_ms"] = c.expires_ms;
  return o;
}

json::object conversation_entry_json(const node::ConversationEntry& e) {
  json::object o;
  o["index"] = e.index;
  o["direction"] = e.sent ? "sent" : "received";
  o["request_id"] = e.request_id.to_string();
  o["from"] = e.from.to_string();
  o["to"] = e.to.to_string();
  if (e.seq.value > 0) o["seq"] = e.seq.value;
  o["time_ms"] = e.time_ms;
  put_content(o, e.content);
  return o;
}

json::object conversation_stats_json(const node::ConversationStats& s) {
  auto average = [](const core::Histogram::Snapshot& h) {
    return h.count ? h.sum / static_cast<double>(h.count) : 0.0;
  };
  return json::object{{"conversations", s.views},
                      {"active", s.active},
                      {"created", s.created},
                      {"purged", s.purged},
                      {"average_messages", s.average_messages},
                      {"average_duration_ms", s.average_duration_ms},
                      {"expired", json::object{{"count", s.ended_messages.count},
                                               {"average_messages", average(s.ended_messages)},
                                               {"average_duration_ms", average(s.ended_duration_ms)}}}};
}

}  // namespace agentmesh::api
