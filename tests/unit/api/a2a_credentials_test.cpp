// api/a2a_credentials and the outbound task request: credentials kept in
// their file, bad ones refused with nothing changed; "to": "a2a:URL" and
// "credential" in a task request.
#include "api/a2a_credentials.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "api/error.hpp"
#include "api/requests.hpp"
#include "testutil/testutil.hpp"

namespace agentmesh::api {
namespace {

TEST(A2aCredentialsTest, CredentialsSurviveAReloadAndStayPrivate) {
  testutil::TempDir dir;
  const auto file = dir.path() / "a2a-credentials.json";
  std::string why;
  {
    A2aCredentials c(file);
    ASSERT_TRUE(c.load(why)) << why;  // no file: empty
    EXPECT_TRUE(c.list().empty());
    ASSERT_TRUE(c.put({"partner", "bearer", "tok-1", 5}, why)) << why;
    ASSERT_TRUE(c.put({"other", "bearer", "tok-2", 6}, why)) << why;
    ASSERT_TRUE(c.put({"partner", "bearer", "tok-3", 7}, why)) << why;  // replaced
    auto gone = c.remove("other", why);
    ASSERT_TRUE(gone && *gone);
    gone = c.remove("other", why);
    ASSERT_TRUE(gone && !*gone);
  }
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  A2aCredentials again(file);
  ASSERT_TRUE(again.load(why)) << why;
  ASSERT_EQ(again.list().size(), 1u);
  EXPECT_EQ(again.find("partner")->secret, "tok-3");
  EXPECT_EQ(again.find("partner")->created_ms, 7);
  EXPECT_FALSE(again.find("other"));
}

TEST(A2aCredentialsTest, BadCredentialsAreRefusedAndChangeNothing) {
  A2aCredentials c{std::filesystem::path()};
  std::string why;
  ASSERT_TRUE(c.put({"ok", "bearer", "t", 1}, why));
  const A2aCredential bad[] = {
      {"", "bearer", "t", 1},           {"a b", "bearer", "t", 1}, {std::string(65, 'a'), "bearer", "t", 1},
      {"n", "basic", "t", 1},           {"n", "bearer", "", 1},    {"n", "bearer", "has space", 1},
      {"n", "bearer", "line\nbreak", 1}};
  for (const auto& b : bad) {
    why.clear();
    EXPECT_FALSE(c.put(b, why)) << b.name << " " << b.secret;
    EXPECT_FALSE(why.empty());
  }
  ASSERT_EQ(c.list().size(), 1u);
}

TEST(A2aCredentialsTest, ADamagedFileIsAnError) {
  testutil::TempDir dir;
  const auto file = dir.path() / "a2a-credentials.json";
  std::ofstream(file) << R"({"credentials":[{"name":"x"}]})";
  ::chmod(file.c_str(), 0600);
  A2aCredentials c(file);
  std::string why;
  EXPECT_FALSE(c.load(why));
  EXPECT_NE(why.find("damaged"), std::string::npos) << why;
}

TEST(A2aCredentialsTest, OutboundTaskRequests) {
  JsonLimits limits;
  std::string why;
  auto ok = parse_create_task(
      R"({"to":"a2a:https://agents.example/.well-known/agent-card.json","credential":"partner",
          "input":[{"kind":"text","text":"hi"}]})",
      limits, why);
  ASSERT_TRUE(ok) << why;
  EXPECT_EQ(ok->to, "a2a:https://agents.example/.well-known/agent-card.json");
  ASSERT_EQ(ok->metadata.size(), 1u);
  EXPECT_EQ(ok->metadata[0].first, "a2a.credential");
  EXPECT_EQ(ok->metadata[0].second, "partner");
  const std::string long_name(200, 'a');
  const std::vector<std::string> bad = {
      R"({"to":"agent","credential":"partner","input":[{"kind":"text","text":"hi"}]})",
      R"({"to":")" + long_name + R"(","input":[{"kind":"text","text":"hi"}]})",
      R"({"to":"a2a:https://x/","input":[{"kind":"text","text":"hi"}],"metadata":{"a2a.url":"u"}})"};
  for (const auto& body : bad) {
    why.clear();
    auto r = parse_create_task(body, limits, why);
    ASSERT_FALSE(r) << body;
    EXPECT_EQ(r.error(), error::invalid_field) << body;
  }
}

}  // namespace
}  // namespace agentmesh::api
