// tasks/codec: round trips of every value, and the decoder's refusals.
#include "tasks/codec.hpp"

#include <gtest/gtest.h>

#include "tasks/fingerprint.hpp"
#include "tasks/machine.hpp"

namespace agentmesh::tasks {
namespace {

AgentId agent_n(std::uint8_t n) {
  AgentId::Bytes b{};
  b[31] = n;
  return AgentId::from_array(b);
}

Task full_task() {
  Task t;
  TaskId::Bytes id{};
  id[3] = 0xab;
  t.id = TaskId::from_array(id);
  t.context_id = "conv-1";
  t.requester = agent_n(1);
  t.assignee = agent_n(2);
  t.capability = "translate";
  t.candidates = {agent_n(3), agent_n(4)};
  t.former = {agent_n(5)};
  t.attempt = 2;
  t.state = TaskState::working;
  t.sequence = 9;
  t.input = {Part{Part::Kind::text, "hi", "text/plain", "", "", 0},
             Part{Part::Kind::data, R"({"a":[1,2]})", "application/json", "", "", 0},
             Part{Part::Kind::file, "", "image/png", "file:///tmp/x.png", "x.png", 1234}};
  t.messages = {StatusMessage{agent_n(2), {Part{Part::Kind::text, "half", "", "", "", 0}}, 50, 17}};
  t.reason = "";
  t.artifacts = {Artifact{"out", {Part{Part::Kind::text, "abc", "", "", "", 0}}, 1, false}};
  t.artifact_bytes = 3;
  t.acceptance_timeout_ms = 30'000;
  t.created_ms = 10;
  t.updated_ms = 17;
  t.accept_by_ms = 0;
  t.deadline_ms = 99'000;
  t.metadata = {{"k", "v"}, {"unicode", "\xc3\xa9"}};
  return t;
}

TEST(TaskCodecTest, TaskRoundTrips) {
  const auto t = full_task();
  auto back = decode_task(encode(t));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, t);
}

TEST(TaskCodecTest, EventAndCommandMessagesRoundTrip) {
  Event e;
  e.task = full_task().id;
  e.sequence = 9;
  e.kind = EventKind::offered;
  e.state = TaskState::working;
  e.attempt = 2;
  e.assignee = agent_n(2);
  e.time_ms = 17;
  e.message = StatusMessage{agent_n(2), {}, 100, 17};
  e.chunks = {ArtifactChunk{"out", 0, true, {Part{Part::Kind::text, "x", "", "", "", 0}}}};
  e.reason = "why";
  e.snapshot = full_task();
  auto m = decode_message(encode_message(e));
  ASSERT_TRUE(m);
  EXPECT_EQ(std::get<Event>(*m), e);
  auto stored = decode_event(encode(e));
  ASSERT_TRUE(stored);
  EXPECT_EQ(*stored, e);

  Command c;
  c.task = e.task;
  c.action = Action::complete;
  c.actor = agent_n(2);
  c.attempt = 2;
  c.parts = {Part{Part::Kind::text, "done", "", "", "", 0}};
  c.percent = 100;
  c.chunks = e.chunks;
  c.reason = "r";
  auto cm = decode_message(encode_message(c));
  ASSERT_TRUE(cm);
  EXPECT_EQ(std::get<Command>(*cm), c);
}

TEST(TaskCodecTest, MalformedMessagesAreRefused) {
  Command c;
  c.task = full_task().id;
  c.actor = agent_n(2);
  const std::string good = encode_message(c);
  ASSERT_TRUE(decode_message(good));
  const std::vector<std::string> bad = {
      "",
      "[]",
      "{}",
      R"({"v":2,"command":{}})",
      R"({"v":1})",
      R"({"v":1,"command":{},"event":{}})",
      R"({"v":1,"other":{}})",
      // an unknown member, a bad id, a bad action, a percent over 100
      good.substr(0, good.size() - 2) + R"(,"x":1}})",
  };
  for (const auto& b : bad) EXPECT_EQ(decode_message(b).error(), error::malformed_transition) << b;
  auto replace = [&](std::string from, std::string to) {
    auto s = good;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  EXPECT_FALSE(decode_message(replace(c.actor.to_string(), "00")));
  EXPECT_FALSE(decode_message(replace("\"accept\"", "\"explode\"")));
  EXPECT_FALSE(decode_message(replace("\"parts\":[]", "\"parts\":[],\"percent\":101")));
  std::string deep(100, '[');
  EXPECT_FALSE(decode_message(R"({"v":1,"command":)" + deep));
}

TEST(TaskCodecTest, ASnapshotMustMatchItsEvent) {
  Event e;
  e.task = full_task().id;
  e.sequence = 3;  // the snapshot says 9
  e.state = TaskState::working;
  e.snapshot = full_task();
  EXPECT_EQ(decode_message(encode_message(e)).error(), error::malformed_transition);
}

TEST(TaskFingerprintTest, CoversTheActionAndItsPayloadOnly) {
  Command a;
  a.task = full_task().id;
  a.action = Action::progress;
  a.parts = {Part{Part::Kind::text, "x", "", "", "", 0}};
  auto b = a;
  b.attempt = 7;  // derived by the daemon, not stated by the caller
  b.actor = agent_n(8);
  EXPECT_EQ(fingerprint(a), fingerprint(b));
  b.parts[0].text = "y";
  EXPECT_NE(fingerprint(a), fingerprint(b));
  b = a;
  b.action = Action::complete;
  EXPECT_NE(fingerprint(a), fingerprint(b));
  b = a;
  b.percent = 0;
  EXPECT_NE(fingerprint(a), fingerprint(b));
}

}  // namespace
}  // namespace agentmesh::tasks
