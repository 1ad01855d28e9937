#pragma once
// cli/sse_client: the CLI's one reader of Server-Sent Events (`agentmesh
// events` and `agentmesh subscribe`): a parser that splits the byte stream
// into events, and follow(), which streams a route and, for resumable
// streams, reconnects with Last-Event-ID after a lost connection or a daemon
// restart. Internal to cli/.

#include <functional>
#include <string>
#include <string_view>

#include "cli/context.hpp"

namespace agentmesh::cli {

struct SseEvent {
  std::string id;                // `id:`, empty when absent
  std::string type = "message";  // `event:`
  std::string data;              // the `data:` lines, joined by newlines
};

class SseParser {
 public:
  // Feeds bytes as they arrive; calls `on_event` for each complete event.
  // Returns false as soon as `on_event` does.
  bool feed(std::string_view bytes, const std::function<bool(const SseEvent&)>& on_event);

 private:
  std::string buf_;
  std::size_t start_ = 0;
};

// Streams `target` until `on_event` returns false. `resume`: after a lost
// connection or `event: shutdown`, reconnect (backing off from 200 ms to 5 s)
// and resume after the last event id seen (or `last_id`). A daemon's error
// answer or `event: closed` fails the command with its reason.
void follow(const Global& g, const std::string& target, std::string last_id, bool resume,
            const std::function<bool(const SseEvent&)>& on_event);

}  // namespace agentmesh::cli
