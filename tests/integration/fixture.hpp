#pragma once
// Fixture for integration tests: a real daemon process in a temp data dir on
// 127.0.0.1 port 0, driven over HTTP.

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "testutil/testutil.hpp"

namespace agentmesh::testutil {

struct AgentInfo {
  std::string id;
  std::string token;
};

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    daemon_ = std::make_unique<Daemon>(dir_.path() / "data");
    daemon_->start();
  }
  void TearDown() override {
    if (daemon_ && daemon_->running()) {
      const int status = daemon_->stop();
      EXPECT_EQ(status, 0) << daemon_->log();
    }
  }

  cli::HttpResponse req(const std::string& method, const std::string& target, const std::string& body = {},
                        const std::string& token = "", const std::string& content_type = "application/json") {
    auto c = daemon_->client(token.empty() ? daemon_->admin_token() : token);
    auto r = c.request(method, target, body, content_type);
    EXPECT_TRUE(r) << method << " " << target << ": " << (r ? "" : r.error().message());
    return r ? *r : cli::HttpResponse{};
  }
  static boost::json::value js(const cli::HttpResponse& r) {
    boost::system::error_code ec;
    auto v = boost::json::parse(r.body, ec);
    return ec ? boost::json::value() : v;
  }
  static std::string code(const cli::HttpResponse& r) {
    auto v = js(r);
    if (!v.is_object() || !v.as_object().contains("error")) return "<none>";
    return std::string(v.at("error").as_string());
  }
  AgentInfo create(const std::string& name, const std::string& extra = "") {
    auto r = req("POST", "/v1/agents", R"({"name":")" + name + "\"" + extra + "}");
    EXPECT_EQ(r.status, 201) << r.body;
    auto v = js(r);
    return {std::string(v.at("agent_id").as_string()), std::string(v.at("token").as_string())};
  }
  cli::HttpResponse send(const std::string& from, const std::string& to, const std::string& body,
                         const std::string& extra = "") {
    boost::json::object o{{"to", to}, {"body", body}};
    std::string text = boost::json::serialize(o);
    if (!extra.empty()) text = text.substr(0, text.size() - 1) + "," + extra + "}";
    return req("POST", "/v1/agents/" + from + "/messages", text);
  }

  // Sends `megabytes` messages of 1 MB each to `agent` (from itself).
  void fill_inbox(const std::string& agent, int megabytes) {
    for (int i = 0; i < megabytes; ++i) {
      ASSERT_EQ(send(agent, agent, std::string(1000 * 1000, 'x')).status, 202);
    }
  }

  TempDir dir_;
  std::unique_ptr<Daemon> daemon_;
};

}  // namespace agentmesh::testutil
