#include "cli/sse_client.hpp"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <chrono>
#include <thread>

namespace agentmesh::cli {

bool SseParser::feed(std::string_view bytes, const std::function<bool(const SseEvent&)>& on_event) {
  buf_.append(bytes);
  std::size_t end;
  while ((end = buf_.find("\n\n", start_)) != std::string::npos) {
    SseEvent e;
    std::string_view block(buf_.data() + start_, end - start_);
    start_ = end + 2;
    while (!block.empty()) {
      const auto nl = block.find('\n');
      const auto line = block.substr(0, nl);
      block = nl == std::string_view::npos ? std::string_view() : block.substr(nl + 1);
      if (line.starts_with("id: ")) e.id = line.substr(4);
      if (line.starts_with("event: ")) e.type = line.substr(7);
      if (line.starts_with("data: ")) e.data += (e.data.empty() ? "" : "\n") + std::string(line.substr(6));
    }
    if (e.data.empty() && e.id.empty()) continue;  // a comment or the retry hint
    if (!on_event(e)) return false;
  }
  if (start_ > 64 * 1024) {  // consumed by offset; compact now and then
    buf_.erase(0, start_);
    start_ = 0;
  }
  return true;
}

void follow(const Global& g, const std::string& target, std::string last_id, bool resume,
            const std::function<bool(const SseEvent&)>& on_event) {
  auto delay = std::chrono::milliseconds(200);
  bool stopped = false;
  std::string closed;
  for (;;) {
    SseParser parser;
    bool restarting = false;
    auto handle = [&](const SseEvent& e) {
      if (e.type == "closed") {
        closed = e.data;
        return false;
      }
      if (e.type == "shutdown") {
        if (resume) std::fprintf(stderr, "daemon is stopping; reconnecting...\n");
        restarting = true;
        return true;
      }
      if (!e.id.empty()) last_id = e.id;
      if (!on_event(e)) {
        stopped = true;
        return false;
      }
      return true;
    };
    std::map<std::string, std::string> headers;
    if (!last_id.empty()) headers["Last-Event-ID"] = last_id;
    std::string error_body;
    auto c = client(g);
    auto r = c.stream(
        target, headers, [&](std::string_view d) { return parser.feed(d, handle); }, error_body);
    if (r && *r >= 400) {
      boost::system::error_code ec;
      auto v = boost::json::parse(error_body, ec);
      fail(ec ? fmt::format("HTTP {}", *r) : fmt::format("{} ({}): {}", str(v, "error"), *r, str(v, "message")));
    }
    if (!closed.empty()) fail(fmt::format("stream closed by the daemon: {}", closed));
    if (stopped) return;
    if (!resume) {
      if (!r) fail(fmt::format("cannot reach the daemon: {}", r.error().message()));
      return;
    }
    // Connection lost or daemon restarting: resume after the last event seen.
    std::this_thread::sleep_for(delay);
    delay = r && !restarting ? std::chrono::milliseconds(200) : std::min(delay * 2, std::chrono::milliseconds(5000));
  }
}

}  // namespace agentmesh::cli
