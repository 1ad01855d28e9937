// tasks/machine: every legal and illegal step, timeouts and requeue through
// a candidate list, late actions, deadlines, cancel from every state, and
// folding events out of order (a ManualClock's times, passed as `now`).
#include "tasks/machine.hpp"

#include <gtest/gtest.h>

#include "core/clock.hpp"

namespace agentmesh::tasks {
namespace {

AgentId agent(std::uint8_t n) {
  AgentId::Bytes b{};
  b[0] = n;
  return AgentId::from_array(b);
}

const AgentId kRequester = agent(1);
const AgentId kFirst = agent(2);
const AgentId kSecond = agent(3);
const AgentId kStranger = agent(9);

class MachineTest : public ::testing::Test {
 protected:
  // A task offered to `candidates` (capability-addressed when `capability`).
  Task make(std::vector<AgentId> candidates, std::string capability = {}, UnixMs deadline = 0) {
    NewTask n;
    TaskId::Bytes id{};
    id[0] = 7;
    n.id = TaskId::from_array(id);
    n.context_id = "ctx";
    n.requester = kRequester;
    n.candidates = std::move(candidates);
    n.capability = std::move(capability);
    n.input = {Part{Part::Kind::text, "translate this", "", "", "", 0}};
    n.acceptance_timeout_ms = 30'000;
    n.deadline_ms = deadline;
    auto e = create(n, clock_.now_ms(), limits_);
    EXPECT_TRUE(e);
    return *e->snapshot;
  }
  Command cmd(Action a, AgentId actor) {
    Command c;
    c.action = a;
    c.actor = actor;
    c.task = task_.id;
    return c;
  }
  // Decides and applies; the refusal when there is one.
  Result<Event> act(Command c) {
    auto e = decide(task_, c, clock_.now_ms(), limits_);
    if (e) {
      EXPECT_EQ(e->sequence, task_.sequence + 1);
      apply(task_, *e, limits_);
    }
    return e;
  }
  Result<Event> act(Action a, AgentId actor) { return act(cmd(a, actor)); }
  Result<Event> answer() {
    auto c = cmd(Action::input, kRequester);
    c.parts = {Part{Part::Kind::text, "the answer", "", "", "", 0}};
    return act(c);
  }
  Result<Event> progress(std::string text) {
    auto c = cmd(Action::progress, task_.assignee);
    c.parts = {Part{Part::Kind::text, std::move(text), "", "", "", 0}};
    return act(c);
  }
  void tick_to(UnixMs t) {
    clock_.advance(std::chrono::milliseconds(t - clock_.now_ms()));
    while (auto e = due(task_, clock_.now_ms(), limits_)) apply(task_, *e, limits_);
  }

  core::ManualClock clock_{1'700'000'000'000};
  Limits limits_;
  Task task_;
};

TEST_F(MachineTest, CreateOffersTheFirstCandidate) {
  task_ = make({kFirst, kSecond}, "translate");
  EXPECT_EQ(task_.state, TaskState::submitted);
  EXPECT_EQ(task_.sequence, 1u);
  EXPECT_EQ(task_.assignee, kFirst);
  EXPECT_EQ(task_.candidates, std::vector<AgentId>{kSecond});
  EXPECT_EQ(task_.accept_by_ms, clock_.now_ms() + 30'000);
}

TEST_F(MachineTest, TheHappyPathRunsToCompletedWithArtifacts) {
  task_ = make({kFirst});
  ASSERT_TRUE(act(Action::accept, kFirst));
  EXPECT_EQ(task_.state, TaskState::working);
  EXPECT_EQ(task_.accept_by_ms, 0);
  auto c = cmd(Action::progress, kFirst);
  c.percent = 50;
  c.chunks = {ArtifactChunk{"out", 0, false, {Part{Part::Kind::text, "hello ", "", "", "", 0}}}};
  ASSERT_TRUE(act(c));
  auto done = cmd(Action::complete, kFirst);
  done.chunks = {ArtifactChunk{"out", 1, true, {Part{Part::Kind::text, "world", "", "", "", 0}}}};
  ASSERT_TRUE(act(done));
  EXPECT_EQ(task_.state, TaskState::completed);
  EXPECT_EQ(task_.sequence, 4u);
  ASSERT_EQ(task_.artifacts.size(), 1u);
  EXPECT_EQ(task_.artifacts[0].chunks, 2u);
  EXPECT_TRUE(task_.artifacts[0].complete);
  EXPECT_EQ(task_.artifacts[0].parts[1].text, "world");
  EXPECT_EQ(task_.artifact_bytes, 11u);
}

TEST_F(MachineTest, InputRequiredRoundTrip) {
  task_ = make({kFirst});
  ASSERT_TRUE(act(Action::accept, kFirst));
  ASSERT_TRUE(act(Action::input_required, kFirst));
  EXPECT_EQ(task_.state, TaskState::input_required);
  EXPECT_EQ(act(Action::complete, kFirst).error(), error::invalid_transition);
  auto bare = cmd(Action::input, kRequester);  // an answer needs parts
  EXPECT_EQ(act(bare).error(), error::invalid_transition);
  ASSERT_TRUE(answer());
  EXPECT_EQ(task_.state, TaskState::working);
  EXPECT_EQ(task_.messages.back().parts[0].text, "the answer");
}

// Every action by every party from every reachable state: the table of what
// is legal. Anything else is refused and leaves the task unchanged.
TEST_F(MachineTest, OnlyTheRightPartyMayTakeEachStep) {
  struct Row {
    Action action;
    AgentId actor;
    TaskState from;
    std::optional<TaskState> to;  // nullopt: refused
    error why = error::invalid_transition;
  };
  const std::vector<Row> rows = {
      {Action::accept, kFirst, TaskState::submitted, TaskState::working},
      {Action::accept, kRequester, TaskState::submitted, std::nullopt, error::not_participant},
      {Action::accept, kStranger, TaskState::submitted, std::nullopt, error::not_participant},
      {Action::accept, kFirst, TaskState::working, std::nullopt},
      {Action::reject, kFirst, TaskState::submitted, TaskState::rejected},
      {Action::reject, kFirst, TaskState::working, std::nullopt},
      {Action::progress, kFirst, TaskState::submitted, std::nullopt},
      {Action::progress, kFirst, TaskState::working, TaskState::working},
      {Action::progress, kFirst, TaskState::input_required, std::nullopt},
      {Action::input_required, kFirst, TaskState::working, TaskState::input_required},
      {Action::input_required, kFirst, TaskState::submitted, std::nullopt},
      {Action::complete, kFirst, TaskState::submitted, std::nullopt},
      {Action::complete, kFirst, TaskState::working, TaskState::completed},
      {Action::complete, kRequester, TaskState::working, std::nullopt, error::not_participant},
      {Action::fail, kFirst, TaskState::submitted, std::nullopt},
      {Action::fail, kFirst, TaskState::working, TaskState::failed},
      {Action::fail, kFirst, TaskState::input_required, TaskState::failed},
      {Action::cancel, kFirst, TaskState::working, std::nullopt, error::not_participant},
      {Action::cancel, kRequester, TaskState::submitted, TaskState::canceled},
      {Action::cancel, kRequester, TaskState::working, TaskState::canceled},
      {Action::cancel, kRequester, TaskState::input_required, TaskState::canceled},
      {Action::input, kRequester, TaskState::working, std::nullopt},
      {Action::input, kFirst, TaskState::input_required, std::nullopt, error::not_participant},
      {Action::input, kRequester, TaskState::input_required, TaskState::working},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(std::string(to_string(row.action)) + " from " + std::string(to_string(row.from)));
    task_ = make({kFirst});
    if (row.from != TaskState::submitted) {
      ASSERT_TRUE(act(Action::accept, kFirst));
    }
    if (row.from == TaskState::input_required) {
      ASSERT_TRUE(act(Action::input_required, kFirst));
    }
    ASSERT_EQ(task_.state, row.from);
    const auto before = task_;
    auto c = cmd(row.action, row.actor);
    c.parts = {Part{Part::Kind::text, "words", "", "", "", 0}};
    auto e = act(c);
    if (row.to) {
      ASSERT_TRUE(e) << e.error().message();
      EXPECT_EQ(task_.state, *row.to);
    } else {
      ASSERT_FALSE(e);
      EXPECT_EQ(e.error(), row.why);
      EXPECT_EQ(task_, before);
    }
  }
}

TEST_F(MachineTest, NothingLeavesATerminalState) {
  for (auto end : {Action::complete, Action::fail, Action::cancel, Action::reject}) {
    task_ = make({kFirst});
    if (end == Action::complete || end == Action::fail) {
      ASSERT_TRUE(act(Action::accept, kFirst));
    }
    ASSERT_TRUE(act(end, end == Action::cancel ? kRequester : kFirst));
    ASSERT_TRUE(terminal(task_.state));
    const auto before = task_;
    for (auto a : {Action::accept, Action::reject, Action::progress, Action::input_required, Action::complete,
                   Action::fail, Action::input}) {
      auto e = act(cmd(a, by_assignee(a) ? kFirst : kRequester));
      ASSERT_FALSE(e);
      EXPECT_EQ(e.error(), error::invalid_transition);
    }
    EXPECT_EQ(act(Action::cancel, kRequester).error(), error::task_not_cancelable);
    tick_to(clock_.now_ms() + 10 * 60'000);  // no timer fires either
    EXPECT_EQ(task_, before);
  }
}

TEST_F(MachineTest, AcceptanceTimeoutMovesDownTheCandidateList) {
  task_ = make({kFirst, kSecond}, "translate");
  tick_to(clock_.now_ms() + 29'999);
  EXPECT_EQ(task_.assignee, kFirst);
  tick_to(clock_.now_ms() + 1);
  EXPECT_EQ(task_.state, TaskState::submitted);
  EXPECT_EQ(task_.assignee, kSecond);
  EXPECT_EQ(task_.attempt, 2u);
  EXPECT_EQ(task_.sequence, 2u);
  // The first candidate's late accept: refused, and nothing changes.
  const auto before = task_;
  EXPECT_EQ(act(Action::accept, kFirst).error(), error::task_reassigned);
  EXPECT_EQ(task_, before);
  ASSERT_TRUE(act(Action::accept, kSecond));
  EXPECT_EQ(task_.state, TaskState::working);
}

TEST_F(MachineTest, ACapabilityTaskNobodyAcceptsFailsWithNotAccepted) {
  task_ = make({kFirst, kSecond}, "translate");
  tick_to(clock_.now_ms() + 30'000);
  tick_to(clock_.now_ms() + 30'000);
  EXPECT_EQ(task_.state, TaskState::failed);
  EXPECT_EQ(task_.reason, kNotAccepted);
}

TEST_F(MachineTest, ARejectMovesToTheNextCandidateOrEndsTheTask) {
  task_ = make({kFirst, kSecond}, "translate");
  ASSERT_TRUE(act(Action::reject, kFirst));
  EXPECT_EQ(task_.assignee, kSecond);
  EXPECT_EQ(task_.state, TaskState::submitted);
  auto last = cmd(Action::reject, kSecond);
  last.reason = "busy";
  ASSERT_TRUE(act(last));
  EXPECT_EQ(task_.state, TaskState::rejected);
  EXPECT_EQ(task_.reason, "busy");
}

TEST_F(MachineTest, ANamedAssigneeIsOfferedAgainUpToTheAttemptLimit) {
  task_ = make({kFirst});
  for (std::uint32_t attempt = 2; attempt <= limits_.max_attempts; ++attempt) {
    tick_to(clock_.now_ms() + 30'000);
    EXPECT_EQ(task_.state, TaskState::submitted);
    EXPECT_EQ(task_.attempt, attempt);
    EXPECT_EQ(task_.assignee, kFirst);
  }
  tick_to(clock_.now_ms() + 30'000);
  EXPECT_EQ(task_.state, TaskState::failed);
  EXPECT_EQ(task_.reason, kNotAccepted);
}

TEST_F(MachineTest, ThePassedDeadlineFailsTheTaskFromAnyOpenState) {
  for (int accepted = 0; accepted < 3; ++accepted) {
    task_ = make({kFirst}, {}, clock_.now_ms() + 5'000);
    if (accepted >= 1) {
      ASSERT_TRUE(act(Action::accept, kFirst));
    }
    if (accepted >= 2) {
      ASSERT_TRUE(act(Action::input_required, kFirst));
    }
    EXPECT_EQ(next_due(task_), accepted ? task_.deadline_ms : std::min(task_.deadline_ms, task_.accept_by_ms));
    tick_to(task_.deadline_ms);
    EXPECT_EQ(task_.state, TaskState::failed);
    EXPECT_EQ(task_.reason, kDeadlineExceeded);
    EXPECT_FALSE(next_due(task_));
  }
}

TEST_F(MachineTest, ArtifactChunksMustComeInOrderAndWithinLimits) {
  limits_.max_chunk_bytes = 8;
  limits_.max_artifact_bytes = 12;
  task_ = make({kFirst});
  ASSERT_TRUE(act(Action::accept, kFirst));
  auto chunk = [&](std::uint32_t index, std::string text, bool last = false) {
    auto c = cmd(Action::progress, kFirst);
    c.chunks = {ArtifactChunk{"a", index, last, {Part{Part::Kind::text, std::move(text), "", "", "", 0}}}};
    return act(c);
  };
  EXPECT_EQ(chunk(1, "x").error(), error::invalid_transition);  // 0 first
  EXPECT_EQ(chunk(0, "123456789").error(), error::artifact_too_large);
  ASSERT_TRUE(chunk(0, "12345678"));
  EXPECT_EQ(chunk(1, "12345").error(), error::artifact_too_large);  // 13 bytes in all
  ASSERT_TRUE(chunk(1, "1234", true));
  EXPECT_EQ(chunk(2, "x").error(), error::invalid_transition);  // closed
  EXPECT_EQ(task_.artifact_bytes, 12u);
}

TEST_F(MachineTest, OversizedMessagesAreRefused) {
  limits_.max_message_bytes = 4;
  task_ = make({kFirst});
  ASSERT_TRUE(act(Action::accept, kFirst));
  EXPECT_EQ(progress("12345").error(), error::message_too_large);
  ASSERT_TRUE(progress("1234"));
}

TEST_F(MachineTest, AReplicaFoldsEventsInSequenceOrder) {
  task_ = make({kFirst});
  std::vector<Event> events;
  Task home = task_;
  auto step = [&](Command c) {
    auto e = decide(home, c, clock_.now_ms(), limits_);
    ASSERT_TRUE(e);
    apply(home, *e, limits_);
    events.push_back(*e);
  };
  step(cmd(Action::accept, kFirst));
  auto p = cmd(Action::progress, kFirst);
  p.percent = 10;
  step(p);
  step(cmd(Action::complete, kFirst));
  std::optional<Task> replica = for_replica(task_);  // it has seen `created`
  EXPECT_EQ(fold(replica, events[1]), Fold::early);
  EXPECT_EQ(fold(replica, events[0]), Fold::apply);
  apply(*replica, events[0], limits_);
  EXPECT_EQ(fold(replica, events[0]), Fold::stale);
  for (std::size_t i = 1; i < events.size(); ++i) {
    ASSERT_EQ(fold(replica, events[i]), Fold::apply);
    apply(*replica, events[i], limits_);
  }
  EXPECT_EQ(*replica, for_replica(home));
  EXPECT_EQ(fold(std::nullopt, events[1]), Fold::early);  // no snapshot, nothing to start from
}

}  // namespace
}  // namespace agentmesh::tasks
