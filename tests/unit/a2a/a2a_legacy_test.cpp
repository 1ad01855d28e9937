// a2a/legacy: A2A 0.3's shapes translated to 1.0's params and back.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "a2a/legacy.hpp"

namespace agentmesh::a2a {
namespace {

namespace json = boost::json;

TEST(A2aLegacyTest, A03MessageBecomesA1Message) {
  const auto params = json::parse(R"({"message":{"kind":"message","messageId":"m","role":"user","taskId":"t",
      "parts":[{"kind":"text","text":"hi"},{"kind":"data","data":{"n":1}},
               {"kind":"file","file":{"uri":"https://x/y","name":"y","mimeType":"text/plain"}}]},
      "configuration":{"blocking":false,"historyLength":2}})")
                          .as_object();
  auto out = params_from_v03(Method::send_message, params);
  ASSERT_TRUE(std::holds_alternative<json::object>(out));
  const auto& o = std::get<json::object>(out);
  const auto& m = o.at("message").as_object();
  EXPECT_EQ(m.at("role").as_string(), "ROLE_USER");
  EXPECT_EQ(m.at("taskId").as_string(), "t");
  EXPECT_EQ(m.at("parts").at(0).at("text").as_string(), "hi");
  EXPECT_EQ(m.at("parts").at(1).at("data").at("n").as_int64(), 1);
  EXPECT_EQ(m.at("parts").at(2).at("url").as_string(), "https://x/y");
  EXPECT_EQ(m.at("parts").at(2).at("mediaType").as_string(), "text/plain");
  EXPECT_TRUE(o.at("configuration").at("returnImmediately").as_bool());
  EXPECT_EQ(o.at("configuration").at("historyLength").as_int64(), 2);
  // Malformed 0.3 parts are invalid params.
  for (const char* bad : {R"({"message":{"parts":[{"text":"no kind"}]}})",
                          R"({"message":{"parts":[{"kind":"video"}]}})",
                          R"({"message":{"parts":[{"kind":"file"}]}})",
                          R"({"message":{"parts":"x"}})", R"({"configuration":{"blocking":"no"}})"}) {
    auto e = params_from_v03(Method::send_message, json::parse(bad).as_object());
    ASSERT_TRUE(std::holds_alternative<RpcError>(e)) << bad;
    EXPECT_EQ(std::get<RpcError>(e).code, RpcCode::invalid_params) << bad;
  }
}

TEST(A2aLegacyTest, ResultsAndStreamItemsIn03Shape) {
  const auto task = json::parse(R"({"id":"t","contextId":"c","status":{"state":"TASK_STATE_INPUT_REQUIRED",
      "message":{"messageId":"s","role":"ROLE_AGENT","parts":[{"text":"which?"}]}},
      "history":[{"messageId":"h","role":"ROLE_USER","parts":[{"url":"https://x","filename":"f"}]}],
      "artifacts":[{"artifactId":"a","name":"a","parts":[{"data":[1]}]}]})");
  const auto t = result_to_v03(Method::send_message, json::object{{"task", task}}).as_object();
  EXPECT_EQ(t.at("kind").as_string(), "task");
  EXPECT_EQ(t.at("status").at("state").as_string(), "input-required");
  EXPECT_EQ(t.at("status").at("message").at("role").as_string(), "agent");
  EXPECT_EQ(t.at("status").at("message").at("parts").at(0).at("kind").as_string(), "text");
  EXPECT_EQ(t.at("history").at(0).at("role").as_string(), "user");
  EXPECT_EQ(t.at("history").at(0).at("parts").at(0).at("file").at("uri").as_string(), "https://x");
  EXPECT_EQ(t.at("artifacts").at(0).at("parts").at(0).at("kind").as_string(), "data");
  EXPECT_EQ(result_to_v03(Method::get_task, task).at("kind").as_string(), "task");
  const auto working = stream_item_to_v03(json::parse(R"({"statusUpdate":{"taskId":"t","contextId":"c",
      "status":{"state":"TASK_STATE_WORKING"}}})").as_object());
  EXPECT_EQ(working.at("kind").as_string(), "status-update");
  EXPECT_EQ(working.at("status").at("state").as_string(), "working");
  EXPECT_FALSE(working.at("final").as_bool());
  const auto done = stream_item_to_v03(json::parse(R"({"statusUpdate":{"taskId":"t","contextId":"c",
      "status":{"state":"TASK_STATE_COMPLETED"}}})").as_object());
  EXPECT_TRUE(done.at("final").as_bool());
  const auto chunk = stream_item_to_v03(json::parse(R"({"artifactUpdate":{"taskId":"t","contextId":"c",
      "artifact":{"artifactId":"a","parts":[{"text":"x"}]},"append":true,"lastChunk":false}})").as_object());
  EXPECT_EQ(chunk.at("kind").as_string(), "artifact-update");
  EXPECT_TRUE(chunk.at("append").as_bool());
  EXPECT_EQ(chunk.at("artifact").at("parts").at(0).at("kind").as_string(), "text");
}

}  // namespace
}  // namespace agentmesh::a2a
