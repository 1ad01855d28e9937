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

}  // namespace
}  // namespace agentmesh::testutil
