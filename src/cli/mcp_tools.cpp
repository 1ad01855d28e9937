// The MCP tools that are neither messages nor tasks (whoami, find_agents,
// topics), and the helpers every tool file uses.

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "cli/mcp.hpp"

namespace agentmesh::cli::mcp {

json::object schema(std::string_view json_text) { return json::parse(json_text).as_object(); }

ToolResult failure(std::string code, std::string message, bool retryable) {
  ToolResult r;
  r.error = true;
  r.text = fmt::format("{}: {}{}", code, message, retryable ? " (retrying later may succeed)" : "");
  r.structured = json::object{{"error", code}, {"message", message}, {"retryable", retryable}};
  return r;
}

ToolResult from_answer(const DaemonLink::Answer& a, const std::function<ToolResult(const json::value&)>& ok) {
  if (a.status == 0) return failure("daemon_unavailable", a.unreachable, true);
  if (a.status >= 400) {
    const auto* o = a.body.if_object();
    const auto code = o ? str(a.body, "error") : std::string();
    const auto* retry = o ? o->if_contains("retryable") : nullptr;
    return failure(code.empty() ? fmt::format("http_{}", a.status) : code, o ? str(a.body, "message") : "",
                   retry && retry->is_bool() ? retry->as_bool() : a.status >= 500);
  }
  return ok(a.body);
}

std::optional<std::string> opt_string(const json::object& args, std::string_view key) {
  const auto* v = args.if_contains(key);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_string()) throw BadArgument{fmt::format("{} must be a string", key)};
  return std::string(v->as_string());
}

std::optional<std::int64_t> opt_int(const json::object& args, std::string_view key, std::int64_t lo, std::int64_t hi) {
  const auto* v = args.if_contains(key);
  if (!v || v->is_null()) return std::nullopt;
  std::int64_t n = 0;
  if (v->is_int64()) {
    n = v->as_int64();
  } else if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(hi)) {
    n = static_cast<std::int64_t>(v->as_uint64());
  } else if (v->is_double() && v->as_double() == static_cast<double>(static_cast<std::int64_t>(v->as_double()))) {
    n = static_cast<std::int64_t>(v->as_double());
  } else {
    throw BadArgument{fmt::format("{} must be an integer", key)};
  }
  if (n < lo || n > hi) throw BadArgument{fmt::format("{} must be between {} and {}", key, lo, hi)};
  return n;
}

bool opt_bool(const json::object& args, std::string_view key, bool fallback) {
  const auto* v = args.if_contains(key);
  if (!v || v->is_null()) return fallback;
  if (!v->is_bool()) throw BadArgument{fmt::format("{} must be true or false", key)};
  return v->as_bool();
}

std::string query_escape(std::string_view s) { return url_escape(s); }

namespace {

Tool whoami(const DaemonLink& d) {
  Tool t;
  t.name = "whoami";
  t.title = "Who am I";
  t.description =
      "Your own identity on the mesh: your agent id (what other agents use to reach you), name, capabilities, and "
      "how many messages wait unacknowledged in your inbox.";
  t.input_schema = schema(R"J({"type":"object","properties":{},"additionalProperties":false})J");
  t.output_schema = schema(R"J({"type":"object","properties":{
    "agent_id":{"type":"string"},"name":{"type":"string"},"capabilities":{"type":"array","items":{"type":"string"}},
    "state":{"type":"string"},"unacked":{"type":"integer"},"last_seq":{"type":"integer"},
    "acked_seq":{"type":"integer"},"data_dir":{"type":"string"}},"required":["agent_id","name"]})J");
  t.read_only = t.idempotent = true;
  t.run = [&d](const json::object&, CallContext&) {
    return from_answer(d.call("GET", d.agent_path()), [&d](const json::value& v) {
      ToolResult r;
      const auto& a = v.as_object();
      r.structured = json::object{{"agent_id", a.at("agent_id")},         {"name", a.at("name")},
                                  {"capabilities", a.at("capabilities")}, {"state", a.at("state")},
                                  {"unacked", a.at("unacked")},           {"last_seq", a.at("last_seq")},
                                  {"acked_seq", a.at("acked_seq")},       {"data_dir", d.data_dir().string()}};
      r.text = fmt::format("You are {} ({}), {} unacknowledged messages.", str(v, "name"), str(v, "agent_id"),
                           str(v, "unacked"));
      return r;
    });
  };
  return t;
}

Tool find_agents(const DaemonLink& d) {
  Tool t;
  t.name = "find_agents";
  t.title = "Find agents";
  t.description =
      "Lists agents on the mesh (on this machine and on connected daemons), optionally only those offering a "
      "capability. Use an agent's agent_id as `to` in send_message or create_task (a local agent's name works too).";
  t.input_schema = schema(R"J({"type":"object","properties":{
    "capability":{"type":"string","description":"only agents that advertise this capability"},
    "online_only":{"type":"boolean","default":true,"description":"drop agents whose advert expired"},
    "limit":{"type":"integer","minimum":1,"maximum":500,"default":50}},"additionalProperties":false})J");
  t.output_schema = schema(R"J({"type":"object","properties":{"agents":{"type":"array","items":{"type":"object",
    "properties":{"agent_id":{"type":"string"},"display_name":{"type":"string"},
    "capabilities":{"type":"array","items":{"type":"string"}},"online":{"type":"boolean"},"local":{"type":"boolean"}},
    "required":["agent_id"]}},"truncated":{"type":"boolean"}},"required":["agents"]})J");
  t.read_only = t.idempotent = t.open_world = true;
  t.run = [&d](const json::object& args, CallContext&) {
    const auto capability = opt_string(args, "capability");
    const bool online = opt_bool(args, "online_only", true);
    const auto limit = static_cast<std::size_t>(opt_int(args, "limit", 1, 500).value_or(50));
    std::string target = fmt::format("/v1/directory?online={}", online ? "true" : "false");
    if (capability) target += "&capability=" + query_escape(*capability);
    return from_answer(d.call("GET", target), [limit](const json::value& v) {
      ToolResult r;
      json::array agents;
      std::string lines;
      const auto& all = v.as_object().at("agents").as_array();
      for (const auto& a : all) {
        if (agents.size() == limit) break;
        json::object e{{"agent_id", a.at("agent_id")},
                       {"capabilities", a.at("capabilities")},
                       {"online", a.at("online")},
                       {"local", a.at("local")}};
        if (const auto* n = a.as_object().if_contains("display_name"); n && n->is_string()) e["display_name"] = *n;
        lines += fmt::format("\n- {} {}[{}]{}", str(a, "agent_id"),
                             e.contains("display_name") ? str(a, "display_name") + " " : "",
                             join(a.at("capabilities").as_array(), ", "), str(a, "local") == "true" ? " (local)" : "");
        agents.push_back(std::move(e));
      }
      r.text = fmt::format("{} agents{}", agents.size(), lines);
      r.structured = json::object{{"agents", std::move(agents)}, {"truncated", all.size() > limit}};
      return r;
    });
  };
  return t;
}

Tool topic_tool(const DaemonLink& d, std::string name) {
  Tool t;
  t.name = name;
  t.input_schema = schema(R"J({"type":"object","properties":{"topic":{"type":"string","minLength":1,
    "maxLength":256}},"required":["topic"],"additionalProperties":false})J");
  if (name == "publish") {
    t.title = "Publish to a topic";
    t.description =
        "Publishes text to a pub/sub topic: every agent subscribed to it, on any daemon, receives it. A retried call "
        "publishes again (topics have no idempotency key).";
    t.input_schema = schema(R"J({"type":"object","properties":{"topic":{"type":"string","minLength":1,
      "maxLength":256},"text":{"type":"string"}},"required":["topic","text"],"additionalProperties":false})J");
    t.output_schema = schema(R"J({"type":"object","properties":{"message_id":{"type":"string"},
      "peers":{"type":"integer"}},"required":["message_id"]})J");
    t.open_world = true;
    t.run = [&d](const json::object& args, CallContext&) {
      const auto topic = opt_string(args, "topic");
      const auto text = opt_string(args, "text");
      if (!topic || !text) throw BadArgument{"topic and text are required"};
      json::object body{{"body", *text}, {"as", d.agent()}};
      return from_answer(d.call("POST", "/v1/topics/" + url_escape(*topic) + "/messages", body),
                         [&](const json::value& v) {
                           ToolResult r;
                           r.structured = v.as_object();
                           r.text = fmt::format("Published to {} ({} peers).", *topic, str(v, "peers"));
                           return r;
                         });
    };
    return t;
  }
  const bool sub = name == "subscribe_topic";
  t.title = sub ? "Subscribe to a topic" : "Unsubscribe from a topic";
  t.description = sub ? "Subscribes you durably to a topic: its messages arrive in your inbox (read them with "
                        "check_inbox or wait_for_messages), also after restarts. Subscribing twice is harmless."
                      : "Ends your durable subscription to a topic. Unsubscribing twice is harmless.";
  t.output_schema = schema(R"J({"type":"object","properties":{"topic":{"type":"string"},
    "subscribed":{"type":"boolean"},"changed":{"type":"boolean"}},"required":["topic","subscribed","changed"]})J");
  t.idempotent = true;
  t.run = [&d, sub](const json::object& args, CallContext&) {
    const auto topic = opt_string(args, "topic");
    if (!topic) throw BadArgument{"topic is required"};
    auto a = sub ? d.call("POST", d.agent_path() + "/subscriptions", json::object{{"topic", *topic}})
                 : d.call("DELETE", d.agent_path() + "/subscriptions?topic=" + query_escape(*topic));
    bool changed = true;
    if ((sub && a.status == 409) || (!sub && a.status == 404 && str(a.body, "error") == "not_found")) {
      changed = false;
      a.status = 200;
    }
    return from_answer(a, [&](const json::value&) {
      ToolResult r;
      r.structured = json::object{{"topic", *topic}, {"subscribed", sub}, {"changed", changed}};
      r.text =
          fmt::format("{} {}{}.", sub ? "Subscribed to" : "Unsubscribed from", *topic, changed ? "" : " (already so)");
      return r;
    });
  };
  return t;
}

}  // namespace

std::vector<Tool> make_tools(const DaemonLink& d) {
  std::vector<Tool> out;
  out.push_back(whoami(d));
  out.push_back(find_agents(d));
  add_message_tools(out, d);
  add_task_tools(out, d);
  out.push_back(topic_tool(d, "publish"));
  out.push_back(topic_tool(d, "subscribe_topic"));
  out.push_back(topic_tool(d, "unsubscribe_topic"));
  return out;
}

}  // namespace agentmesh::cli::mcp
