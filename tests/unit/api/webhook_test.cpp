// api/webhook: which addresses a push notification webhook may reach.
#include "api/webhook.hpp"

#include <gtest/gtest.h>

namespace agentmesh::api {
namespace {

TEST(WebhookPolicyTest, PublicAndLoopbackOnlyByDefault) {
  const WebhookPolicy p;
  for (const char* ok : {"93.184.216.34", "8.8.8.8", "127.0.0.1", "127.9.9.9", "::1", "2606:4700::1111"}) {
    EXPECT_TRUE(webhook_address_allowed(p, "h", ok)) << ok;
  }
  for (const char* no : {"169.254.169.254", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "100.64.0.1",
                         "0.0.0.0", "255.255.255.255", "224.0.0.1", "240.0.0.1", "fe80::1", "fd00:ec2::254", "::",
                         "ff02::1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "2001:db8::1", "not an address"}) {
    EXPECT_FALSE(webhook_address_allowed(p, "h", no)) << no;
  }
  EXPECT_TRUE(webhook_address_allowed(p, "h", "172.32.0.1"));  // just past 172.16/12
}

TEST(WebhookPolicyTest, AllowEntriesOpenNetworksAndHosts) {
  WebhookPolicy p;
  std::string why;
  ASSERT_TRUE(p.allow("10.1.0.0/16", why)) << why;
  ASSERT_TRUE(p.allow("fd00::/8", why)) << why;
  ASSERT_TRUE(p.allow("Hooks.Internal", why)) << why;
  EXPECT_TRUE(webhook_address_allowed(p, "h", "10.1.200.3"));
  EXPECT_TRUE(webhook_address_allowed(p, "h", "::ffff:10.1.0.9"));
  EXPECT_FALSE(webhook_address_allowed(p, "h", "10.2.0.1"));
  EXPECT_TRUE(webhook_address_allowed(p, "h", "fd12::1"));
  EXPECT_TRUE(webhook_address_allowed(p, "hooks.internal", "192.168.7.7"));  // the host is allowed, wherever it is
  EXPECT_FALSE(webhook_address_allowed(p, "other.internal", "192.168.7.7"));
  for (const char* bad : {"10.0.0.0/33", "10.0.0.0/", "10.0.0/8", "::/129", "", "a b", "x/y"}) {
    EXPECT_FALSE(p.allow(bad, why)) << bad;
    EXPECT_FALSE(why.empty());
  }
}

}  // namespace
}  // namespace agentmesh::api
