// `agentmesh task create|list|show|watch|accept|reject|progress|input-required|
// complete|fail|cancel|input`: the task lifecycle (docs/api.md, "Tasks").

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <iostream>
#include <memory>

#include "cli/context.hpp"
#include "cli/sse_client.hpp"

namespace agentmesh::cli {
namespace json = boost::json;

namespace {

struct TaskOptions {
  std::string agent, task;
  // create
  std::string to, capability, text, data, context_id, idempotency_key, credential;
  std::int64_t acceptance_timeout_ms = 0, deadline_ms = 0;
  // list
  std::string role, state, after;
  std::uint64_t limit = 100;
  // actions
  std::string request_id, reason, artifact;
  int percent = -1;
  bool last = false;
  std::uint32_t index = 0;
};

std::string tasks_path(const TaskOptions& o) { return "/v1/agents/" + url_escape(o.agent) + "/tasks"; }

// The message parts from TEXT and --data (a JSON value).
json::array parts_of(const TaskOptions& o) {
  json::array parts;
  if (!o.text.empty()) {
    auto text = o.text == "-" ? std::string(std::istreambuf_iterator<char>(std::cin), {}) : o.text;
    parts.push_back(json::object{{"kind", "text"}, {"text", text}});
  }
  if (!o.data.empty()) {
    boost::system::error_code ec;
    auto v = json::parse(o.data, ec);
    if (ec) fail(fmt::format("--data is not JSON: {}", ec.message()));
    parts.push_back(json::object{{"kind", "data"}, {"data", v}});
  }
  return parts;
}

void print_task(const json::value& t) {
  std::cout << fmt::format("{} {} attempt {} seq {}\n", str(t, "task_id"), str(t, "state"), str(t, "attempt"),
                           str(t, "state_sequence"));
  std::cout << fmt::format("  requester {}\n  assignee  {}\n  context   {}\n", str(t, "requester"), str(t, "assignee"),
                           str(t, "context_id"));
  if (!str(t, "reason").empty()) std::cout << "  reason    " << str(t, "reason") << "\n";
  const auto& o = t.as_object();
  auto print_parts = [](const json::value& parts, std::string_view indent) {
    for (const auto& p : parts.as_array()) {
      const auto kind = str(p, "kind");
      if (kind == "text") {
        std::cout << indent << str(p, "text") << "\n";
      } else if (kind == "data") {
        std::cout << indent << json::serialize(p.at("data")) << "\n";
      } else {
        std::cout << indent << fmt::format("file {} ({})", str(p, "uri"), str(p, "media_type")) << "\n";
      }
    }
  };
  std::cout << "  input:\n";
  print_parts(o.at("input"), "    ");
  for (const auto& m : o.at("messages").as_array()) {
    std::cout << fmt::format("  message from {}{}:\n", str(m, "from").substr(0, 12),
                             str(m, "percent").empty() ? "" : " (" + str(m, "percent") + "%)");
    print_parts(m.at("parts"), "    ");
  }
  for (const auto& a : o.at("artifacts").as_array()) {
    std::cout << fmt::format("  artifact {} ({} chunks{}):\n", str(a, "name"), str(a, "chunks"),
                             a.at("complete").as_bool() ? ", complete" : "");
    print_parts(a.at("parts"), "    ");
  }
}

void print_result(const Global& g, const json::value& v) {
  if (g.json) return print_json(v);
  if (v.as_object().contains("pending") && v.at("pending").as_bool()) {
    std::cout << "sent to the requester's daemon; its answer has not come yet (it is retried)\n";
  }
  if (v.at("duplicate").as_bool()) std::cout << "(a repeat of an earlier request: its result)\n";
  print_task(v);
}

void add_action(CLI::App& task, Global& g, const char* name, const char* path, const char* help, bool parts,
                bool chunks, bool reason) {
  auto o = std::make_shared<TaskOptions>();
  auto* a = task.add_subcommand(name, help);
  add_global(*a, g);
  a->add_option("agent", o->agent, "the acting agent (name or id)")->required();
  a->add_option("task", o->task, "task id")->required();
  if (parts) {
    a->add_option("text", o->text, "message text; - reads standard input");
    a->add_option("--data", o->data, "a JSON value as a data part");
  }
  if (chunks) {
    a->add_option("--artifact", o->artifact, "put the message parts into this artifact instead");
    a->add_option("--index", o->index, "the chunk's index within the artifact (from 0)");
    a->add_flag("--last", o->last, "this chunk closes the artifact");
  }
  if (std::string_view(name) == "progress") a->add_option("--percent", o->percent, "progress 0-100");
  if (reason) a->add_option("--reason", o->reason, "why");
  a->add_option("--request-id", o->request_id, "makes retries of this action safe");
  a->callback([o, &g, path] {
    json::object body;
    auto given = parts_of(*o);
    if (!o->artifact.empty()) {
      if (given.empty()) fail("--artifact needs TEXT or --data");
      body["artifacts"] =
          json::array{json::object{{"name", o->artifact}, {"index", o->index}, {"last", o->last}, {"parts", given}}};
    } else if (!given.empty()) {
      body["parts"] = std::move(given);
    }
    if (o->percent >= 0) body["percent"] = o->percent;
    if (!o->reason.empty()) body["reason"] = o->reason;
    if (!o->request_id.empty()) body["request_id"] = o->request_id;
    auto v = call(g, "POST", tasks_path(*o) + "/" + url_escape(o->task) + "/" + path, json::serialize(body));
    print_result(g, v);
  });
}

}  // namespace

void add_task_commands(CLI::App& app, Global& g) {
  auto* task = app.add_subcommand("task", "tasks: create, list, show, watch, and the parties' actions");
  task->require_subcommand(1);

  auto c = std::make_shared<TaskOptions>();
  auto* create = task->add_subcommand("create", "ask an agent, or any agent with a capability, to do a task");
  add_global(*create, g);
  create->add_option("agent", c->agent, "the requesting agent (name or id)")->required();
  create->add_option("text", c->text, "the task's input text; - reads standard input");
  create->add_option("--data", c->data, "a JSON value as an input part");
  create->add_option("--to", c->to, "the assignee: a local name, an agent id, or a2a:<agent card URL>");
  create->add_option("--credential", c->credential, "for --to a2a:URL: the A2A credential to present (its name)");
  create->add_option("--capability", c->capability, "offer it to agents with this capability, in turn");
  create->add_option("--acceptance-timeout-ms", c->acceptance_timeout_ms, "withdraw an offer not accepted in time");
  create->add_option("--deadline-ms", c->deadline_ms, "fail the task if not completed within this many ms");
  create->add_option("--context-id", c->context_id, "the conversation it belongs to (default: a new one)");
  create->add_option("--idempotency-key", c->idempotency_key, "makes retries of this create safe");
  create->callback([c, &g] {
    if (c->to.empty() == c->capability.empty()) fail("give exactly one of --to and --capability");
    json::object body;
    if (!c->to.empty()) body["to"] = c->to;
    if (!c->credential.empty()) body["credential"] = c->credential;
    if (!c->capability.empty()) body["capability"] = c->capability;
    body["input"] = parts_of(*c);
    if (c->acceptance_timeout_ms > 0) body["acceptance_timeout_ms"] = c->acceptance_timeout_ms;
    if (c->deadline_ms > 0) body["deadline_ms"] = c->deadline_ms;
    if (!c->context_id.empty()) body["context_id"] = c->context_id;
    if (!c->idempotency_key.empty()) body["idempotency_key"] = c->idempotency_key;
    auto v = call(g, "POST", tasks_path(*c), json::serialize(body));
    print_result(g, v);
  });

  auto l = std::make_shared<TaskOptions>();
  auto* list = task->add_subcommand("list", "list an agent's tasks");
  add_global(*list, g);
  list->add_option("agent", l->agent, "agent name or id")->required();
  list->add_option("--role", l->role, "requester, assignee or any (default)");
  list->add_option("--state", l->state, "only tasks in this state");
  list->add_option("--context-id", l->context_id, "only tasks of this conversation");
  list->add_option("--after", l->after, "tasks after this task id (paging)");
  list->add_option("--limit", l->limit, "at most this many (1-1000)");
  list->callback([l, &g] {
    std::string q = fmt::format("?limit={}", l->limit);
    if (!l->role.empty()) q += "&role=" + url_escape(l->role);
    if (!l->state.empty()) q += "&state=" + url_escape(l->state);
    if (!l->context_id.empty()) q += "&context_id=" + url_escape(l->context_id);
    if (!l->after.empty()) q += "&after=" + url_escape(l->after);
    auto v = call(g, "GET", tasks_path(*l) + q);
    if (g.json) return print_json(v);
    const auto& tasks = v.at("tasks").as_array();
    for (const auto& t : tasks) {
      std::cout << fmt::format("{}  {:<14} seq {:<4} requester {}  assignee {}\n", str(t, "task_id"), str(t, "state"),
                               str(t, "state_sequence"), str(t, "requester").substr(0, 12),
                               str(t, "assignee").substr(0, 12));
    }
    std::cout << fmt::format("({} tasks)\n", tasks.size());
  });

  auto s = std::make_shared<TaskOptions>();
  auto* show = task->add_subcommand("show", "show a task: state, messages, artifacts");
  add_global(*show, g);
  show->add_option("agent", s->agent, "agent name or id (a party to the task)")->required();
  show->add_option("task", s->task, "task id")->required();
  show->callback([s, &g] {
    auto v = call(g, "GET", tasks_path(*s) + "/" + url_escape(s->task));
    if (g.json) return print_json(v);
    print_task(v);
  });

  auto w = std::make_shared<TaskOptions>();
  auto* watch = task->add_subcommand("watch", "print a task's steps as they happen, until it ends");
  add_global(*watch, g);
  watch->add_option("agent", w->agent, "agent name or id (a party to the task)")->required();
  watch->add_option("task", w->task, "task id")->required();
  watch->callback([w, &g] {
    follow(g, tasks_path(*w) + "/" + url_escape(w->task) + "/events", "", true, [&](const SseEvent& e) {
      boost::system::error_code ec;
      auto v = json::parse(e.data, ec);
      if (ec) return true;
      if (g.json) {
        std::cout << e.data << std::endl;
      } else {
        std::cout << fmt::format("{} {} -> {}{}", str(v, "state_sequence"), str(v, "kind"), str(v, "state"),
                                 str(v, "reason").empty() ? "" : " (" + str(v, "reason") + ")")
                  << std::endl;
      }
      const auto state = str(v, "state");
      return !(state == "completed" || state == "failed" || state == "canceled" || state == "rejected");
    });
  });

  add_action(*task, g, "accept", "accept", "accept a task offered to the agent", false, false, false);
  add_action(*task, g, "reject", "reject", "turn down a task offered to the agent", false, false, true);
  add_action(*task, g, "progress", "progress", "report progress: a message and/or an artifact chunk", true, true,
             false);
  add_action(*task, g, "input-required", "input-required", "ask the requester for input", true, false, false);
  add_action(*task, g, "complete", "complete", "finish the task, with a last message or artifact chunk", true, true,
             false);
  add_action(*task, g, "fail", "fail", "give up on the task", true, false, true);
  add_action(*task, g, "cancel", "cancel", "cancel a task the agent requested", false, false, true);
  add_action(*task, g, "input", "messages", "answer a task's request for input", true, false, false);
}

}  // namespace agentmesh::cli
