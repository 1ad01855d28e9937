#include "node/node_handle.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <atomic>
#include <future>
#include <thread>

#include "node/error.hpp"
#include "node/node.hpp"
#include "node/peers.hpp"
#include "testutil/testutil.hpp"

namespace agentmesh::node {
namespace {

// A node whose io_context runs on its own thread; the test thread reaches it
// only through a NodeHandle, from a coroutine on another io_context.
class NodeHandleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NodeConfig cfg;
    cfg.data_dir = dir_.path() / "data";
    std::string why;
    auto log = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
    node_ = Node::open(node_ioc_.get_executor(), cfg, log, why).value();
    // The services belong to the thread that runs the node's io_context.
    std::promise<void> bound;
    boost::asio::post(node_ioc_, [this, &bound] {
      node_thread_ = std::this_thread::get_id();
      EXPECT_TRUE(node_->on_node_thread());  // the first use binds the services' thread check
      bound.set_value();
    });
    work_.emplace(node_ioc_.get_executor());
    runner_ = std::thread([this] { node_ioc_.run(); });
    bound.get_future().wait();
  }
  void TearDown() override {
    boost::asio::post(node_ioc_, [this] { node_->stop(); });
    work_.reset();
    runner_.join();
  }

  template <class T>
  T call(boost::asio::awaitable<T> task) {
    boost::asio::io_context caller;
    std::optional<T> out;
    auto run = [&]() -> boost::asio::awaitable<void> { out.emplace(co_await std::move(task)); };
    boost::asio::co_spawn(caller, std::move(run), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
    caller.run();
    return std::move(*out);
  }

  testutil::TempDir dir_;
  boost::asio::io_context node_ioc_;
  std::shared_ptr<Node> node_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread runner_;
  std::thread::id node_thread_;
};

TEST_F(NodeHandleTest, OperationsFromAnotherThreadRunOnTheNodesThread) {
  NodeHandle handle(node_);
  CreateAgentRequest req;
  req.name = "alice";
  auto created = call(handle.create_agent(std::move(req)));
  ASSERT_TRUE(created) << created.error().message();
  EXPECT_EQ(created->agent.name, "alice");
  auto list = call(handle.agents());
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, created->agent.id);
  SendRequest send;
  send.to = "alice";
  send.content.body = "to myself";
  auto receipt = call(handle.send(created->agent.id, std::move(send)));
  ASSERT_TRUE(receipt);
  EXPECT_EQ(receipt->seq.value, 1u);
  auto page = call(handle.read_inbox(created->agent.id, core::Seq{}, 10));
  ASSERT_TRUE(page);
  EXPECT_EQ(page->messages.at(0).content.body, "to myself");
  EXPECT_EQ(page->position.last.value, 1u);
  EXPECT_NE(node_thread_, std::this_thread::get_id());  // every call above crossed threads (debug builds check)
}

TEST_F(NodeHandleTest, MeshWatchersAreWokenByDirectoryChangesUntilTheyLeaveAndAreBounded) {
  NodeHandle handle(node_);
  std::atomic<int> wakes{0};
  auto token = call(handle.watch_mesh([&wakes] { ++wakes; }));
  ASSERT_TRUE(token) << token.error().message();
  const auto before = call(handle.mesh_changes()).value();
  CreateAgentRequest req;
  req.name = "carol";
  ASSERT_TRUE(call(handle.create_agent(std::move(req))));
  EXPECT_GT(call(handle.mesh_changes()).value(), before) << "a new local agent changes the directory";
  EXPECT_GE(wakes.load(), 1);
  handle.unwatch_mesh(*token);  // posted to the node's thread, ahead of the next call
  const int seen = wakes.load();
  CreateAgentRequest again;
  again.name = "dave";
  ASSERT_TRUE(call(handle.create_agent(std::move(again))));
  EXPECT_EQ(wakes.load(), seen) << "an unwatched watcher is not woken";
  std::vector<std::uint64_t> tokens;
  for (std::size_t i = 0; i < PeerService::kMaxMeshWatchers; ++i) {
    auto t = call(handle.watch_mesh([] {}));
    ASSERT_TRUE(t) << i;
    tokens.push_back(*t);
  }
  auto over = call(handle.watch_mesh([] {}));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error(), error::too_many_streams);
  handle.unwatch_mesh(tokens.back());
  EXPECT_TRUE(call(handle.watch_mesh([] {}))) << "a slot freed is free again";
}

TEST_F(NodeHandleTest, AGoneNodeAnswersShuttingDown) {
  NodeHandle handle;  // refers to no node (or to one that was destroyed)
  EXPECT_EQ(call(handle.agents()).error(), error::shutting_down);
  EXPECT_EQ(call(handle.node_info()).error(), error::shutting_down);
}

}  // namespace
}  // namespace agentmesh::node
