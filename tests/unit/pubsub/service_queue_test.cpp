// The pubsub service's per-peer outbound queue over a real loopback
// connection: messages that wait longer than max_message_wait are dropped and
// counted, while the control and subscription changes queued with them still
// go out.

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "pubsub/service.hpp"
#include "testutil/testutil.hpp"

namespace agentmesh::pubsub {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

class ServiceQueueTest : public ::testing::Test {
 protected:
  struct Side {
    std::shared_ptr<transport::Host> host;
    std::shared_ptr<Service> service;
    std::vector<std::string> delivered;
  };

  std::unique_ptr<Side> make(ServiceConfig config) {
    auto side = std::make_unique<Side>();
    transport::TransportConfig tc;
    tc.listen = {core::Multiaddr::parse("/ip4/127.0.0.1/tcp/0").value()};
    auto log = std::make_shared<spdlog::logger>("pubsub", std::make_shared<spdlog::sinks::null_sink_mt>());
    side->host = transport::Host::create(ioc_.get_executor(), crypto::SigningKey::generate(), tc, log);
    std::string why;
    EXPECT_TRUE(side->host->listen(why)) << why;
    config.gossip.heartbeat = 100ms;
    side->service = Service::create(ioc_.get_executor(), *side->host, side->host->identity(), config, log);
    auto* delivered = &side->delivered;
    side->service->router().set_deliver(
        [delivered](const MessageId&, const wire::pubsub::Message& m, const core::PeerId&, const core::PeerId&) {
          delivered->push_back(m.data.value_or(""));
        });
    side->service->start();
    side->host->start();
    return side;
  }

  bool run_until(const std::function<bool()>& pred, std::chrono::milliseconds deadline = 15s) {
    return testutil::run_until(ioc_, pred, deadline);
  }

  void connect(Side& from, const Side& to) {
    std::optional<Result<core::PeerId>> out;
    auto task = [](std::shared_ptr<transport::Host> h, core::Multiaddr addr,
                   std::optional<Result<core::PeerId>>& o) -> transport::Task<void> {
      o.emplace(co_await h->connect(std::move(addr)));
    };
    const auto addr = to.host->listen_addrs().front().with_peer_id(to.host->peer_id());
    asio::co_spawn(ioc_, task(from.host, addr, out), [](const std::exception_ptr& e) {
      if (e) std::rethrow_exception(e);
    });
    ASSERT_TRUE(run_until([&] { return out.has_value(); }));
    ASSERT_TRUE(*out) << out->error().message();
  }

  static bool contains(const std::vector<core::PeerId>& peers, const core::PeerId& p) {
    return std::find(peers.begin(), peers.end(), p) != peers.end();
  }

  void TearDown() override {
    for (auto* s : {a_.get(), b_.get()}) {
      if (!s) continue;
      s->service->stop();
      s->host->stop();
    }
    ioc_.run_for(100ms);
  }

  asio::io_context ioc_;
  std::unique_ptr<Side> a_, b_;
};

TEST_F(ServiceQueueTest, StaleMessagesAreDroppedAndCountedWhileControlStillGoesOut) {
  ServiceConfig stale;
  stale.max_message_wait = 0ms;  // every message of A's expires before its write
  a_ = make(stale);
  b_ = make({});
  const auto a = a_->host->peer_id();
  const auto b = b_->host->peer_id();
  a_->service->join("t");
  b_->service->join("t");
  connect(*a_, *b_);
  // Subscriptions and GRAFTs went both ways: A's control was not dropped.
  ASSERT_TRUE(run_until([&] {
    return contains(a_->service->router().mesh("t"), b) && contains(b_->service->router().mesh("t"), a);
  }));

  // B's messages (default wait) reach A: the link carries messages.
  ASSERT_TRUE(b_->service->publish("t", "from b"));
  ASSERT_TRUE(run_until([&] { return a_->delivered == std::vector<std::string>{"from b"}; }));

  // A's message expires in its queue; A's unsubscription, queued after it on
  // the same stream, still arrives and is the sentinel.
  ASSERT_TRUE(a_->service->publish("t", "from a"));
  a_->service->leave("t");
  ASSERT_TRUE(run_until([&] { return !contains(b_->service->router().topic_peers("t"), a); }));
  EXPECT_TRUE(b_->delivered.empty());

  const auto stats = a_->service->stats();
  EXPECT_GE(stats.rpcs_expired, 1u);
  EXPECT_GE(stats.rpcs_dropped, stats.rpcs_expired);
  auto link = std::find_if(stats.links.begin(), stats.links.end(), [&](const LinkStats& l) { return l.peer == b; });
  ASSERT_NE(link, stats.links.end());
  EXPECT_GE(link->dropped, 1u);
  EXPECT_EQ(b_->service->stats().rpcs_expired, 0u);
}

}  // namespace
}  // namespace agentmesh::pubsub
