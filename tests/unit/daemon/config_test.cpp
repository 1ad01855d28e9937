#include "daemon/config.hpp"

#include <fstream>
#include <gtest/gtest.h>
#include <map>

#include "testutil/testutil.hpp"

namespace agentmesh::daemon {
namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const char* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

class ConfigTest : public ::testing::Test {
 protected:
  std::string write_toml(const std::string& text) {
    const auto path = dir_.path() / "agentmesh.toml";
    std::ofstream(path) << text;
    return path.string();
  }
  testutil::TempDir dir_;
};

TEST_F(ConfigTest, DefaultsUseXdgDataHomeThenHome) {
  std::string why;
  auto c = resolve_config({}, env_of({{"XDG_DATA_HOME", "/x"}, {"HOME", "/h"}}), why);
  ASSERT_TRUE(c) << why;
  EXPECT_EQ(c->node.data_dir, "/x/agentmesh");
  EXPECT_EQ(c->api.port, api::ApiConfig::kDefaultPort);
  EXPECT_EQ(c->api.host, "127.0.0.1");
  EXPECT_EQ(c->log_level, "info");
  c = resolve_config({}, env_of({{"HOME", "/h"}}), why);
  EXPECT_EQ(c->node.data_dir, "/h/.local/share/agentmesh");
}

TEST_F(ConfigTest, NamedInstanceGetsItsOwnDirAndPortZero) {
  std::string why;
  DaemonFlags f;
  f.name = "second";
  auto c = resolve_config(f, env_of({{"HOME", "/h"}}), why);
  ASSERT_TRUE(c) << why;
  EXPECT_EQ(c->node.data_dir, "/h/.local/share/agentmesh-second");
  EXPECT_EQ(c->api.port, 0);
}

TEST_F(ConfigTest, FlagBeatsEnvironmentBeatsFileBeatsDefault) {
  const auto file = write_toml(R"(
log_level = "warn"
log_format = "json"
data_dir = "/from/file"
[api]
listen = "127.0.0.1:1111"
[messages]
max_payload_bytes = 2048
acked_retention_s = 60
)");
  std::string why;
  DaemonFlags f;
  f.config = file;
  // File only.
  auto c = resolve_config(f, env_of({}), why);
  ASSERT_TRUE(c) << why;
  EXPECT_EQ(c->log_level, "warn");
  EXPECT_EQ(c->log_format, "json");
  EXPECT_EQ(c->node.data_dir, "/from/file");
  EXPECT_EQ(c->api.port, 1111);
  EXPECT_EQ(c->node.max_payload_bytes, 2048u);
  EXPECT_EQ(c->node.acked_retention_ms, 60'000);
  EXPECT_EQ(c->api.max_body_bytes, 2 * 2048u + 64 * 1024);
  // Environment over file.
  auto env = env_of({{"AGENTMESH_LOG_LEVEL", "debug"}, {"AGENTMESH_API", "127.0.0.1:2222"},
                     {"AGENTMESH_DATA_DIR", "/from/env"}});
  c = resolve_config(f, env, why);
  ASSERT_TRUE(c) << why;
  EXPECT_EQ(c->log_level, "debug");
  EXPECT_EQ(c->api.port, 2222);
  EXPECT_EQ(c->node.data_dir, "/from/env");
  EXPECT_EQ(c->log_format, "json");  // still from the file
  // Flags over both.
  f.log_level = "error";
  f.api = "127.0.0.1:3333";
  f.data_dir = "/from/flag";
  c = resolve_config(f, env, why);
  ASSERT_TRUE(c) << why;
  EXPECT_EQ(c->log_level, "error");
  EXPECT_EQ(c->api.port, 3333);
  EXPECT_EQ(c->node.data_dir, "/from/flag");
}

TEST_F(ConfigTest, HolePunchingIsOnUnlessTheFileEnvironmentOrFlagTurnsItOff) {
  std::string why;
  auto c = resolve_config({}, env_of({{"HOME", "/h"}}), why);
  ASSERT_TRUE(c) << why;
  EXPECT_TRUE(c->node.transport.hole_punching);
  DaemonFlags f;
  f.config = write_toml("[relay]\nhole_punching = false\n");
  c = resolve_config(f, env_of({}), why);
  ASSERT_TRUE(c) << why;
  EXPECT_FALSE(c->node.transport.hole_punching);
  c = resolve_config(f, env_of({{"AGENTMESH_HOLE_PUNCHING", "true"}}), why);
  ASSERT_TRUE(c) << why;
  EXPECT_TRUE(c->node.transport.hole_punching);
  f.no_hole_punching = true;
  c = resolve_config(f, env_of({{"AGENTMESH_HOLE_PUNCHING", "true"}}), why);
  ASSERT_TRUE(c) << why;
  EXPECT_FALSE(c->node.transport.hole_punching);
  EXPECT_FALSE(resolve_config({}, env_of({{"AGENTMESH_HOLE_PUNCHING", "yes"}}), why));
  EXPECT_NE(why.find("AGENTMESH_HOLE_PUNCHING"), std::string::npos);
}

TEST_F(ConfigTest, ConfigFileFromEnvironment) {
  const auto file = write_toml("log_level = \"trace\"\n");
  std::string why;
  auto c = resolve_config({}, env_of({{"AGENTMESH_CONFIG", file}, {"HOME", "/h"}}), why);
  ASSERT_TRUE(c) << why;
  EXPECT_EQ(c->log_level, "trace");
}

TEST_F(ConfigTest, InvalidValuesAreRejectedWithAReason) {
  std::string why;
  DaemonFlags f;
  f.log_level = "loud";
  EXPECT_FALSE(resolve_config(f, env_of({}), why));
  EXPECT_NE(why.find("loud"), std::string::npos);

  DaemonFlags g;
  g.api = "127.0.0.1:99999";
  EXPECT_FALSE(resolve_config(g, env_of({}), why));

  DaemonFlags h;
  h.data_dir = "/a";
  h.name = "b";
  EXPECT_FALSE(resolve_config(h, env_of({}), why));

  DaemonFlags i;
  i.config = write_toml("[messages]\nmax_payload_bytes = \"big\"\n");
  EXPECT_FALSE(resolve_config(i, env_of({}), why));
  EXPECT_NE(why.find("max_payload_bytes"), std::string::npos);

  DaemonFlags j;
  j.config = write_toml("this is = not toml [");
  EXPECT_FALSE(resolve_config(j, env_of({}), why));
  EXPECT_NE(why.find("config file"), std::string::npos);

  DaemonFlags k;
  k.name = "../escape";
  EXPECT_FALSE(resolve_config(k, env_of({}), why));
}

TEST(HostPortTest, Forms) {
  EXPECT_EQ(parse_host_port("127.0.0.1:80").value(), (std::pair<std::string, std::uint16_t>{"127.0.0.1", 80}));
  EXPECT_EQ(parse_host_port("[::1]:8080").value(), (std::pair<std::string, std::uint16_t>{"::1", 8080}));
  EXPECT_EQ(parse_host_port(":0").value().second, 0);
  EXPECT_EQ(parse_host_port("7781").value().first, "127.0.0.1");
  EXPECT_FALSE(parse_host_port("host:"));
  EXPECT_FALSE(parse_host_port("host:65536"));
  EXPECT_FALSE(parse_host_port("host:8o"));
}

TEST_F(ConfigTest, A2aTlsAndWebhooks) {
  const auto file = write_toml(R"(
[a2a]
listen = "127.0.0.1:0"
tls_cert = "/c.pem"
tls_key = "/k.pem"
webhook_allow = ["10.1.0.0/16", "hooks.internal"]
webhook_timeout_s = 3
)");
  std::string why;
  DaemonFlags f;
  f.config = file;
  auto c = resolve_config(f, env_of({{"HOME", "/h"}}), why);
  ASSERT_TRUE(c) << why;
  EXPECT_EQ(c->a2a->tls_cert, "/c.pem");
  EXPECT_EQ(c->a2a->tls_key, "/k.pem");
  EXPECT_TRUE(c->a2a_gateway.tls);
  EXPECT_EQ(c->a2a_gateway.webhooks.networks.size(), 1u);
  EXPECT_EQ(c->a2a_gateway.webhooks.hosts, std::vector<std::string>{"hooks.internal"});
  EXPECT_EQ(c->a2a_gateway.webhooks.timeout, std::chrono::seconds(3));
  f.a2a_tls_key = "/flag.pem";  // a flag beats the file
  c = resolve_config(f, env_of({{"HOME", "/h"}}), why);
  ASSERT_TRUE(c) << why;
  EXPECT_EQ(c->a2a->tls_key, "/flag.pem");
  // A certificate without its key, and an allow entry that is neither a CIDR nor a host, are refused.
  DaemonFlags half;
  half.a2a = "127.0.0.1:0";
  half.a2a_tls_cert = "/c.pem";
  EXPECT_FALSE(resolve_config(half, env_of({{"HOME", "/h"}}), why));
  EXPECT_NE(why.find("--a2a-tls-key"), std::string::npos) << why;
  f.config = write_toml("[a2a]\nlisten = \"127.0.0.1:0\"\nwebhook_allow = [\"10.0.0.0/40\"]\n");
  f.a2a_tls_key.reset();
  EXPECT_FALSE(resolve_config(f, env_of({{"HOME", "/h"}}), why));
  EXPECT_NE(why.find("webhook_allow"), std::string::npos) << why;
}

}  // namespace
}  // namespace agentmesh::daemon
