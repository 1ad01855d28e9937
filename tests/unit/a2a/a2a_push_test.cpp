// a2a/push: push notification configs and webhook URLs as callers send them,
// and their A2A 0.3 shapes (a2a/legacy.hpp).
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "a2a/legacy.hpp"
#include "a2a/push.hpp"

namespace agentmesh::a2a {
namespace {

namespace json = boost::json;

TEST(A2aPushTest, WebhookUrlsAreSplitIntoTheirParts) {
  auto u = std::get<WebhookUrl>(parse_webhook_url("https://hooks.example.com/a2a?x=1"));
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.host, "hooks.example.com");
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.target, "/a2a?x=1");
  u = std::get<WebhookUrl>(parse_webhook_url("http://[::1]:8080"));
  EXPECT_FALSE(u.tls);
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 8080);
  EXPECT_EQ(u.target, "/");
  u = std::get<WebhookUrl>(parse_webhook_url("http://127.0.0.1?q"));
  EXPECT_EQ(u.port, 80);
  EXPECT_EQ(u.target, "/?q");
  for (const char* bad : {"ftp://x/", "http://", "http://user@host/", "http://host:0/", "http://host:65536/",
                          "http://host:x/", "http://host/#frag", "http://ho st/", "http://host/\r\nX: y",
                          "http://[::1/", "http://[zz]/", "http://a_b/", "http://host:/"}) {
    EXPECT_TRUE(std::holds_alternative<std::string>(parse_webhook_url(bad))) << bad;
  }
  EXPECT_TRUE(std::holds_alternative<std::string>(parse_webhook_url("http://h/" + std::string(kMaxUrlBytes, 'a'))));
}

TEST(A2aPushTest, ConfigsAreParsedAndGivenBack) {
  const auto o = json::parse(R"({"taskId":"t1","id":"c1","url":"http://127.0.0.1:9/hook","token":"tok",
      "authentication":{"scheme":"Bearer","credentials":"secret"}})")
                     .as_object();
  auto c = std::get<PushConfig>(push_config_of(o));
  EXPECT_EQ(c.task_id, "t1");
  EXPECT_EQ(c.id, "c1");
  EXPECT_EQ(c.token, "tok");
  EXPECT_EQ(c.scheme, "Bearer");
  EXPECT_EQ(c.credentials, "secret");
  EXPECT_EQ(json::value(push_config_json(c)), json::value(o));
  // Only url is required.
  c = std::get<PushConfig>(push_config_of(json::parse(R"({"url":"https://h/"})").as_object()));
  EXPECT_TRUE(c.id.empty() && c.token.empty() && c.scheme.empty());
  for (const char* bad :
       {R"({})", R"({"url":""})", R"({"url":7})", R"({"url":"ftp://h/"})", R"({"url":"http://h/","id":"a/b"})",
        R"({"url":"http://h/","token":"a\nb"})", R"({"url":"http://h/","authentication":"Bearer"})",
        R"({"url":"http://h/","authentication":{"scheme":"Bear er"}})",
        R"({"url":"http://h/","authentication":{"scheme":"Bearer","credentials":"x\r\nHost: y"}})"}) {
    EXPECT_TRUE(std::holds_alternative<std::string>(push_config_of(json::parse(bad).as_object()))) << bad;
  }
}

TEST(A2aPushTest, The03ShapesTranslateBothWays) {
  auto set = params_from_v03(Method::create_push_config, json::parse(R"({"taskId":"t","pushNotificationConfig":
      {"id":"c","url":"http://h/","token":"k","authentication":{"schemes":["Bearer"],"credentials":"s"}}})")
                                                             .as_object());
  const auto& p = std::get<json::object>(set);
  EXPECT_EQ(p.at("taskId").as_string(), "t");
  EXPECT_EQ(p.at("url").as_string(), "http://h/");
  EXPECT_EQ(p.at("authentication").at("scheme").as_string(), "Bearer");
  auto back = result_to_v03(Method::create_push_config, json::value(p));
  EXPECT_EQ(back.at("taskId").as_string(), "t");
  EXPECT_EQ(back.at("pushNotificationConfig").at("authentication").at("schemes").at(0).as_string(), "Bearer");
  EXPECT_EQ(back.at("pushNotificationConfig").at("token").as_string(), "k");
  auto get = std::get<json::object>(params_from_v03(
      Method::get_push_config, json::parse(R"({"id":"t","pushNotificationConfigId":"c"})").as_object()));
  EXPECT_EQ(get, json::parse(R"({"taskId":"t","id":"c"})").as_object());
  auto list =
      result_to_v03(Method::list_push_configs, json::parse(R"({"configs":[{"taskId":"t","id":"c","url":"u"}]})"));
  EXPECT_EQ(list.at(0).at("pushNotificationConfig").at("id").as_string(), "c");
  EXPECT_TRUE(result_to_v03(Method::delete_push_config, json::object{}).is_null());
  // SendMessage's configuration.pushNotificationConfig is 1.0's taskPushNotificationConfig.
  auto send = std::get<json::object>(
      params_from_v03(Method::send_message,
                      json::parse(R"({"configuration":{"pushNotificationConfig":{"url":"http://h/"}}})").as_object()));
  EXPECT_EQ(send.at("configuration").at("taskPushNotificationConfig").at("url").as_string(), "http://h/");
  for (const char* bad : {R"({"taskId":"t"})", R"({"pushNotificationConfig":{"url":"u","authentication":{}}})"}) {
    auto e = params_from_v03(Method::create_push_config, json::parse(bad).as_object());
    ASSERT_TRUE(std::holds_alternative<RpcError>(e)) << bad;
    EXPECT_EQ(std::get<RpcError>(e).code, RpcCode::invalid_params) << bad;
  }
}

}  // namespace
}  // namespace agentmesh::a2a
