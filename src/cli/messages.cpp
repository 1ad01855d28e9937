// `agentmesh send`, `inbox`, `ack`.

#include <fmt/format.h>

#include <boost/json/serialize.hpp>
#include <iostream>
#include <iterator>
#include <memory>

#include "cli/context.hpp"
#include "core/base64.hpp"
#include "core/fs.hpp"

namespace agentmesh::cli {
namespace json = boost::json;

namespace {

struct SendOptions {
  std::string from, to, text, file;
  std::string content_type, performative, conversation_id, reply_with, in_reply_to, protocol, idempotency_key;
  std::int64_t ttl_ms = 0;
  bool wait_ack = false;
  bool sign = false;
};

bool is_id_prefix(std::string_view s) {
  if (s.size() < 8 || s.size() >= 64) return false;
  return std::all_of(s.begin(), s.end(), [](char ch) { return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'); });
}

// `--to`: a local name or a full agent id as given; a unique prefix of at
// least 8 hex characters of an agent id in the directory (as `inbox` and
// `find` print them) is expanded. A local agent whose name looks like a
// prefix keeps its name.
std::string resolve_recipient(const Global& g, const std::string& to) {
  if (!is_id_prefix(to)) return to;
  auto c = client(g);
  if (auto local = c.request("GET", "/v1/agents/" + url_escape(to)); local && local->status == 200) return to;
  auto v = call(g, "GET", "/v1/directory");
  std::vector<std::string> matches;
  for (const auto& a : v.at("agents").as_array()) {
    const auto id = str(a, "agent_id");
    if (id.starts_with(to)) matches.push_back(id);
  }
  if (matches.size() > 1) {
    fail(fmt::format("\"{}\" is the start of {} agent ids ({}, {}, ...): give more characters", to, matches.size(),
                     matches[0], matches[1]));
  }
  return matches.empty() ? to : matches.front();
}

json::object send_body(const Global& g, const SendOptions& o) {
  json::object body;
  body["to"] = resolve_recipient(g, o.to);
  if (!o.file.empty()) {
    auto bytes = core::read_small_file(o.file, 64 << 20);
    if (!bytes) fail(fmt::format("cannot read {}: {}", o.file, bytes.error().message()));
    body["body_base64"] = core::base64_encode(*bytes);
  } else if (o.text == "-") {
    body["body"] = std::string(std::istreambuf_iterator<char>(std::cin), {});
  } else {
    body["body"] = o.text;
  }
  const std::pair<const char*, const std::string*> fields[] = {
      {"content_type", &o.content_type},       {"performative", &o.performative},
      {"conversation_id", &o.conversation_id}, {"reply_with", &o.reply_with},
      {"in_reply_to", &o.in_reply_to},         {"protocol", &o.protocol},
      {"idempotency_key", &o.idempotency_key}};
  for (const auto& [k, v] : fields) {
    if (!v->empty()) body[k] = *v;
  }
  if (o.ttl_ms > 0) body["ttl_ms"] = o.ttl_ms;
  if (o.wait_ack) body["wait"] = "ack";
  if (o.sign) body["signed"] = true;
  return body;
}

void send(const Global& g, const SendOptions& o) {
  auto v = call(g, "POST", "/v1/agents/" + url_escape(o.from) + "/messages", json::serialize(send_body(g, o)));
  if (g.json) return print_json(v);
  std::string line = fmt::format("{} request_id={}", str(v, "state"), str(v, "request_id"));
  for (const char* k : {"seq", "path", "reason", "last_error"}) {
    if (!str(v, k).empty()) line += fmt::format(" {}={}", k, str(v, k));
  }
  std::cout << line << (v.at("duplicate").as_bool() ? " (duplicate of an earlier send)" : "") << "\n";
}

void add_send(CLI::App& app, Global& g) {
  auto o = std::make_shared<SendOptions>();
  auto* s = app.add_subcommand("send", "send a message from a local agent");
  add_global(*s, g);
  s->add_option("--from", o->from, "sending agent (name or id)")->required();
  s->add_option("--to", o->to, "recipient: a local name, an agent id, or a unique prefix of one (8+ hex)")->required();
  s->add_option("text", o->text, "message text; - reads standard input");
  s->add_option("--file", o->file, "send this file's bytes (base64 on the wire)");
  s->add_option("--content-type", o->content_type, "media type of the body");
  s->add_option("--performative", o->performative, "FIPA performative (request, inform, ...)");
  s->add_option("--conversation-id", o->conversation_id, "conversation this message belongs to");
  s->add_option("--reply-with", o->reply_with, "id the reply should quote in in_reply_to");
  s->add_option("--in-reply-to", o->in_reply_to, "reply_with of the message this answers");
  s->add_option("--protocol", o->protocol, "interaction protocol name");
  s->add_option("--idempotency-key", o->idempotency_key, "makes retries of this send safe");
  s->add_option("--ttl-ms", o->ttl_ms, "message lifetime in milliseconds");
  s->add_flag("--wait", o->wait_ack, "wait for the recipient's ack and print the final state");
  s->add_flag("--signed", o->sign, "add the sender's Ed25519 signature (remote recipients)");
  s->callback([o, &g] { send(g, *o); });
}

struct InboxOptions {
  std::string agent;
  std::uint64_t after = 0;
  std::uint64_t limit = 100;
  std::uint64_t seq = 0;
};

}  // namespace

void add_message_commands(CLI::App& app, Global& g) {
  add_send(app, g);
  auto o = std::make_shared<InboxOptions>();
  auto* i = app.add_subcommand("inbox", "list messages in an agent's inbox");
  add_global(*i, g);
  i->add_option("agent", o->agent, "agent name or id")->required();
  i->add_option("--after", o->after, "list messages after this seq (default 0: everything still stored)");
  i->add_option("--limit", o->limit, "at most this many (1-1000)");
  i->callback([o, &g] {
    auto v =
        call(g, "GET", fmt::format("/v1/agents/{}/inbox?after={}&limit={}", url_escape(o->agent), o->after, o->limit));
    if (g.json) return print_json(v);
    const auto& msgs = v.at("messages").as_array();
    for (const auto& m : msgs) print_message(m.as_object());
    std::cout << fmt::format("({} messages; last_seq {}, acked up to {})\n", msgs.size(), str(v, "last_seq"),
                             str(v, "acked_seq"));
  });

  auto* a = app.add_subcommand("ack", "acknowledge an agent's messages up to and including SEQ");
  add_global(*a, g);
  a->add_option("agent", o->agent, "agent name or id")->required();
  a->add_option("seq", o->seq, "sequence number")->required();
  a->callback([o, &g] {
    auto v = call(g, "POST", "/v1/agents/" + url_escape(o->agent) + "/inbox/ack",
                  json::serialize(json::object{{"up_to", o->seq}}));
    if (g.json) return print_json(v);
    std::cout << fmt::format("acked up to {} (last_seq {})\n", str(v, "acked_seq"), str(v, "last_seq"));
  });
}

}  // namespace agentmesh::cli
