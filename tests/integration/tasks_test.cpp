// Tasks across daemons (issue 13), on 127.0.0.1: a capability-addressed task
// whose first candidate never accepts is requeued and accepted by the
// second; progress with artifact chunks; an input_required round trip;
// completed with its artifacts visible to the requester; cancel during work;
// a named remote assignee offline past the deadline; bad input changing
// nothing.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "testutil/testutil.hpp"

namespace agentmesh::testutil {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

TestAgent create_worker(const Daemon& d, const std::string& name, const std::string& capability) {
  auto r = d.admin().request("POST", "/v1/agents",
                             json::serialize(json::object{{"name", name}, {"capabilities", json::array{capability}}}),
                             "application/json");
  EXPECT_TRUE(r && r->status == 201);
  auto v = json::parse(r->body);
  return {std::string(v.at("agent_id").as_string()), std::string(v.at("token").as_string())};
}

std::string tasks_of(const TestAgent& a) { return "/v1/agents/" + a.id + "/tasks"; }

json::array text(const std::string& s) { return json::array{json::object{{"kind", "text"}, {"text", s}}}; }

Reply act(const Daemon& d, const TestAgent& a, const std::string& task, const std::string& action,
          json::object body = {}) {
  return request(d, a, "POST", tasks_of(a) + "/" + task + "/" + action, body);
}

Reply show(const Daemon& d, const TestAgent& a, const std::string& task) {
  return request(d, a, "GET", tasks_of(a) + "/" + task);
}

// Waits until `a`'s copy of the task on `d` is in `state` at `sequence`.
bool reaches(const Daemon& d, const TestAgent& a, const std::string& task, const std::string& state,
             const std::string& sequence, std::chrono::milliseconds within = 20s) {
  return eventually(
      [&] {
        auto t = show(d, a, task);
        return t.status == 200 && t.text("state") == state && t.text("state_sequence") == sequence;
      },
      within);
}

// The task events in an agent's inbox, as (kind, state_sequence).
std::vector<std::pair<std::string, std::string>> task_events(const Daemon& d, const TestAgent& a) {
  std::vector<std::pair<std::string, std::string>> out;
  auto v = get_json(d, "/v1/agents/" + a.id + "/inbox?limit=1000");
  for (const auto& m : v.at("messages").as_array()) {
    if (m.at("content_type").as_string() != "application/vnd.agentmesh.task-event+json") continue;
    EXPECT_FALSE(m.as_object().contains("body")) << m;  // the public form only, not the stored bytes
    const auto& e = m.at("task_event");
    out.emplace_back(std::string(e.at("kind").as_string()), json::serialize(e.at("state_sequence")));
  }
  return out;
}

class TasksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = std::make_unique<Daemon>(dir_.path() / "a");
    a_->start();
    b_ = std::make_unique<Daemon>(dir_.path() / "b", std::vector<std::string>{"--bootstrap", p2p_addr(*a_)});
    b_->start();
    c_ = std::make_unique<Daemon>(dir_.path() / "c", std::vector<std::string>{"--bootstrap", p2p_addr(*a_)});
    c_->start();
    alice_ = create_agent(*a_, "alice");
    w1_ = create_worker(*b_, "w1", "translate");
    w2_ = create_worker(*c_, "w2", "translate");
    ASSERT_TRUE(eventually([&] { return online_remote(*a_, w1_.id) && online_remote(*a_, w2_.id); }, 30s)) << a_->log();
  }

  TempDir dir_;
  std::unique_ptr<Daemon> a_, b_, c_;
  TestAgent alice_, w1_, w2_;
};

TEST_F(TasksTest, ACapabilityTaskIsRequeuedThenRunsToCompletionWithArtifactsAndInput) {
  auto created = request(*a_, alice_, "POST", tasks_of(alice_),
                         json::object{{"capability", "translate"},
                                      {"input", text("bonjour")},
                                      {"acceptance_timeout_ms", 1500},
                                      {"idempotency_key", "job-1"}});
  ASSERT_EQ(created.status, 202) << json::serialize(created.body) << a_->log();
  const auto id = created.text("task_id");
  EXPECT_EQ(created.text("state"), "submitted");
  EXPECT_EQ(created.text("state_sequence"), "1");
  // The same key and content: the same task; other content: a conflict.
  auto again = request(*a_, alice_, "POST", tasks_of(alice_),
                       json::object{{"capability", "translate"},
                                    {"input", text("bonjour")},
                                    {"acceptance_timeout_ms", 1500},
                                    {"idempotency_key", "job-1"}});
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.text("task_id"), id);
  EXPECT_EQ(again.text("duplicate"), "true");
  auto conflict =
      request(*a_, alice_, "POST", tasks_of(alice_),
              json::object{{"capability", "translate"}, {"input", text("hola")}, {"idempotency_key", "job-1"}});
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(conflict.text("error"), "idempotency_conflict");

  // Whoever was offered it first never answers; after the timeout the other has it.
  const auto first_id = created.text("assignee");
  const bool w1_first = first_id == w1_.id;
  const auto& first = w1_first ? w1_ : w2_;
  const auto& second = w1_first ? w2_ : w1_;
  Daemon& first_d = w1_first ? *b_ : *c_;
  Daemon& second_d = w1_first ? *c_ : *b_;
  ASSERT_TRUE(reaches(first_d, first, id, "submitted", "1")) << first_d.log();
  ASSERT_TRUE(reaches(*a_, alice_, id, "submitted", "2", 20s)) << a_->log();
  EXPECT_EQ(show(*a_, alice_, id).text("assignee"), second.id);
  EXPECT_EQ(show(*a_, alice_, id).text("attempt"), "2");
  ASSERT_TRUE(reaches(second_d, second, id, "submitted", "2")) << second_d.log();
  ASSERT_TRUE(reaches(first_d, first, id, "submitted", "2")) << first_d.log();  // it learns it was withdrawn
  auto late = act(first_d, first, id, "accept");
  EXPECT_EQ(late.status, 409) << json::serialize(late.body);
  EXPECT_EQ(late.text("error"), "task_reassigned");

  auto accepted = act(second_d, second, id, "accept", {{"request_id", "acc-1"}});
  ASSERT_EQ(accepted.status, 200) << json::serialize(accepted.body) << second_d.log();
  EXPECT_EQ(accepted.text("state"), "working");
  // A repeat of the same action: the same answer, nothing taken twice.
  auto repeat = act(second_d, second, id, "accept", {{"request_id", "acc-1"}});
  EXPECT_EQ(repeat.status, 200) << json::serialize(repeat.body);
  EXPECT_EQ(repeat.text("duplicate"), "true");

  auto chunk = [&](int index, const std::string& s, bool last) {
    return json::array{json::object{{"name", "translation"}, {"index", index}, {"last", last}, {"parts", text(s)}}};
  };
  auto p = act(second_d, second, id, "progress",
               {{"percent", 50}, {"parts", text("halfway")}, {"artifacts", chunk(0, "hello ", false)}});
  ASSERT_EQ(p.status, 200) << json::serialize(p.body);
  auto ask = act(second_d, second, id, "input-required", {{"parts", text("formal or casual?")}});
  ASSERT_EQ(ask.status, 200) << json::serialize(ask.body);
  ASSERT_TRUE(reaches(*a_, alice_, id, "input_required", "5"));
  auto answer =
      request(*a_, alice_, "POST", tasks_of(alice_) + "/" + id + "/messages", json::object{{"parts", text("casual")}});
  ASSERT_EQ(answer.status, 200) << json::serialize(answer.body);
  EXPECT_EQ(answer.text("state"), "working");
  ASSERT_TRUE(reaches(second_d, second, id, "working", "6"));
  auto done = act(second_d, second, id, "complete", {{"artifacts", chunk(1, "world", true)}});
  ASSERT_EQ(done.status, 200) << json::serialize(done.body);

  ASSERT_TRUE(reaches(*a_, alice_, id, "completed", "7"));
  auto t = show(*a_, alice_, id);
  const auto& artifacts = t.body.at("artifacts").as_array();
  ASSERT_EQ(artifacts.size(), 1u);
  EXPECT_EQ(artifacts[0].at("chunks").as_int64(), 2);
  EXPECT_TRUE(artifacts[0].at("complete").as_bool());
  EXPECT_EQ(artifacts[0].at("parts").as_array()[1].at("text").as_string(), "world");
  // Both copies agree, and the requester's inbox has every step once.
  ASSERT_TRUE(reaches(second_d, second, id, "completed", "7"));
  auto mine = show(second_d, second, id);
  EXPECT_EQ(json::serialize(mine.body.at("artifacts")), json::serialize(t.body.at("artifacts")));
  auto steps = task_events(*a_, alice_);
  ASSERT_EQ(steps.size(), 7u);
  for (std::size_t i = 0; i < steps.size(); ++i) EXPECT_EQ(steps[i].second, std::to_string(i + 1));
  EXPECT_EQ(steps.back().first, "completed");
  // Nothing leaves a terminal state.
  auto after_end = act(second_d, second, id, "progress", {{"parts", text("more")}});
  EXPECT_EQ(after_end.status, 409);
  auto cancel_ended = act(*a_, alice_, id, "cancel");
  EXPECT_EQ(cancel_ended.status, 409);
  EXPECT_EQ(cancel_ended.text("error"), "task_not_cancelable");
}

TEST_F(TasksTest, CancelDuringWorkReachesTheAssignee) {
  auto created =
      request(*a_, alice_, "POST", tasks_of(alice_), json::object{{"to", w1_.id}, {"input", text("long job")}});
  ASSERT_EQ(created.status, 202) << json::serialize(created.body);
  const auto id = created.text("task_id");
  ASSERT_TRUE(reaches(*b_, w1_, id, "submitted", "1"));
  ASSERT_EQ(act(*b_, w1_, id, "accept").status, 200);
  // Only the requester cancels.
  auto wrong = act(*b_, w1_, id, "cancel");
  EXPECT_EQ(wrong.status, 403);
  EXPECT_EQ(wrong.text("error"), "not_participant");
  auto canceled = act(*a_, alice_, id, "cancel", {{"reason", "changed my mind"}, {"request_id", "c1"}});
  ASSERT_EQ(canceled.status, 200) << json::serialize(canceled.body);
  EXPECT_EQ(canceled.text("state"), "canceled");
  auto twice = act(*a_, alice_, id, "cancel", {{"reason", "changed my mind"}, {"request_id", "c1"}});
  EXPECT_EQ(twice.status, 200);
  EXPECT_EQ(twice.text("state"), "canceled");
  EXPECT_EQ(twice.text("duplicate"), "true");
  ASSERT_TRUE(reaches(*b_, w1_, id, "canceled", "3")) << b_->log();
  auto late = act(*b_, w1_, id, "complete");
  EXPECT_EQ(late.status, 409);
  EXPECT_EQ(late.text("error"), "invalid_transition");
  auto w1_steps = task_events(*b_, w1_);
  ASSERT_EQ(w1_steps.size(), 3u);
  EXPECT_EQ(w1_steps[2].first, "canceled");
  // Request ids outlive a restart: the same one answers the first result,
  // with other content it is a conflict.
  ASSERT_EQ(a_->stop(), 0);
  a_->start();
  auto after_restart = act(*a_, alice_, id, "cancel", {{"reason", "changed my mind"}, {"request_id", "c1"}});
  EXPECT_EQ(after_restart.status, 200) << json::serialize(after_restart.body);
  EXPECT_EQ(after_restart.text("duplicate"), "true");
  auto other = act(*a_, alice_, id, "cancel", {{"reason", "another reason"}, {"request_id", "c1"}});
  EXPECT_EQ(other.status, 409);
  EXPECT_EQ(other.text("error"), "idempotency_conflict");
  EXPECT_EQ(show(*a_, alice_, id).text("state_sequence"), "3");
}

TEST_F(TasksTest, ANamedAssigneeOfflinePastTheDeadlineFailsOnBothSides) {
  c_->stop();
  auto created = request(*a_, alice_, "POST", tasks_of(alice_),
                         json::object{{"to", w2_.id}, {"input", text("urgent")}, {"deadline_ms", 1500}});
  ASSERT_EQ(created.status, 202) << json::serialize(created.body) << a_->log();
  const auto id = created.text("task_id");
  ASSERT_TRUE(reaches(*a_, alice_, id, "failed", "2"));
  EXPECT_EQ(show(*a_, alice_, id).text("reason"), "deadline_exceeded");
  c_->start();
  ASSERT_TRUE(reaches(*c_, w2_, id, "failed", "2", 30s)) << c_->log();
  EXPECT_EQ(show(*c_, w2_, id).text("reason"), "deadline_exceeded");
}

// An assignee acts while the requester's daemon is down: the action is
// pending (202), the outbox sends it once that daemon is back, and a repeat
// of the same request id gets the outcome, not a refusal from the copy that
// has moved on meanwhile.
TEST_F(TasksTest, AnActionWhileTheRequestersDaemonIsDownIsAppliedWhenItReturns) {
  auto created = request(*a_, alice_, "POST", tasks_of(alice_), json::object{{"to", w1_.id}, {"input", text("x")}});
  ASSERT_EQ(created.status, 202);
  const auto id = created.text("task_id");
  ASSERT_TRUE(reaches(*b_, w1_, id, "submitted", "1"));
  ASSERT_EQ(a_->stop(), 0);
  auto pending = act(*b_, w1_, id, "accept", {{"request_id", "r1"}, {"timeout_ms", 300}});
  EXPECT_EQ(pending.status, 202) << json::serialize(pending.body);
  EXPECT_EQ(pending.text("pending"), "true");
  a_->start();
  ASSERT_TRUE(reaches(*a_, alice_, id, "working", "2", 30s)) << b_->log();
  ASSERT_TRUE(reaches(*b_, w1_, id, "working", "2", 30s));
  auto repeat = act(*b_, w1_, id, "accept", {{"request_id", "r1"}});
  EXPECT_EQ(repeat.status, 200) << json::serialize(repeat.body);
  EXPECT_EQ(repeat.text("state"), "working");
  EXPECT_EQ(repeat.text("duplicate"), "true");
}

// Table-driven refusals: each gets its status and code, and no task row or
// inbox entry changes.
TEST_F(TasksTest, BadInputIsRefusedAndChangesNothing) {
  auto created = request(*a_, alice_, "POST", tasks_of(alice_), json::object{{"to", w1_.id}, {"input", text("x")}});
  ASSERT_EQ(created.status, 202);
  const auto id = created.text("task_id");
  ASSERT_TRUE(reaches(*b_, w1_, id, "submitted", "1"));
  const auto before_a = json::serialize(show(*a_, alice_, id).body);
  const auto before_b = json::serialize(show(*b_, w1_, id).body);
  const auto inbox_a = task_events(*a_, alice_).size();
  const auto big = std::string(100u << 10, 'x');  // over the 64 KiB status message limit
  struct Row {
    const Daemon* d;
    const TestAgent* as;
    std::string method, path;
    json::value body;
    int status;
    std::string code;
  };
  const auto base = tasks_of(alice_);
  const std::vector<Row> rows = {
      {a_.get(), &alice_, "POST", base, json::object{{"input", text("x")}}, 400, "invalid_field"},
      {a_.get(), &alice_, "POST", base, json::object{{"to", w1_.id}}, 400, "missing_field"},
      {a_.get(), &alice_, "POST", base, json::object{{"to", w1_.id}, {"input", json::array{}}}, 400, "invalid_field"},
      {a_.get(), &alice_, "POST", base, json::object{{"to", w1_.id}, {"input", text("x")}, {"bogus", 1}}, 400,
       "unknown_field"},
      {a_.get(), &alice_, "POST", base,
       json::object{{"to", w1_.id}, {"input", json::array{json::object{{"kind", "file"}, {"uri", "x"}}}}}, 400,
       "invalid_field"},
      {a_.get(), &alice_, "POST", base, json::object{{"capability", "nobody-offers-this"}, {"input", text("x")}}, 404,
       "no_candidate"},
      {a_.get(), &alice_, "GET", base + "/nothex", nullptr, 400, "invalid_field"},
      {a_.get(), &alice_, "GET", base + "/" + std::string(32, '0'), nullptr, 404, "unknown_task"},
      {a_.get(), &alice_, "POST", base + "/" + id + "/accept", json::object{}, 403, "not_participant"},
      {a_.get(), &alice_, "POST", base + "/" + id + "/messages", json::object{{"parts", text("x")}}, 409,
       "invalid_transition"},
      {a_.get(), &alice_, "POST", base + "/" + id + "/cancel", json::object{{"parts", text("x")}}, 400,
       "unknown_field"},
      {b_.get(), &w1_, "POST", tasks_of(w1_) + "/" + id + "/complete", json::object{}, 409, "invalid_transition"},
      {b_.get(), &w1_, "POST", tasks_of(w1_) + "/" + id + "/progress", json::object{{"percent", 101}}, 400,
       "invalid_field"},
      {b_.get(), &w1_, "POST", tasks_of(w1_) + "/" + id + "/input-required", json::object{{"parts", text(big)}}, 413,
       "message_too_large"},
      {a_.get(), &alice_, "GET", base + "?state=sleeping", nullptr, 400, "invalid_field"},
      {a_.get(), &alice_, "POST", "/v1/agents/" + alice_.id + "/messages",
       json::object{{"to", w1_.id}, {"body", "x"}, {"protocol", "agentmesh.task/1"}}, 400, "invalid_field"},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.method + " " + row.path + " " + json::serialize(row.body));
    auto r = request(*row.d, *row.as, row.method, row.path, row.body);
    EXPECT_EQ(r.status, row.status) << json::serialize(r.body);
    EXPECT_EQ(r.text("error"), row.code);
  }
  // The other agent's task is invisible to a stranger.
  auto stranger = create_agent(*a_, "mallory");
  EXPECT_EQ(show(*a_, stranger, id).status, 404);
  EXPECT_EQ(json::serialize(show(*a_, alice_, id).body), before_a);
  EXPECT_EQ(json::serialize(show(*b_, w1_, id).body), before_b);
  EXPECT_EQ(task_events(*a_, alice_).size(), inbox_a);
  auto list = request(*a_, alice_, "GET", base + "?role=requester");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body.at("tasks").as_array().size(), 1u);  // only the task created above
}

}  // namespace
}  // namespace agentmesh::testutil
