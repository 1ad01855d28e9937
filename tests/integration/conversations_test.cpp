// Conversations across two daemons (issue 13), on 127.0.0.1: alice on A asks
// bob on B within a conversation; bob replies naming only the message he
// answers; both daemons keep the conversation for their agent with both
// messages in order; the CLI lists, shows and replies; bad input gets the
// right error and changes nothing; the figures reach diagnostics and metrics.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "testutil/testutil.hpp"

namespace agentmesh::testutil {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// The conversation as `who` sees it on `d`: its record and messages.
Reply conversation(const Daemon& d, const TestAgent& who, const std::string& id) {
  return request(d, who, "GET", "/v1/agents/" + who.id + "/conversations/" + id);
}

std::vector<std::string> bodies(const Reply& r) {
  std::vector<std::string> out;
  if (!r.body.is_object()) return out;
  for (const auto& m : r.body.at("messages").as_array()) {
    out.push_back(std::string(m.at("direction").as_string()) + ":" + std::string(m.at("body").as_string()));
  }
  return out;
}

TEST(ConversationsTest, AnExchangeAcrossDaemonsIsTrackedOnBothAndRepliesFillThemselvesIn) {
  TempDir dir;
  AliceAndBob mesh(dir.path());
  ASSERT_TRUE(mesh.ready()) << mesh.a.log();
  Daemon &a = mesh.a, &b = mesh.b;
  const TestAgent &alice = mesh.alice, &bob = mesh.bob;
  auto asked = request(a, alice, "POST", "/v1/agents/" + alice.id + "/messages",
                       json::object{{"to", bob.id},
                                    {"body", "what is the price?"},
                                    {"performative", "query-ref"},
                                    {"conversation_id", "deal-7"},
                                    {"reply_with", "q1"},
                                    {"protocol", "fipa-query"}});
  ASSERT_EQ(asked.status, 202) << asked.text("message");
  ASSERT_TRUE(eventually([&] { return conversation(b, bob, "deal-7").status == 200; }, 30s)) << b.log();

  // bob answers q1 without naming alice or the conversation.
  auto answered = request(b, bob, "POST", "/v1/agents/" + bob.id + "/messages",
                          json::object{{"in_reply_to", "q1"}, {"body", "ten"}, {"performative", "inform"}});
  ASSERT_EQ(answered.status, 202) << answered.text("message");
  EXPECT_EQ(answered.text("to"), alice.id);
  ASSERT_TRUE(eventually([&] { return bodies(conversation(a, alice, "deal-7")).size() == 2; }, 30s)) << a.log();

  auto at_a = conversation(a, alice, "deal-7");
  EXPECT_EQ(bodies(at_a), (std::vector<std::string>{"sent:what is the price?", "received:ten"}));
  const auto& rec = at_a.body.at("conversation");
  EXPECT_EQ(rec.at("message_count").to_number<int>(), 2);
  EXPECT_EQ(rec.at("state").as_string(), "active");
  EXPECT_EQ(rec.at("protocol").as_string(), "fipa-query");
  EXPECT_EQ(rec.at("participants").as_array().size(), 2u);
  EXPECT_EQ(at_a.body.at("messages").as_array()[1].at("in_reply_to").as_string(), "q1");
  EXPECT_EQ(bodies(conversation(b, bob, "deal-7")),
            (std::vector<std::string>{"received:what is the price?", "sent:ten"}));
  auto listed = request(a, alice, "GET", "/v1/agents/" + alice.id + "/conversations?state=active");
  ASSERT_EQ(listed.status, 200);
  ASSERT_EQ(listed.body.at("conversations").as_array().size(), 1u);
  EXPECT_EQ(request(a, alice, "GET", "/v1/agents/" + alice.id + "/conversations?state=expired")
                .body.at("conversations")
                .as_array()
                .size(),
            0u);

  // The CLI: list, show, and a reply that names the message by its request id.
  const auto api = "127.0.0.1:" + std::to_string(a.port());
  auto list = run_cli({"conversations", alice.id, "--api", api, "--token", alice.token});
  EXPECT_EQ(list.status, 0) << list.err;
  EXPECT_NE(list.out.find("deal-7  active  2 messages"), std::string::npos) << list.out;
  auto show = run_cli({"conversations", "show", alice.id, "deal-7", "--api", api, "--token", alice.token});
  EXPECT_EQ(show.status, 0) << show.err;
  EXPECT_NE(show.out.find("ten"), std::string::npos) << show.out;
  const auto bobs_answer = std::string(at_a.body.at("messages").as_array()[1].at("request_id").as_string());
  auto reply = run_cli({"reply", alice.id, bobs_answer, "agreed", "--api", api, "--token", alice.token});
  EXPECT_EQ(reply.status, 0) << reply.err;
  EXPECT_NE(reply.out.find("to=" + bob.id), std::string::npos) << reply.out;
  ASSERT_TRUE(eventually([&] { return bodies(conversation(b, bob, "deal-7")).size() == 3; }, 30s));

  // Bad input: the right error, and nothing changes.
  const auto before = json::serialize(conversation(a, alice, "deal-7").body);
  const std::string base = "/v1/agents/" + alice.id;
  struct Bad {
    std::string method, path;
    json::value body;
    int status;
    std::string code;
  };
  const std::vector<Bad> bad = {
      {"GET", base + "/conversations?state=closed", nullptr, 400, "invalid_field"},
      {"GET", base + "/conversations/unknown-one", nullptr, 404, "unknown_conversation"},
      {"GET", base + "/conversations/deal-7?after=x", nullptr, 400, "invalid_field"},
      {"POST", base + "/messages", json::object{{"in_reply_to", "nothing-like-it"}, {"body", "?"}}, 404,
       "unknown_reply_target"},
      {"POST", base + "/messages", json::object{{"body", "to whom?"}}, 400, "missing_field"},
  };
  for (const auto& c : bad) {
    auto r = request(a, alice, c.method, c.path, c.body);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.path << ": " << r.text("message");
    EXPECT_EQ(r.text("error"), c.code) << c.path;
  }
  // Another agent cannot read alice's conversations.
  EXPECT_EQ(request(a, bob, "GET", base + "/conversations").status, 401);
  EXPECT_EQ(json::serialize(conversation(a, alice, "deal-7").body), before);

  // Figures: diagnostics and /metrics.
  auto diag = get_json(a, "/v1/diagnostics/conversations");
  ASSERT_TRUE(diag.is_object());
  EXPECT_EQ(diag.at("active").to_number<int>(), 1);
  EXPECT_EQ(diag.at("created").to_number<int>(), 1);
  EXPECT_DOUBLE_EQ(diag.at("average_messages").to_number<double>(), 3.0);
  auto metrics = a.admin().request("GET", "/metrics");
  ASSERT_TRUE(metrics && metrics->status == 200);
  EXPECT_NE(metrics->body.find("agentmesh_conversations{state=\"active\"} 1"), std::string::npos);
  EXPECT_EQ(a.stop(), 0);
  EXPECT_EQ(b.stop(), 0);
}

}  // namespace
}  // namespace agentmesh::testutil
