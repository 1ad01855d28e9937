// Bad input, table-driven: every case gets the right 4xx and changes nothing.
// "Nothing" is checked on disk: every file under the data dir (contents for
// keys and tokens, names for the database files) and every row of every
// table, before and after.

#include <sqlite3.h>

#include <fstream>

#include "integration/fixture.hpp"

namespace agentmesh::testutil {
namespace {

// All rows of all tables, as text.
std::string dump_database(const std::filesystem::path& path) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return "<cannot open>";
  std::vector<std::string> tables;
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name", -1, &st, nullptr);
  while (sqlite3_step(st) == SQLITE_ROW) tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
  sqlite3_finalize(st);
  for (const auto& t : tables) {
    out += "table " + t + "\n";
    sqlite3_prepare_v2(db, ("SELECT * FROM \"" + t + "\" ORDER BY 1, 2").c_str(), -1, &st, nullptr);
    while (sqlite3_step(st) == SQLITE_ROW) {
      for (int c = 0; c < sqlite3_column_count(st); ++c) {
        const auto* p = static_cast<const char*>(sqlite3_column_blob(st, c));
        out += std::string(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(st, c))) + "|";
      }
      out += "\n";
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return out;
}

std::string snapshot(const std::filesystem::path& dir) {
  std::string out;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    const auto rel = std::filesystem::relative(f, dir).string();
    out += rel + "\n";
    const bool database = rel.starts_with("agentmesh.db");
    if (std::filesystem::is_regular_file(f) && !database) {
      std::ifstream in(f, std::ios::binary);
      out += std::string(std::istreambuf_iterator<char>(in), {}) + "\n";
    }
  }
  return out + dump_database(dir / "agentmesh.db");
}

struct Case {
  const char* name;
  std::string method;
  std::string target;
  std::string body;
  int status;
  std::string code;
  std::string content_type = "application/json";
};

using BadInputTest = DaemonTest;

TEST_F(BadInputTest, EveryCaseGetsItsErrorAndChangesNothing) {
  auto alice = create("alice", R"(,"capabilities":["x"])");
  create("bob");
  ASSERT_EQ(send("alice", "bob", "existing").status, 202);
  const std::string deep = std::string(10000, '[') + std::string(10000, ']');
  const std::string deep_obj =
      R"({"to":"bob","body":"x","metadata":)" + std::string(5000, '[') + std::string(5000, ']') + "}";
  const Case cases[] = {
      {"truncated json", "POST", "/v1/agents/alice/messages", R"({"to":"bob","bo)", 400, "malformed_json"},
      {"10000-deep nesting", "POST", "/v1/agents/alice/messages", deep, 400, "malformed_json"},
      {"deep nesting in a field", "POST", "/v1/agents/alice/messages", deep_obj, 400, "malformed_json"},
      {"invalid utf-8", "POST", "/v1/agents/alice/messages", "{\"to\":\"bob\",\"body\":\"\xc3\x28\"}", 400,
       "malformed_json"},
      {"wrong type to", "POST", "/v1/agents/alice/messages", R"({"to":["bob"],"body":"x"})", 400, "invalid_field"},
      {"wrong type body", "POST", "/v1/agents/alice/messages", R"({"to":"bob","body":{"a":1}})", 400, "invalid_field"},
      {"huge number", "POST", "/v1/agents/alice/messages", R"({"to":"bob","body":"x","ttl_ms":1e999})", 400,
       "invalid_field"},
      {"huge integer", "POST", "/v1/agents/bob/inbox/ack", R"({"up_to":99999999999999999999999})", 400,
       "invalid_field"},
      {"negative ack", "POST", "/v1/agents/bob/inbox/ack", R"({"up_to":-5})", 400, "invalid_field"},
      {"ack beyond last", "POST", "/v1/agents/bob/inbox/ack", R"({"up_to":2})", 400, "ack_beyond_last"},
      {"unknown field", "POST", "/v1/agents/alice/messages", R"({"to":"bob","body":"x","prio":1})", 400,
       "unknown_field"},
      {"unknown sender", "POST", "/v1/agents/nobody/messages", R"({"to":"bob","body":"x"})", 404, "unknown_agent"},
      {"unknown recipient", "POST", "/v1/agents/alice/messages", R"({"to":"carol","body":"x"})", 404,
       "unknown_recipient"},
      {"unknown id recipient", "POST", "/v1/agents/alice/messages",
       R"({"to":")" + std::string(64, '0') + R"(","body":"x"})", 404, "unknown_recipient"},
      {"name with ..", "POST", "/v1/agents", R"({"name":"../x"})", 400, "invalid_name"},
      {"name with slash", "POST", "/v1/agents", R"({"name":"a/b"})", 400, "invalid_name"},
      {"name with NUL", "POST", "/v1/agents", R"({"name":"a\u0000b"})", 400, "invalid_name"},
      {"empty name", "POST", "/v1/agents", R"({"name":""})", 400, "invalid_name"},
      {"name looks like an id", "POST", "/v1/agents", R"({"name":")" + std::string(64, 'a') + R"("})", 400,
       "invalid_name"},
      {"taken name", "POST", "/v1/agents", R"({"name":"bob"})", 409, "name_taken"},
      {"path traversal", "GET", "/v1/agents/..%2F..%2Fetc/inbox", "", 404, "unknown_agent"},
      {"NUL in path", "GET", "/v1/agents/bob%00/inbox", "", 404, "unknown_agent"},
      {"bad patch state", "PATCH", "/v1/agents/bob", R"({"state":"asleep"})", 400, "invalid_field"},
      {"patch wrong type", "PATCH", "/v1/agents/bob", R"({"capabilities":"x"})", 400, "invalid_field"},
      {"delete unknown agent", "DELETE", "/v1/agents/ghost", "", 404, "unknown_agent"},
      {"retry unknown dead letter", "POST", "/v1/deadletters/42/retry", "", 404, "unknown_dead_letter"},
      {"delete unknown dead letter", "DELETE", "/v1/deadletters/42", "", 404, "unknown_dead_letter"},
      {"oversized body", "POST", "/v1/agents/alice/messages",
       R"({"to":"bob","body":")" + std::string(3 << 20, 'x') + "\"}", 413, "body_too_large"},
      {"oversized payload", "POST", "/v1/agents/alice/messages",
       R"({"to":"bob","body":")" + std::string((1 << 20) + 10, 'x') + "\"}", 413, "payload_too_large"},
      {"wrong content type", "POST", "/v1/agents/alice/messages", R"({"to":"bob","body":"x"})", 415,
       "unsupported_media_type", "text/plain"},
      {"form content type", "POST", "/v1/agents", "name=x", 415, "unsupported_media_type",
       "application/x-www-form-urlencoded"},
  };
  const auto data = daemon_->data_dir();
  const auto before = snapshot(data);
  for (const auto& c : cases) {
    auto r = req(c.method, c.target, c.body, "", c.content_type);
    EXPECT_EQ(r.status, c.status) << c.name << ": " << r.body.substr(0, 300);
    EXPECT_EQ(code(r), c.code) << c.name;
    EXPECT_EQ(snapshot(data), before) << c.name << " changed the data directory";
  }
  // Agent tokens acting beyond their agent: 403, nothing changes.
  EXPECT_EQ(req("POST", "/v1/agents/bob/messages", R"({"to":"alice","body":"x"})", alice.token).status, 403);
  EXPECT_EQ(req("POST", "/v1/agents/bob/inbox/ack", R"({"up_to":1})", alice.token).status, 403);
  EXPECT_EQ(req("DELETE", "/v1/agents/bob", "", alice.token).status, 403);
  EXPECT_EQ(req("POST", "/v1/agents", R"({"name":"mallory"})", alice.token).status, 403);
  EXPECT_EQ(req("GET", "/v1/agents", "", "wrong-token").status, 401);
  EXPECT_EQ(snapshot(data), before);
  // And the daemon is still serving.
  EXPECT_EQ(send("alice", "bob", "after").status, 202);
}

}  // namespace
}  // namespace agentmesh::testutil
