// SSE and WebSocket streams, and HTTP keep-alive, against the real daemon.

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <fstream>
#include <future>
#include <thread>

#include "integration/fixture.hpp"

namespace agentmesh::testutil {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;

struct SseEvent {
  std::string id, type, data;
};

// Parses SSE text into events (comments dropped).
std::vector<SseEvent> parse_sse(const std::string& text) {
  std::vector<SseEvent> out;
  std::size_t pos = 0;
  while (true) {
    const auto end = text.find("\n\n", pos);
    if (end == std::string::npos) break;
    SseEvent e;
    std::stringstream block(text.substr(pos, end - pos));
    std::string line;
    while (std::getline(block, line)) {
      if (line.starts_with("id: ")) e.id = line.substr(4);
      if (line.starts_with("event: ")) e.type = line.substr(7);
      if (line.starts_with("data: ")) e.data += line.substr(6);
    }
    if (!e.type.empty()) out.push_back(e);
    pos = end + 2;
  }
  return out;
}

// Reads SSE message events in a background thread until `want` have arrived.
class SseCollector {
 public:
  SseCollector(const Daemon& d, std::string target, std::string token, std::string last_event_id, std::size_t want)
      : want_(want) {
    thread_ = std::thread([=, this, client = d.client(token)]() mutable {
      std::map<std::string, std::string> headers;
      if (!last_event_id.empty()) headers["Last-Event-ID"] = last_event_id;
      std::string err;
      auto r = client.stream(
          target, headers,
          [&](std::string_view data) {
            std::lock_guard lock(mu_);
            text_ += data;
            return messages_locked().size() < want_;
          },
          err);
      status_ = r ? *r : -1;
      done_ = true;
    });
  }
  ~SseCollector() {
    if (thread_.joinable()) thread_.join();
  }
  std::vector<SseEvent> messages() {
    std::lock_guard lock(mu_);
    return messages_locked();
  }
  std::vector<SseEvent> all() {
    std::lock_guard lock(mu_);
    return parse_sse(text_);
  }
  void join() { thread_.join(); }
  bool done() const { return done_; }
  int status() const { return status_; }

 private:
  std::vector<SseEvent> messages_locked() {
    std::vector<SseEvent> out;
    for (auto& e : parse_sse(text_)) {
      if (e.type == "message") out.push_back(e);
    }
    return out;
  }
  std::size_t want_;
  std::mutex mu_;
  std::string text_;
  std::atomic<bool> done_{false};
  std::atomic<int> status_{0};
  std::thread thread_;
};

using StreamTest = DaemonTest;

TEST_F(StreamTest, SseReplaysAfterTheAckedCursorThenDeliversLive) {
  create("a");
  create("b");
  for (int i = 1; i <= 3; ++i) ASSERT_EQ(send("a", "b", "m" + std::to_string(i)).status, 202);
  ASSERT_EQ(req("POST", "/v1/agents/b/inbox/ack", R"({"up_to":1})").status, 200);

  SseCollector sse(*daemon_, "/v1/agents/b/events", daemon_->admin_token(), "", 3);
  ASSERT_TRUE(eventually([&] { return sse.messages().size() == 2; }));
  ASSERT_EQ(send("a", "b", "live").status, 202);
  sse.join();
  auto msgs = sse.messages();
  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_EQ(msgs[0].id, "2");
  EXPECT_EQ(msgs[1].id, "3");
  EXPECT_EQ(msgs[2].id, "4");
  EXPECT_EQ(json::parse(msgs[2].data).at("body").as_string(), "live");
  EXPECT_EQ(json::parse(msgs[0].data).at("seq").as_int64(), 2);
}

TEST_F(StreamTest, SseResumesAfterLastEventId) {
  create("a");
  create("b");
  for (int i = 1; i <= 5; ++i) ASSERT_EQ(send("a", "b", "m" + std::to_string(i)).status, 202);
  SseCollector sse(*daemon_, "/v1/agents/b/events", daemon_->admin_token(), "3", 2);
  sse.join();
  auto msgs = sse.messages();
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].id, "4");
  EXPECT_EQ(msgs[1].id, "5");
}

TEST_F(StreamTest, SseWithAgentTokenAndIsolation) {
  create("a");
  auto b = create("b");
  ASSERT_EQ(send("a", "b", "for b").status, 202);
  SseCollector own(*daemon_, "/v1/agents/b/events", b.token, "", 1);
  own.join();
  EXPECT_EQ(own.messages().size(), 1u);
  std::string err;
  auto c = daemon_->client(b.token);
  auto status = c.stream(
      "/v1/agents/a/events", {}, [](std::string_view) { return false; }, err);
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 403);
  EXPECT_NE(err.find("forbidden"), std::string::npos);
}

TEST_F(StreamTest, SseClosesWhenTheAgentIsDeleted) {
  create("b");
  SseCollector sse(*daemon_, "/v1/agents/b/events", daemon_->admin_token(), "", 100);
  ASSERT_TRUE(eventually([&] { return js(req("GET", "/v1/agents/b")).at("streams").as_int64() == 1; }));
  ASSERT_EQ(req("DELETE", "/v1/agents/b").status, 200);
  ASSERT_TRUE(eventually([&] { return sse.done(); }));
  auto events = sse.all();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().type, "closed");
  EXPECT_NE(events.back().data.find("unknown_agent"), std::string::npos);
}

TEST_F(StreamTest, StreamsPerAgentAreLimited) {
  const auto cfg = dir_.path() / "limits.toml";
  std::ofstream(cfg) << "[messages]\nmax_streams_per_agent = 2\n";
  ASSERT_EQ(daemon_->stop(), 0);
  daemon_ = std::make_unique<Daemon>(dir_.path() / "data", std::vector<std::string>{"--config", cfg.string()});
  daemon_->start();
  create("b");
  SseCollector s1(*daemon_, "/v1/agents/b/events", daemon_->admin_token(), "", 1);
  SseCollector s2(*daemon_, "/v1/agents/b/events", daemon_->admin_token(), "", 1);
  ASSERT_TRUE(eventually([&] { return js(req("GET", "/v1/agents/b")).at("streams").as_int64() == 2; }));
  std::string err;
  auto c = daemon_->admin();
  auto third = c.stream(
      "/v1/agents/b/events", {}, [](std::string_view) { return false; }, err);
  ASSERT_TRUE(third);
  EXPECT_EQ(*third, 429);
  EXPECT_NE(err.find("too_many_streams"), std::string::npos);
  ASSERT_EQ(send("b", "b", "release").status, 202);  // both collectors get one message and leave
  s1.join();
  s2.join();
  EXPECT_TRUE(eventually([&] { return js(req("GET", "/v1/agents/b")).at("streams").as_int64() == 0; }));
}

TEST_F(StreamTest, SseHeartbeatOnAnIdleStream) {
  const auto cfg = dir_.path() / "hb.toml";
  std::ofstream(cfg) << "[api]\nstream_heartbeat_s = 1\n";
  ASSERT_EQ(daemon_->stop(), 0);
  daemon_ = std::make_unique<Daemon>(dir_.path() / "data", std::vector<std::string>{"--config", cfg.string()});
  daemon_->start();
  create("b");
  std::string text, err;
  auto c = daemon_->admin();
  auto status = c.stream(
      "/v1/agents/b/events", {},
      [&](std::string_view d) {
        text += d;
        return text.find(": heartbeat") == std::string::npos;
      },
      err);
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 200);
  EXPECT_NE(text.find(": heartbeat"), std::string::npos);
}

class WsClient {
 public:
  WsClient(std::uint16_t port, const std::string& target, const std::string& token) : ws_(ioc_) {
    asio::ip::tcp::resolver resolver(ioc_);
    asio::connect(ws_.next_layer(), resolver.resolve("127.0.0.1", std::to_string(port)));
    ws_.set_option(websocket::stream_base::decorator(
        [token](websocket::request_type& req) { req.set(http::field::authorization, "Bearer " + token); }));
    ws_.handshake("127.0.0.1", target);
  }
  json::value read() {
    beast::flat_buffer buf;
    ws_.read(buf);
    return json::parse(beast::buffers_to_string(buf.data()));
  }
  void write(const std::string& text) { ws_.write(asio::buffer(text)); }
  websocket::stream<asio::ip::tcp::socket>& ws() { return ws_; }

 private:
  asio::io_context ioc_;
  websocket::stream<asio::ip::tcp::socket> ws_;
};

TEST_F(StreamTest, TopicWebSocketDeliversLiveTopicMessages) {
  auto a = create("a");
  WsClient ws(daemon_->port(), "/v1/topics/news/ws", a.token);
  // The subscription is live once the daemon lists it.
  ASSERT_TRUE(eventually([&] {
    auto t = js(req("GET", "/v1/topics"));
    return t.is_object() && !t.at("topics").as_array().empty() &&
           t.at("topics").as_array()[0].at("local_subscribers").as_int64() == 1;
  }));
  auto r = req("POST", "/v1/topics/news/messages", R"({"body":"over ws","as":"a"})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto m = ws.read();
  EXPECT_EQ(m.at("type").as_string(), "message");
  EXPECT_EQ(m.at("body").as_string(), "over ws");
  EXPECT_EQ(m.at("from_agent").as_string(), a.id);
  ws.ws().close(websocket::close_code::normal);
  ASSERT_TRUE(eventually([&] { return js(req("GET", "/v1/topics")).at("topics").as_array().empty(); }));
  // Without an upgrade the route says so.
  EXPECT_EQ(code(req("GET", "/v1/topics/news/ws")), "bad_request");
}

TEST_F(StreamTest, WebSocketDeliversMessagesAndAcceptsAcks) {
  create("a");
  auto b = create("b");
  ASSERT_EQ(send("a", "b", "one").status, 202);
  WsClient ws(daemon_->port(), "/v1/agents/b/ws", b.token);
  auto m1 = ws.read();
  EXPECT_EQ(m1.at("type").as_string(), "message");
  EXPECT_EQ(m1.at("seq").as_int64(), 1);
  EXPECT_EQ(m1.at("body").as_string(), "one");
  ASSERT_EQ(send("a", "b", "two").status, 202);
  auto m2 = ws.read();
  EXPECT_EQ(m2.at("seq").as_int64(), 2);

  ws.write(R"({"ack": 2})");
  auto acked = ws.read();
  EXPECT_EQ(acked.at("type").as_string(), "acked");
  EXPECT_EQ(acked.at("acked_seq").as_int64(), 2);
  EXPECT_EQ(js(req("GET", "/v1/agents/b")).at("acked_seq").as_int64(), 2);

  ws.write(R"({"ack": 99})");
  auto err = ws.read();
  EXPECT_EQ(err.at("type").as_string(), "error");
  EXPECT_EQ(err.at("error").as_string(), "ack_beyond_last");
  ws.write("not json");
  EXPECT_EQ(ws.read().at("error").as_string(), "malformed_json");
  ws.ws().close(websocket::close_code::normal);
  EXPECT_TRUE(eventually([&] { return js(req("GET", "/v1/agents/b")).at("streams").as_int64() == 0; }));
}

TEST_F(StreamTest, WebSocketResumesAfterTheAckedCursor) {
  create("a");
  create("b");
  for (int i = 1; i <= 3; ++i) ASSERT_EQ(send("a", "b", "m" + std::to_string(i)).status, 202);
  ASSERT_EQ(req("POST", "/v1/agents/b/inbox/ack", R"({"up_to":2})").status, 200);
  WsClient ws(daemon_->port(), "/v1/agents/b/ws", daemon_->admin_token());
  EXPECT_EQ(ws.read().at("seq").as_int64(), 3);
}

TEST_F(StreamTest, WebSocketRejectsOtherAgentsToken) {
  create("a");
  auto b = create("b");
  EXPECT_THROW(WsClient(daemon_->port(), "/v1/agents/a/ws", b.token), boost::system::system_error);
}

TEST_F(StreamTest, KeepAliveServesPipelinedRequestsOnOneConnection) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), daemon_->port()));
  for (int i = 0; i < 3; ++i) {
    http::request<http::empty_body> req{http::verb::get, "/v1/health", 11};
    req.set(http::field::host, "127.0.0.1");
    http::write(stream, req);
  }
  beast::flat_buffer buf;
  for (int i = 0; i < 3; ++i) {
    http::response<http::string_body> res;
    http::read(stream, buf, res);
    EXPECT_EQ(res.result_int(), 200u);
    EXPECT_TRUE(res.keep_alive());
  }
}

TEST_F(StreamTest, PipelinedSendsKeepTheirOrderAndALaterReadSeesThemAll) {
  create("a");
  create("b");
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), daemon_->port()));
  auto post = [&](int i) {
    http::request<http::string_body> req{http::verb::post, "/v1/agents/a/messages", 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::authorization, "Bearer " + daemon_->admin_token());
    req.set(http::field::content_type, "application/json");
    req.body() = R"({"to":"b","body":"m)" + std::to_string(i) + "\"}";
    req.prepare_payload();
    http::write(stream, req);
  };
  constexpr int kCount = 50;
  for (int i = 0; i < kCount; ++i) post(i);
  // A read pipelined behind the sends runs only after they have completed.
  http::request<http::empty_body> get{http::verb::get, "/v1/agents/b/inbox?limit=1000", 11};
  get.set(http::field::host, "127.0.0.1");
  get.set(http::field::authorization, "Bearer " + daemon_->admin_token());
  http::write(stream, get);
  beast::flat_buffer buf;
  for (int i = 0; i < kCount; ++i) {
    http::response<http::string_body> res;
    http::read(stream, buf, res);
    ASSERT_EQ(res.result_int(), 202u) << res.body();
    EXPECT_EQ(json::parse(res.body()).at("seq").as_int64(), i + 1);  // responses in request order
  }
  http::response<http::string_body> inbox;
  http::read(stream, buf, inbox);
  const auto msgs = json::parse(inbox.body()).at("messages").as_array();
  ASSERT_EQ(msgs.size(), static_cast<std::size_t>(kCount));
  for (int i = 0; i < kCount; ++i) EXPECT_EQ(msgs[i].at("body").as_string(), "m" + std::to_string(i));
}

TEST_F(StreamTest, MalformedHttpGets400AndTheDaemonCarriesOn) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), daemon_->port()));
  const std::string garbage = "NOT HTTP AT ALL\r\n\r\n";
  asio::write(stream, asio::buffer(garbage));
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(stream, buf, res);
  EXPECT_EQ(res.result_int(), 400u);
  EXPECT_NE(res.body().find("bad_request"), std::string::npos);
  EXPECT_EQ(req("GET", "/v1/health").status, 200);
}

}  // namespace
}  // namespace agentmesh::testutil
