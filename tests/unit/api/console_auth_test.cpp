#include "api/console_auth.hpp"

#include <gtest/gtest.h>

#include <set>

#include "api/console.hpp"
#include "core/clock.hpp"

namespace agentmesh::api {
namespace {

TEST(ConsoleAuth, ACodeMakesOneSessionWithItsOwnCsrfToken) {
  core::ManualClock clock;
  ConsoleAuth auth(clock);
  const auto code = auth.issue_code();
  EXPECT_EQ(code.size(), 64u);
  auto s = auth.redeem(code);
  ASSERT_TRUE(s);
  EXPECT_NE(s->id, s->csrf);
  EXPECT_FALSE(auth.redeem(code));
  EXPECT_EQ(auth.touch(s->id), s->csrf);
  EXPECT_FALSE(auth.touch(""));
  EXPECT_FALSE(auth.touch(s->csrf));  // the CSRF token is not a session id
  const auto f = auth.figures();
  EXPECT_EQ(f.codes_issued, 1u);
  EXPECT_EQ(f.logins, 1u);
  EXPECT_EQ(f.codes_refused, 1u);
  EXPECT_EQ(f.sessions_open, 1u);
  EXPECT_EQ(f.codes_open, 0u);
}

TEST(ConsoleAuth, SessionsEndAtTheirMaximumAgeEvenWhenBusy) {
  core::ManualClock clock;
  ConsoleAuth auth(clock);
  auto s = auth.redeem(auth.issue_code()).value();
  for (int i = 0; i < 24; ++i) {  // 11 h 36 min, never idle for 30
    clock.advance(std::chrono::minutes(29));
    ASSERT_TRUE(auth.touch(s.id)) << i;
  }
  clock.advance(std::chrono::minutes(29));  // 12 h 5 min after login
  EXPECT_FALSE(auth.touch(s.id));
  EXPECT_EQ(auth.figures().sessions_open, 0u);
}

TEST(ConsoleAuth, TablesAreBoundedAndEvictTheOldest) {
  core::ManualClock clock;
  ConsoleAuth auth(clock);
  std::vector<std::string> codes;
  for (std::size_t i = 0; i < ConsoleAuth::kMaxCodes + 1; ++i) {
    codes.push_back(auth.issue_code());
    clock.advance(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(auth.figures().codes_open, ConsoleAuth::kMaxCodes);
  EXPECT_EQ(auth.figures().evicted, 1u);
  EXPECT_FALSE(auth.redeem(codes.front()));  // the oldest went
  EXPECT_TRUE(auth.redeem(codes.back()));
  std::vector<ConsoleAuth::Session> sessions;
  for (std::size_t i = 0; i < ConsoleAuth::kMaxSessions + 1; ++i) {
    sessions.push_back(auth.redeem(auth.issue_code()).value());
    clock.advance(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(auth.figures().sessions_open, ConsoleAuth::kMaxSessions);
  EXPECT_FALSE(auth.touch(sessions.front().id));
  EXPECT_TRUE(auth.touch(sessions.back().id));
  EXPECT_TRUE(auth.end(sessions.back().id));
  EXPECT_FALSE(auth.end(sessions.back().id));
}

TEST(ConsoleHelpers, HostsCookiesAndPaths) {
  EXPECT_TRUE(host_allowed("127.0.0.1:1", "127.0.0.1"));
  EXPECT_TRUE(host_allowed("127.0.0.5:1", "127.0.0.5"));
  EXPECT_FALSE(host_allowed("127.0.0.5:1", "127.0.0.1"));
  EXPECT_TRUE(host_allowed("[::1]:1", "::1"));
  EXPECT_FALSE(host_allowed("[::1", "127.0.0.1"));
  EXPECT_FALSE(host_allowed("localhost.evil.example", "127.0.0.1"));
  EXPECT_EQ(session_cookie_name("127.0.0.1:7781"), "agentmesh_session_7781");
  EXPECT_EQ(session_cookie_name("[::1]:9"), "agentmesh_session_9");
  EXPECT_EQ(session_cookie_name("localhost"), "agentmesh_session_80");
  EXPECT_EQ(session_cookie_name("a:1;b=2"), "agentmesh_session_1___2");
  EXPECT_EQ(cookie_value("a=1; agentmesh_session_1=xyz; b=2", "agentmesh_session_1"), "xyz");
  EXPECT_EQ(cookie_value("agentmesh_session_12=xyz", "agentmesh_session_1"), "");
  EXPECT_EQ(cookie_value("", "a"), "");
  EXPECT_TRUE(is_console_path("/ui"));
  EXPECT_TRUE(is_console_path("/ui/app.js"));
  EXPECT_FALSE(is_console_path("/uix"));
  EXPECT_FALSE(is_console_path("/v1/ui/codes"));
}

}  // namespace
}  // namespace agentmesh::api
