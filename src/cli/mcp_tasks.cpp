// The MCP tools for tasks: the requester's (create, list, get, wait, cancel,
// answer) and the assignee's (accept, update, complete, fail, reject).

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <thread>

#include "cli/mcp.hpp"

namespace agentmesh::cli::mcp {

namespace {

const char* kTaskOutput = R"J({"type":"object","properties":{"task_id":{"type":"string"},
  "context_id":{"type":"string"},"requester":{"type":"string"},"assignee":{"type":"string"},
  "state":{"enum":["submitted","working","input_required","auth_required","completed","failed","canceled","rejected"]},
  "state_sequence":{"type":"integer"},"input":{"type":"array"},"messages":{"type":"array"},
  "artifacts":{"type":"array"},"reason":{"type":"string"},"duplicate":{"type":"boolean"},
  "pending":{"type":"boolean"},"timed_out":{"type":"boolean"}},"required":["task_id","state"]})J";

const std::vector<std::string> kTerminal{"completed", "failed", "canceled", "rejected"};

std::string task_text(const json::value& t) {
  std::string out = fmt::format("Task {} is {}", str(t, "task_id"), str(t, "state"));
  const auto& o = t.as_object();
  if (o.contains("reason")) out += fmt::format(" ({})J", str(t, "reason"));
  if (const auto* msgs = o.if_contains("messages"); msgs && !msgs->as_array().empty()) {
    const auto& last = msgs->as_array().back();
    for (const auto& p : last.at("parts").as_array()) {
      if (str(p, "kind") == "text") out += fmt::format("; latest message: {}", str(p, "text"));
    }
  }
  for (const auto& a : o.at("artifacts").as_array()) {
    out += fmt::format("; artifact {}:", str(a, "name"));
    for (const auto& p : a.at("parts").as_array()) {
      out += " " + (str(p, "kind") == "text" ? str(p, "text") : json::serialize(p));
    }
  }
  return out + ".";
}

ToolResult task_result(const DaemonLink::Answer& a, bool timed_out = false) {
  return from_answer(a, [timed_out](const json::value& v) {
    ToolResult r;
    r.structured = v.as_object();
    if (timed_out) r.structured["timed_out"] = true;
    r.text = task_text(v) + (timed_out ? " (still so when the wait ended)" : "");
    return r;
  });
}

std::string task_path(const DaemonLink& d, const json::object& args) {
  const auto id = opt_string(args, "task_id");
  if (!id) throw BadArgument{"task_id is required"};
  return d.agent_path() + "/tasks/" + url_escape(*id);
}

// Parts from `text` and/or `data`.
json::array parts_of(const json::object& args) {
  json::array parts;
  if (auto text = opt_string(args, "text")) parts.push_back(json::object{{"kind", "text"}, {"text", *text}});
  if (const auto* data = args.if_contains("data")) parts.push_back(json::object{{"kind", "data"}, {"data", *data}});
  return parts;
}

json::object with_schema_props(const char* props, const char* required) {
  return schema(fmt::format(R"J({{"type":"object","properties":{{"task_id":{{"type":"string"}},{}
    "idempotency_key":{{"type":"string","minLength":1,"maxLength":256,
    "description":"makes a retried call safe: the same key acts once"}}}},"required":[{}],
    "additionalProperties":false}})J",
                            props, required));
}

Tool task_tool(std::string name, std::string title, std::string description, json::object input, bool read_only,
               bool idempotent, std::function<ToolResult(const json::object&, CallContext&)> run) {
  Tool t;
  t.name = std::move(name);
  t.title = std::move(title);
  t.description = std::move(description);
  t.input_schema = std::move(input);
  t.output_schema = schema(kTaskOutput);
  t.read_only = read_only;
  t.idempotent = idempotent;
  t.open_world = !read_only;
  t.run = std::move(run);
  return t;
}

// An action on a task (docs/api.md "Actions"); the idempotency key is its request_id.
std::function<ToolResult(const json::object&, CallContext&)> action(const DaemonLink& d, std::string verb) {
  return [&d, verb](const json::object& args, CallContext&) {
    json::object body;
    std::string act = verb;
    if (auto key = opt_string(args, "idempotency_key")) body["request_id"] = *key;
    if (auto reason = opt_string(args, "reason")) body["reason"] = *reason;
    auto parts = parts_of(args);
    if (verb == "update") {
      const bool ask = opt_bool(args, "input_required", false);
      act = ask ? "input-required" : "progress";
      if (auto pct = opt_int(args, "percent", 0, 100)) {
        if (ask) throw BadArgument{"percent goes with progress, not with input_required"};
        body["percent"] = *pct;
      }
      if (parts.empty() && !body.contains("percent")) throw BadArgument{"give text, data or percent"};
      if (!parts.empty()) body["parts"] = std::move(parts);
    } else if (verb == "complete") {
      json::array artifacts;
      if (!parts.empty()) {
        artifacts.push_back(json::object{{"name", opt_string(args, "artifact_name").value_or("result")},
                                         {"index", 0},
                                         {"last", true},
                                         {"parts", std::move(parts)}});
      }
      if (!artifacts.empty()) body["artifacts"] = std::move(artifacts);
    } else if (verb == "messages") {
      if (parts.empty()) throw BadArgument{"the answer needs text or data"};
      body["parts"] = std::move(parts);
    } else if (!parts.empty()) {
      body["parts"] = std::move(parts);
    }
    return task_result(d.call("POST", task_path(d, args) + "/" + act, body));
  };
}

}  // namespace

ToolResult wait_task(const DaemonLink& d, const std::string& task_id, double timeout_s,
                     const std::vector<std::string>& until, CallContext& ctx) {
  const auto path = d.agent_path() + "/tasks/" + url_escape(task_id);
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::milliseconds(static_cast<std::int64_t>(timeout_s * 1000));
  auto next_progress = start + std::chrono::seconds(10);
  auto wanted = [&](const std::string& state) { return std::find(until.begin(), until.end(), state) != until.end(); };
  for (;;) {
    auto now = d.call("GET", path);
    if (now.status != 200 || wanted(str(now.body, "state"))) return task_result(now);
    if (std::chrono::steady_clock::now() >= deadline || ctx.cancelled()) return task_result(now, true);
    bool reached = false;
    std::string why;
    d.stream(
        fmt::format("{}/events?after={}", path, str(now.body, "state_sequence")), "",
        [&](const std::string& type, const std::string&, const std::string& data) {
          if (type != "task") return true;
          boost::system::error_code ec;
          auto e = json::parse(data, ec);
          reached = !ec && wanted(str(e, "state"));
          return !reached;
        },
        [&] {
          const auto t = std::chrono::steady_clock::now();
          if (t >= next_progress) {
            const auto waited = std::chrono::duration_cast<std::chrono::seconds>(t - start).count();
            ctx.progress(static_cast<double>(waited), fmt::format("waiting for task {}: {} s", task_id, waited));
            next_progress += std::chrono::seconds(10);
          }
          return t < deadline && !ctx.cancelled();
        },
        why);
    if (!reached && std::chrono::steady_clock::now() < deadline && !ctx.cancelled()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the stream broke: look again
    }
  }
}

void add_task_tools(std::vector<Tool>& out, const DaemonLink& d) {
  out.push_back(task_tool(
      "create_task", "Create a task",
      "Asks another agent to do a piece of work: name it with `to` (an agent id, a local agent's name, or "
      "`a2a:` and an A2A agent's card URL outside the mesh, with the `credential` its admin named for it) or ask "
      "any agent offering a `capability`. The task is durable: it survives restarts and is offered to the next "
      "candidate if one does not accept in time. With wait_s, waits up to that long (at most 55 s) for it to end "
      "or need your input; otherwise use wait_for_task. Without an idempotency_key, calling again creates another "
      "task.",
      schema(R"J({"type":"object","properties":{"to":{"type":"string"},"capability":{"type":"string"},
        "text":{"type":"string","description":"what to do"},"data":{"description":"input as JSON"},
        "wait_s":{"type":"integer","minimum":0,"maximum":55,"default":0},
        "acceptance_timeout_s":{"type":"integer","minimum":1,"maximum":86400},
        "deadline_s":{"type":"integer","minimum":1,"maximum":2592000},"context_id":{"type":"string"},
        "credential":{"type":"string","description":"with to a2a:URL: the name of the A2A credential to present"},
        "idempotency_key":{"type":"string","minLength":1,"maxLength":256}},"additionalProperties":false})J"),
      false, false, [&d](const json::object& args, CallContext& ctx) {
        json::object body{{"input", parts_of(args)}};
        if (body["input"].as_array().empty()) throw BadArgument{"give text or data: what the task is"};
        for (const char* k : {"to", "capability", "context_id", "idempotency_key", "credential"}) {
          if (auto v = opt_string(args, k)) body[k] = *v;
        }
        if (body.contains("to") == body.contains("capability"))
          throw BadArgument{"give exactly one of to and capability"};
        if (auto v = opt_int(args, "acceptance_timeout_s", 1, 86400)) body["acceptance_timeout_ms"] = *v * 1000;
        if (auto v = opt_int(args, "deadline_s", 1, 2592000)) body["deadline_ms"] = *v * 1000;
        const auto wait = opt_int(args, "wait_s", 0, 55).value_or(0);
        auto made = d.call("POST", d.agent_path() + "/tasks", body);
        if (made.status >= 300 || made.status == 0 || wait == 0) return task_result(made);
        auto until = kTerminal;
        until.insert(until.end(), {"input_required", "auth_required"});
        return wait_task(d, str(made.body, "task_id"), static_cast<double>(wait), until, ctx);
      }));
  out.push_back(task_tool(
      "list_tasks", "List tasks",
      "Your tasks, by id: those you asked for (role requester), those offered to you now (role assignee), or both.",
      schema(R"J({"type":"object","properties":{"role":{"enum":["requester","assignee","any"],"default":"any"},
        "state":{"type":"string"},"limit":{"type":"integer","minimum":1,"maximum":1000,"default":50}},
        "additionalProperties":false})J"),
      true, true, [&d](const json::object& args, CallContext&) {
        std::string target = fmt::format("{}/tasks?role={}&limit={}", d.agent_path(),
                                         query_escape(opt_string(args, "role").value_or("any")),
                                         opt_int(args, "limit", 1, 1000).value_or(50));
        if (auto s = opt_string(args, "state")) target += "&state=" + query_escape(*s);
        return from_answer(d.call("GET", target), [](const json::value& v) {
          ToolResult r;
          r.structured = v.as_object();
          r.text = fmt::format("{} tasks", v.at("tasks").as_array().size());
          for (const auto& t : v.at("tasks").as_array()) r.text += "\n- " + task_text(t);
          return r;
        });
      }));
  out.back().output_schema = schema(R"J({"type":"object","properties":{"tasks":{"type":"array",
    "items":{"type":"object"}},"next_after":{"type":"string"}},"required":["tasks"]})J");
  out.push_back(task_tool(
      "get_task", "Get a task", "A task's state, messages and artifacts.", with_schema_props("", R"("task_id")"), true,
      true, [&d](const json::object& args, CallContext&) { return task_result(d.call("GET", task_path(d, args))); }));
  out.back().input_schema["properties"].as_object().erase("idempotency_key");
  out.push_back(task_tool(
      "wait_for_task", "Wait for a task",
      "Waits up to timeout_s seconds (at most 55) until the task ends, or needs your input, and returns it; "
      "timed_out says the wait ended first.",
      schema(R"J({"type":"object","properties":{"task_id":{"type":"string"},
        "timeout_s":{"type":"integer","minimum":1,"maximum":55,"default":30}},"required":["task_id"],
        "additionalProperties":false})J"),
      true, true, [&d](const json::object& args, CallContext& ctx) {
        const auto id = opt_string(args, "task_id");
        if (!id) throw BadArgument{"task_id is required"};
        auto until = kTerminal;
        until.insert(until.end(), {"input_required", "auth_required"});
        return wait_task(d, *id, static_cast<double>(opt_int(args, "timeout_s", 1, 55).value_or(30)), until, ctx);
      }));
  out.push_back(task_tool("cancel_task", "Cancel a task", "Cancels a task you asked for, while it is open.",
                          with_schema_props(R"("reason":{"type":"string","maxLength":1024},)", R"("task_id")"), false,
                          true, action(d, "cancel")));
  out.back().destructive = true;
  out.push_back(task_tool("answer_task", "Answer a task's question",
                          "Answers the question of a task you asked for that waits in input_required.",
                          with_schema_props(R"("text":{"type":"string"},"data":{},)", R"("task_id")"), false, false,
                          action(d, "messages")));
  out.push_back(task_tool(
      "accept_task", "Accept a task",
      "Takes a task offered to you (list_tasks with role assignee, or a task step in your inbox); then report "
      "with update_task and finish with complete_task or fail_task.",
      with_schema_props("", R"("task_id")"), false, true, action(d, "accept")));
  out.push_back(task_tool(
      "update_task", "Report progress on a task",
      "While working on a task you accepted: a progress message and/or percent, or, with input_required, a "
      "question for the requester (answered with answer_task; wait for it with wait_for_task).",
      with_schema_props(R"("text":{"type":"string"},"data":{},"percent":{"type":"integer","minimum":0,"maximum":100},
        "input_required":{"type":"boolean","default":false},)",
                        R"("task_id")"),
      false, false, action(d, "update")));
  out.push_back(task_tool("complete_task", "Complete a task",
                          "Finishes a task you are working on; text and/or data become its result (an artifact "
                          "named artifact_name, default \"result\").",
                          with_schema_props(R"("text":{"type":"string"},"data":{},"artifact_name":{"type":"string",
                            "minLength":1,"maxLength":256},)",
                                            R"("task_id")"),
                          false, true, action(d, "complete")));
  out.push_back(task_tool(
      "fail_task", "Fail a task", "Gives up on a task you accepted, saying why.",
      with_schema_props(R"("reason":{"type":"string","maxLength":1024},"text":{"type":"string"},)", R"("task_id")"),
      false, true, action(d, "fail")));
  out.back().destructive = true;
  out.push_back(task_tool("reject_task", "Reject a task",
                          "Declines a task offered to you; it goes to the next candidate, or ends rejected.",
                          with_schema_props(R"("reason":{"type":"string","maxLength":1024},)", R"("task_id")"), false,
                          true, action(d, "reject")));
}

}  // namespace agentmesh::cli::mcp
