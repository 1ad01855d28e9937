#include <gtest/gtest.h>

#include "api/dto.hpp"
#include "api/error.hpp"
#include "api/error_table.hpp"
#include "api/requests.hpp"
#include "core/error.hpp"
#include "direct/error.hpp"
#include "node/error.hpp"
#include "store/error.hpp"

namespace agentmesh::api {
namespace {

JsonLimits limits() { return {}; }

TEST(JsonMappingTest, ParsesAFullSendRequest) {
  std::string why;
  auto r = parse_send(R"({"to":"bob","body":"hi","content_type":"text/markdown","performative":"request",
      "conversation_id":"c","reply_with":"r","in_reply_to":"i","protocol":"p","metadata":{"a":"1"},
      "ttl_ms":5000,"idempotency_key":"k"})",
                      limits(), why);
  ASSERT_TRUE(r) << why;
  EXPECT_EQ(r->to, "bob");
  EXPECT_EQ(r->content.body, "hi");
  EXPECT_EQ(r->content.content_type, "text/markdown");
  EXPECT_EQ(r->content.performative, "request");
  EXPECT_EQ(r->content.metadata, (store::Metadata{{"a", "1"}}));
  EXPECT_EQ(r->ttl_ms, 5000);
  EXPECT_EQ(r->idempotency_key, "k");
}

TEST(JsonMappingTest, AReplyMayLeaveOutTheRecipientButNothingElseMay) {
  std::string why;
  auto r = parse_send(R"({"in_reply_to":"q1","body":"ten"})", limits(), why);
  ASSERT_TRUE(r) << why;
  EXPECT_TRUE(r->to.empty());  // the node fills it in from the message answered
  EXPECT_EQ(r->content.in_reply_to, "q1");
  auto no_to = parse_send(R"({"body":"ten"})", limits(), why);
  ASSERT_FALSE(no_to);
  EXPECT_EQ(no_to.error(), error::missing_field);
  EXPECT_EQ(parse_send(R"({"to":"","in_reply_to":"q1","body":"x"})", limits(), why).error(), error::invalid_field);
}

TEST(JsonMappingTest, Base64BodyIsDecodedAndDefaultsToOctetStream) {
  std::string why;
  auto r = parse_send(R"({"to":"bob","body_base64":"AP8="})", limits(), why);
  ASSERT_TRUE(r) << why;
  EXPECT_EQ(r->content.body, std::string("\0\xff", 2));
  EXPECT_EQ(r->content.content_type, "application/octet-stream");
}

struct BadCase {
  const char* name;
  std::string body;
  error_code expected;
};

TEST(JsonMappingTest, RejectsBadSendBodiesWithTheRightError) {
  const BadCase cases[] = {
      {"truncated", R"({"to":"bob","body":"hi")", error::malformed_json},
      {"not an object", R"(["to"])", error::malformed_json},
      {"empty", "", error::malformed_json},
      {"deep nesting", std::string(10000, '[') + std::string(10000, ']'), error::malformed_json},
      {"invalid utf-8", "{\"to\":\"bob\",\"body\":\"\xff\xfe\"}", error::malformed_json},
      {"unknown field", R"({"to":"bob","body":"x","bogus":1})", error::unknown_field},
      {"wrong type", R"({"to":5,"body":"x"})", error::invalid_field},
      {"missing to", R"({"body":"x"})", error::missing_field},
      {"missing body", R"({"to":"bob"})", error::missing_field},
      {"both bodies", R"({"to":"bob","body":"x","body_base64":"eA=="})", error::invalid_field},
      {"bad base64", R"({"to":"bob","body_base64":"***"})", error::invalid_field},
      {"huge number", R"({"to":"bob","body":"x","ttl_ms":1e400})", error::invalid_field},
      {"negative ttl", R"({"to":"bob","body":"x","ttl_ms":-1})", error::invalid_field},
      {"fraction ttl", R"({"to":"bob","body":"x","ttl_ms":1.5})", error::invalid_field},
      {"2^64", R"({"to":"bob","body":"x","ttl_ms":18446744073709551616})", error::invalid_field},
      {"metadata not strings", R"({"to":"bob","body":"x","metadata":{"a":1}})", error::invalid_field},
      {"metadata array", R"({"to":"bob","body":"x","metadata":["a"]})", error::invalid_field},
      {"empty key", R"({"to":"bob","body":"x","idempotency_key":""})", error::invalid_field},
      {"control char content type", "{\"to\":\"bob\",\"body\":\"x\",\"content_type\":\"a\\nb\"}", error::invalid_field},
  };
  for (const auto& c : cases) {
    std::string why;
    auto r = parse_send(c.body, limits(), why);
    ASSERT_FALSE(r) << c.name;
    EXPECT_EQ(r.error(), c.expected) << c.name << ": " << why;
    EXPECT_FALSE(why.empty()) << c.name;
  }
}

TEST(JsonMappingTest, PayloadLimitIsCheckedAfterDecoding) {
  JsonLimits l;
  l.max_payload_bytes = 4;
  std::string why;
  EXPECT_TRUE(parse_send(R"({"to":"b","body":"1234"})", l, why));
  EXPECT_EQ(parse_send(R"({"to":"b","body":"12345"})", l, why).error(), direct::error::payload_too_large);
  EXPECT_EQ(parse_send(R"({"to":"b","body_base64":"MTIzNDU="})", l, why).error(), direct::error::payload_too_large);
}

TEST(JsonMappingTest, CreateAndUpdateAgent) {
  std::string why;
  auto c = parse_create_agent(R"({"name":"alice","capabilities":["a","b"],"display_name":"Alice"})", limits(), why);
  ASSERT_TRUE(c) << why;
  EXPECT_EQ(c->capabilities.size(), 2u);
  EXPECT_EQ(parse_create_agent(R"({"capabilities":[]})", limits(), why).error(), error::missing_field);
  EXPECT_EQ(parse_create_agent(R"({"name":"a","capabilities":[1]})", limits(), why).error(), error::invalid_field);
  EXPECT_EQ(parse_create_agent(R"({"name":"a","capabilities":"x"})", limits(), why).error(), error::invalid_field);

  auto u = parse_update_agent(R"({"state":"draining"})", limits(), why);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->state, node::AgentState::draining);
  EXPECT_FALSE(u->capabilities);
  EXPECT_EQ(parse_update_agent(R"({"state":"paused"})", limits(), why).error(), error::invalid_field);
  EXPECT_EQ(parse_update_agent(R"({"name":"x"})", limits(), why).error(), error::unknown_field);
}

TEST(JsonMappingTest, AckBodies) {
  std::string why;
  EXPECT_EQ(parse_ack(R"({"up_to":7})", limits(), why)->value, 7u);
  EXPECT_EQ(parse_ack(R"({"up_to":"7"})", limits(), why).error(), error::invalid_field);
  EXPECT_EQ(parse_ack(R"({})", limits(), why).error(), error::missing_field);
  EXPECT_EQ(parse_ws_ack(R"({"ack":3})", limits(), why)->value, 3u);
  EXPECT_EQ(parse_ws_ack(R"({"up_to":3})", limits(), why).error(), error::unknown_field);
}

TEST(JsonMappingTest, OutputUsesBase64OnlyForNonUtf8Bodies) {
  node::InboxMessage r;
  r.content.body = "plain";
  auto o = inbox_json(r);
  EXPECT_EQ(o.at("body").as_string(), "plain");
  EXPECT_FALSE(o.contains("body_base64"));
  EXPECT_FALSE(o.contains("performative"));  // empty optional fields are omitted
  r.content.body = std::string("\xff\x00", 2);
  o = inbox_json(r);
  EXPECT_EQ(o.at("body_base64").as_string(), "/wA=");
  EXPECT_FALSE(o.contains("body"));
}

TEST(ErrorTableTest, MapsEveryLayerToStatusCodeAndRetryable) {
  struct Row {
    error_code ec;
    int status;
    std::string_view code;
    bool retryable;
  };
  const Row rows[] = {
      {error::malformed_json, 400, "malformed_json", false},
      {error::unauthorized, 401, "unauthorized", false},
      {error::forbidden, 403, "forbidden", false},
      {node::error::unknown_agent, 404, "unknown_agent", false},
      {direct::error::unknown_recipient, 404, "unknown_recipient", false},
      {direct::error::idempotency_conflict, 409, "idempotency_conflict", false},
      {error::body_too_large, 413, "body_too_large", false},
      {direct::error::payload_too_large, 413, "payload_too_large", false},
      {error::unsupported_media_type, 415, "unsupported_media_type", false},
      {store::error::queue_full, 503, "queue_full", true},
      {store::error::beyond_last, 400, "ack_beyond_last", false},
      {core::error::invalid_name, 400, "invalid_name", false},
      {make_error_code(boost::system::errc::io_error), 500, "internal", false},
  };
  for (const auto& r : rows) {
    const auto info = lookup_error(r.ec);
    EXPECT_EQ(info.status, r.status) << r.code;
    EXPECT_EQ(info.code, r.code);
    EXPECT_EQ(info.retryable, r.retryable) << r.code;
  }
  EXPECT_EQ(error_body(store::error::queue_full, "busy"),
            R"({"error":"queue_full","message":"busy","retryable":true})");
}

}  // namespace
}  // namespace agentmesh::api
