// The A2A gateway against the pinned @a2a-js/sdk client (interop/a2a-client.mjs):
// a daemon with --a2a on 127.0.0.1, an agent published with an A2A profile,
// two callers' tokens, and the agent's worker driving the local API from the
// script, once through each binding (JSON-RPC, HTTP+JSON, and JSON-RPC with
// A2A 0.3's method names and shapes). Also the
// gateway's refusals over plain HTTP: no token, a token of another agent, an
// unpublished agent, malformed JSON-RPC and HTTP+JSON requests.

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "integration/fixture.hpp"
#include "interop/js_peer.hpp"
#include "interop/webhook_sink.hpp"

namespace agentmesh::testutil {
namespace {

class A2aGatewayTest : public DaemonTest {
 protected:
  void SetUp() override {
    start_gateway({});
    ASSERT_NE(a2a_port_, 0) << daemon_->log();
    worker_ = create("tr", R"(,"capabilities":["translate"])");
    auto profile = req("PATCH", "/v1/agents/tr", R"({"a2a":{"enabled":true,"description":"Echoes and translates."}})");
    ASSERT_EQ(profile.status, 200) << profile.body;
    token_ = mint("tr");
  }
  // (Re)starts the daemon with the gateway on a free port, and `extra` arguments.
  void start_gateway(std::vector<std::string> extra) {
    extra.insert(extra.begin(), {"--a2a", "127.0.0.1:0"});
    daemon_ = std::make_unique<Daemon>(dir_.path() / "data", std::move(extra));
    daemon_->start();
    std::ifstream port_file(daemon_->data_dir() / "a2a.port");
    std::string line;
    std::getline(port_file, line);
    a2a_port_ = line.empty() ? 0 : static_cast<std::uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
  }
  std::string mint(const std::string& agent) {
    auto r = req("POST", "/v1/agents/" + agent + "/a2a/tokens", R"({"label":"test"})");
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(js(r).at("token").as_string());
  }
  // A request to the gateway.
  cli::HttpResponse gateway(const std::string& method, const std::string& target, const std::string& body,
                            const std::string& token) {
    cli::HttpClient c("127.0.0.1", a2a_port_, token, false);
    auto r = c.request(method, target, body, "application/json", {{"A2A-Version", "1.0"}});
    EXPECT_TRUE(r) << method << " " << target;
    return r ? *r : cli::HttpResponse{};
  }
  void run_sdk_client(const std::string& binding, bool tls = false);
  // A task sent with a push config (id c1) to `url`, then accepted and
  // completed with the artifact "out" by the worker; its id.
  std::string pushed_task(const std::string& url) {
    auto sent = gateway("POST", "/agents/tr/a2a/jsonrpc",
                        R"({"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"message":{"messageId":"p1",)"
                        R"("role":"ROLE_USER","parts":[{"text":"hi"}]},"configuration":{"returnImmediately":true,)"
                        R"("taskPushNotificationConfig":{"id":"c1","url":")" +
                            url + R"(","token":"t"}}}})",
                        token_);
    const auto id = std::string(js(sent).at("result").at("task").at("id").as_string());
    const auto task = "/v1/agents/tr/tasks/" + id;
    EXPECT_EQ(req("POST", task + "/accept", "{}", worker_.token).status, 200);
    EXPECT_EQ(req("POST", task + "/complete",
                  R"({"artifacts":[{"name":"out","index":0,"last":true,"parts":[{"kind":"text","text":"done"}]}]})",
                  worker_.token)
                  .status,
              200);
    return id;
  }
  // The states and artifact ids of the StreamResponse bodies a webhook got.
  static std::vector<std::string> steps_of(const std::vector<std::string>& bodies) {
    std::vector<std::string> seen;
    for (const auto& b : bodies) {
      auto v = boost::json::parse(b).as_object();
      if (v.contains("statusUpdate")) seen.emplace_back(v.at("statusUpdate").at("status").at("state").as_string());
      if (v.contains("artifactUpdate")) {
        seen.emplace_back(v.at("artifactUpdate").at("artifact").at("artifactId").as_string());
      }
    }
    return seen;
  }
  static bool completed(WebhookSink& sink) {
    auto b = sink.bodies();
    return !b.empty() && b.back().find("TASK_STATE_COMPLETED") != std::string::npos;
  }
  static std::int64_t rpc_code(const cli::HttpResponse& r) {
    auto v = js(r);
    if (!v.is_object() || !v.as_object().contains("error")) return 0;
    return v.at("error").at("code").as_int64();
  }

  std::uint16_t a2a_port_ = 0;
  AgentInfo worker_;
  std::string token_;
};

// The SDK client's whole script through one binding; every call it made
// went through that binding (the gateway counts HTTP+JSON and 0.3 calls apart).
void A2aGatewayTest::run_sdk_client(const std::string& binding, bool tls) {
  const auto other = mint("tr");
  std::vector<std::pair<std::string, std::string>> env = {
      {"A2A_URL", (tls ? "https" : "http") + std::string("://127.0.0.1:") + std::to_string(a2a_port_)},
      {"A2A_AGENT", "tr"},
      {"A2A_TOKEN", token_},
      {"A2A_OTHER_TOKEN", other},
      {"API_URL", "http://127.0.0.1:" + std::to_string(daemon_->port())},
      {"WORKER_TOKEN", worker_.token},
      {"A2A_TRANSPORT", binding}};
  if (tls) env.emplace_back("NODE_EXTRA_CA_CERTS", test_cert());  // node trusts the test certificate
  auto r = run_node_script("a2a-client.mjs", env);
  EXPECT_EQ(r.status, 0) << r.out << r.err << daemon_->log();
  std::size_t checks = 0;
  for (auto at = r.out.find("ok "); at != std::string::npos; at = r.out.find("\nok ", at + 1)) ++checks;
  EXPECT_EQ(checks, binding == "JSONRPC-0.3" ? 39u : 40u) << r.out;  // every check in the script ran
  for (const char* check :
       {"ok card lists JSON-RPC and HTTP+JSON", "ok blocking SendMessage returns completed",
        "ok artifact chunks in order", "ok ListTasks next page", "ok a repeated messageId returns the same task",
        "ok the answer completes the task", "ok CancelTask during work", "ok SubscribeToTask follows it to canceled",
        "ok another caller's ListTasks is empty", "ok a wrong token is refused",
        "ok notifications arrive in order, completed last", "ok a refused notification is sent again",
        "ok DeleteTaskPushNotificationConfig, twice", "ok a link-local webhook is refused"}) {
    EXPECT_NE(r.out.find(check), std::string::npos) << check << "\n" << r.out << r.err;
  }
  auto d = js(req("GET", "/v1/diagnostics/a2a"));
  const auto calls = d.at("calls").as_int64(), rest = d.at("rest_calls").as_int64();
  const auto v03 = d.at("v03_calls").as_int64();
  EXPECT_GE(calls, 20) << d;
  EXPECT_EQ(rest, binding == "HTTP+JSON" ? calls : 0) << d;
  const auto& push = d.at("push");
  EXPECT_GE(push.at("failures").as_int64(), 1) << d;   // the webhook's first answer, 503
  EXPECT_GE(push.at("delivered").as_int64(), 2) << d;  // 0.3: the task after the retry, after the cancel
  EXPECT_EQ(push.at("webhooks_refused").as_int64(), 1) << d;
  EXPECT_EQ(push.at("configs_created").as_int64(), 2) << d;
  if (binding == "JSONRPC-0.3") {
    EXPECT_GE(v03, calls - 4) << d;  // all but the 1.0 ListTasks calls
  } else {
    EXPECT_EQ(v03, 0) << d;
  }
}

TEST_F(A2aGatewayTest, TheJsSdkClientRunsTasksOnAMeshAgent) { run_sdk_client("JSONRPC"); }

TEST_F(A2aGatewayTest, TheJsSdkRestClientRunsTasksOnAMeshAgent) { run_sdk_client("HTTP+JSON"); }

TEST_F(A2aGatewayTest, TheJsSdkV03ClientRunsTasksOnAMeshAgent) { run_sdk_client("JSONRPC-0.3"); }

// With --a2a-tls-cert and --a2a-tls-key the listener speaks only TLS: the
// SDK client's whole script runs over https (the cards give https:// URLs);
// a plain HTTP request is closed and counted; a key that does not load
// stops the daemon at start.
// Across the mesh: an agent on daemon B publishes itself; A's gateway serves
// its card (from B's advert, named by its id) and runs the SDK client's whole
// script on it, the tasks going over the mesh to B, where the worker (the
// script) works them through B's API.
TEST_F(A2aGatewayTest, TheJsSdkClientReachesAnAgentOnAnotherDaemon) {
  Daemon b(dir_.path() / "b", {"--bootstrap", p2p_addr(*daemon_)});
  b.start();
  auto admin_b = [&](const std::string& method, const std::string& target, const std::string& body) {
    auto r = b.admin().request(method, target, body, "application/json");
    EXPECT_TRUE(r) << method << " " << target;
    return r ? *r : cli::HttpResponse{};
  };
  auto far = admin_b("POST", "/v1/agents", R"({"name":"far","capabilities":["translate"]})");
  ASSERT_EQ(far.status, 201) << far.body;
  const std::string id(js(far).at("agent_id").as_string());
  const std::string far_token(js(far).at("token").as_string());
  ASSERT_EQ(admin_b("PATCH", "/v1/agents/far", R"({"a2a":{"enabled":true,"description":"Far away."}})").status, 200);
  // A learns the profile from B's advert.
  auto published = [&] {
    auto v = js(req("GET", "/v1/directory/" + id));
    return v.is_object() && v.as_object().contains("a2a") && v.at("online").as_bool();
  };
  ASSERT_TRUE(eventually(published, std::chrono::seconds(30))) << req("GET", "/v1/directory/" + id).body;
  auto card = gateway("GET", "/agents/" + id + "/.well-known/agent-card.json", "", "");
  ASSERT_EQ(card.status, 200) << card.body;
  EXPECT_EQ(js(card).at("description"), "Far away.");
  const std::string b_peer(js(b.admin().request("GET", "/v1/node", "", "").value()).at("peer_id").as_string());
  EXPECT_NE(card.body.find(b_peer), std::string::npos) << card.body;  // the hosting daemon, in the mesh extension
  EXPECT_EQ(js(gateway("GET", "/.well-known/agent-card.json", "", "")).at("agents").as_array().size(), 2u);
  // Tokens for it are minted on A, where its callers come.
  auto mint_far = [&] {
    auto r = req("POST", "/v1/agents/" + id + "/a2a/tokens", R"({"label":"far caller"})");
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(js(r).at("token").as_string());
  };
  const auto token = mint_far(), other = mint_far();
  EXPECT_EQ(req("POST", "/v1/agents/" + std::string(64, 'a') + "/a2a/tokens", "{}").status, 404);
  auto r = run_node_script("a2a-client.mjs", {{"A2A_URL", "http://127.0.0.1:" + std::to_string(a2a_port_)},
                                              {"A2A_AGENT", id},
                                              {"A2A_TOKEN", token},
                                              {"A2A_OTHER_TOKEN", other},
                                              {"API_URL", "http://127.0.0.1:" + std::to_string(b.port())},
                                              {"WORKER_TOKEN", far_token},
                                              {"A2A_TRANSPORT", "JSONRPC"}});
  EXPECT_EQ(r.status, 0) << r.out << r.err << daemon_->log() << b.log();
  std::size_t checks = 0;
  for (auto at = r.out.find("ok "); at != std::string::npos; at = r.out.find("\nok ", at + 1)) ++checks;
  EXPECT_EQ(checks, 40u) << r.out;  // every check in the script ran
  // The tasks were B's agent's, worked on B.
  auto worked = b.admin().request("GET", "/v1/agents/far/tasks?role=assignee", "", "").value();
  EXPECT_GE(js(worked).at("tasks").as_array().size(), 5u) << worked.body;
}

TEST_F(A2aGatewayTest, TheGatewayServesTls) {
  ASSERT_EQ(daemon_->stop(), 0);
  const auto key = std::string(AGENTMESH_TEST_DATA_DIR "/test-key.pem");
  start_gateway({"--a2a-tls-cert", test_cert(), "--a2a-tls-key", key});
  ASSERT_NE(a2a_port_, 0) << daemon_->log();
  run_sdk_client("JSONRPC", true);
  cli::HttpClient plain("127.0.0.1", a2a_port_, token_, false);
  auto r = plain.request("GET", "/.well-known/agent-card.json");
  EXPECT_TRUE(!r || r->status == 0) << r->body;
  ASSERT_TRUE(eventually(
      [&] { return js(req("GET", "/v1/diagnostics/a2a")).at("refused").at("tls_handshake").as_int64() >= 1; }));
  ASSERT_EQ(daemon_->stop(), 0);
  auto bad = run_cli({"daemon", "--data-dir", (dir_.path() / "data").string(), "--api", "127.0.0.1:0", "--a2a",
                      "127.0.0.1:0", "--a2a-tls-cert", test_cert(), "--a2a-tls-key", test_cert()});
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("private key"), std::string::npos) << bad.err;
  auto half = run_cli(
      {"daemon", "--data-dir", (dir_.path() / "data").string(), "--a2a", "127.0.0.1:0", "--a2a-tls-cert", test_cert()});
  EXPECT_EQ(half.status, 2);
  EXPECT_NE(half.err.find("--a2a-tls-key"), std::string::npos) << half.err;
}

TEST_F(A2aGatewayTest, RefusalsAreJsonRpcErrorsAndChangeNothing) {
  create("shy");  // never published
  const auto shys = mint("shy");
  const std::string rpc = "/agents/tr/a2a/jsonrpc";
  const std::string get =
      R"({"jsonrpc":"2.0","id":1,"method":"GetTask","params":{"id":")" + std::string(32, '0') + R"("}})";
  auto r = gateway("POST", rpc, get, "");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.headers["www-authenticate"].rfind("Bearer", 0), 0u);
  EXPECT_EQ(gateway("POST", rpc, get, shys).status, 401);  // a token of another agent
  EXPECT_EQ(gateway("POST", "/agents/shy/a2a/jsonrpc", get, shys).status, 404);
  EXPECT_EQ(gateway("GET", "/agents/shy/.well-known/agent-card.json", "", "").status, 404);
  auto card = gateway("GET", "/.well-known/agent-card.json", "", "");  // the one published agent
  ASSERT_EQ(card.status, 200) << card.body;
  EXPECT_EQ(js(card).at("name").as_string(), "tr");
  const std::vector<std::pair<std::string, std::int64_t>> bad = {
      {"{", -32700},
      {"[]", -32600},
      {R"({"jsonrpc":"2.0","id":2,"method":"Nope"})", -32601},
      {R"({"jsonrpc":"2.0","id":3,"method":"SendMessage","params":{}})", -32602},
      {R"({"jsonrpc":"2.0","id":4,"method":"SendMessage","params":{"message":{"messageId":"m","parts":[{"raw":"aGk="}]}}})",
       -32005},
      {R"({"jsonrpc":"2.0","id":5,"method":"SendStreamingMessage","params":{}})", -32602},
      {R"({"jsonrpc":"2.0","id":7,"method":"SubscribeToTask","params":{"id":")" + std::string(32, 'a') + R"("}})",
       -32001},
      {R"([{"jsonrpc":"2.0","id":8,"method":"SubscribeToTask","params":{}}])", 0},  // a batch: checked below
      {R"({"jsonrpc":"2.0","id":6,"method":"CreateTaskPushNotificationConfig","params":{}})", -32001},
      {get, -32001},
  };
  for (const auto& [body, code] : bad) {
    auto a = gateway("POST", rpc, body, token_);
    EXPECT_EQ(a.status, 200) << body;
    if (code != 0) {
      EXPECT_EQ(rpc_code(a), code) << body << " -> " << a.body;
    } else {  // a streaming method in a batch
      EXPECT_EQ(js(a).at(0).at("error").at("code").as_int64(), -32600) << a.body;
    }
  }
  cli::HttpClient v9("127.0.0.1", a2a_port_, token_, false);
  auto version = v9.request("POST", rpc, get, "application/json", {{"A2A-Version", "9.9"}});
  ASSERT_TRUE(version);
  EXPECT_EQ(rpc_code(*version), -32009);
  // Nothing above made a task.
  EXPECT_TRUE(js(req("GET", "/v1/agents/tr/tasks?role=assignee")).at("tasks").as_array().empty());
  // Each refusal is counted.
  auto d = js(req("GET", "/v1/diagnostics/a2a"));
  EXPECT_TRUE(d.at("enabled").as_bool());
  EXPECT_EQ(d.at("refused").at("unauthenticated").as_int64(), 2) << d;
  EXPECT_GE(d.at("errors").as_int64(), 9) << d;
  EXPECT_GE(d.at("cards_served").as_int64(), 1) << d;
  EXPECT_NE(req("GET", "/metrics").body.find("agentmesh_a2a_refused_total{reason=\"unauthenticated\"} 2\n"),
            std::string::npos);
}

TEST_F(A2aGatewayTest, RestRefusalsAreStatusErrorsAndChangeNothing) {
  create("shy");  // never published
  const auto shys = mint("shy");
  const std::string base = "/agents/tr/a2a";
  const std::string none = base + "/tasks/" + std::string(32, '0');
  auto status_of = [](const cli::HttpResponse& r) { return std::string(js(r).at("error").at("status").as_string()); };
  auto r = gateway("GET", none, "", "");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(status_of(r), "UNAUTHENTICATED") << r.body;
  EXPECT_EQ(r.headers["www-authenticate"].rfind("Bearer", 0), 0u);
  EXPECT_EQ(gateway("GET", none, "", shys).status, 401);  // a token of another agent
  EXPECT_EQ(gateway("GET", "/agents/shy/a2a/tasks", "", shys).status, 404);
  struct Case {
    std::string method, target, body;
    int status;
    std::string reason;  // the ErrorInfo's, "" for none
  };
  const std::vector<Case> cases = {
      {"GET", none, "", 404, "TASK_NOT_FOUND"},
      {"POST", none + ":cancel", "", 404, "TASK_NOT_FOUND"},
      {"POST", none + ":subscribe", "", 404, "TASK_NOT_FOUND"},
      {"POST", base + "/message:send", "{", 400, ""},
      {"POST", base + "/message:send", "[]", 400, ""},
      {"POST", base + "/message:send", "{}", 400, "INVALID_PARAMS"},
      {"POST", base + "/message:send", R"({"message":{"messageId":"m","parts":[{"raw":"aGk="}]}})", 400,
       "CONTENT_TYPE_NOT_SUPPORTED"},
      {"POST", base + "/message:stream", "{}", 400, "INVALID_PARAMS"},
      {"GET", base + "/tasks?pageSize=0", "", 400, "INVALID_PARAMS"},
      {"GET", base + "/tasks?pageSize=1&pageSize=2", "", 400, "INVALID_PARAMS"},
      {"GET", base + "/tasks?status=TASK_STATE_RUNNING", "", 400, "INVALID_PARAMS"},
      {"DELETE", base + "/tasks", "", 405, ""},
      {"GET", base + "/message:send", "", 405, ""},
      {"POST", none + "/pushNotificationConfigs", R"({"url":"http://127.0.0.1:9/hook"})", 404, "TASK_NOT_FOUND"},
      {"GET", base + "/extendedAgentCard", "", 400, "EXTENDED_AGENT_CARD_NOT_CONFIGURED"},
      {"GET", base + "/nope", "", 404, ""},
  };
  for (const auto& c : cases) {
    auto a = gateway(c.method, c.target, c.body, token_);
    EXPECT_EQ(a.status, c.status) << c.method << " " << c.target << " -> " << a.body;
    auto e = js(a).at("error").as_object();
    EXPECT_EQ(e.at("code").as_int64(), c.status) << a.body;
    const auto* details = e.if_contains("details");
    EXPECT_EQ(details ? std::string(details->at(0).at("reason").as_string()) : std::string(), c.reason)
        << c.method << " " << c.target << " -> " << a.body;
  }
  cli::HttpClient v9("127.0.0.1", a2a_port_, token_, false);
  auto version = v9.request("GET", base + "/tasks", "", "application/json", {{"A2A-Version", "9.9"}});
  ASSERT_TRUE(version);
  EXPECT_EQ(version->status, 400);
  EXPECT_EQ(js(*version).at("error").at("details").at(0).at("reason").as_string(), "VERSION_NOT_SUPPORTED");
  auto text = v9.request("POST", base + "/message:send", "hello", "text/plain", {});
  ASSERT_TRUE(text);
  EXPECT_EQ(text->status, 415) << text->body;
  // Nothing above made a task; each refusal is counted.
  EXPECT_TRUE(js(req("GET", "/v1/agents/tr/tasks?role=assignee")).at("tasks").as_array().empty());
  auto d = js(req("GET", "/v1/diagnostics/a2a"));
  EXPECT_EQ(d.at("refused").at("unauthenticated").as_int64(), 2) << d;
  EXPECT_GE(d.at("errors").as_int64(), static_cast<std::int64_t>(cases.size()) + 2) << d;
  EXPECT_GE(d.at("rest_calls").as_int64(), 10) << d;
}

TEST_F(A2aGatewayTest, TheGatewayAgentIsMadeAgainWhenDeleted) {
  auto send = [&](const std::string& id) {
    return gateway("POST", "/agents/tr/a2a/jsonrpc",
                   R"({"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"message":{"messageId":")" + id +
                       R"(","parts":[{"text":"x"}]},"configuration":{"returnImmediately":true}}})",
                   token_);
  };
  auto first = send("m1");
  ASSERT_TRUE(js(first).as_object().contains("result")) << first.body;
  ASSERT_EQ(req("DELETE", "/v1/agents/a2a-gateway").status, 200);
  auto again = send("m2");
  ASSERT_TRUE(js(again).as_object().contains("result")) << again.body;
  EXPECT_EQ(js(again).at("result").at("task").at("status").at("state").as_string(), "TASK_STATE_SUBMITTED");
  EXPECT_EQ(req("GET", "/v1/agents/a2a-gateway").status, 200);
}

TEST_F(A2aGatewayTest, PerAddressConnectionAndRateLimits) {
  const auto cfg = dir_.path() / "a2a.toml";
  // One request per 1000 s after a burst of 3: no refill during the test.
  std::ofstream(cfg) << "[a2a]\nmax_connections_per_address = 2\nrequests_per_second_per_address = 0.001\n"
                        "request_burst_per_address = 3\n";
  ASSERT_EQ(daemon_->stop(), 0);
  start_gateway({"--config", cfg.string()});
  ASSERT_NE(a2a_port_, 0) << daemon_->log();
  // Two connections held open: a third is answered 503 and closed.
  cli::HttpClient first("127.0.0.1", a2a_port_, "", true), second("127.0.0.1", a2a_port_, "", true);
  ASSERT_EQ(first.request("GET", "/.well-known/agent-card.json")->status, 200);
  ASSERT_EQ(second.request("GET", "/.well-known/agent-card.json")->status, 200);
  auto third = gateway("GET", "/.well-known/agent-card.json", "", "");
  EXPECT_EQ(third.status, 503) << third.body;
  // The burst of 3 is spent (2 above, 1 refused is not counted): the next
  // request passes, the one after is 429, on a connection that stays open.
  ASSERT_EQ(first.request("GET", "/.well-known/agent-card.json")->status, 200);
  auto limited = first.request("GET", "/.well-known/agent-card.json");
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->status, 429) << limited->body;
  EXPECT_EQ(js(*limited).at("error").at("code").as_int64(), -32603) << limited->body;  // JSON-RPC shape
  // On an HTTP+JSON path the refusal is google.rpc.Status JSON.
  auto rest = first.request("GET", "/agents/tr/a2a/tasks");
  ASSERT_TRUE(rest);
  EXPECT_EQ(rest->status, 429) << rest->body;
  EXPECT_EQ(js(*rest).at("error").at("status").as_string(), "RESOURCE_EXHAUSTED") << rest->body;
  EXPECT_EQ(js(*rest).at("error").at("code").as_int64(), 429) << rest->body;
  auto d = js(req("GET", "/v1/diagnostics/a2a"));
  EXPECT_EQ(d.at("refused").at("connections_per_address").as_int64(), 1) << d;
  EXPECT_EQ(d.at("refused").at("rate").as_int64(), 2) << d;
}

// A webhook that is down while the task runs gets every step once it is up,
// after a restart of the daemon: the config and its cursor are durable.
TEST_F(A2aGatewayTest, PushNotificationsSurviveARestart) {
  WebhookSink sink;
  const auto id = pushed_task(sink.url());
  ASSERT_TRUE(
      eventually([&] { return js(req("GET", "/v1/diagnostics/a2a")).at("push").at("failures").as_int64() >= 1; }));
  ASSERT_EQ(daemon_->stop(), 0);
  sink.listen();
  start_gateway({});
  ASSERT_TRUE(eventually([&] { return completed(sink); })) << daemon_->log();
  EXPECT_EQ(steps_of(sink.bodies()),
            (std::vector<std::string>{"TASK_STATE_SUBMITTED", "TASK_STATE_WORKING", "out", "TASK_STATE_COMPLETED"}));
  auto got = gateway("POST", "/agents/tr/a2a/jsonrpc",
                     R"({"jsonrpc":"2.0","id":2,"method":"GetTaskPushNotificationConfig","params":{"taskId":")" + id +
                         R"(","id":"c1"}})",
                     token_);
  EXPECT_EQ(js(got).at("result").at("url").as_string(), sink.url()) << got.body;
}

// An https:// webhook's certificate is verified: a self-signed one fails
// until [a2a] webhook_ca_file trusts it, then the steps arrive.
TEST_F(A2aGatewayTest, HttpsWebhooksAreVerified) {
  WebhookSink sink(true);
  sink.listen();
  pushed_task(sink.url());
  ASSERT_TRUE(eventually([&] { return sink.failed_handshakes() >= 1; })) << daemon_->log();
  EXPECT_TRUE(sink.bodies().empty());
  const auto cfg = dir_.path() / "a2a.toml";
  std::ofstream(cfg) << "[a2a]\nwebhook_ca_file = \"" << test_cert() << "\"\n";
  ASSERT_EQ(daemon_->stop(), 0);
  start_gateway({"--config", cfg.string()});
  ASSERT_TRUE(eventually([&] { return completed(sink); })) << daemon_->log();
  EXPECT_EQ(steps_of(sink.bodies()),
            (std::vector<std::string>{"TASK_STATE_SUBMITTED", "TASK_STATE_WORKING", "out", "TASK_STATE_COMPLETED"}));
}

// Webhooks on private, link-local or metadata addresses are refused unless
// [a2a] webhook_allow allows them; a refused SendMessage makes no task.
TEST_F(A2aGatewayTest, WebhooksOnForbiddenAddressesAreRefused) {
  const std::string rpc = "/agents/tr/a2a/jsonrpc";
  auto send_with_hook = [&](const std::string& url) {
    return gateway("POST", rpc,
                   R"({"jsonrpc":"2.0","id":1,"method":"SendMessage","params":{"message":{"messageId":")" + url +
                       R"(","role":"ROLE_USER","parts":[{"text":"hi"}]},"configuration":{"returnImmediately":true,)"
                       R"("taskPushNotificationConfig":{"url":")" +
                       url + R"("}}}})",
                   token_);
  };
  for (const char* url : {"http://169.254.169.254/latest/meta-data", "http://10.1.2.3/hook", "http://[fe80::1]/h",
                          "http://0.0.0.0:80/", "http://192.168.1.1/", "ftp://127.0.0.1/"}) {
    auto r = send_with_hook(url);
    EXPECT_EQ(rpc_code(r), -32602) << url << " -> " << r.body;
  }
  EXPECT_TRUE(js(req("GET", "/v1/agents/tr/tasks?role=assignee")).at("tasks").as_array().empty());
  EXPECT_EQ(js(req("GET", "/v1/diagnostics/a2a")).at("push").at("webhooks_refused").as_int64(), 5);
  // Allowed by the config, 10.1.2.3 is accepted (and its deliveries fail, as nothing is there).
  const auto cfg = dir_.path() / "a2a.toml";
  std::ofstream(cfg) << "[a2a]\nwebhook_allow = [\"10.1.0.0/16\"]\nwebhook_timeout_s = 1\n";
  ASSERT_EQ(daemon_->stop(), 0);
  start_gateway({"--config", cfg.string()});
  auto allowed = send_with_hook("http://10.1.2.3/hook");
  EXPECT_EQ(rpc_code(allowed), 0) << allowed.body;
  EXPECT_EQ(rpc_code(send_with_hook("http://10.2.0.1/hook")), -32602);
  std::ofstream(cfg) << "[a2a]\nwebhook_allow = [\"10.1.0.0/99\"]\n";
  ASSERT_EQ(daemon_->stop(), 0);
  auto bad = run_cli({"daemon", "--data-dir", (dir_.path() / "data").string(), "--api", "127.0.0.1:0", "--a2a",
                      "127.0.0.1:0", "--config", cfg.string()});
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("webhook_allow"), std::string::npos) << bad.err;
}

// The outbound client (api/a2a_outbound.hpp) against agents built with the
// SDK's own server, in a separate node process (interop/a2a-outbound.mjs):
// streaming and polled tasks, JSON-RPC and HTTP+JSON, cancel,
// input-required, a credential, an unknown outcome, a forbidden address.
TEST_F(DaemonTest, TheOutboundClientRunsTasksOnJsSdkAgents) {
  auto requester = create("planner");
  auto r = run_node_script("a2a-outbound.mjs", {{"API_URL", "http://127.0.0.1:" + std::to_string(daemon_->port())},
                                                {"ADMIN_TOKEN", daemon_->admin_token()},
                                                {"AGENT", "planner"},
                                                {"AGENT_TOKEN", requester.token}});
  EXPECT_EQ(r.status, 0) << r.out << r.err << daemon_->log();
  std::size_t checks = 0;
  for (auto at = r.out.find("ok "); at != std::string::npos; at = r.out.find("\nok ", at + 1)) ++checks;
  EXPECT_EQ(checks, 20u) << r.out;  // every check in the script ran
  // Runners end just after their task's last step.
  auto outbound = [&] { return js(req("GET", "/v1/diagnostics/a2a")).at("outbound"); };
  EXPECT_TRUE(eventually([&] { return outbound().at("running").as_int64() == 0; })) << outbound();
  auto d = outbound();
  EXPECT_EQ(d.at("tasks").as_int64(), 10) << d;
  EXPECT_EQ(d.at("completed").as_int64(), 6) << d;
  EXPECT_EQ(d.at("failed").as_int64(), 2) << d;  // the 401 and the link-local card
  EXPECT_EQ(d.at("outcome_unknown").as_int64(), 1) << d;
  EXPECT_EQ(d.at("cancels_forwarded").as_int64(), 2) << d;
  EXPECT_EQ(d.at("credentials").as_int64(), 0) << d;   // removed by the script
  EXPECT_EQ(d.at("card_fetches").as_int64(), 4) << d;  // three cards (max-age), and the refused one
  EXPECT_EQ(d.at("card_hits").as_int64(), 6) << d;
}

// A restart between the call and the result: the runner resumes the remote
// task it recorded (GetTask) and never sends the message again. Then the
// a2a-client agent is deleted: the next task makes it again. The A2A
// agent is scripted (WebhookSink): it polls, so the test decides when the
// remote task completes.
TEST_F(DaemonTest, AnOutboundTaskResumesAfterARestart) {
  std::atomic<bool> done{false};
  std::atomic<int> sends{0};
  std::string base;
  WebhookSink agent(
      false, [&](const std::string& line, const std::string& body) -> std::pair<std::string, std::string> {
        if (line.starts_with("GET")) {
          return {"application/json", R"({"name":"scripted","capabilities":{"streaming":false},"supportedInterfaces":[)"
                                      R"({"url":")" +
                                          base + R"(/rpc","protocolBinding":"JSONRPC","protocolVersion":"1.0"}]})"};
        }
        auto rpc = boost::json::parse(body).as_object();
        const auto id = boost::json::serialize(rpc.at("id"));
        if (rpc.at("method") == "SendMessage") {
          ++sends;
          return {"application/json",
                  R"({"jsonrpc":"2.0","id":)" + id +
                      R"(,"result":{"task":{"id":"r1","contextId":"c1","status":{"state":"TASK_STATE_WORKING"}}}})"};
        }
        const std::string state = done ? "TASK_STATE_COMPLETED" : "TASK_STATE_WORKING";
        const std::string artifacts =
            done ? R"(,"artifacts":[{"artifactId":"out","parts":[{"text":"finished"}]}])" : "";
        return {"application/json", R"({"jsonrpc":"2.0","id":)" + id +
                                        R"(,"result":{"id":"r1","contextId":"c1","status":{"state":")" + state + "\"}" +
                                        artifacts + "}}"};
      });
  base = agent.base();
  agent.listen();
  auto planner = create("planner");
  auto created =
      req("POST", "/v1/agents/planner/tasks",
          R"({"to":"a2a:)" + base + R"(/.well-known/agent-card.json","input":[{"kind":"text","text":"go"}]})",
          planner.token);
  ASSERT_EQ(created.status, 202) << created.body;
  const std::string path = "/v1/agents/planner/tasks/" + std::string(js(created).at("task_id").as_string());
  auto recorded = [&] {
    return req("GET", path, "", planner.token).body.find("\"taskId\":\"r1\"") != std::string::npos;
  };
  ASSERT_TRUE(eventually(recorded, std::chrono::seconds(20))) << req("GET", path, "", planner.token).body;
  daemon_->kill9();
  daemon_->start();
  done = true;
  auto finished = [&] { return js(req("GET", path, "", planner.token)).at("state") == "completed"; };
  ASSERT_TRUE(eventually(finished, std::chrono::seconds(20)))
      << req("GET", path, "", planner.token).body << daemon_->log();
  auto t = js(req("GET", path, "", planner.token));
  EXPECT_EQ(t.at("artifacts").at(0).at("parts").at(0).at("text"), "finished");
  EXPECT_EQ(sends.load(), 1);  // resumed with GetTask, never sent twice
  // The client agent deleted by the admin is made again by the next task.
  ASSERT_EQ(req("DELETE", "/v1/agents/a2a-client").status, 200);
  auto again =
      req("POST", "/v1/agents/planner/tasks",
          R"({"to":"a2a:)" + base + R"(/.well-known/agent-card.json","input":[{"kind":"text","text":"again"}]})",
          planner.token);
  ASSERT_EQ(again.status, 202) << again.body;
  const std::string again_path = "/v1/agents/planner/tasks/" + std::string(js(again).at("task_id").as_string());
  EXPECT_TRUE(eventually([&] { return js(req("GET", again_path, "", planner.token)).at("state") == "completed"; }))
      << req("GET", again_path, "", planner.token).body << daemon_->log();
  EXPECT_EQ(sends.load(), 2);
}

}  // namespace
}  // namespace agentmesh::testutil
