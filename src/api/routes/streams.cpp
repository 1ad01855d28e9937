// Routes: live streams. Each validates the request, opens the stream on the
// node (an inbox watch counted against the agent's limit, or a topic
// subscriber), and answers a Response carrying the StreamRequest; the HTTP
// session then runs it (api/stream_session.hpp). Opening here means a refusal
// (429 too_many_streams) is an ordinary HTTP answer.

#include "api/error.hpp"
#include "api/routes/handlers.hpp"

namespace agentmesh::api::routes {

namespace {

Task open_inbox(RouteContext& c, StreamRequest::Framing framing) {
  if (framing == StreamRequest::Framing::websocket && !c.req.websocket_upgrade) {
    co_return error_response(error::bad_request, "this route needs a WebSocket upgrade");
  }
  auto ref = c.agent.to_string();
  auto agent = co_await c.node().agent(std::move(ref));
  if (!agent) co_return error_response(agent.error());
  auto after = resume_point(c, agent->inbox.acked);
  if (!after) co_return c.error(after.error());
  auto signal = std::make_shared<StreamSignal>();
  std::function<void()> wake = [signal] { signal->wake(); };  // named: no temporaries in a co_await operand
  auto token = co_await c.node().open_inbox_stream(c.agent, std::move(wake));
  if (!token) co_return error_response(token.error());
  StreamRequest s;
  s.source = StreamRequest::Source::inbox;
  s.framing = framing;
  s.agent = c.agent;
  s.after = *after;
  s.signal = signal;
  s.lease = std::shared_ptr<void>(
      nullptr, [node = c.node(), agent = c.agent, token = *token](void*) { node.close_inbox_stream(agent, token); });
  Response r;
  r.stream = std::move(s);
  co_return r;
}

Task open_topic(RouteContext& c, StreamRequest::Framing framing) {
  const auto& topic = c.params.at(0);
  if (!valid_topic(topic)) co_return error_response(error::invalid_field, kBadTopic);
  if (framing == StreamRequest::Framing::websocket && !c.req.websocket_upgrade) {
    co_return error_response(error::bad_request, "this route needs a WebSocket upgrade");
  }
  auto signal = std::make_shared<StreamSignal>();
  std::function<void()> wake = [signal] { signal->wake(); };
  auto sub = co_await c.node().subscribe_topic(topic, std::move(wake));
  if (!sub) co_return error_response(sub.error());
  StreamRequest s;
  s.source = StreamRequest::Source::topic;
  s.framing = framing;
  s.subscriber = *sub;
  s.signal = signal;
  s.lease = std::shared_ptr<void>(nullptr, [node = c.node(), sub = *sub](void*) { node.unsubscribe_topic(sub); });
  Response r;
  r.stream = std::move(s);
  co_return r;
}

}  // namespace

Result<core::Seq> resume_point(RouteContext& c, core::Seq dflt) {
  core::Seq after = dflt;
  if (!c.req.last_event_id.empty()) {
    auto v = parse_uint(c.req.last_event_id);
    if (!v) {
      c.why = "Last-Event-ID must be a sequence number";
      return error::invalid_field;
    }
    after = core::Seq{*v};
  }
  if (auto it = c.query.find("after"); it != c.query.end()) {
    auto v = parse_uint(it->second);
    if (!v) {
      c.why = "query parameter \"after\" must be a sequence number";
      return error::invalid_field;
    }
    after = core::Seq{*v};
  }
  return after;
}

Task inbox_events(RouteContext& c) { co_return co_await open_inbox(c, StreamRequest::Framing::sse); }
Task inbox_ws(RouteContext& c) { co_return co_await open_inbox(c, StreamRequest::Framing::websocket); }
Task topic_events(RouteContext& c) { co_return co_await open_topic(c, StreamRequest::Framing::sse); }
Task topic_ws(RouteContext& c) { co_return co_await open_topic(c, StreamRequest::Framing::websocket); }

}  // namespace agentmesh::api::routes
