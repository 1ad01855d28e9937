// node/tasks on one daemon, with a ManualClock and the memory store: the
// acceptance timeout requeues, the deadline fails the task for every party,
// idempotent creates and actions. tick() is driven by the test after moving
// the clock; nothing waits on real time.
#include <gtest/gtest.h>

#include "node/tasks.hpp"
#include "rig.hpp"

namespace agentmesh::node::test {
namespace {

using namespace std::chrono_literals;

class TaskServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = std::make_unique<Rig>(ioc_, clock_, dir_.path() / "a");
    alice_ = a_->create_agent("alice");
    w1_ = a_->create_agent("w1", {"translate"});
    w2_ = a_->create_agent("w2", {"translate"});
  }
  static std::vector<tasks::Part> text(std::string s) {
    return {tasks::Part{tasks::Part::Kind::text, std::move(s), "", "", "", 0}};
  }
  Result<TaskResult> act(core::AgentId who, core::TaskId id, tasks::Action a, std::optional<std::string> rid = {}) {
    TaskActionRequest req;
    req.action = a;
    req.request_id = std::move(rid);
    return a_->await(a_->tasks->act(who, id, std::move(req)));
  }
  // Moves the clock, ticks, and runs until the task reaches `sequence` and
  // the service has taken the step (its commit is visible to readers a
  // moment before the service resumes after it). One task per test, so the
  // service's step count is the task's sequence.
  bool advance_to(std::chrono::milliseconds d, core::TaskId id, std::uint64_t sequence) {
    clock_->advance(d);
    a_->tasks->tick();
    return a_->run_until([&] {
      auto t = a_->tasks->get(alice_, id);
      return t && t->sequence == sequence && a_->tasks->stats().steps == sequence;
    });
  }
  std::size_t task_events(core::AgentId agent) {
    std::size_t n = 0;
    for (const auto& m : a_->inboxes->read(agent, core::Seq{0}, 100).value()) {
      n += m.content.content_type == kTaskEventContentType ? 1 : 0;
    }
    return n;
  }

  std::shared_ptr<core::ManualClock> clock_ = std::make_shared<core::ManualClock>();
  testutil::TempDir dir_;
  boost::asio::io_context ioc_;
  std::unique_ptr<Rig> a_;
  core::AgentId alice_, w1_, w2_;
};

TEST_F(TaskServiceTest, TheAcceptanceTimeoutRequeuesToTheNextCandidate) {
  CreateTaskRequest req;
  req.capability = "translate";
  req.input = text("bonjour");
  req.acceptance_timeout_ms = 1000;
  auto created = a_->await(a_->tasks->create(alice_, req));
  ASSERT_TRUE(created) << created.error().message();
  const auto id = created->task.id;
  const auto first = created->task.assignee;
  const auto second = first == w1_ ? w2_ : w1_;
  // Not due one millisecond early.
  clock_->advance(999ms);
  a_->tasks->tick();
  ioc_.poll();
  EXPECT_EQ(a_->tasks->get(alice_, id)->sequence, 1u);
  ASSERT_TRUE(advance_to(1ms, id, 2));
  auto t = a_->tasks->get(alice_, id).value();
  EXPECT_EQ(t.assignee, second);
  EXPECT_EQ(t.attempt, 2u);
  EXPECT_EQ(t.state, tasks::TaskState::submitted);
  EXPECT_EQ(act(first, id, tasks::Action::accept).error(), tasks::error::task_reassigned);
  auto accepted = act(second, id, tasks::Action::accept);
  ASSERT_TRUE(accepted) << accepted.error().message();
  EXPECT_EQ(accepted->task.state, tasks::TaskState::working);
  EXPECT_EQ(a_->tasks->stats().requeued, 1u);
  // Accepted: no timer is left (a tick far later changes nothing).
  clock_->advance(1h);
  a_->tasks->tick();
  ioc_.poll();
  EXPECT_EQ(a_->tasks->get(alice_, id)->sequence, 3u);
  // The withdrawn candidate heard of the offer and of its withdrawal.
  EXPECT_EQ(task_events(first), 2u);
  EXPECT_EQ(task_events(alice_), 3u);
}

TEST_F(TaskServiceTest, ThePassedDeadlineFailsTheTaskForEveryParty) {
  CreateTaskRequest req;
  req.to = "w1";
  req.input = text("urgent");
  req.deadline_ms = 5000;
  auto created = a_->await(a_->tasks->create(alice_, req));
  ASSERT_TRUE(created);
  const auto id = created->task.id;
  ASSERT_TRUE(act(w1_, id, tasks::Action::accept));
  ASSERT_TRUE(advance_to(5s, id, 3));
  auto t = a_->tasks->get(w1_, id).value();
  EXPECT_EQ(t.state, tasks::TaskState::failed);
  EXPECT_EQ(t.reason, tasks::kDeadlineExceeded);
  EXPECT_EQ(task_events(w1_), 3u);
  EXPECT_EQ(a_->tasks->stats().timed_out, 1u);
  EXPECT_EQ(a_->tasks->stats().open, 0u);
}

// A stream of one task is woken by that task's steps only; a stream of all
// of an agent's tasks by every one of them.
TEST_F(TaskServiceTest, AWatcherOfOneTaskIsWokenOnlyByItsSteps) {
  CreateTaskRequest req;
  req.to = "w1";
  req.input = text("one");
  auto first = a_->await(a_->tasks->create(alice_, req));
  ASSERT_TRUE(first);
  req.input = text("two");
  auto second = a_->await(a_->tasks->create(alice_, req));
  ASSERT_TRUE(second);
  int of_first = 0, of_all = 0;
  const auto t1 = a_->tasks->watch(alice_, first->task.id, [&] { ++of_first; });
  const auto t2 = a_->tasks->watch(alice_, std::nullopt, [&] { ++of_all; });
  ASSERT_TRUE(act(w1_, second->task.id, tasks::Action::accept));
  EXPECT_EQ(of_first, 0);
  EXPECT_EQ(of_all, 1);
  ASSERT_TRUE(act(w1_, first->task.id, tasks::Action::accept));  // also the sentinel for the first step
  EXPECT_EQ(of_first, 1);
  EXPECT_EQ(of_all, 2);
  a_->tasks->unwatch(alice_, t1);
  a_->tasks->unwatch(alice_, t2);
  ASSERT_TRUE(act(w1_, first->task.id, tasks::Action::complete));
  EXPECT_EQ(of_first, 1);
  EXPECT_EQ(of_all, 2);
}

TEST_F(TaskServiceTest, RepeatedRequestIdsAnswerTheFirstResult) {
  CreateTaskRequest req;
  req.to = "w1";
  req.input = text("once");
  req.idempotency_key = "k";
  auto first = a_->await(a_->tasks->create(alice_, req));
  ASSERT_TRUE(first);
  auto again = a_->await(a_->tasks->create(alice_, req));
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->task.id, first->task.id);
  req.input = text("twice");
  EXPECT_EQ(a_->await(a_->tasks->create(alice_, req)).error(), tasks::error::idempotency_conflict);
  const auto id = first->task.id;
  ASSERT_TRUE(act(w1_, id, tasks::Action::accept, "a1"));
  auto repeat = act(w1_, id, tasks::Action::accept, "a1");
  ASSERT_TRUE(repeat) << repeat.error().message();
  EXPECT_TRUE(repeat->duplicate);
  EXPECT_EQ(repeat->task.sequence, 2u);
  EXPECT_EQ(act(w1_, id, tasks::Action::complete, "a1").error(), tasks::error::idempotency_conflict);
  EXPECT_EQ(a_->tasks->stats().created, 1u);
  EXPECT_EQ(task_events(w1_), 2u);  // created, accepted: nothing twice
}

}  // namespace
}  // namespace agentmesh::node::test
