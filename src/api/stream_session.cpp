// api/stream_session: sources (inbox, topic) and framings (SSE, WebSocket)
// of the API's live streams.

#include "api/stream_session.hpp"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json/serialize.hpp>
#include <deque>

#include "api/dto.hpp"
#include "api/error_table.hpp"
#include "api/sse.hpp"
#include "core/awaitable.hpp"
#include "tasks/codec.hpp"

namespace agentmesh::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using core::kTuple;
constexpr std::size_t kStreamBatch = 256;
constexpr std::size_t kMaxWsMessage = 64 * 1024;

struct Event {
  std::optional<std::uint64_t> id;  // SSE `id:` (inbox: the seq)
  std::string_view type;            // "message", "gap"
  json::object data;
};

// What a stream has to send next: events, or the end (the source is gone).
struct Batch {
  std::vector<Event> events;
  std::optional<std::string> end_reason;  // a stable error code
};

// The stream's source: an inbox or a topic subscriber.
class Source {
 public:
  Source(const StreamRequest& s, const node::NodeHandle& node, const StreamSettings& settings)
      : s_(s), node_(node), settings_(settings), after_(s.after) {}

  asio::awaitable<Batch> next(std::size_t max) {
    if (s_.source == StreamRequest::Source::topic) co_return drain_topic(max);
    if (s_.source == StreamRequest::Source::task) co_return co_await next_task_events(max);
    if (s_.source == StreamRequest::Source::mesh) co_return co_await next_mesh_change();
    Batch b;
    const bool only_tasks = s_.source == StreamRequest::Source::tasks;
    for (;;) {
      auto page = co_await node_.read_inbox(s_.agent, after_, max);
      if (!page) {
        b.end_reason = std::string(lookup_error(page.error()).code);
        co_return b;
      }
      for (const auto& m : page->messages) {
        after_ = m.seq;
        if (m.content.content_type == node::kTaskEventContentType) {
          b.events.push_back(Event{m.seq.value, "task", inbox_task_json(m)});
        } else if (!only_tasks) {
          b.events.push_back(Event{m.seq.value, "message", inbox_json(m)});
        }
      }
      // A task stream skips the inbox's other messages: read on while whole
      // pages of them pass.
      if (!b.events.empty() || page->messages.size() < max) co_return b;
    }
  }

  // A WebSocket client's frame: an inbox stream takes {"ack": SEQ} and
  // answers acked or error; a topic stream ignores what clients send.
  asio::awaitable<std::optional<json::object>> on_client_frame(std::string text) {
    if (s_.source == StreamRequest::Source::topic) co_return std::nullopt;
    std::string why;
    auto seq = parse_ws_ack(text, settings_.json, why);
    json::object reply;
    if (!seq) {
      reply = json::object{{"type", "error"},
                           {"error", lookup_error(seq.error()).code},
                           {"message", why.empty() ? seq.error().message() : why}};
      co_return reply;
    }
    auto position = co_await node_.ack(s_.agent, *seq);
    if (position) {
      reply = json::object{{"type", "acked"}, {"acked_seq", position->acked.value}};
    } else {
      reply = json::object{
          {"type", "error"}, {"error", lookup_error(position.error()).code}, {"message", position.error().message()}};
    }
    co_return reply;
  }

 private:
  // One `mesh` event when the count of changes moved since the last one
  // (the first at once): changes close together make one event.
  asio::awaitable<Batch> next_mesh_change() {
    Batch b;
    auto changes = co_await node_.mesh_changes();
    if (!changes) {
      b.end_reason = std::string(lookup_error(changes.error()).code);
      co_return b;
    }
    if (mesh_sent_ && *mesh_sent_ == *changes) co_return b;
    mesh_sent_ = *changes;
    b.events.push_back(Event{std::nullopt, "mesh", json::object{{"changes", *changes}}});
    co_return b;
  }

  Batch drain_topic(std::size_t max) {
    Batch b;
    auto& sub = *s_.subscriber;
    if (sub.dropped > 0) {
      b.events.push_back(Event{std::nullopt, "gap", json::object{{"dropped", sub.dropped}}});
      sub.dropped = 0;
      return b;
    }
    while (!sub.queue.empty() && b.events.size() < max) {
      b.events.push_back(Event{std::nullopt, "message", topic_event_json(sub.queue.front())});
      sub.queue.pop_front();
    }
    return b;
  }

  asio::awaitable<Batch> next_task_events(std::size_t max) {
    Batch b;
    const auto* custom = s_.custom.get();
    if (custom && !prefaced_) {
      prefaced_ = true;
      for (const auto& o : custom->preface) b.events.push_back(Event{std::nullopt, "message", o});
      ended_ = custom->ended;
      co_return b;
    }
    if (ended_) {
      b.end_reason = "task_ended";
      co_return b;
    }
    auto events = co_await node_.task_events(s_.agent, s_.task, after_.value, max);
    if (!events) {
      b.end_reason = std::string(lookup_error(events.error()).code);
      co_return b;
    }
    for (const auto& e : *events) {
      after_ = core::Seq{e.sequence};
      if (custom) {
        for (auto& o : custom->render(e)) b.events.push_back(Event{std::nullopt, "message", std::move(o)});
        ended_ = custom->ends(e);
        if (ended_) break;
        continue;
      }
      b.events.push_back(Event{e.sequence, "task", task_event_json(e)});
      ended_ = ended_ || tasks::terminal(e.state);
    }
    co_return b;
  }

  // A task event in an inbox: the event, with the inbox's seq and parties.
  static json::object inbox_task_json(const node::InboxMessage& m) {
    auto e = tasks::decode_event(m.content.body);
    if (!e) return inbox_json(m);  // written by this daemon: cannot happen, but never drop an entry
    auto o = task_event_json(*e);
    o["seq"] = m.seq.value;
    o["from"] = m.from.to_string();
    o["to"] = m.to.to_string();
    return o;
  }

  const StreamRequest& s_;
  const node::NodeHandle& node_;
  const StreamSettings& settings_;
  core::Seq after_;
  bool ended_ = false;
  bool prefaced_ = false;  // a custom stream's preface was sent
  std::optional<std::uint64_t> mesh_sent_;  // the change count of the last mesh event
};

// State the SSE stream shares with its disconnect watcher, which may complete
// after the stream's coroutine has returned.
struct SseWatch {
  explicit SseWatch(const asio::any_io_executor& ex) : wake(ex) {}
  asio::steady_timer wake;
  bool peer_gone = false;
  bool woken = false;  // a wake while the source was read (the timer had no wait to cancel)
  std::array<char, 512> sink{};
};

// An SSE client sends nothing after its request, so any read completion
// (EOF, reset, stray bytes) means it is gone: end the stream now rather than
// at the next heartbeat write. Reads bypass tcp_stream's timeouts.
template <class Stream>
void watch_sse_client(Stream& stream, const std::shared_ptr<SseWatch>& watch) {
  beast::get_lowest_layer(stream).socket().async_read_some(asio::buffer(watch->sink), [watch](const beast::error_code&, std::size_t) {
    watch->peer_gone = true;
    watch->wake.cancel();
  });
}

// The response head of an event stream. Close-delimited body: no
// Content-Length, no chunking; every client (EventSource, curl, Python
// http.client) reads it as a stream. False when the client is gone.
template <class Stream>
asio::awaitable<bool> write_sse_head(Stream& stream, std::chrono::seconds write_timeout) {
  http::response<http::empty_body> head{http::status::ok, 11};
  head.set(http::field::server, "agentmesh/" AGENTMESH_VERSION);
  head.set(http::field::content_type, "text/event-stream");
  head.set(http::field::cache_control, "no-cache");
  head.set(http::field::connection, "close");
  head.set("X-Accel-Buffering", "no");
  http::response_serializer<http::empty_body> sr{head};
  beast::get_lowest_layer(stream).expires_after(write_timeout);
  auto [ec, n] = co_await http::async_write_header(stream, sr, kTuple);
  co_return !ec;
}

template <class Stream>
asio::awaitable<void> run_sse(Stream stream, StreamRequest s, SessionCtl& ctl,
                              const StreamSettings& settings, const node::NodeHandle& node, ApiStats& stats) {
  auto watch = std::make_shared<SseWatch>(stream.get_executor());
  bool stop = false;
  ctl.stop = [&] {
    stop = true;
    watch->wake.cancel();
  };
  s.signal->on_wake = [watch] {
    watch->woken = true;
    watch->wake.cancel();
  };
  Source source(s, node, settings);
  watch_sse_client(stream, watch);
  auto send = [&](std::string text) -> asio::awaitable<bool> {
    beast::get_lowest_layer(stream).expires_after(settings.write_timeout);
    auto [ec, n] = co_await asio::async_write(stream, asio::buffer(text), kTuple);
    co_return !ec;
  };
  // retry: tells EventSource how long to wait before reconnecting.
  bool ok = co_await write_sse_head(stream, settings.write_timeout);
  std::string retry = "retry: 1000\n\n";
  if (ok) ok = co_await send(std::move(retry));
  while (ok && !watch->peer_gone) {
    if (stop) {
      if (!s.custom) {
        auto bye = sse::event("shutdown", R"({"reason":"daemon stopping"})");
        co_await send(std::move(bye));
      }
      break;
    }
    watch->woken = false;
    auto batch = co_await source.next(kStreamBatch);
    if (batch.end_reason) {
      if (!s.custom) {
        json::object reason;
        reason["reason"] = *batch.end_reason;
        auto closed = sse::event("closed", json::serialize(reason));
        co_await send(std::move(closed));
      }
      break;
    }
    if (!batch.events.empty()) {
      std::string text;
      for (const auto& e : batch.events) text += sse::event(e.type, json::serialize(e.data), e.id);
      stats.sse_events += batch.events.size();
      ok = co_await send(std::move(text));
      continue;
    }
    if (watch->woken) continue;
    watch->wake.expires_after(settings.heartbeat);
    auto [ec] = co_await watch->wake.async_wait(kTuple);
    std::string heartbeat = ": heartbeat\n\n";
    if (!ec) ok = co_await send(std::move(heartbeat));
  }
  s.signal->on_wake = nullptr;
  beast::error_code ec;
  auto& socket = beast::get_lowest_layer(stream).socket();
  socket.shutdown(tcp::socket::shutdown_send, ec);
  socket.cancel(ec);  // completes the watcher if still pending
}

// Server-side WebSocket options shared by every stream: keep-alive pings,
// an idle timeout of four heartbeats, the message size limit.
template <class Ws>
void configure_ws(Ws& ws, std::chrono::seconds heartbeat) {
  beast::get_lowest_layer(ws).expires_never();
  auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
  timeouts.idle_timeout = heartbeat * 4;
  timeouts.keep_alive_pings = true;
  ws.set_option(timeouts);
  ws.read_message_max(kMaxWsMessage);
  ws.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(http::field::server, "agentmesh/" AGENTMESH_VERSION); }));
}

struct WsState {
  explicit WsState(const asio::any_io_executor& ex) : wake(ex) {}
  asio::steady_timer wake;
  bool stop = false;
  bool closed = false;
  bool woken = false;               // as SseWatch::woken
  std::deque<std::string> replies;  // for the client; drained before events
};

template <class Ws>
asio::awaitable<void> ws_reader(Ws& ws, Source& source, WsState& st) {
  for (;;) {
    beast::flat_buffer buf;
    auto [ec, n] = co_await ws.async_read(buf, kTuple);
    if (ec) break;
    auto text = beast::buffers_to_string(buf.data());
    auto reply = co_await source.on_client_frame(std::move(text));
    if (reply) {
      st.replies.push_back(json::serialize(*reply));
      st.wake.cancel();
    }
  }
  st.closed = true;
  st.wake.cancel();
}

template <class Ws>
asio::awaitable<void> ws_writer(Ws& ws, Source& source, WsState& st,
                                const StreamSettings& settings, ApiStats& stats) {
  auto write = [&](const std::string& text) -> asio::awaitable<bool> {
    auto [ec, n] = co_await ws.async_write(asio::buffer(text), kTuple);
    co_return !ec;
  };
  while (!st.closed) {
    if (st.stop) {
      co_await ws.async_close(websocket::close_reason(websocket::close_code::going_away, "daemon stopping"), kTuple);
      co_return;
    }
    while (!st.replies.empty()) {
      auto text = std::move(st.replies.front());
      st.replies.pop_front();
      if (!co_await write(text)) co_return;
    }
    st.woken = false;
    auto batch = co_await source.next(kStreamBatch);
    if (batch.end_reason) {
      co_await ws.async_close(websocket::close_reason(websocket::close_code::policy_error, *batch.end_reason), kTuple);
      co_return;
    }
    for (auto& e : batch.events) {
      e.data["type"] = e.type;
      const auto text = json::serialize(e.data);
      if (!co_await write(text)) co_return;
      ++stats.ws_messages;
      if (st.stop || st.closed) break;
    }
    if (!batch.events.empty() || !st.replies.empty() || st.woken) continue;
    st.wake.expires_after(settings.heartbeat);
    co_await st.wake.async_wait(kTuple);
  }
}

template <class Stream>
asio::awaitable<void> run_ws(Stream stream, http::request<http::string_body> upgrade, StreamRequest s,
                             SessionCtl& ctl, const StreamSettings& settings, const node::NodeHandle& node,
                             ApiStats& stats) {
  using namespace asio::experimental::awaitable_operators;
  websocket::stream<Stream> ws(std::move(stream));
  configure_ws(ws, settings.heartbeat);
  WsState st(ws.get_executor());
  ctl.stop = [&] {
    st.stop = true;
    st.wake.cancel();
  };
  ctl.kill = [&] {
    beast::error_code ec;
    beast::get_lowest_layer(ws).socket().close(ec);
  };
  s.signal->on_wake = [&st] {
    st.woken = true;
    st.wake.cancel();
  };
  Source source(s, node, settings);
  if (auto [ec] = co_await ws.async_accept(upgrade, kTuple); !ec) {
    ws.text(true);
    co_await (ws_reader(ws, source, st) && ws_writer(ws, source, st, settings, stats));
  }
  s.signal->on_wake = nullptr;
}

template <class Stream>
asio::awaitable<void> run_any(Stream stream, http::request<http::string_body> upgrade, StreamRequest s, SessionCtl& ctl,
                              const StreamSettings& settings, const node::NodeHandle& node, ApiStats& stats) {
  if (s.framing == StreamRequest::Framing::websocket) {
    co_await run_ws(std::move(stream), std::move(upgrade), std::move(s), ctl, settings, node, stats);
  } else {
    co_await run_sse(std::move(stream), std::move(s), ctl, settings, node, stats);
  }
}

}  // namespace

asio::awaitable<void> run_stream(beast::tcp_stream stream, http::request<http::string_body> upgrade, StreamRequest s,
                                 SessionCtl& ctl, const StreamSettings& settings, const node::NodeHandle& node,
                                 ApiStats& stats) {
  return run_any(std::move(stream), std::move(upgrade), std::move(s), ctl, settings, node, stats);
}

asio::awaitable<void> run_stream(TlsStream stream, http::request<http::string_body> upgrade, StreamRequest s,
                                 SessionCtl& ctl, const StreamSettings& settings, const node::NodeHandle& node,
                                 ApiStats& stats) {
  return run_any(std::move(stream), std::move(upgrade), std::move(s), ctl, settings, node, stats);
}

}  // namespace agentmesh::api
