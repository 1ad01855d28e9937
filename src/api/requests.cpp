#include "api/requests.hpp"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <initializer_list>
#include <limits>

#include "a2a/profile.hpp"
#include "api/error.hpp"
#include "api/request_fields.hpp"
#include "core/base64.hpp"
#include "core/hex.hpp"
#include "core/utf8.hpp"
#include "direct/error.hpp"
#include "tasks/codec.hpp"

namespace agentmesh::api {
namespace json = boost::json;
using namespace request_detail;  // Fields, printable_ascii, the limits

Result<json::object> parse_object(std::string_view body, const JsonLimits& limits, std::string& why) {
  json::parse_options opts;
  opts.max_depth = limits.max_depth;
  error_code ec;
  json::value v = json::parse(body, ec, json::storage_ptr(), opts);
  if (ec) {
    why = fmt::format("malformed JSON: {}", ec.message());
    return error::malformed_json;
  }
  if (!v.is_object()) {
    why = "the body must be a JSON object";
    return error::malformed_json;
  }
  return std::move(v.get_object());
}

Result<node::CreateAgentRequest> parse_create_agent(std::string_view body, const JsonLimits& limits, std::string& why) {
  auto o = parse_object(body, limits, why);
  if (!o) return o.error();
  Fields f(*o, why);
  if (auto r = f.only({"name", "capabilities", "display_name"}); !r) return r.error();
  node::CreateAgentRequest req;
  auto name = f.required_string("name", 64);
  if (!name) return name.error();
  req.name = std::move(*name);
  auto caps = f.string_array("capabilities", 64, 64);
  if (!caps) return caps.error();
  if (*caps) req.capabilities = std::move(**caps);
  auto display = f.string("display_name", 128);
  if (!display) return display.error();
  if (*display) req.display_name = std::move(**display);
  return req;
}

namespace {

Result<a2a::Skill> parse_skill(const json::value& v, std::string& why) {
  if (!v.is_object()) {
    why = "field \"a2a.skills\" must be an array of objects";
    return error::invalid_field;
  }
  Fields f(v.get_object(), why);
  if (auto r = f.only({"id", "name", "description", "tags", "examples"}); !r) return r.error();
  a2a::Skill s;
  auto id = f.required_string("id", a2a::kMaxSkillIdBytes);
  if (!id) return id.error();
  s.id = std::move(*id);
  auto name = f.required_string("name", a2a::kMaxSkillNameBytes);
  if (!name) return name.error();
  s.name = std::move(*name);
  auto description = f.string("description", a2a::kMaxSkillTextBytes);
  if (!description) return description.error();
  if (*description) s.description = std::move(**description);
  auto tags = f.string_array("tags", a2a::kMaxSkillTags, a2a::kMaxTagBytes);
  if (!tags) return tags.error();
  if (*tags) s.tags = std::move(**tags);
  auto examples = f.string_array("examples", a2a::kMaxSkillExamples, a2a::kMaxSkillTextBytes);
  if (!examples) return examples.error();
  if (*examples) s.examples = std::move(**examples);
  return s;
}

// "a2a": {"enabled", "description"?, "skills"?}: the whole profile, checked
// by a2a::validate.
Result<a2a::Profile> parse_a2a_profile(const json::value& v, std::string& why) {
  if (!v.is_object()) {
    why = "field \"a2a\" must be an object";
    return error::invalid_field;
  }
  Fields f(v.get_object(), why);
  if (auto r = f.only({"enabled", "description", "skills"}); !r) return r.error();
  a2a::Profile p;
  auto enabled = f.boolean("enabled");
  if (!enabled) return enabled.error();
  if (!*enabled) {
    why = "field \"a2a.enabled\" is required";
    return error::missing_field;
  }
  p.enabled = **enabled;
  auto description = f.string("description", a2a::kMaxDescriptionBytes);
  if (!description) return description.error();
  if (*description) p.description = std::move(**description);
  if (const auto* skills = f.get("skills")) {
    if (!skills->is_array()) return f.bad("a2a.skills", "must be an array of objects");
    if (skills->get_array().size() > a2a::kMaxSkills) {
      return f.bad("a2a.skills", fmt::format("must have at most {} items", a2a::kMaxSkills));
    }
    for (const auto& item : skills->get_array()) {
      auto s = parse_skill(item, why);
      if (!s) return s.error();
      p.skills.push_back(std::move(*s));
    }
  }
  if (!a2a::validate(p, why)) return error::invalid_field;
  return p;
}

}  // namespace

Result<node::UpdateAgentRequest> parse_update_agent(std::string_view body, const JsonLimits& limits, std::string& why) {
  auto o = parse_object(body, limits, why);
  if (!o) return o.error();
  Fields f(*o, why);
  if (auto r = f.only({"capabilities", "state", "display_name", "a2a"}); !r) return r.error();
  node::UpdateAgentRequest req;
  auto caps = f.string_array("capabilities", 64, 64);
  if (!caps) return caps.error();
  req.capabilities = std::move(*caps);
  auto state = f.string("state", 16);
  if (!state) return state.error();
  if (*state) {
    req.state = node::parse_agent_state(**state);
    if (!req.state) return f.bad("state", "must be \"running\", \"draining\" or \"stopped\"");
  }
  auto display = f.string("display_name", 128);
  if (!display) return display.error();
  req.display_name = std::move(*display);
  if (const auto* profile = f.get("a2a")) {
    auto p = parse_a2a_profile(*profile, why);
    if (!p) return p.error();
    req.a2a = std::move(*p);
  }
  return req;
}

namespace {

// The message body of a send or a publish: `body` (text) or `body_base64`,
// within the payload limit (checked before decoding), and an optional
// `content_type` (default text/plain or application/octet-stream).
Result<void> read_body(Fields& f, const JsonLimits& limits, std::string& why, std::string& body,
                       std::string& content_type) {
  const std::size_t max_b64 = (limits.max_payload_bytes + 2) / 3 * 4;
  auto text = f.string("body", std::numeric_limits<std::size_t>::max());
  if (!text) return text.error();
  auto b64 = f.string("body_base64", std::numeric_limits<std::size_t>::max());
  if (!b64) return b64.error();
  if (*text && *b64) return f.bad("body_base64", "cannot be combined with \"body\"");
  if (!*text && !*b64) {
    why = "one of \"body\" or \"body_base64\" is required";
    return error::missing_field;
  }
  if (*text) {
    body = std::move(**text);
    content_type = "text/plain; charset=utf-8";
  } else {
    if ((*b64)->size() > max_b64) {
      why = fmt::format("the payload exceeds {} bytes", limits.max_payload_bytes);
      return direct::error::payload_too_large;
    }
    auto decoded = core::base64_decode(**b64);
    if (!decoded) return f.bad("body_base64", "must be standard base64 with padding");
    body = std::move(*decoded);
    content_type = "application/octet-stream";
  }
  if (body.size() > limits.max_payload_bytes) {
    why = fmt::format("the payload exceeds {} bytes", limits.max_payload_bytes);
    return direct::error::payload_too_large;
  }
  auto type = f.string("content_type", 255);
  if (!type) return type.error();
  if (*type) {
    if ((*type)->empty() || !printable_ascii(**type)) {
      return f.bad("content_type", "must be a non-empty printable ASCII media type");
    }
    content_type = std::move(**type);
  }
  return {};
}

}  // namespace

Result<node::SendRequest> parse_send(std::string_view body, const JsonLimits& limits, std::string& why) {
  auto o = parse_object(body, limits, why);
  if (!o) return o.error();
  Fields f(*o, why);
  if (auto r = f.only({"to", "body", "body_base64", "content_type", "performative", "conversation_id", "reply_with",
                       "in_reply_to", "protocol", "metadata", "ttl_ms", "idempotency_key", "signed", "path", "wait",
                       "timeout_ms"});
      !r) {
    return r.error();
  }
  node::SendRequest req;
  // A reply may leave `to` to its in_reply_to (node/conversations.hpp).
  auto to = f.string("to", 128);
  if (!to) return to.error();
  if (*to) {
    if ((*to)->empty()) return f.bad("to", "must not be empty");
    req.to = std::move(**to);
  }

  if (auto r = read_body(f, limits, why, req.content.body, req.content.content_type); !r) return r.error();
  struct Opt {
    const char* key;
    std::size_t max;
    std::string* out;
  };
  const Opt opts[] = {{"performative", 64, &req.content.performative},
                      {"conversation_id", 256, &req.content.conversation_id},
                      {"reply_with", 256, &req.content.reply_with},
                      {"in_reply_to", 256, &req.content.in_reply_to},
                      {"protocol", 256, &req.content.protocol}};
  for (const auto& opt : opts) {
    auto v = f.string(opt.key, opt.max);
    if (!v) return v.error();
    if (*v) *opt.out = std::move(**v);
  }
  if (req.to.empty() && req.content.in_reply_to.empty()) {
    why = "field \"to\" is required (a reply may leave it out: in_reply_to names the message it answers)";
    return error::missing_field;
  }
  // Task messages between daemons are the task service's alone.
  if (req.content.protocol == tasks::kProtocol) return f.bad("protocol", "is reserved for task messages");
  auto md = f.metadata("metadata");
  if (!md) return md.error();
  req.content.metadata = std::move(*md);

  auto ttl = f.unsigned_int("ttl_ms");
  if (!ttl) return ttl.error();
  if (*ttl) {
    if (**ttl == 0 || **ttl > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return f.bad("ttl_ms", "must be a positive number of milliseconds");
    }
    req.ttl_ms = static_cast<std::int64_t>(**ttl);
  }
  auto key = f.string("idempotency_key", 256);
  if (!key) return key.error();
  if (*key) {
    if ((*key)->empty()) return f.bad("idempotency_key", "must not be empty");
    req.idempotency_key = std::move(**key);
  }
  auto sign = f.boolean("signed");
  if (!sign) return sign.error();
  req.sign = sign->value_or(false);
  auto path = f.string("path", 16);
  if (!path) return path.error();
  if (*path) {
    auto hint = direct::parse_path_hint(**path);
    if (!hint || (*path)->empty()) return f.bad("path", "must be \"auto\", \"direct\" or \"gossip\"");
    req.path = *hint;
  }
  auto wait = f.string("wait", 16);
  if (!wait) return wait.error();
  auto timeout = f.unsigned_int("timeout_ms");
  if (!timeout) return timeout.error();
  if (*wait) {
    if (**wait == "ack") {
      req.wait_ms = kDefaultWaitMs;
    } else if (**wait != "queued") {
      return f.bad("wait", "must be \"queued\" or \"ack\"");
    }
  }
  if (*timeout) {
    if (req.wait_ms == 0) return f.bad("timeout_ms", "needs \"wait\": \"ack\"");
    if (**timeout == 0 || **timeout > kMaxWaitMs) return f.bad("timeout_ms", fmt::format("must be 1-{}", kMaxWaitMs));
    req.wait_ms = static_cast<std::int64_t>(**timeout);
  }
  return req;
}

Result<core::Seq> parse_ack(std::string_view body, const JsonLimits& limits, std::string& why) {
  auto o = parse_object(body, limits, why);
  if (!o) return o.error();
  Fields f(*o, why);
  if (auto r = f.only({"up_to"}); !r) return r.error();
  auto up_to = f.unsigned_int("up_to");
  if (!up_to) return up_to.error();
  if (!*up_to) {
    why = "field \"up_to\" is required";
    return error::missing_field;
  }
  return core::Seq{**up_to};
}

Result<std::string> parse_login(std::string_view body, const JsonLimits& limits, std::string& why) {
  auto o = parse_object(body, limits, why);
  if (!o) return o.error();
  Fields f(*o, why);
  if (auto r = f.only({"code"}); !r) return r.error();
  return f.required_string("code", 256);
}

Result<core::Seq> parse_ws_ack(std::string_view text, const JsonLimits& limits, std::string& why) {
  auto o = parse_object(text, limits, why);
  if (!o) return o.error();
  Fields f(*o, why);
  if (auto r = f.only({"ack"}); !r) return r.error();
  auto ack = f.unsigned_int("ack");
  if (!ack) return ack.error();
  if (!*ack) {
    why = "field \"ack\" is required";
    return error::missing_field;
  }
  return core::Seq{**ack};
}

Result<core::Multiaddr> parse_connect(std::string_view body, const JsonLimits& limits, std::string& why) {
  auto o = parse_object(body, limits, why);
  if (!o) return o.error();
  Fields f(*o, why);
  if (auto r = f.only({"addr"}); !r) return r.error();
  auto text = f.required_string("addr", core::Multiaddr::kMaxBytes * 4);
  if (!text) return text.error();
  auto addr = core::Multiaddr::parse(*text);
  if (!addr) {
    why = fmt::format("field \"addr\" is not a valid multiaddr: {}", addr.error().message());
    return addr.error();
  }
  return addr;
}

Result<TopicPublishRequest> parse_topic_publish(std::string_view body, const JsonLimits& limits, std::string& why) {
  auto o = parse_object(body, limits, why);
  if (!o) return o.error();
  Fields f(*o, why);
  if (auto r = f.only({"body", "body_base64", "content_type", "as"}); !r) return r.error();
  TopicPublishRequest req;
  if (auto r = read_body(f, limits, why, req.body, req.content_type); !r) return r.error();
  auto as = f.string("as", 128);
  if (!as) return as.error();
  if (*as) req.as = std::move(**as);
  return req;
}

Result<std::string> parse_subscription(std::string_view body, const JsonLimits& limits, std::string& why) {
  auto o = parse_object(body, limits, why);
  if (!o) return o.error();
  Fields f(*o, why);
  if (auto r = f.only({"topic"}); !r) return r.error();
  auto topic = f.required_string("topic", 256);
  if (!topic) return topic.error();
  if (!valid_topic(*topic))
    return f.bad("topic", "must be 1-256 bytes of UTF-8 without control characters, not under agentmesh/");
  return std::move(*topic);
}

Result<A2aTokenRequest> parse_a2a_token(std::string_view body, const JsonLimits& limits, std::string& why) {
  auto o = parse_object(body.empty() ? std::string_view("{}") : body, limits, why);
  if (!o) return o.error();
  Fields f(*o, why);
  if (auto r = f.only({"label", "expires_in_s"}); !r) return r.error();
  A2aTokenRequest req;
  auto label = f.string("label", 128);
  if (!label) return label.error();
  if (*label) {
    if (!core::is_valid_utf8(**label)) return f.bad("label", "must be UTF-8");
    req.label = std::move(**label);
  }
  auto expires = f.unsigned_int("expires_in_s");
  if (!expires) return expires.error();
  if (*expires) {
    constexpr std::uint64_t kMaxS = 3650ULL * 24 * 3600;
    if (**expires == 0 || **expires > kMaxS) {
      return f.bad("expires_in_s", fmt::format("must be 1-{} (10 years); leave it out for no expiry", kMaxS));
    }
    req.ttl_ms = static_cast<std::int64_t>(**expires) * 1000;
  }
  return req;
}

Result<A2aCredentialRequest> parse_a2a_credential(std::string_view body, const JsonLimits& limits, std::string& why) {
  auto o = parse_object(body, limits, why);
  if (!o) return o.error();
  Fields f(*o, why);
  if (auto r = f.only({"name", "bearer"}); !r) return r.error();
  auto name = f.string("name", 64);
  auto bearer = f.string("bearer", 4096);
  if (!name) return name.error();
  if (!bearer) return bearer.error();
  if (!*name || !*bearer) {
    why = "fields \"name\" and \"bearer\" are required";
    return error::missing_field;
  }
  return A2aCredentialRequest{std::move(**name), std::move(**bearer)};
}

Result<core::AgentId> parse_block(std::string_view body, const JsonLimits& limits, std::string& why) {
  auto o = parse_object(body, limits, why);
  if (!o) return o.error();
  Fields f(*o, why);
  if (auto r = f.only({"sender"}); !r) return r.error();
  auto sender = f.required_string("sender", 64);
  if (!sender) return sender.error();
  auto id = core::AgentId::parse(*sender);
  if (!id) return f.bad("sender", "must be an agent id (64 lowercase hex characters)");
  return *id;
}

bool valid_topic(std::string_view topic) {
  if (topic.empty() || topic.size() > 256 || !core::is_valid_utf8(topic)) return false;
  if (topic.starts_with(kReservedTopicPrefix)) return false;  // the daemons' own (adverts, inboxes)
  for (unsigned char c : topic) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace agentmesh::api
