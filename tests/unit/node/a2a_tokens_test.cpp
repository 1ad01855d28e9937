// node/a2a_tokens with a ManualClock and the memory store: a minted token
// authenticates as its agent until it expires or is revoked; bounds; a
// restart (a new service on the same store) keeps tokens; deleting the agent
// deletes them.

#include "node/a2a_tokens.hpp"

#include <gtest/gtest.h>

#include "node/error.hpp"
#include "unit/node/rig.hpp"

namespace agentmesh::node::test {
namespace {

using namespace std::chrono_literals;

class A2aTokenServiceTest : public ::testing::Test {
 protected:
  std::shared_ptr<A2aTokenService> service() {
    auto s = std::make_shared<A2aTokenService>(rig_.ctx, rig_.agents);
    std::string why;
    EXPECT_TRUE(s->load(why)) << why;
    rig_.agents->add_observer(s->agent_observer());
    return s;
  }

  std::shared_ptr<core::ManualClock> clock_ = std::make_shared<core::ManualClock>();
  testutil::TempDir dir_;
  boost::asio::io_context ioc_;
  Rig rig_{ioc_, clock_, dir_.path() / "a"};
};

TEST_F(A2aTokenServiceTest, ATokenIsItsAgentsCallerUntilItExpiresOrIsRevoked) {
  auto tokens = service();
  const auto tr = rig_.create_agent("tr");
  auto hour = rig_.await(tokens->create(tr, "acme", 3'600'000));
  ASSERT_TRUE(hour) << hour.error().message();
  auto forever = rig_.await(tokens->create(tr, "", 0));
  ASSERT_TRUE(forever);
  EXPECT_NE(hour->token, forever->token);
  auto caller = tokens->authenticate(hour->token);
  ASSERT_TRUE(caller);
  EXPECT_EQ(caller->agent, tr);
  EXPECT_EQ(caller->token, hour->info.id);
  EXPECT_EQ(caller->label, "acme");
  EXPECT_FALSE(tokens->authenticate(hour->token.substr(0, 67) + "x"));
  EXPECT_FALSE(tokens->authenticate(hour->token.substr(4)));  // without its prefix
  EXPECT_FALSE(tokens->authenticate(""));

  clock_->advance(3'600'000ms);
  EXPECT_FALSE(tokens->authenticate(hour->token));  // expired
  for (const auto& t : tokens->list(tr)) EXPECT_EQ(t.expired, t.id == hour->info.id);
  EXPECT_TRUE(tokens->authenticate(forever->token));

  // Restart: a new service loads both from the store.
  auto again = service();
  EXPECT_EQ(again->list(tr).size(), 2u);
  EXPECT_TRUE(again->authenticate(forever->token));
  ASSERT_TRUE(rig_.await(again->revoke(tr, forever->info.id)));
  EXPECT_FALSE(again->authenticate(forever->token));
  EXPECT_EQ(rig_.await(again->revoke(tr, forever->info.id)).error(), error::unknown_token);
  EXPECT_EQ(service()->list(tr).size(), 1u);  // the revoke is durable
}

TEST_F(A2aTokenServiceTest, BoundsAndTheAgentsDeletion) {
  auto tokens = service();
  const auto tr = rig_.create_agent("tr");
  const auto other = rig_.create_agent("other");
  EXPECT_EQ(rig_.await(tokens->create(core::AgentId::from_array({7}), "", 0)).error(), error::unknown_agent);
  EXPECT_EQ(rig_.await(tokens->create(tr, std::string(129, 'l'), 0)).error(), error::invalid_agent_field);
  EXPECT_EQ(rig_.await(tokens->create(tr, "\xff", 0)).error(), error::invalid_agent_field);
  EXPECT_EQ(rig_.await(tokens->create(tr, "", -1)).error(), error::invalid_agent_field);
  std::string kept;
  for (std::size_t i = 0; i < A2aTokenService::kMaxPerAgent; ++i) {
    auto t = rig_.await(tokens->create(tr, "", 0));
    ASSERT_TRUE(t);
    if (i == 0) kept = t->token;
  }
  EXPECT_EQ(rig_.await(tokens->create(tr, "", 0)).error(), error::too_many_tokens);
  auto theirs = rig_.await(tokens->create(other, "", 0));  // the bound is per agent
  ASSERT_TRUE(theirs);
  // A token is revoked through its own agent only.
  EXPECT_EQ(rig_.await(tokens->revoke(tr, theirs->info.id)).error(), error::unknown_token);

  ASSERT_TRUE(rig_.await(rig_.agents->remove(tr)));
  EXPECT_FALSE(tokens->authenticate(kept));
  EXPECT_TRUE(tokens->list(tr).empty());
  EXPECT_EQ(tokens->size(), 1u);
  EXPECT_EQ(service()->size(), 1u);  // and in the store
}

}  // namespace
}  // namespace agentmesh::node::test
