// Every route of the local API and every error code it documents, against the
// real daemon binary.

#include <tuple>

#include "integration/fixture.hpp"

namespace agentmesh::testutil {
namespace {

using ApiTest = DaemonTest;

TEST_F(ApiTest, HealthIsPublicAndReportsComponents) {
  auto c = daemon_->client("");
  auto r = c.request("GET", "/v1/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  auto v = js(*r);
  EXPECT_EQ(v.at("status").as_string(), "ok");
  EXPECT_EQ(v.at("version").as_string(), AGENTMESH_VERSION);
  EXPECT_TRUE(v.at("components").at("store").at("ok").as_bool());
  EXPECT_TRUE(v.at("uptime_s").is_int64());
}

TEST_F(ApiTest, AgentLifecycle) {
  auto alice = create("alice", R"(,"capabilities":["translate","summarize","translate"],"display_name":"Alice")");
  EXPECT_EQ(alice.id.size(), 64u);
  EXPECT_EQ(alice.token.size(), 64u);

  auto list = js(req("GET", "/v1/agents"));
  ASSERT_EQ(list.at("agents").as_array().size(), 1u);
  const auto& a = list.at("agents").as_array()[0];
  EXPECT_EQ(a.at("name").as_string(), "alice");
  EXPECT_FALSE(a.as_object().contains("token"));          // shown once only
  EXPECT_EQ(a.at("capabilities").as_array().size(), 2u);  // sorted, deduplicated

  EXPECT_EQ(js(req("GET", "/v1/agents/" + alice.id)).at("name").as_string(), "alice");
  EXPECT_EQ(js(req("GET", "/v1/agents/alice")).at("agent_id").as_string(), alice.id);

  auto patched = req("PATCH", "/v1/agents/alice", R"({"capabilities":["search"],"state":"draining"})");
  EXPECT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(js(patched).at("state").as_string(), "draining");
  EXPECT_EQ(js(patched).at("capabilities").as_array()[0].as_string(), "search");

  auto dup = req("POST", "/v1/agents", R"({"name":"alice"})");
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(code(dup), "name_taken");

  auto del = req("DELETE", "/v1/agents/alice");
  EXPECT_EQ(del.status, 200);
  EXPECT_EQ(req("GET", "/v1/agents/alice").status, 404);
  // The deleted agent's token no longer works, and its key file is gone.
  EXPECT_EQ(req("GET", "/v1/agents/" + alice.id, "", alice.token).status, 401);
  EXPECT_FALSE(std::filesystem::exists(daemon_->data_dir() / "agents" / (alice.id + ".key")));
}

TEST_F(ApiTest, AnAgentsA2aProfileIsSetShownCheckedAndKeptAcrossRestarts) {
  create("tr", R"(,"capabilities":["translate"])");
  EXPECT_FALSE(js(req("GET", "/v1/agents/tr")).as_object().contains("a2a"));  // never set
  const std::string profile =
      R"({"a2a":{"enabled":true,"description":"Translates.","skills":[{"id":"translate","name":"Translate",)"
      R"("tags":["text"],"examples":["en->de: hello"]}]}})";
  auto patched = req("PATCH", "/v1/agents/tr", profile);
  ASSERT_EQ(patched.status, 200) << patched.body;
  const auto shown = js(patched).at("a2a");
  EXPECT_TRUE(shown.at("enabled").as_bool());
  EXPECT_EQ(shown.at("description").as_string(), "Translates.");
  EXPECT_EQ(shown.at("skills").at(0).at("examples").at(0).as_string(), "en->de: hello");
  EXPECT_EQ(shown.at("skills").at(0).at("description").as_string(), "");

  // Bad profiles: 400 with the field named, and the agent unchanged.
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"a2a":true})", "invalid_field"},
      {R"({"a2a":{"description":"x"}})", "missing_field"},
      {R"({"a2a":{"enabled":true,"colour":"red"}})", "unknown_field"},
      {R"({"a2a":{"enabled":true,"skills":{}}})", "invalid_field"},
      {R"({"a2a":{"enabled":true,"skills":[{"id":"a b","name":"n"}]}})", "invalid_field"},
      {R"({"a2a":{"enabled":true,"skills":[{"id":"a","name":"n"},{"id":"a","name":"m"}]}})", "invalid_field"},
      {R"({"a2a":{"enabled":true,"skills":[{"name":"n"}]}})", "missing_field"},
      {R"({"a2a":{"enabled":true,"description":")" + std::string(3000, 'd') + R"("}})", "invalid_field"},
  };
  for (const auto& [body, error] : bad) {
    auto r = req("PATCH", "/v1/agents/tr", body);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(code(r), error) << body << " -> " << r.body;
    EXPECT_EQ(js(req("GET", "/v1/agents/tr")).at("a2a"), shown) << body;
  }
  // Another field's PATCH keeps the profile; a new profile replaces it whole.
  ASSERT_EQ(req("PATCH", "/v1/agents/tr", R"({"display_name":"TR"})").status, 200);
  EXPECT_EQ(js(req("GET", "/v1/agents/tr")).at("a2a"), shown);
  ASSERT_EQ(daemon_->stop(), 0);
  daemon_->start();
  EXPECT_EQ(js(req("GET", "/v1/agents/tr")).at("a2a"), shown);
  auto off = req("PATCH", "/v1/agents/tr", R"({"a2a":{"enabled":false}})");
  ASSERT_EQ(off.status, 200) << off.body;
  EXPECT_FALSE(js(off).at("a2a").at("enabled").as_bool());
  EXPECT_TRUE(js(off).at("a2a").at("skills").as_array().empty());
}

TEST_F(ApiTest, A2aTokensAreAdminOnlyShownOnceAndRevocable) {
  auto tr = create("tr");
  create("other");
  const std::string base = "/v1/agents/tr/a2a/tokens";
  auto made = req("POST", base, R"({"label":"acme","expires_in_s":3600})");
  ASSERT_EQ(made.status, 201) << made.body;
  const auto t = js(made);
  EXPECT_EQ(t.at("token").as_string().size(), 68u);
  EXPECT_EQ(t.at("agent_id").as_string(), tr.id);
  EXPECT_EQ(t.at("label").as_string(), "acme");
  EXPECT_EQ(t.at("expires_ms").as_int64() - t.at("created_ms").as_int64(), 3'600'000);
  EXPECT_FALSE(t.at("expired").as_bool());
  auto never = req("POST", base, "");  // no body: no label, no expiry
  ASSERT_EQ(never.status, 201) << never.body;
  EXPECT_FALSE(js(never).as_object().contains("expires_ms"));

  auto list = js(req("GET", base)).at("tokens").as_array();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].at("token_id"), t.at("token_id"));
  for (const auto& item : list) EXPECT_FALSE(item.as_object().contains("token"));
  EXPECT_TRUE(js(req("GET", "/v1/agents/other/a2a/tokens")).at("tokens").as_array().empty());

  // Admin only; bad input changes nothing.
  EXPECT_EQ(req("GET", base, "", tr.token).status, 403);
  EXPECT_EQ(req("POST", base, "{}", tr.token).status, 403);
  const std::vector<std::tuple<std::string, std::string, std::string, int, std::string>> bad = {
      {"POST", base, R"({"label":5})", 400, "invalid_field"},
      {"POST", base, R"({"expires_in_s":0})", 400, "invalid_field"},
      {"POST", base, R"({"expires_in_s":-5})", 400, "invalid_field"},
      {"POST", base, R"({"scope":"all"})", 400, "unknown_field"},
      {"POST", base, "[", 400, "malformed_json"},
      {"POST", "/v1/agents/nobody/a2a/tokens", "{}", 404, "unknown_agent"},
      {"DELETE", base + "/zz", "", 400, "invalid_field"},
      {"DELETE", base + "/" + std::string(32, '0'), "", 404, "unknown_token"},
      // A token is revoked through its own agent only.
      {"DELETE", "/v1/agents/other/a2a/tokens/" + std::string(t.at("token_id").as_string()), "", 404, "unknown_token"},
  };
  for (const auto& [method, target, body, status, error] : bad) {
    auto r = req(method, target, body);
    EXPECT_EQ(r.status, status) << method << " " << target << " " << body << " -> " << r.body;
    EXPECT_EQ(code(r), error) << method << " " << target << " " << body;
  }
  EXPECT_EQ(js(req("GET", base)).at("tokens").as_array().size(), 2u);

  ASSERT_EQ(daemon_->stop(), 0);
  daemon_->start();  // kept across restarts
  EXPECT_EQ(js(req("GET", base)).at("tokens").as_array().size(), 2u);
  auto revoked = req("DELETE", base + "/" + std::string(t.at("token_id").as_string()));
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_TRUE(js(revoked).at("revoked").as_bool());
  EXPECT_EQ(js(req("GET", base)).at("tokens").as_array().size(), 1u);
  ASSERT_EQ(req("DELETE", "/v1/agents/tr").status, 200);  // the agent takes its tokens along
  create("tr");
  EXPECT_TRUE(js(req("GET", base)).at("tokens").as_array().empty());
}

TEST_F(ApiTest, AgentKeyFilesArePrivate) {
  auto alice = create("alice");
  const auto key = daemon_->data_dir() / "agents" / (alice.id + ".key");
  ASSERT_TRUE(std::filesystem::exists(key));
  EXPECT_EQ(std::filesystem::status(key).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_EQ(std::filesystem::status(daemon_->data_dir() / "api-token").permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST_F(ApiTest, SendReadAckByNameAndId) {
  auto alice = create("alice");
  auto bob = create("bob");
  auto r = send("alice", "bob", "hello");
  ASSERT_EQ(r.status, 202) << r.body;
  auto receipt = js(r);
  EXPECT_EQ(receipt.at("state").as_string(), "accepted");
  EXPECT_EQ(receipt.at("seq").as_int64(), 1);
  EXPECT_EQ(receipt.at("to").as_string(), bob.id);
  EXPECT_EQ(receipt.at("request_id").as_string().size(), 32u);
  EXPECT_EQ(send(alice.id, bob.id, "second", R"("performative":"request","conversation_id":"c1","metadata":{"k":"v"})")
                .status,
            202);

  auto inbox = js(req("GET", "/v1/agents/bob/inbox"));
  auto msgs = inbox.at("messages").as_array();
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].at("body").as_string(), "hello");
  EXPECT_EQ(msgs[0].at("from").as_string(), alice.id);
  EXPECT_EQ(msgs[1].at("performative").as_string(), "request");
  EXPECT_EQ(msgs[1].at("metadata").at("k").as_string(), "v");
  EXPECT_EQ(inbox.at("last_seq").as_int64(), 2);

  auto page = js(req("GET", "/v1/agents/bob/inbox?after=1&limit=1"));
  ASSERT_EQ(page.at("messages").as_array().size(), 1u);
  EXPECT_EQ(page.at("messages").as_array()[0].at("seq").as_int64(), 2);

  auto ack = req("POST", "/v1/agents/bob/inbox/ack", R"({"up_to":1})");
  EXPECT_EQ(ack.status, 200);
  EXPECT_EQ(js(ack).at("acked_seq").as_int64(), 1);
  EXPECT_EQ(js(req("GET", "/v1/agents/bob")).at("unacked").as_int64(), 1);

  auto beyond = req("POST", "/v1/agents/bob/inbox/ack", R"({"up_to":3})");
  EXPECT_EQ(beyond.status, 400);
  EXPECT_EQ(code(beyond), "ack_beyond_last");
  // An ack below the cursor is a no-op, not an error.
  EXPECT_EQ(js(req("POST", "/v1/agents/bob/inbox/ack", R"({"up_to":0})")).at("acked_seq").as_int64(), 1);
}

TEST_F(ApiTest, LoopbackToSelf) {
  create("solo");
  auto r = send("solo", "solo", "note to self");
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(js(r).at("path").as_string(), "loopback");
  EXPECT_EQ(js(req("GET", "/v1/agents/solo/inbox")).at("messages").as_array().size(), 1u);
}

// A recipient's block list: the blocked sender's messages are refused (403
// blocked) and nothing reaches the inbox; others still get through; the list
// survives a restart; only the agent itself (or the admin) manages it.
TEST_F(ApiTest, BlockedSendersAreRefused) {
  auto a = create("a");
  auto b = create("b");
  auto c = create("c");
  auto r = req("POST", "/v1/agents/b/blocks", R"({"sender":")" + a.id + "\"}", b.token);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(req("POST", "/v1/agents/b/blocks", R"({"sender":")" + a.id + "\"}").status, 409);
  EXPECT_EQ(code(req("POST", "/v1/agents/b/blocks", R"({"sender":"nope"})")), "invalid_field");
  EXPECT_EQ(req("POST", "/v1/agents/b/blocks", R"({"sender":")" + c.id + "\"}", a.token).status, 403);
  auto refused = send("a", "b", "let me in");
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(code(refused), "blocked");
  EXPECT_EQ(send("c", "b", "hello").status, 202);
  auto inbox = js(req("GET", "/v1/agents/b/inbox")).at("messages").as_array();
  ASSERT_EQ(inbox.size(), 1u);
  EXPECT_EQ(inbox[0].at("body").as_string(), "hello");
  auto listed = js(req("GET", "/v1/agents/b/blocks", "", b.token)).at("blocked").as_array();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].as_string(), a.id);
  // Kept across a restart.
  ASSERT_EQ(daemon_->stop(), 0);
  daemon_->start();
  EXPECT_EQ(code(send("a", "b", "again")), "blocked");
  // Unblocked: delivered.
  EXPECT_EQ(req("DELETE", "/v1/agents/b/blocks?sender=" + a.id).status, 200);
  EXPECT_EQ(req("DELETE", "/v1/agents/b/blocks?sender=" + a.id).status, 404);
  EXPECT_EQ(code(req("DELETE", "/v1/agents/b/blocks")), "missing_field");
  EXPECT_EQ(send("a", "b", "finally").status, 202);
}

TEST_F(ApiTest, BinaryBodiesRoundTripAsBase64) {
  create("a");
  auto r = req("POST", "/v1/agents/a/messages", R"({"to":"a","body_base64":"AAH/"})");
  ASSERT_EQ(r.status, 202) << r.body;
  auto m = js(req("GET", "/v1/agents/a/inbox")).at("messages").as_array()[0];
  EXPECT_EQ(m.at("body_base64").as_string(), "AAH/");
  EXPECT_EQ(m.at("content_type").as_string(), "application/octet-stream");
}

TEST_F(ApiTest, IdempotencyKeyReturnsTheOriginalResultOrConflicts) {
  create("a");
  create("b");
  auto first = send("a", "b", "once", R"("idempotency_key":"job-1")");
  ASSERT_EQ(first.status, 202);
  auto again = send("a", "b", "once", R"("idempotency_key":"job-1")");
  ASSERT_EQ(again.status, 202);
  EXPECT_EQ(js(again).at("request_id"), js(first).at("request_id"));
  EXPECT_EQ(js(again).at("seq"), js(first).at("seq"));
  EXPECT_TRUE(js(again).at("duplicate").as_bool());
  auto conflict = send("a", "b", "different", R"("idempotency_key":"job-1")");
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(code(conflict), "idempotency_conflict");
  EXPECT_FALSE(js(conflict).at("retryable").as_bool());
  EXPECT_EQ(js(req("GET", "/v1/agents/b/inbox")).at("messages").as_array().size(), 1u);
}

TEST_F(ApiTest, IdempotencyKeySurvivesRestart) {
  create("a");
  create("b");
  auto first = send("a", "b", "once", R"("idempotency_key":"k")");
  ASSERT_EQ(daemon_->stop(), 0);
  daemon_->start();
  auto again = send("a", "b", "once", R"("idempotency_key":"k")");
  EXPECT_EQ(again.status, 202);
  EXPECT_EQ(js(again).at("seq"), js(first).at("seq"));
  EXPECT_EQ(js(req("GET", "/v1/agents/b/inbox")).at("messages").as_array().size(), 1u);
}

TEST_F(ApiTest, RecipientStatesAndUnknownRecipients) {
  auto a = create("a");
  create("b");
  auto unknown = send("a", std::string(64, 'e'), "x");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(code(unknown), "unknown_recipient");
  EXPECT_EQ(code(send("a", "nobody", "x")), "unknown_recipient");

  ASSERT_EQ(req("PATCH", "/v1/agents/b", R"({"state":"draining"})").status, 200);
  auto draining = send("a", "b", "x");
  EXPECT_EQ(draining.status, 409);
  EXPECT_EQ(code(draining), "recipient_unavailable");
  EXPECT_TRUE(js(draining).at("retryable").as_bool());
  // A draining agent still reads and acks.
  EXPECT_EQ(req("GET", "/v1/agents/b/inbox").status, 200);

  ASSERT_EQ(req("PATCH", "/v1/agents/a", R"({"state":"stopped"})").status, 200);
  EXPECT_EQ(code(send("a", "a", "x")), "agent_stopped");
  EXPECT_EQ(code(send("nobody", "a", "x")), "unknown_agent");
  (void)a;
}

TEST_F(ApiTest, DeleteMovesUnackedMessagesToDeadLettersAndRetryDelivers) {
  create("a");
  create("b");
  for (int i = 1; i <= 3; ++i) ASSERT_EQ(send("a", "b", "m" + std::to_string(i)).status, 202);
  ASSERT_EQ(req("POST", "/v1/agents/b/inbox/ack", R"({"up_to":1})").status, 200);
  auto del = req("DELETE", "/v1/agents/b");
  ASSERT_EQ(del.status, 200);
  EXPECT_EQ(js(del).at("dead_lettered").as_int64(), 2);

  auto dl = js(req("GET", "/v1/deadletters")).at("dead_letters").as_array();
  ASSERT_EQ(dl.size(), 2u);
  EXPECT_EQ(dl[0].at("reason").as_string(), "agent_deleted");
  EXPECT_EQ(dl[0].at("body").as_string(), "m2");
  const auto id0 = dl[0].at("id").as_int64();
  const auto id1 = dl[1].at("id").as_int64();
  EXPECT_EQ(js(req("GET", "/v1/deadletters/" + std::to_string(id0))).at("body").as_string(), "m2");

  // The recipient is gone: retry reports it and keeps the dead letter.
  auto retry = req("POST", "/v1/deadletters/" + std::to_string(id0) + "/retry");
  EXPECT_EQ(retry.status, 404);
  EXPECT_EQ(code(retry), "unknown_recipient");
  EXPECT_EQ(js(req("GET", "/v1/deadletters")).at("dead_letters").as_array().size(), 2u);

  EXPECT_EQ(req("DELETE", "/v1/deadletters/" + std::to_string(id1)).status, 200);
  auto gone = req("DELETE", "/v1/deadletters/" + std::to_string(id1));
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(code(gone), "unknown_dead_letter");
  EXPECT_EQ(code(req("GET", "/v1/deadletters/abc")), "invalid_field");
}

TEST_F(ApiTest, ErrorsForBadRequests) {
  create("a");
  struct Case {
    std::string method, target, body, content_type;
    int status;
    std::string code;
  };
  const Case cases[] = {
      {"GET", "/v1/nothing", "", "application/json", 404, "not_found"},
      {"DELETE", "/v1/health", "", "application/json", 405, "method_not_allowed"},
      {"POST", "/v1/agents", R"({"name":"x"})", "text/plain", 415, "unsupported_media_type"},
      {"POST", "/v1/agents", R"({"name":"x")", "application/json", 400, "malformed_json"},
      {"POST", "/v1/agents", R"({"name":"../x"})", "application/json", 400, "invalid_name"},
      {"POST", "/v1/agents", R"({"name":"UPPER"})", "application/json", 400, "invalid_name"},
      {"POST", "/v1/agents", R"({"name":"x","capabilities":["Bad Cap"]})", "application/json", 400,
       "invalid_capability"},
      {"POST", "/v1/agents", R"({"name":"x","extra":true})", "application/json", 400, "unknown_field"},
      {"GET", "/v1/agents/a/inbox?limit=5000", "", "application/json", 400, "invalid_field"},
      {"GET", "/v1/agents/a/inbox?after=-1", "", "application/json", 400, "invalid_field"},
      {"GET", "/v1/agents/a/ws", "", "application/json", 400, "bad_request"},
      {"POST", "/v1/agents/a/messages", R"({"to":"a","body":"x","ttl_ms":600001})", "application/json", 400,
       "invalid_field"},
  };
  for (const auto& c : cases) {
    auto r = req(c.method, c.target, c.body, "", c.content_type);
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.target << " " << r.body;
    EXPECT_EQ(code(r), c.code) << c.method << " " << c.target;
    EXPECT_TRUE(js(r).at("message").is_string());
  }
}

TEST_F(ApiTest, OversizedBodyIs413AndPayloadLimitIs413) {
  create("a");
  // Over the HTTP body limit (2 MiB + 64 KiB by default).
  auto big = req("POST", "/v1/agents/a/messages", R"({"to":"a","body":")" + std::string(3 << 20, 'x') + "\"}");
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(code(big), "body_too_large");
  // Inside the body limit but over the 1 MiB payload limit.
  auto payload = send("a", "a", std::string((1 << 20) + 1, 'x'));
  EXPECT_EQ(payload.status, 413);
  EXPECT_EQ(code(payload), "payload_too_large");
  EXPECT_EQ(send("a", "a", std::string(1 << 20, 'x')).status, 202);  // exactly the limit is fine
}

TEST_F(ApiTest, HeaderLimitIs431) {
  auto c = daemon_->admin();
  auto r = c.request("GET", "/v1/health", {}, "application/json", {{"X-Filler", std::string(20000, 'h')}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(code(*r), "headers_too_large");
}

TEST_F(ApiTest, MetricsInPrometheusFormat) {
  create("a");
  ASSERT_EQ(send("a", "a", "x").status, 202);
  auto r = req("GET", "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.headers["content-type"].find("text/plain"), std::string::npos);
  // A not-found answered by a store transaction is a client error...
  ASSERT_EQ(req("DELETE", "/v1/deadletters/42").status, 404);
  r = req("GET", "/metrics");
  for (auto needle : {"agentmesh_store_failures_total 0",  // ...is not a store failure
                      "agentmesh_messages_accepted_total 1", "agentmesh_inbox_depth{agent=\"a\"} 1",
                      "agentmesh_http_requests_total{route=\"/v1/agents/{agent}/messages\",status=\"202\"} 1",
                      "agentmesh_store_commit_latency_seconds_count", "agentmesh_store_commit_batch_size_bucket",
                      "agentmesh_stream_clients 0"}) {
    EXPECT_NE(r.body.find(needle), std::string::npos) << needle;
  }
  // The commits wrote WAL frames (a header and a page each), gathered into
  // fewer system calls.
  const auto value = [&](const std::string& name) {
    const auto at = r.body.find("\n" + name + " ");
    return at == std::string::npos ? -1.0 : std::stod(r.body.substr(at + name.size() + 2));
  };
  const double calls = value("agentmesh_store_wal_write_calls_total");
  EXPECT_GT(calls, 0);
  EXPECT_GT(value("agentmesh_store_wal_writes_total"), calls);
}

}  // namespace
}  // namespace agentmesh::testutil
