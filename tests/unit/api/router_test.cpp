#include "api/router.hpp"

#include "api/console_auth.hpp"
#include "api/rate_history.hpp"
#include "core/clock.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>

#include "crypto/crypto.hpp"
#include "node/agents.hpp"
#include "node/inboxes.hpp"
#include "node/node.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "testutil/testutil.hpp"

namespace agentmesh::api {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

const std::string kAdmin(64, 'a');

// A real node in a temp dir, driven through Router::handle without sockets.
class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node::NodeConfig cfg;
    cfg.data_dir = dir_.path() / "data";
    std::string why;
    auto log = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
    node_ = node::Node::open(ioc_.get_executor(), cfg, log, why).value();
    RouterConfig rc;
    rc.admin_token = kAdmin;
    rc.console = std::make_shared<ConsoleAuth>(clock_);
    router_ = std::make_unique<Router>(node::NodeHandle(node_), rc, stats_);
    alice_token_ = create("alice");
    bob_token_ = create("bob");
  }
  void TearDown() override { node_->stop(); }

  Response call(std::string method, std::string target, std::string token, std::string body = {}) {
    Request req;
    req.method = std::move(method);
    req.target = std::move(target);
    if (!token.empty()) req.authorization = "Bearer " + token;
    req.content_type = "application/json";
    req.body = std::move(body);
    return send(std::move(req));
  }
  Response send(Request req) {
    std::optional<Response> out;
    asio::co_spawn(ioc_, router_->handle(std::move(req)), [&](std::exception_ptr e, Response r) {
      if (e) std::rethrow_exception(e);
      out = std::move(r);
    });
    ioc_.restart();
    while (!out) ioc_.run_one();
    return *out;
  }
  std::string create(const std::string& name) {
    auto r = call("POST", "/v1/agents", kAdmin, R"({"name":")" + name + R"("})");
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(json::parse(r.body).at("token").as_string());
  }
  static std::string code(const Response& r) { return std::string(json::parse(r.body).at("error").as_string()); }
  core::AgentId id_of(const std::string& name) { return node_->agents().info(name)->id; }
  std::uint64_t last_seq(const core::AgentId& id) { return node_->inboxes().position(id)->last.value; }

  testutil::TempDir dir_;
  core::ManualClock clock_;
  asio::io_context ioc_;
  std::shared_ptr<node::Node> node_;
  ApiStats stats_;
  std::unique_ptr<Router> router_;
  std::string alice_token_, bob_token_;
};

TEST_F(RouterTest, HealthNeedsNoToken) {
  auto r = call("GET", "/v1/health", "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body).at("status").as_string(), "ok");
}

TEST_F(RouterTest, MissingOrWrongTokenIs401) {
  auto r = call("GET", "/v1/agents", "");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(code(r), "unauthorized");
  ASSERT_FALSE(r.headers.empty());
  EXPECT_EQ(r.headers[0].first, "WWW-Authenticate");
  EXPECT_EQ(call("GET", "/v1/agents", std::string(64, 'b')).status, 401);
  EXPECT_EQ(call("GET", "/v1/agents", kAdmin.substr(1)).status, 401);
}

TEST_F(RouterTest, AgentTokenActsOnlyAsItsOwnAgent) {
  // Own agent: allowed.
  EXPECT_EQ(call("GET", "/v1/agents/alice", alice_token_).status, 200);
  EXPECT_EQ(call("POST", "/v1/agents/alice/messages", alice_token_, R"({"to":"bob","body":"hi"})").status, 202);
  EXPECT_EQ(call("GET", "/v1/agents/bob/inbox", bob_token_).status, 200);
  EXPECT_EQ(call("POST", "/v1/agents/bob/inbox/ack", bob_token_, R"({"up_to":1})").status, 200);
  // Anything else: 403, and nothing changes.
  const std::pair<std::string, std::string> forbidden[] = {
      {"GET", "/v1/agents"},          {"GET", "/v1/agents/bob"},       {"GET", "/v1/agents/bob/inbox"},
      {"GET", "/v1/deadletters"},     {"GET", "/metrics"},             {"DELETE", "/v1/agents/bob"},
      {"GET", "/v1/agents/nobody"},   {"PATCH", "/v1/agents/alice"},   {"DELETE", "/v1/agents/alice"},
  };
  for (const auto& [method, target] : forbidden) {
    auto r = call(method, target, alice_token_, method == "PATCH" ? R"({"state":"stopped"})" : "");
    EXPECT_EQ(r.status, 403) << method << " " << target << " " << r.body;
    EXPECT_EQ(code(r), "forbidden");
  }
  auto r = call("POST", "/v1/agents/bob/messages", alice_token_, R"({"to":"alice","body":"spoof"})");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(last_seq(id_of("alice")), 0u);
  EXPECT_EQ(node_->agents().size(), 2u);
}

TEST_F(RouterTest, AdminMayDoEverything) {
  EXPECT_EQ(call("GET", "/v1/agents", kAdmin).status, 200);
  EXPECT_EQ(call("POST", "/v1/agents/bob/messages", kAdmin, R"({"to":"alice","body":"x"})").status, 202);
  EXPECT_EQ(call("GET", "/metrics", kAdmin).status, 200);
  EXPECT_EQ(call("GET", "/v1/deadletters", kAdmin).status, 200);
  EXPECT_EQ(call("GET", "/v1/agents/nobody", kAdmin).status, 404);
}

TEST_F(RouterTest, RoutingErrors) {
  auto r = call("GET", "/v1/nope", kAdmin);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(code(r), "not_found");
  r = call("PUT", "/v1/agents", kAdmin);
  EXPECT_EQ(r.status, 405);
  ASSERT_FALSE(r.headers.empty());
  EXPECT_EQ(r.headers[0].second, "GET, POST");
  EXPECT_EQ(call("GET", "/v1/agents/%zz", kAdmin).status, 404);  // bad escape: no route
}

TEST_F(RouterTest, BodyRoutesNeedJsonContentType) {
  Request req;
  req.method = "POST";
  req.target = "/v1/agents";
  req.authorization = "Bearer " + kAdmin;
  req.content_type = "text/plain";
  req.body = R"({"name":"carol"})";
  std::optional<Response> out;
  asio::co_spawn(ioc_, router_->handle(req), [&](std::exception_ptr, Response resp) { out = std::move(resp); });
  ioc_.restart();
  while (!out) ioc_.run_one();
  EXPECT_EQ(out->status, 415);
  EXPECT_EQ(node_->agents().size(), 2u);
}

TEST_F(RouterTest, MetricsCountRequestsByRouteAndStatus) {
  stats_.requests[{"/v1/health", 200}] = 3;
  auto r = call("GET", "/metrics", kAdmin);
  EXPECT_NE(r.body.find(R"(agentmesh_http_requests_total{route="/v1/health",status="200"} 3)"), std::string::npos);
  EXPECT_NE(r.body.find("agentmesh_store_commit_latency_seconds_bucket"), std::string::npos);
  EXPECT_NE(r.body.find("agentmesh_store_commit_batch_size_count"), std::string::npos);
  EXPECT_NE(r.body.find(R"(agentmesh_queue_capacity{queue="store_writer"})"), std::string::npos);
}

TEST_F(RouterTest, RatesAnswerTheDaemonsHistoryToTheAdminOnly) {
  auto empty = call("GET", "/v1/diagnostics/rates", kAdmin);
  ASSERT_EQ(empty.status, 200) << empty.body;
  EXPECT_TRUE(json::parse(empty.body).at("points").as_array().empty());
  auto rates = std::make_shared<RateHistory>();
  const auto t0 = core::ManualClock::kDefaultStartMs;
  rates->add(t0, {0, 0, 0});
  rates->add(t0 + RateHistory::kIntervalMs, {10, 5, 0});
  RouterConfig rc;
  rc.admin_token = kAdmin;
  rc.rates = rates;
  router_ = std::make_unique<Router>(node::NodeHandle(node_), rc, stats_);
  auto r = call("GET", "/v1/diagnostics/rates", kAdmin);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto o = json::parse(r.body).as_object();
  EXPECT_EQ(o.at("interval_ms").as_int64(), RateHistory::kIntervalMs);
  EXPECT_EQ(o.at("window_ms").as_int64(), RateHistory::kWindowMs);
  const auto& points = o.at("points").as_array();
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(points[0].at("time_ms").as_int64(), t0 + RateHistory::kIntervalMs);
  EXPECT_DOUBLE_EQ(points[0].at("accepted").as_double(), 2.0);
  EXPECT_DOUBLE_EQ(points[0].at("delivered").as_double(), 1.0);
  EXPECT_DOUBLE_EQ(points[0].at("published").as_double(), 0.0);
  EXPECT_EQ(call("GET", "/v1/diagnostics/rates", alice_token_).status, 403);
}

TEST_F(RouterTest, DeadLetterRetryRedeliversToAnExistingRecipientOnce) {
  // Dead letters of this issue come from deleted agents; later issues add
  // expired outbox messages. Write one for a live recipient straight into the
  // database, as the outbox will.
  const auto bob = id_of("bob");
  {
    auto db = store::open_sqlite_store(dir_.path() / "data" / "agentmesh.db").value();
    store::DeadLetterRecord d;
    d.request_id = crypto::new_request_id();
    d.sender = id_of("alice");
    d.recipient = bob;
    d.content.body = "retry me";
    d.reason = "expired";
    ASSERT_TRUE(db->begin());
    ASSERT_TRUE(db->add_dead_letter(d));
    ASSERT_TRUE(db->commit());
  }
  auto list = json::parse(call("GET", "/v1/deadletters", kAdmin).body);
  ASSERT_EQ(list.at("dead_letters").as_array().size(), 1u);
  const auto id = std::to_string(list.at("dead_letters").as_array()[0].at("id").as_int64());
  auto r = call("POST", "/v1/deadletters/" + id + "/retry", kAdmin);
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(json::parse(r.body).at("seq").as_int64(), 1);
  EXPECT_EQ(last_seq(bob), 1u);
  EXPECT_EQ(json::parse(call("GET", "/v1/deadletters", kAdmin).body).at("dead_letters").as_array().size(), 0u);
  // A second retry of the same id finds nothing and delivers nothing.
  auto again = call("POST", "/v1/deadletters/" + id + "/retry", kAdmin);
  EXPECT_EQ(again.status, 404);
  EXPECT_EQ(code(again), "unknown_dead_letter");
  EXPECT_EQ(last_seq(bob), 1u);
}

// The web console's session: a one-time code from the admin token, a cookie
// that reads like the admin token, writes only with the CSRF token.
class ConsoleRouterTest : public RouterTest {
 protected:
  static std::string header(const Response& r, std::string_view name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return {};
  }
  static Request make(std::string method, std::string target, std::string body = {}) {
    Request req;
    req.method = std::move(method);
    req.target = std::move(target);
    req.content_type = "application/json";
    req.body = std::move(body);
    return req;
  }
  // Logs in: the session cookie ("name=value") and the CSRF token.
  std::pair<std::string, std::string> login() {
    auto code = call("POST", "/v1/ui/codes", kAdmin);
    EXPECT_EQ(code.status, 201) << code.body;
    auto req = make("POST", "/ui/session");
    req.host = "127.0.0.1:7781";
    req.body = R"({"code":")" + std::string(json::parse(code.body).at("code").as_string()) + R"("})";
    auto r = send(req);
    EXPECT_EQ(r.status, 201) << r.body;
    const auto cookie = header(r, "Set-Cookie");
    EXPECT_NE(cookie.find("HttpOnly; SameSite=Strict"), std::string::npos) << cookie;
    return {cookie.substr(0, cookie.find(';')), std::string(json::parse(r.body).at("csrf").as_string())};
  }
  Response as_console(std::string method, std::string target, const std::string& cookie, std::string csrf = {},
                      std::string body = {}) {
    auto req = make(std::move(method), std::move(target));
    req.host = "127.0.0.1:7781";
    req.cookie = cookie;
    req.csrf_token = std::move(csrf);
    req.body = std::move(body);
    return send(std::move(req));
  }
};

TEST_F(ConsoleRouterTest, SessionReadsFreelyAndWritesOnlyWithItsCsrfToken) {
  const auto [cookie, csrf] = login();
  EXPECT_EQ(as_console("GET", "/v1/agents", cookie).status, 200);
  auto r = as_console("POST", "/v1/agents", cookie, "", R"({"name":"carol"})");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(code(r), "csrf_failed");
  EXPECT_EQ(as_console("POST", "/v1/agents", cookie, std::string(64, '0'), R"({"name":"carol"})").status, 403);
  EXPECT_EQ(node_->agents().size(), 2u);  // refused writes change nothing
  EXPECT_EQ(as_console("POST", "/v1/agents", cookie, csrf, R"({"name":"carol"})").status, 201);
  // Another origin is refused even with the token (and a WebSocket upgrade from one too).
  auto req = make("POST", "/v1/agents");
  req.host = "127.0.0.1:7781";
  req.cookie = cookie;
  req.csrf_token = csrf;
  req.origin = "http://evil.example";
  req.body = R"({"name":"dave"})";
  EXPECT_EQ(send(req).status, 403);
  req.method = "GET";
  req.target = "/v1/agents/alice/ws";
  req.websocket_upgrade = true;
  EXPECT_EQ(send(req).status, 403);
  EXPECT_EQ(node_->agents().size(), 3u);
  // A cookie for another port's daemon, or a made-up one, is no session.
  EXPECT_EQ(as_console("GET", "/v1/agents", "agentmesh_session_7782=" + cookie.substr(cookie.find('=') + 1)).status,
            401);
  EXPECT_EQ(as_console("GET", "/v1/agents", "agentmesh_session_7781=" + std::string(64, 'f')).status, 401);
}

TEST_F(ConsoleRouterTest, CodesWorkOnceAndOnlyForAMinute) {
  auto issued = json::parse(call("POST", "/v1/ui/codes", kAdmin).body);
  EXPECT_EQ(issued.at("path").as_string(), "/ui/#code=" + std::string(issued.at("code").as_string()));
  EXPECT_EQ(call("POST", "/v1/ui/codes", alice_token_).status, 403);  // an agent token may not log in
  const std::string body = R"({"code":")" + std::string(issued.at("code").as_string()) + R"("})";
  auto req = make("POST", "/ui/session", body);
  clock_.advance(std::chrono::seconds(61));
  auto r = send(req);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(code(r), "invalid_login_code");
  for (const auto* bad : {"{}", R"({"code":1})", R"({"code":"x","more":1})", "not json"}) {
    req.body = bad;
    EXPECT_EQ(send(req).status / 100, 4) << bad;
  }
  const auto [cookie, csrf] = login();
  // The session ends after 30 idle minutes; each request restarts that time.
  clock_.advance(std::chrono::minutes(29));
  EXPECT_EQ(as_console("GET", "/v1/agents", cookie).status, 200);
  clock_.advance(std::chrono::minutes(29));
  EXPECT_EQ(as_console("GET", "/ui/session", cookie).status, 200);
  clock_.advance(std::chrono::minutes(31));
  EXPECT_EQ(as_console("GET", "/v1/agents", cookie).status, 401);
}

TEST_F(ConsoleRouterTest, LogoutEndsTheSession) {
  const auto [cookie, csrf] = login();
  EXPECT_EQ(as_console("DELETE", "/ui/session", cookie).status, 403);  // without the CSRF token
  auto r = as_console("DELETE", "/ui/session", cookie, csrf);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(header(r, "Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(as_console("GET", "/v1/agents", cookie).status, 401);
  EXPECT_EQ(as_console("GET", "/ui/session", cookie).status, 401);
}

TEST_F(ConsoleRouterTest, ServesItsFilesWithAStrictPolicy) {
  auto r = as_console("GET", "/ui/", "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_NE(r.body.find("app.js"), std::string::npos);
  EXPECT_NE(header(r, "Content-Security-Policy").find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(header(r, "X-Frame-Options"), "DENY");
  EXPECT_EQ(as_console("GET", "/ui/vendor/uPlot.iife.min.js", "").status, 200);
  EXPECT_EQ(as_console("GET", "/ui", "").status, 308);
  EXPECT_EQ(as_console("GET", "/ui/../api-token", "").status, 404);
  EXPECT_EQ(as_console("POST", "/ui/app.js", "").status, 405);
}

TEST_F(ConsoleRouterTest, ForeignHostHeadersAreRefusedEverywhere) {
  for (const auto* host : {"evil.example", "evil.example:7781", "127.0.0.1.evil.example", "[::2]:7781"}) {
    auto req = make("GET", "/v1/health");
    req.host = host;
    auto r = send(req);
    EXPECT_EQ(r.status, 421) << host;
    EXPECT_EQ(code(r), "host_not_allowed");
    req.target = "/ui/";
    EXPECT_EQ(send(req).status, 421) << host;
  }
  for (const auto* host : {"127.0.0.1:7781", "localhost:7781", "LOCALHOST", "[::1]:7781", ""}) {
    auto req = make("GET", "/v1/health");
    req.host = host;
    EXPECT_EQ(send(req).status, 200) << host;
  }
}

}  // namespace
}  // namespace agentmesh::api
