// a2a/remote: what the outbound client reads from A2A agents outside the
// mesh (cards, JSON-RPC answers, SSE streams) and the requests it sends.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "a2a/remote.hpp"

namespace agentmesh::a2a {
namespace {

namespace json = boost::json;

TEST(A2aRemoteTest, ACardGivesItsJsonRpcInterfaceAndStreaming) {
  auto card = parse_card(R"({"name":"echo","capabilities":{"streaming":true},"supportedInterfaces":[
      {"url":"https://x/rest","protocolBinding":"HTTP+JSON","protocolVersion":"1.0"},
      {"url":"https://x/old","protocolBinding":"JSONRPC","protocolVersion":"0.3"},
      {"url":"https://x/rpc","protocolBinding":"JSONRPC","protocolVersion":"1.0"}]})");
  ASSERT_TRUE(std::holds_alternative<RemoteCard>(card)) << std::get<std::string>(card);
  EXPECT_EQ(std::get<RemoteCard>(card).name, "echo");
  EXPECT_EQ(std::get<RemoteCard>(card).url, "https://x/rpc");
  EXPECT_TRUE(std::get<RemoteCard>(card).streaming);
  auto plain = parse_card(R"({"name":"p","supportedInterfaces":[{"url":"http://y/","protocolBinding":"JSONRPC"}]})");
  ASSERT_TRUE(std::holds_alternative<RemoteCard>(plain));
  EXPECT_FALSE(std::get<RemoteCard>(plain).streaming);
}

TEST(A2aRemoteTest, WithoutJsonRpcTheHttpJsonInterfaceIsUsed) {
  auto card = parse_card(R"({"name":"r","supportedInterfaces":[
      {"url":"https://x/grpc","protocolBinding":"GRPC","protocolVersion":"1.0"},
      {"url":"https://x/a2a/","protocolBinding":"HTTP+JSON","protocolVersion":"1.0"}]})");
  ASSERT_TRUE(std::holds_alternative<RemoteCard>(card)) << std::get<std::string>(card);
  const auto& c = std::get<RemoteCard>(card);
  EXPECT_TRUE(c.rest);
  EXPECT_EQ(c.url, "https://x/a2a");  // paths are appended
  tasks::Part p;
  p.text = "hi";
  auto send = send_message_call(c, 1, OutboundMessage{"m1", "", "", {p}}, true);
  EXPECT_FALSE(send.get);
  EXPECT_EQ(send.url, "https://x/a2a/message:stream");
  EXPECT_EQ(json::parse(send.body).at("message").at("messageId"), "m1");  // no envelope
  EXPECT_EQ(send_message_call(c, 1, OutboundMessage{"m1", "", "", {p}}, false).url, "https://x/a2a/message:send");
  auto get = task_call(c, 2, "GetTask", "t/1 x");
  EXPECT_TRUE(get.get);
  EXPECT_EQ(get.url, "https://x/a2a/tasks/t%2F1%20x");
  EXPECT_EQ(task_call(c, 3, "CancelTask", "t1").url, "https://x/a2a/tasks/t1:cancel");
  EXPECT_EQ(task_call(c, 4, "SubscribeToTask", "t1").url, "https://x/a2a/tasks/t1:subscribe");
  // Answers: the bare result, or a google.rpc.Status.
  auto ok = parse_answer(c, R"({"task":{"id":"t1","status":{"state":"TASK_STATE_WORKING"}}})");
  ASSERT_TRUE(std::holds_alternative<Update>(ok));
  EXPECT_EQ(std::get<Update>(ok).task_id, "t1");
  auto err = parse_answer(c, R"({"error":{"code":404,"status":"NOT_FOUND","message":"no such task"}})");
  ASSERT_TRUE(std::holds_alternative<RpcFailure>(err));
  EXPECT_EQ(std::get<RpcFailure>(err).code, 404);
  // JSON-RPC cards keep the envelope.
  RemoteCard rpc{"e", "https://x/rpc", false, false};
  EXPECT_EQ(task_call(rpc, 5, "GetTask", "t1").url, "https://x/rpc");
  EXPECT_EQ(json::parse(task_call(rpc, 5, "GetTask", "t1").body).at("method"), "GetTask");
  EXPECT_TRUE(std::holds_alternative<std::string>(parse_answer(rpc, R"({"task":{"id":"t1"}})")));
}

TEST(A2aRemoteTest, UnusableCardsSayWhy) {
  const std::pair<const char*, const char*> cases[] = {
      {"not json", "not a JSON object"},
      {"[]", "not a JSON object"},
      {R"({"name":"g","supportedInterfaces":[{"url":"https://x/","protocolBinding":"GRPC"}]})",
       "no JSON-RPC or HTTP+JSON interface"},
      {R"({"name":"r","supportedInterfaces":[{"url":"https://x/","protocolBinding":"HTTP+JSON","protocolVersion":"0.3"}]})",
       "no JSON-RPC or HTTP+JSON interface"},
      {R"({"name":"old","url":"https://x/","preferredTransport":"JSONRPC"})", "A2A 0.3"},
      {R"({"supportedInterfaces":[{"protocolBinding":"JSONRPC","protocolVersion":"1.0"}]})", "no JSON-RPC"},
  };
  for (const auto& [body, why] : cases) {
    auto card = parse_card(body);
    ASSERT_TRUE(std::holds_alternative<std::string>(card)) << body;
    EXPECT_NE(std::get<std::string>(card).find(why), std::string::npos) << std::get<std::string>(card);
  }
}

TEST(A2aRemoteTest, AnswersAreDecodedByKind) {
  auto task = parse_response(R"({"jsonrpc":"2.0","id":1,"result":{"task":{"id":"t1","contextId":"c1",
      "status":{"state":"TASK_STATE_INPUT_REQUIRED","message":{"role":"ROLE_AGENT","parts":[{"text":"which?"}]}},
      "artifacts":[{"artifactId":"a","parts":[{"text":"x"},{"data":{"n":1}}]}]}}})");
  ASSERT_TRUE(std::holds_alternative<Update>(task));
  const auto& t = std::get<Update>(task);
  EXPECT_EQ(t.kind, Update::Kind::task);
  EXPECT_EQ(t.task_id, "t1");
  EXPECT_EQ(t.context_id, "c1");
  EXPECT_EQ(t.state, tasks::TaskState::input_required);
  ASSERT_EQ(t.message.size(), 1u);
  EXPECT_EQ(t.message[0].text, "which?");
  ASSERT_EQ(t.artifacts.size(), 1u);
  EXPECT_EQ(t.artifacts[0].parts.size(), 2u);
  EXPECT_EQ(t.artifacts[0].parts[1].kind, tasks::Part::Kind::data);

  auto art = parse_update(json::parse(R"({"artifactUpdate":{"taskId":"t1","artifact":{"artifactId":"a",
      "parts":[{"url":"https://f/x.pdf","filename":"x.pdf"}]},"append":true,"lastChunk":false}})"));
  ASSERT_TRUE(std::holds_alternative<Update>(art));
  EXPECT_EQ(std::get<Update>(art).kind, Update::Kind::artifact);
  EXPECT_TRUE(std::get<Update>(art).artifacts.at(0).append);
  EXPECT_FALSE(std::get<Update>(art).artifacts.at(0).last);
  EXPECT_EQ(std::get<Update>(art).artifacts.at(0).parts.at(0).uri, "https://f/x.pdf");

  auto status = parse_update(json::parse(R"({"statusUpdate":{"taskId":"t1","status":{"state":"completed"}}})"));
  ASSERT_TRUE(std::holds_alternative<Update>(status));
  EXPECT_EQ(std::get<Update>(status).state, tasks::TaskState::completed);  // 0.3's name too

  auto msg = parse_update(json::parse(R"({"message":{"messageId":"m","role":"ROLE_AGENT","parts":[{"text":"hi"}]}})"));
  ASSERT_TRUE(std::holds_alternative<Update>(msg));
  EXPECT_EQ(std::get<Update>(msg).kind, Update::Kind::message);
  EXPECT_TRUE(std::get<Update>(msg).task_id.empty());

  auto bare = parse_update(json::parse(R"({"id":"t2","status":{"state":"TASK_STATE_WORKING"}})"));  // GetTask
  ASSERT_TRUE(std::holds_alternative<Update>(bare));
  EXPECT_EQ(std::get<Update>(bare).task_id, "t2");

  auto err = parse_response(R"({"jsonrpc":"2.0","id":1,"error":{"code":-32001,"message":"no such task"}})");
  ASSERT_TRUE(std::holds_alternative<RpcFailure>(err));
  EXPECT_EQ(std::get<RpcFailure>(err).code, -32001);
  EXPECT_EQ(std::get<RpcFailure>(err).message, "no such task");
}

TEST(A2aRemoteTest, AnswersThatAreNotA2aAreRefused) {
  for (const char* body : {"", "{", "[]", R"({"jsonrpc":"2.0","id":1})",
                           R"({"result":{"task":{"status":{"state":"TASK_STATE_WORKING"}}}})",
                           R"({"result":{"task":{"id":"t","status":{"state":"DONE"}}}})", R"({"result":{"other":{}}})",
                           R"({"result":{"artifactUpdate":{"taskId":"t","artifact":{"parts":[]}}}})",
                           R"({"result":{"message":{"parts":[{}]}}})",  // a part with no content
                           R"({"result":{"message":{"parts":[{"raw":"AAAA"}]}}})",
                           R"({"result":{"message":{"parts":[{"text":"a","data":1}]}}})"}) {
    auto r = parse_response(body);
    EXPECT_TRUE(std::holds_alternative<std::string>(r)) << body;
  }
}

TEST(A2aRemoteTest, RequestsCarryTheMessageIdAndTheTask) {
  tasks::Part p;
  p.text = "hello";
  auto first = json::parse(send_message_request(7, OutboundMessage{"m1", "", "", {p}}, true)).as_object();
  EXPECT_EQ(first.at("method"), "SendStreamingMessage");
  EXPECT_EQ(first.at("id"), 7);
  EXPECT_EQ(first.at("params").at("message").at("messageId"), "m1");
  EXPECT_EQ(first.at("params").at("message").at("role"), "ROLE_USER");
  EXPECT_FALSE(first.at("params").at("message").as_object().contains("taskId"));
  EXPECT_EQ(first.at("params").at("message").at("parts").at(0).at("text"), "hello");
  auto answer = json::parse(send_message_request(8, OutboundMessage{"m1.5", "t1", "c1", {p}}, false)).as_object();
  EXPECT_EQ(answer.at("method"), "SendMessage");
  EXPECT_EQ(answer.at("params").at("message").at("taskId"), "t1");
  EXPECT_EQ(answer.at("params").at("message").at("contextId"), "c1");
  EXPECT_EQ(answer.at("params").at("configuration").at("returnImmediately"), true);
  auto get = json::parse(task_request(9, "GetTask", "t1")).as_object();
  EXPECT_EQ(get.at("method"), "GetTask");
  EXPECT_EQ(get.at("params").at("id"), "t1");
}

TEST(A2aRemoteTest, SseEventsAreCutAtBlankLinesWhateverTheChunking) {
  const std::string stream =
      ": a comment\r\ndata: {\"a\":1}\r\n\r\nevent: x\ndata: {\"b\":\ndata: 2}\n\ndata:{\"c\":3}\r\rid: 4\n\n";
  for (std::size_t step : {std::size_t{1}, std::size_t{3}, stream.size()}) {
    SseParser p(1024);
    std::vector<std::string> events;
    std::string why;
    for (std::size_t i = 0; i < stream.size(); i += step) {
      ASSERT_TRUE(p.feed(std::string_view(stream).substr(i, step), events, why)) << why;
    }
    ASSERT_EQ(events.size(), 3u) << step;
    EXPECT_EQ(events[0], R"({"a":1})");
    EXPECT_EQ(events[1], "{\"b\":\n2}");
    EXPECT_EQ(events[2], R"({"c":3})");
  }
  SseParser small(16);
  std::vector<std::string> events;
  std::string why;
  EXPECT_FALSE(small.feed("data: 0123456789abcdefghij\n\n", events, why));
  EXPECT_NE(why.find("longer than 16"), std::string::npos);
}

}  // namespace
}  // namespace agentmesh::a2a
