// `agentmesh mcp` at the protocol level, without an SDK: the 2026-07-28
// revision's per-request version (no handshake, server/discover, the
// unsupported-version error), the refusals of malformed input, and starting a
// daemon when none runs. (The 2025-11-25 flows with the official SDK client
// are in tests/interop/mcp_test.cpp.)

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "cli/mcp.hpp"
#include "integration/fixture.hpp"

namespace agentmesh::testutil {
namespace {

namespace json = boost::json;

const std::string kModernMeta =
    R"("_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}})";

// The server's answers by id ("null" for those without one).
std::map<std::string, json::object> answers(const std::string& out) {
  std::map<std::string, json::object> by_id;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    auto v = json::parse(line);
    const auto& o = v.as_object();
    if (o.contains("method")) continue;  // a notification
    by_id[json::serialize(o.at("id"))] = o;
  }
  return by_id;
}

class McpCliTest : public DaemonTest {};

TEST_F(McpCliTest, ModernRequestsCarryTheirVersionAndMalformedOnesAreRefused) {
  const std::string input =
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/discover\",\"params\":{" + kModernMeta + "}}\n" +
      "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\",\"params\":{" + kModernMeta + "}}\n" +
      "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{" + kModernMeta +
      ",\"name\":\"whoami\",\"arguments\":{}}}\n" +
      R"({"jsonrpc":"2.0","id":4,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"1900-01-01"}}})"
      "\n"
      R"({"jsonrpc":"2.0","id":5,"method":"tools/list"})"
      "\n"
      "{not json\n"
      R"([{"jsonrpc":"2.0","id":6,"method":"ping"}])"
      "\n"
      R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":"x"})"
      "\n";
  auto r =
      run_cli({"mcp", "--data-dir", daemon_->data_dir().string(), "--agent", "m", "--create", "--no-spawn"}, input);
  ASSERT_EQ(r.status, 0) << r.err;
  auto by = answers(r.out);
  const auto& discover = by.at("1").at("result").as_object();
  EXPECT_EQ(json::serialize(discover.at("supportedVersions")), R"(["2026-07-28","2025-11-25"])");
  EXPECT_EQ(discover.at("resultType"), "complete");
  EXPECT_EQ(by.at("2").at("result").at("tools").as_array().size(), 23u);
  EXPECT_EQ(by.at("3").at("result").at("structuredContent").at("name"), "m");
  const auto& unsupported = by.at("4").at("error").as_object();
  EXPECT_EQ(unsupported.at("code"), -32022);
  EXPECT_EQ(unsupported.at("data").at("requested"), "1900-01-01");
  EXPECT_EQ(by.at("5").at("error").at("code"), -32600);  // a legacy request before initialize
  EXPECT_EQ(by.at("7").at("error").at("code"), -32602);  // params not an object
  // The unparseable line and the batch are answered with id null: two such answers.
  std::size_t nulls = 0;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("\"id\":null") != std::string::npos) ++nulls;
  }
  EXPECT_EQ(nulls, 2u) << r.out;
  EXPECT_EQ(by.at("null").at("error").at("code"), -32600);  // the batch came last of the two
  EXPECT_NE(r.out.find("-32700"), std::string::npos);
}

TEST_F(McpCliTest, WithoutARunningDaemonItSaysWhereItLookedOrStartsOne) {
  TempDir home;
  auto r = run_cli({"mcp", "--data-dir", (home.path() / "none").string(), "--agent", "m", "--no-spawn"}, "");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find((home.path() / "none").string()), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());

  ::setenv("XDG_DATA_HOME", home.path().c_str(), 1);
  ::setenv("AGENTMESH_LISTEN", "/ip4/127.0.0.1/tcp/0", 1);
  const auto dir = home.path() / "agentmesh-spawned";
  struct KillSpawned {
    std::filesystem::path lock;
    ~KillSpawned() {
      std::ifstream f(lock);
      pid_t pid = 0;
      if (f >> pid && pid > 0) ::kill(pid, SIGKILL);
      ::unsetenv("XDG_DATA_HOME");
      ::unsetenv("AGENTMESH_LISTEN");
    }
  } guard{dir / "daemon.lock"};
  r = run_cli({"mcp", "--name", "spawned", "--agent", "m", "--create"},
              R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{)" + kModernMeta +
                  R"(,"name":"whoami","arguments":{}}})"
                  "\n");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("started a daemon"), std::string::npos) << r.err;
  EXPECT_EQ(answers(r.out).at("1").at("result").at("structuredContent").at("name"), "m") << r.out;
  EXPECT_TRUE(std::filesystem::exists(dir / "mcp" / "m.token"));
  EXPECT_EQ(std::filesystem::status(dir / "mcp" / "m.token").permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

// Bad input of every kind, with no daemon behind the server: every request gets
// exactly one answer, every answer is a JSON-RPC 2.0 object, and tool failures
// are isError results naming the data dir.
TEST(McpSession, EveryRequestGetsOneWellFormedAnswer) {
  TempDir dir;
  cli::Global g;
  g.data_dir = (dir.path() / "no-daemon").string();
  cli::mcp::DaemonLink link(g, "x");
  std::vector<std::string> out;
  std::mutex mu;
  {
    cli::mcp::Session s(link, "test", [&](const std::string& text) {
      std::lock_guard lock(mu);
      out.push_back(text);
    });
    const std::vector<std::string> lines{
        "",
        "{",
        "[]",
        "null",
        "42",
        R"({"jsonrpc":"2.0"})",
        R"({"jsonrpc":"2.0","id":{},"method":"ping"})",
        R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"1999-01-01"}})",
        R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"send_message","arguments":{"to":5}}})",
        R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"whoami"}})",
        R"({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"check_inbox","arguments":{"limit":1e300}}})",
        R"({"jsonrpc":"2.0","id":5,"method":"resources/read","params":{"uri":"agentmesh://tasks/"}})",
        R"({"jsonrpc":"2.0","id":6,"method":"resources/subscribe","params":{"uri":7}})",
        R"({"jsonrpc":"2.0","id":7,"method":"subscriptions/listen","params":{"notifications":{"resourceSubscriptions":"x"}}})",
        R"({"jsonrpc":"2.0","id":8,"method":"subscriptions/listen","params":{"notifications":{}}})",
        R"({"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"wait_for_messages","arguments":{"timeout_s":55}}})",
        R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":[1]}})"};
    for (const auto& l : lines) s.handle(l);
    s.finish();
  }
  std::map<std::string, int> answers;
  for (const auto& text : out) {
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    ASSERT_FALSE(ec) << text;
    const auto& o = v.as_object();
    EXPECT_EQ(o.at("jsonrpc"), "2.0") << text;
    if (o.contains("method")) continue;
    ++answers[json::serialize(o.at("id"))];
    if (json::serialize(o.at("id")) == "3") {
      const auto& r = o.at("result").as_object();
      EXPECT_EQ(r.at("isError"), true);
      EXPECT_EQ(r.at("_meta").at("agentmesh/error").at("error"), "daemon_unavailable");
      EXPECT_NE(json::serialize(r).find("no-daemon"), std::string::npos) << text;
    }
  }
  for (const char* id : {"1", "2", "3", "4", "5", "6", "7", "8", "9"}) EXPECT_EQ(answers[id], 1) << "id " << id;
  // "{", "[]", "null", "42", an object without a method, an id that is an object.
  EXPECT_EQ(answers["null"], 6);
}

}  // namespace
}  // namespace agentmesh::testutil
