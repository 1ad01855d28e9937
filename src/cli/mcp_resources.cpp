// MCP resources: the agent's inbox, its conversations and its tasks, with
// subscriptions fed by one watcher thread that follows the inbox stream.

#include <fmt/format.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "cli/mcp.hpp"

namespace agentmesh::cli::mcp {
namespace {

constexpr std::string_view kInbox = "agentmesh://inbox";
constexpr std::string_view kConversations = "agentmesh://conversations/";
constexpr std::string_view kTasks = "agentmesh://tasks/";

// The daemon route behind a resource, or nothing when the uri is not ours.
std::optional<std::string> route_of(const DaemonLink& d, const std::string& uri) {
  if (uri == kInbox) return d.agent_path() + "/inbox?limit=100";
  if (uri.starts_with(kConversations) && uri.size() > kConversations.size()) {
    return d.agent_path() + "/conversations/" + url_escape(uri.substr(kConversations.size()));
  }
  if (uri.starts_with(kTasks) && uri.size() > kTasks.size()) {
    return d.agent_path() + "/tasks/" + url_escape(uri.substr(kTasks.size()));
  }
  return std::nullopt;
}

}  // namespace

struct Resources::State {
  struct Listener {
    std::set<std::string> uris;
    Notify notify;
  };
  std::mutex mu;
  std::map<std::string, Listener> listeners;
  std::atomic<bool> stop{false};
  std::thread watcher;
};

Resources::Resources(const DaemonLink& d) : d_(d), state_(std::make_shared<State>()) {}

Resources::~Resources() {
  state_->stop = true;
  if (state_->watcher.joinable()) state_->watcher.join();
}

json::object Resources::list() const {
  return json::object{
      {"resources", json::array{json::object{{"uri", kInbox},
                                             {"name", "inbox"},
                                             {"title", "My inbox"},
                                             {"description", "The messages and task steps not yet acknowledged"},
                                             {"mimeType", "application/json"}}}}};
}

json::object Resources::templates() const {
  return json::object{{"resourceTemplates",
                       json::array{json::object{{"uriTemplate", "agentmesh://conversations/{conversation_id}"},
                                                {"name", "conversation"},
                                                {"title", "A conversation"},
                                                {"description", "A conversation's messages as this agent saw them"},
                                                {"mimeType", "application/json"}},
                                   json::object{{"uriTemplate", "agentmesh://tasks/{task_id}"},
                                                {"name", "task"},
                                                {"title", "A task"},
                                                {"description", "A task's state, messages and artifacts"},
                                                {"mimeType", "application/json"}}}}};
}

std::variant<json::object, std::pair<int, std::string>> Resources::read(const std::string& uri) const {
  const auto route = route_of(d_, uri);
  if (!route) return std::pair{-32602, fmt::format("Resource not found: {}", uri)};
  auto a = d_.call("GET", *route);
  if (a.status == 0) return std::pair{-32603, a.unreachable};
  if (a.status == 404) return std::pair{-32602, fmt::format("Resource not found: {} ({})J", uri, str(a.body, "error"))};
  if (a.status >= 400) return std::pair{-32603, fmt::format("{}: {}", str(a.body, "error"), str(a.body, "message"))};
  return json::object{
      {"contents",
       json::array{json::object{{"uri", uri}, {"mimeType", "application/json"}, {"text", json::serialize(a.body)}}}}};
}

bool Resources::ours(const std::string& uri) const { return route_of(d_, uri).has_value(); }

void Resources::subscribe(const std::string& key, const std::vector<std::string>& uris, const Notify& notify) {
  std::lock_guard lock(state_->mu);
  auto& listener = state_->listeners[key];
  if (!listener.notify) listener.notify = notify;
  for (const auto& uri : uris) {
    if (ours(uri)) listener.uris.insert(uri);
  }
  if (state_->watcher.joinable()) return;
  // Follow the inbox from its end: what arrives from now on changes something.
  std::string last;
  if (auto a = d_.call("GET", d_.agent_path()); a.status == 200) last = str(a.body, "last_seq");
  state_->watcher = std::thread([state = state_, &d = d_, last]() mutable {
    while (!state->stop) {
      std::string why;
      d.stream(
          d.agent_path() + "/events" + (last.empty() ? std::string() : "?after=" + last), last,
          [&](const std::string& type, const std::string& id, const std::string& data) {
            if (!id.empty()) last = id;
            if (type != "message" && type != "task") return !state->stop.load();
            boost::system::error_code ec;
            auto v = json::parse(data, ec);
            std::vector<std::string> changed{std::string(kInbox)};
            if (!ec) {
              if (type == "task") changed.push_back(std::string(kTasks) + str(v, "task_id"));
              if (auto c = str(v, "conversation_id"); !c.empty()) changed.push_back(std::string(kConversations) + c);
            }
            std::vector<std::pair<Notify, std::string>> send;
            {
              std::lock_guard guard(state->mu);
              for (const auto& entry : state->listeners) {
                for (const auto& u : changed) {
                  if (entry.second.uris.count(u)) send.emplace_back(entry.second.notify, u);
                }
              }
            }
            for (const auto& [tell, u] : send) tell(u);
            return !state->stop.load();
          },
          [&] { return !state->stop.load(); }, why);
      for (int i = 0; i < 10 && !state->stop; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
}

void Resources::unsubscribe(const std::string& key, const std::string& uri) {
  std::lock_guard lock(state_->mu);
  if (auto it = state_->listeners.find(key); it != state_->listeners.end()) it->second.uris.erase(uri);
}

void Resources::drop(const std::string& key) {
  std::lock_guard lock(state_->mu);
  state_->listeners.erase(key);
}

}  // namespace agentmesh::cli::mcp
