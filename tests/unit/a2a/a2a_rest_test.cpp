// a2a/rest: the HTTP+JSON binding's paths, query and body decoding, and its
// error bodies.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "a2a/rest.hpp"

namespace agentmesh::a2a {
namespace {

namespace json = boost::json;

RestCall decoded(std::string_view method, std::string_view path, std::string_view query = "",
                 std::string_view body = "") {
  auto d = decode_rest(method, path, query, body);
  if (const auto* e = std::get_if<RestError>(&d)) {
    ADD_FAILURE() << method << " " << path << "?" << query << ": " << e->status << " " << e->message;
    return {};
  }
  return std::get<RestCall>(d);
}

RestError refused(std::string_view method, std::string_view path, std::string_view query = "",
                  std::string_view body = "") {
  auto d = decode_rest(method, path, query, body);
  if (!std::holds_alternative<RestError>(d)) {
    ADD_FAILURE() << method << " " << path << "?" << query << " decoded";
    return {};
  }
  return std::get<RestError>(d);
}

TEST(A2aRestTest, EachPathIsItsMethod) {
  const std::string id(32, 'a');
  struct Case {
    std::string method, path;
    Method want;
  };
  const std::vector<Case> cases = {
      {"POST", "/message:send", Method::send_message},
      {"POST", "/message:stream", Method::send_streaming_message},
      {"GET", "/tasks", Method::list_tasks},
      {"GET", "/tasks/" + id, Method::get_task},
      {"POST", "/tasks/" + id + ":cancel", Method::cancel_task},
      {"POST", "/tasks/" + id + ":subscribe", Method::subscribe_to_task},
      {"POST", "/tasks/" + id + "/pushNotificationConfigs", Method::create_push_config},
      {"GET", "/tasks/" + id + "/pushNotificationConfigs", Method::list_push_configs},
      {"GET", "/tasks/" + id + "/pushNotificationConfigs/c1", Method::get_push_config},
      {"DELETE", "/tasks/" + id + "/pushNotificationConfigs/c1", Method::delete_push_config},
      {"GET", "/extendedAgentCard", Method::get_extended_card},
  };
  for (const auto& c : cases) EXPECT_EQ(decoded(c.method, c.path).method, c.want) << c.method << " " << c.path;
  EXPECT_EQ(decoded("GET", "/tasks/" + id).params.at("id").as_string(), id);
  EXPECT_EQ(decoded("POST", "/tasks/" + id + ":cancel").params.at("id").as_string(), id);
  const auto config = decoded("DELETE", "/tasks/" + id + "/pushNotificationConfigs/c%2F1").params;
  EXPECT_EQ(config.at("taskId").as_string(), id);
  EXPECT_EQ(config.at("id").as_string(), "c/1");
}

TEST(A2aRestTest, QueryValuesAreTypedAndBodiesAreObjects) {
  const auto list = decoded("GET", "/tasks",
                            "contextId=a%20b+c&status=TASK_STATE_WORKING&pageSize=5&historyLength=0"
                            "&includeArtifacts=true&pageToken=&statusTimestampAfter=2026-12-05T10%3A00%3A00Z")
                        .params;
  EXPECT_EQ(list.at("contextId").as_string(), "a b c");
  EXPECT_EQ(list.at("status").as_string(), "TASK_STATE_WORKING");
  EXPECT_EQ(list.at("pageSize").as_int64(), 5);
  EXPECT_EQ(list.at("historyLength").as_int64(), 0);
  EXPECT_TRUE(list.at("includeArtifacts").as_bool());
  EXPECT_EQ(list.at("pageToken").as_string(), "");
  EXPECT_EQ(list.at("statusTimestampAfter").as_string(), "2026-12-05T10:00:00Z");
  // What is not a number or a boolean stays text, for the method to refuse.
  EXPECT_TRUE(decoded("GET", "/tasks", "pageSize=5x").params.at("pageSize").is_string());
  EXPECT_TRUE(decoded("GET", "/tasks", "includeArtifacts=yes").params.at("includeArtifacts").is_string());
  const auto send = decoded("POST", "/message:send", "", R"({"message":{"messageId":"m"}})").params;
  EXPECT_EQ(send.at("message").at("messageId").as_string(), "m");
  EXPECT_TRUE(decoded("POST", "/tasks/ab:subscribe").params.contains("id"));  // an empty body is {}
}

TEST(A2aRestTest, RefusalsHaveTheirStatusAndCode) {
  struct Case {
    std::string method, path, query, body;
    int status;
    RpcCode code;
  };
  const std::vector<Case> cases = {
      {"GET", "/nope", "", "", 404, RpcCode::method_not_found},
      {"GET", "/tasks/", "", "", 404, RpcCode::method_not_found},
      {"GET", "/tasks/a/b", "", "", 404, RpcCode::method_not_found},
      {"GET", "/tasks/%zz", "", "", 404, RpcCode::method_not_found},
      {"GET", "/message:send", "", "", 405, RpcCode::method_not_found},
      {"DELETE", "/tasks", "", "", 405, RpcCode::method_not_found},
      {"GET", "/tasks/ab:cancel", "", "", 405, RpcCode::method_not_found},
      {"PUT", "/tasks/ab/pushNotificationConfigs/c", "", "", 405, RpcCode::method_not_found},
      {"POST", "/message:send", "", "{", 400, RpcCode::parse_error},
      {"POST", "/message:send", "", "[1]", 400, RpcCode::invalid_request},
      {"POST", "/message:send", "", std::string(kMaxBodyBytes + 1, ' '), 413, RpcCode::invalid_request},
      {"GET", "/tasks", "", "{}", 400, RpcCode::invalid_request},
      {"GET", "/tasks", "pageSize=1&pageSize=2", "", 400, RpcCode::invalid_params},
      {"GET", "/tasks", "contextId=%4", "", 400, RpcCode::invalid_params},
      {"GET", "/tasks", std::string(kMaxQueryBytes + 1, 'a'), "", 400, RpcCode::invalid_params},
  };
  for (const auto& c : cases) {
    const auto e = refused(c.method, c.path, c.query, c.body);
    EXPECT_EQ(e.status, c.status) << c.method << " " << c.path << "?" << c.query.substr(0, 40) << ": " << e.message;
    EXPECT_EQ(e.code, c.code) << c.method << " " << c.path << ": " << e.message;
    EXPECT_FALSE(e.message.empty());
  }
  std::string deep = std::string(kMaxDepth + 1, '[') + std::string(kMaxDepth + 1, ']');
  EXPECT_EQ(refused("POST", "/message:send", "", R"({"a":)" + deep + "}").code, RpcCode::parse_error);
}

TEST(A2aRestTest, ErrorsAreGoogleRpcStatusWithErrorInfo) {
  EXPECT_EQ(rest_status(RpcCode::task_not_found), 404);
  EXPECT_EQ(rest_status(RpcCode::task_not_cancelable), 400);
  EXPECT_EQ(rest_status(RpcCode::push_notification_not_supported), 400);
  EXPECT_EQ(rest_status(RpcCode::version_not_supported), 400);
  EXPECT_EQ(rest_status(RpcCode::internal_error), 500);
  const auto e = error_body(404, RpcCode::task_not_found, "no such task").at("error").as_object();
  EXPECT_EQ(e.at("code").as_int64(), 404);
  EXPECT_EQ(e.at("status").as_string(), "NOT_FOUND");
  EXPECT_EQ(e.at("message").as_string(), "no such task");
  const auto& info = e.at("details").at(0).as_object();
  EXPECT_EQ(info.at("@type").as_string(), "type.googleapis.com/google.rpc.ErrorInfo");
  EXPECT_EQ(info.at("reason").as_string(), "TASK_NOT_FOUND");
  EXPECT_EQ(info.at("domain").as_string(), "a2a-protocol.org");
  const auto cancel = error_body(400, RpcCode::task_not_cancelable, "ended").at("error");
  EXPECT_EQ(cancel.at("status").as_string(), "FAILED_PRECONDITION");
  EXPECT_EQ(cancel.at("details").at(0).at("reason").as_string(), "TASK_NOT_CANCELABLE");
  // Not an A2A error: no ErrorInfo.
  const auto parse = error_body(400, RpcCode::parse_error, "not JSON").at("error").as_object();
  EXPECT_EQ(parse.at("status").as_string(), "INVALID_ARGUMENT");
  EXPECT_FALSE(parse.contains("details"));
  EXPECT_EQ(error_body(401, RpcCode::invalid_request, "no token").at("error").at("status").as_string(),
            "UNAUTHENTICATED");
}

}  // namespace
}  // namespace agentmesh::a2a
