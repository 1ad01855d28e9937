// The MCP tools for direct messages, the inbox and conversations.

#include <fmt/format.h>

#include <boost/json/serialize.hpp>
#include <chrono>
#include <thread>

#include "cli/mcp.hpp"

namespace agentmesh::cli::mcp {
namespace {

constexpr std::string_view kMessageItem = R"J({"type":"object","properties":{"seq":{"type":"integer"},
  "request_id":{"type":"string"},"from":{"type":"string"},"to":{"type":"string"},"body":{"type":"string"},
  "body_base64":{"type":"string"},"content_type":{"type":"string"},"performative":{"type":"string"},
  "conversation_id":{"type":"string"},"reply_with":{"type":"string"},"in_reply_to":{"type":"string"},
  "task_event":{"type":"object"}},"required":["seq","from"]})J";

std::string summarize(const json::array& messages) {
  std::string out;
  for (const auto& m : messages) {
    const auto& o = m.as_object();
    std::string what = o.contains("task_event") ? fmt::format("task {} {}", str(o.at("task_event"), "task_id"),
                                                              str(o.at("task_event"), "kind"))
                                                : body_text(o);
    if (what.size() > 300) what = what.substr(0, 300) + "...";
    out += fmt::format("\n#{} from {}{}: {}", str(m, "seq"), str(m, "from"),
                       o.contains("conversation_id") ? " in " + str(m, "conversation_id") : "", what);
  }
  return out;
}

// The body fields of a send: text, or JSON data.
void put_body(json::object& req, const json::object& args) {
  const auto text = opt_string(args, "text");
  const auto* data = args.if_contains("data");
  if (text && data) throw BadArgument{"give text or data, not both"};
  if (text) {
    req["body"] = *text;
  } else if (data) {
    req["body"] = json::serialize(*data);
    req["content_type"] = "application/json";
  } else {
    throw BadArgument{"a message needs text or data"};
  }
}

ToolResult send(const DaemonLink& d, const json::object& args, bool is_reply) {
  json::object req;
  put_body(req, args);
  for (const char* k : {"to", "performative", "conversation_id", "reply_with", "in_reply_to", "idempotency_key"}) {
    if (auto v = opt_string(args, k)) req[k] = *v;
  }
  if (is_reply && !req.contains("in_reply_to")) throw BadArgument{"in_reply_to is required"};
  if (!is_reply && !req.contains("to")) throw BadArgument{"to is required"};
  if (opt_bool(args, "wait_for_ack", false)) {
    req["wait"] = "ack";
    req["timeout_ms"] = opt_int(args, "timeout_s", 1, 60).value_or(10) * 1000;
  }
  return from_answer(d.call("POST", d.agent_path() + "/messages", req), [](const json::value& v) {
    ToolResult r;
    r.structured = v.as_object();
    r.text = fmt::format("Message {} is {}{}{}.", str(v, "request_id"), str(v, "state"),
                         str(v, "duplicate") == "true" ? " (a repeat of an earlier send: not sent again)" : "",
                         v.as_object().contains("reason") ? ": " + str(v, "reason") : "");
    return r;
  });
}

const char* kSendInput = R"J({"type":"object","properties":{
  "to":{"type":"string","description":"the recipient: an agent id from find_agents, or a local agent's name"},
  "text":{"type":"string","description":"the message text"},
  "data":{"description":"a JSON value to send instead of text (sent as application/json)"},
  "performative":{"type":"string","description":"the speech act, e.g. request, inform, query-ref, agree, refuse"},
  "conversation_id":{"type":"string","description":"groups messages into a conversation"},
  "reply_with":{"type":"string","description":"a label the recipient can answer with in_reply_to"},
  "in_reply_to":{"type":"string","description":"the reply_with (or request_id) of the message this answers"},
  "wait_for_ack":{"type":"boolean","default":false,"description":"return only once the recipient has it"},
  "timeout_s":{"type":"integer","minimum":1,"maximum":60,"default":10},
  "idempotency_key":{"type":"string","minLength":1,"maxLength":256,
    "description":"makes a retried call safe: the same key sends once"}},
  "required":["to"],"additionalProperties":false})J";

const char* kReceipt = R"J({"type":"object","properties":{"request_id":{"type":"string"},"state":{"type":"string"},
  "to":{"type":"string"},"seq":{"type":"integer"},"duplicate":{"type":"boolean"},"reason":{"type":"string"}},
  "required":["request_id","state"]})J";

Tool send_message(const DaemonLink& d) {
  Tool t;
  t.name = "send_message";
  t.title = "Send a message";
  t.description =
      "Sends a direct message to another agent (on this machine or any connected daemon); it is stored until the "
      "recipient acknowledges it, also across restarts. Returns the message's state: accepted (in the recipient's "
      "inbox), queued/sending (on its way), rejected or expired. Without an idempotency_key, calling again sends "
      "again; with one, a retry is answered from the first send.";
  t.input_schema = schema(kSendInput);
  t.output_schema = schema(kReceipt);
  t.open_world = true;
  t.run = [&d](const json::object& args, CallContext&) { return send(d, args, false); };
  return t;
}

Tool reply(const DaemonLink& d) {
  Tool t;
  t.name = "reply";
  t.title = "Reply to a message";
  t.description =
      "Answers a message you received: it goes to its sender, in its conversation. in_reply_to is the message's "
      "reply_with, or its request_id. Without an idempotency_key, calling again sends again.";
  auto in = schema(kSendInput);
  in["required"] = json::array{"in_reply_to"};
  in["properties"].as_object().erase("to");
  t.input_schema = std::move(in);
  t.output_schema = schema(kReceipt);
  t.open_world = true;
  t.run = [&d](const json::object& args, CallContext&) {
    if (args.contains("to")) throw BadArgument{"reply goes to the sender: give in_reply_to, not to"};
    return send(d, args, true);
  };
  return t;
}

json::object inbox_schema() {
  return schema(fmt::format(R"J({{"type":"object","properties":{{"messages":{{"type":"array","items":{}}},
    "cursor":{{"type":"integer"}},"last_seq":{{"type":"integer"}},"acked_seq":{{"type":"integer"}},
    "timed_out":{{"type":"boolean"}}}},"required":["messages","cursor"]}})J",
                            kMessageItem));
}

ToolResult inbox_page(const DaemonLink& d, std::int64_t after, std::int64_t limit, bool timed_out) {
  return from_answer(d.call("GET", fmt::format("{}/inbox?after={}&limit={}", d.agent_path(), after, limit)),
                     [&](const json::value& v) {
                       ToolResult r;
                       const auto& o = v.as_object();
                       const auto& messages = o.at("messages").as_array();
                       r.structured = json::object{{"messages", messages},
                                                   {"cursor", o.at("next_after")},
                                                   {"last_seq", o.at("last_seq")},
                                                   {"acked_seq", o.at("acked_seq")},
                                                   {"timed_out", timed_out}};
                       r.text = messages.empty() ? std::string(timed_out ? "Nothing arrived." : "No messages.")
                                                 : fmt::format("{} messages:{}", messages.size(), summarize(messages));
                       return r;
                     });
}

std::int64_t acked_cursor(const DaemonLink& d, std::optional<std::int64_t> after) {
  if (after) return *after;
  auto a = d.call("GET", d.agent_path());
  if (a.status != 200) return 0;
  return a.body.as_object().at("acked_seq").to_number<std::int64_t>();
}

Tool check_inbox(const DaemonLink& d) {
  Tool t;
  t.name = "check_inbox";
  t.title = "Check the inbox";
  t.description =
      "Reads your inbox without acknowledging anything: by default the messages not yet acknowledged. Pass the "
      "returned cursor as `after` to read further. Acknowledge handled messages with ack.";
  t.input_schema = schema(R"J({"type":"object","properties":{
    "after":{"type":"integer","minimum":0,"description":"messages after this seq (default: the acknowledged ones)"},
    "limit":{"type":"integer","minimum":1,"maximum":1000,"default":50}},"additionalProperties":false})J");
  t.output_schema = inbox_schema();
  t.read_only = t.idempotent = true;
  t.run = [&d](const json::object& args, CallContext&) {
    const auto after = opt_int(args, "after", 0, INT64_MAX);
    const auto limit = opt_int(args, "limit", 1, 1000).value_or(50);
    return inbox_page(d, acked_cursor(d, after), limit, false);
  };
  return t;
}

Tool wait_for_messages(const DaemonLink& d) {
  Tool t;
  t.name = "wait_for_messages";
  t.title = "Wait for messages";
  t.description =
      "Waits until a message (or a task step) is in your inbox after `after` (default: after the acknowledged "
      "ones), up to timeout_s seconds (at most 55), and returns what is there plus a cursor to pass as `after` next "
      "time. Returns at once when something is already waiting. Nothing is acknowledged.";
  t.input_schema = schema(R"J({"type":"object","properties":{
    "after":{"type":"integer","minimum":0},"timeout_s":{"type":"integer","minimum":1,"maximum":55,"default":30},
    "limit":{"type":"integer","minimum":1,"maximum":1000,"default":50}},"additionalProperties":false})J");
  t.output_schema = inbox_schema();
  t.read_only = true;
  t.run = [&d](const json::object& args, CallContext& ctx) {
    const auto timeout = std::chrono::seconds(opt_int(args, "timeout_s", 1, 55).value_or(30));
    const auto limit = opt_int(args, "limit", 1, 1000).value_or(50);
    const auto start = std::chrono::steady_clock::now();
    const auto deadline = start + timeout;
    const auto cursor = acked_cursor(d, opt_int(args, "after", 0, INT64_MAX));
    auto next_progress = start + std::chrono::seconds(10);
    for (;;) {
      auto now = inbox_page(d, cursor, limit, false);
      if (now.error || !now.structured.at("messages").as_array().empty()) return now;
      bool arrived = false;
      std::string why;
      d.stream(
          fmt::format("{}/events?after={}", d.agent_path(), cursor), "",
          [&](const std::string& type, const std::string&, const std::string&) {
            arrived = type == "message" || type == "task";
            return !arrived;
          },
          [&] {
            const auto at = std::chrono::steady_clock::now();
            if (at >= next_progress) {
              const auto waited = std::chrono::duration_cast<std::chrono::seconds>(at - start).count();
              ctx.progress(static_cast<double>(waited),
                           fmt::format("waiting for messages: {} s of {}", waited, timeout.count()));
              next_progress += std::chrono::seconds(10);
            }
            return at < deadline && !ctx.cancelled();
          },
          why);
      if (arrived || std::chrono::steady_clock::now() >= deadline || ctx.cancelled()) {
        return inbox_page(d, cursor, limit, !arrived);
      }
      // The stream ended early (the daemon restarts): try again shortly.
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  };
  return t;
}

Tool ack(const DaemonLink& d) {
  Tool t;
  t.name = "ack";
  t.title = "Acknowledge messages";
  t.description =
      "Acknowledges every message in your inbox up to and including seq `up_to`: they are done and will not be "
      "offered again. Acknowledging the same seq twice is harmless.";
  t.input_schema = schema(R"J({"type":"object","properties":{"up_to":{"type":"integer","minimum":1}},
    "required":["up_to"],"additionalProperties":false})J");
  t.output_schema = schema(R"J({"type":"object","properties":{"acked_seq":{"type":"integer"},
    "last_seq":{"type":"integer"}},"required":["acked_seq","last_seq"]})J");
  t.idempotent = true;
  t.run = [&d](const json::object& args, CallContext&) {
    const auto up_to = opt_int(args, "up_to", 1, INT64_MAX);
    if (!up_to) throw BadArgument{"up_to is required"};
    return from_answer(
        d.call("POST", d.agent_path() + "/inbox/ack", json::object{{"up_to", *up_to}}), [](const json::value& v) {
          ToolResult r;
          r.structured = v.as_object();
          r.text = fmt::format("Acknowledged up to {} (last is {}).", str(v, "acked_seq"), str(v, "last_seq"));
          return r;
        });
  };
  return t;
}

Tool conversations(const DaemonLink& d, bool one) {
  Tool t;
  t.name = one ? "get_conversation" : "list_conversations";
  t.title = one ? "Read a conversation" : "List conversations";
  t.description = one ? "The messages of one of your conversations, oldest first, as you sent and received them. "
                        "Page with `after` (the last index seen)."
                      : "Your conversations (messages sharing a conversation_id), by id: participants, message "
                        "count, last activity, active or expired.";
  t.input_schema = one ? schema(R"J({"type":"object","properties":{"conversation_id":{"type":"string","minLength":1},
      "after":{"type":"integer","minimum":0},"limit":{"type":"integer","minimum":1,"maximum":1000,"default":50}},
      "required":["conversation_id"],"additionalProperties":false})J")
                       : schema(R"J({"type":"object","properties":{"state":{"enum":["active","expired","any"],
      "default":"any"},"after":{"type":"string"},"limit":{"type":"integer","minimum":1,"maximum":1000,
      "default":50}},"additionalProperties":false})J");
  t.output_schema = one ? schema(R"J({"type":"object","properties":{"conversation":{"type":"object"},
      "messages":{"type":"array","items":{"type":"object"}},"first_kept":{"type":"integer"}},
      "required":["conversation","messages"]})J")
                        : schema(R"J({"type":"object","properties":{"conversations":{"type":"array",
      "items":{"type":"object"}},"next_after":{"type":"string"}},"required":["conversations"]})J");
  t.read_only = t.idempotent = true;
  t.run = [&d, one](const json::object& args, CallContext&) {
    const auto limit = opt_int(args, "limit", 1, 1000).value_or(50);
    std::string target;
    if (one) {
      const auto id = opt_string(args, "conversation_id");
      if (!id) throw BadArgument{"conversation_id is required"};
      target = fmt::format("{}/conversations/{}?after={}&limit={}", d.agent_path(), url_escape(*id),
                           opt_int(args, "after", 0, INT64_MAX).value_or(0), limit);
    } else {
      target = fmt::format("{}/conversations?state={}&limit={}", d.agent_path(),
                           query_escape(opt_string(args, "state").value_or("any")), limit);
      if (auto after = opt_string(args, "after")) target += "&after=" + query_escape(*after);
    }
    return from_answer(d.call("GET", target), [one](const json::value& v) {
      ToolResult r;
      r.structured = v.as_object();
      if (one) {
        r.text = fmt::format("Conversation {}:{}", str(v.at("conversation"), "conversation_id"),
                             summarize(v.at("messages").as_array()));
      } else {
        r.text = fmt::format("{} conversations", v.at("conversations").as_array().size());
        for (const auto& c : v.at("conversations").as_array()) {
          r.text += fmt::format("\n- {} ({} messages, {})J", str(c, "conversation_id"), str(c, "message_count"),
                                str(c, "state"));
        }
      }
      return r;
    });
  };
  return t;
}

}  // namespace

void add_message_tools(std::vector<Tool>& out, const DaemonLink& d) {
  out.push_back(send_message(d));
  out.push_back(reply(d));
  out.push_back(check_inbox(d));
  out.push_back(wait_for_messages(d));
  out.push_back(ack(d));
  out.push_back(conversations(d, false));
  out.push_back(conversations(d, true));
}

}  // namespace agentmesh::cli::mcp
