// a2a/profile and a2a/card: validation, the stored form, and the Agent Card.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <functional>

#include "a2a/card.hpp"
#include "a2a/jsonrpc.hpp"
#include "a2a/mapping.hpp"
#include "a2a/profile.hpp"

namespace agentmesh::a2a {
namespace {

namespace json = boost::json;

Profile sample() {
  return Profile{true,
                 "Translates text between European languages.",
                 {Skill{"translate", "Translate", "Any pair of EU languages.", {"language", "text"}, {"en->de: hi"}},
                  Skill{"detect:lang", "Detect", "", {}, {}}}};
}

TEST(A2aProfileTest, EncodeDecodeRoundTrips) {
  for (const auto& p : {sample(), Profile{}, Profile{false, "", {}}}) {
    auto back = decode(encode(p));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, p);
  }
}

TEST(A2aProfileTest, DecodeRefusesWhatEncodeDidNotWrite) {
  for (const char* bad : {"", "[]", "{}", R"({"v":2,"enabled":true,"skills":[]})", R"({"v":1,"skills":[]})",
                          R"({"v":1,"enabled":1,"skills":[]})", R"({"v":1,"enabled":true,"skills":[1]})",
                          R"({"v":1,"enabled":true,"skills":[{"id":5}]})", "{\"v\":1"}) {
    EXPECT_FALSE(decode(bad)) << bad;
  }
}

TEST(A2aProfileTest, ValidateNamesTheOffendingField) {
  std::string why;
  EXPECT_TRUE(validate(sample(), why)) << why;
  struct Case {
    std::function<void(Profile&)> change;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](Profile& p) { p.description = std::string(kMaxDescriptionBytes + 1, 'x'); }, "a2a.description"},
      {[](Profile& p) { p.description = "\xff"; }, "a2a.description"},
      {[](Profile& p) { p.skills.resize(kMaxSkills + 1, p.skills[0]); }, "a2a.skills"},
      {[](Profile& p) { p.skills[1].id = p.skills[0].id; }, "appears twice"},
      {[](Profile& p) { p.skills[0].id = "has space"; }, "a2a.skills[].id"},
      {[](Profile& p) { p.skills[0].id = ""; }, "a2a.skills[].id"},
      {[](Profile& p) { p.skills[0].name = ""; }, "a2a.skills[].name"},
      {[](Profile& p) { p.skills[0].tags.assign(kMaxSkillTags + 1, "t"); }, "a2a.skills[].tags"},
      {[](Profile& p) { p.skills[0].examples = {std::string(kMaxSkillTextBytes + 1, 'e')}; }, "a2a.skills[].examples"},
  };
  for (const auto& c : cases) {
    auto p = sample();
    c.change(p);
    why.clear();
    EXPECT_FALSE(validate(p, why)) << c.field;
    EXPECT_NE(why.find(c.field), std::string::npos) << why;
  }
}

CardAgent agent(Profile p) {
  return CardAgent{"translator", "Translator", std::string(64, 'a'), "12D3KooWpeer", {"summarize", "translate"},
                   std::move(p)};
}

TEST(A2aCardTest, ListsBothInterfacesTheMeshIdentityAndBearerAuth) {
  auto card = agent_card(agent(sample()), "https://mesh.example:8443", "1.2.3", CardFeatures{true, false});
  EXPECT_EQ(card.at("name").as_string(), "Translator");
  EXPECT_EQ(card.at("description").as_string(), "Translates text between European languages.");
  EXPECT_EQ(card.at("version").as_string(), "1.2.3");
  const auto& ifaces = card.at("supportedInterfaces").as_array();
  ASSERT_EQ(ifaces.size(), 2u);
  EXPECT_EQ(ifaces[0].at("url").as_string(), "https://mesh.example:8443/agents/translator/a2a/jsonrpc");
  EXPECT_EQ(ifaces[0].at("protocolBinding").as_string(), "JSONRPC");
  EXPECT_EQ(ifaces[1].at("url").as_string(), "https://mesh.example:8443/agents/translator/a2a");
  EXPECT_EQ(ifaces[1].at("protocolBinding").as_string(), "HTTP+JSON");
  for (const auto& i : ifaces) EXPECT_EQ(i.at("protocolVersion").as_string(), "1.0");
  const auto& caps = card.at("capabilities").as_object();
  EXPECT_TRUE(caps.at("streaming").as_bool());
  EXPECT_FALSE(caps.at("pushNotifications").as_bool());  // what the gateway says it implements
  const auto& ext = caps.at("extensions").as_array().at(0);
  EXPECT_EQ(ext.at("uri").as_string(), kMeshExtension);
  EXPECT_EQ(ext.at("params").at("agentId").as_string(), std::string(64, 'a'));
  EXPECT_EQ(ext.at("params").at("peerId").as_string(), "12D3KooWpeer");
  EXPECT_EQ(card.at("securitySchemes").at("bearer").at("httpAuthSecurityScheme").at("scheme").as_string(), "Bearer");
  EXPECT_TRUE(card.at("securityRequirements").as_array().at(0).at("schemes").as_object().contains("bearer"));
  const auto& skills = card.at("skills").as_array();
  ASSERT_EQ(skills.size(), 2u);
  EXPECT_EQ(skills[1].at("id").as_string(), "detect:lang");
  EXPECT_FALSE(skills[1].as_object().contains("examples"));  // empty lists are left out
}

TEST(A2aCardTest, WithoutSkillsOneSkillPerCapabilityAndADefaultDescription) {
  auto card = agent_card(agent(Profile{true, "", {}}), "http://127.0.0.1:9", "1", {});
  const auto& skills = card.at("skills").as_array();
  ASSERT_EQ(skills.size(), 2u);
  EXPECT_EQ(skills[0].at("id").as_string(), "summarize");
  EXPECT_EQ(skills[1].at("tags").as_array().at(0).as_string(), "translate");
  EXPECT_NE(card.at("description").as_string().find("translator"), std::string::npos);
}

RpcRequest request(const std::variant<RpcBody, RpcError>& d) {
  const auto& body = std::get<RpcBody>(d);
  return std::get<RpcRequest>(body.items.at(0));
}

RpcError item_error(const std::variant<RpcBody, RpcError>& d, std::size_t i = 0) {
  return std::get<RpcError>(std::get<RpcBody>(d).items.at(i));
}

TEST(A2aJsonRpcTest, DecodesV1NamesAndV03AliasesByVersion) {
  const auto legacy = std::get<VersionRule>(check_version(""));
  const auto v1 = std::get<VersionRule>(check_version("1.0"));
  EXPECT_TRUE(std::get<VersionRule>(check_version("0.3")).legacy_names);
  auto r = request(decode_body(R"({"jsonrpc":"2.0","id":7,"method":"GetTask","params":{"id":"x"}})", v1));
  EXPECT_EQ(r.method, Method::get_task);
  EXPECT_FALSE(r.legacy);
  EXPECT_FALSE(r.notification);
  EXPECT_EQ(r.id, json::value(7));
  EXPECT_EQ(r.params.at("id").as_string(), "x");
  r = request(decode_body(R"({"jsonrpc":"2.0","id":"a","method":"tasks/get"})", legacy));
  EXPECT_EQ(r.method, Method::get_task);
  EXPECT_TRUE(r.legacy);
  EXPECT_EQ(item_error(decode_body(R"({"jsonrpc":"2.0","id":1,"method":"tasks/get"})", v1)).code,
            RpcCode::method_not_found);  // 0.3 names only without a version or with 0.3
  EXPECT_TRUE(request(decode_body(R"({"jsonrpc":"2.0","method":"CancelTask"})", v1)).notification);
  auto bad_version = std::get<RpcError>(check_version("2.0"));
  EXPECT_EQ(bad_version.code, RpcCode::version_not_supported);
  EXPECT_EQ(error_envelope(bad_version).at("error").at("code").as_int64(), -32009);
}

TEST(A2aJsonRpcTest, RefusesMalformedRequestsWithTheirCodes) {
  const VersionRule v1{};
  EXPECT_EQ(std::get<RpcError>(decode_body("{", v1)).code, RpcCode::parse_error);
  EXPECT_EQ(std::get<RpcError>(decode_body("[]", v1)).code, RpcCode::invalid_request);
  EXPECT_EQ(std::get<RpcError>(decode_body(std::string(kMaxBodyBytes + 1, ' '), v1)).code, RpcCode::invalid_request);
  std::string deep(100, '[');
  EXPECT_EQ(std::get<RpcError>(decode_body(deep + std::string(100, ']'), v1)).code, RpcCode::parse_error);
  std::string batch = "[";
  for (std::size_t i = 0; i <= kMaxBatch; ++i)
    batch += std::string(i ? "," : "") + R"({"jsonrpc":"2.0","id":1,"method":"GetTask"})";
  EXPECT_EQ(std::get<RpcError>(decode_body(batch + "]", v1)).code, RpcCode::invalid_request);
  const std::vector<std::pair<std::string, RpcCode>> cases = {
      {"5", RpcCode::invalid_request},
      {R"({"id":1,"method":"GetTask"})", RpcCode::invalid_request},
      {R"({"jsonrpc":"1.0","id":1,"method":"GetTask"})", RpcCode::invalid_request},
      {R"({"jsonrpc":"2.0","id":1.5,"method":"GetTask"})", RpcCode::invalid_request},
      {R"({"jsonrpc":"2.0","id":{},"method":"GetTask"})", RpcCode::invalid_request},
      {R"({"jsonrpc":"2.0","id":1,"method":7})", RpcCode::invalid_request},
      {R"({"jsonrpc":"2.0","id":1,"method":"GetTask","extra":1})", RpcCode::invalid_request},
      {R"({"jsonrpc":"2.0","id":1,"method":"Nope"})", RpcCode::method_not_found},
      {R"({"jsonrpc":"2.0","id":1,"method":"GetTask","params":[1]})", RpcCode::invalid_params},
  };
  for (const auto& [body, code] : cases) {
    const auto e = item_error(decode_body(body, v1));
    EXPECT_EQ(e.code, code) << body;
  }
  // In a batch, each item is answered on its own.
  auto mixed =
      decode_body(R"([{"jsonrpc":"2.0","id":1,"method":"GetTask"},{"jsonrpc":"2.0","id":2,"method":"X"}])", v1);
  EXPECT_TRUE(std::get<RpcBody>(mixed).batch);
  EXPECT_EQ(request(mixed).method, Method::get_task);
  EXPECT_EQ(item_error(mixed, 1).id, json::value(2));
}

tasks::Task sample_task() {
  tasks::Task t;
  t.id = core::TaskId::from_array({1, 2, 3});
  t.context_id = "ctx-1";
  t.requester = core::AgentId::from_array({9});
  t.assignee = core::AgentId::from_array({8});
  t.state = tasks::TaskState::working;
  t.updated_ms = 1764742806123;  // 2025-12-03T06:20:06.123Z
  tasks::Part text;
  text.text = "translate: hello";
  t.input = {text};
  tasks::StatusMessage status;
  status.from = t.assignee;
  tasks::Part note;
  note.text = "halfway";
  status.parts = {note};
  t.messages = {status};
  tasks::Part data;
  data.kind = tasks::Part::Kind::data;
  data.text = R"({"de":"hallo"})";
  data.media_type = "application/json";
  t.artifacts = {tasks::Artifact{"result", {data}, 1, true}};
  t.metadata = {{"k", "v"}};
  return t;
}

TEST(A2aMappingTest, ATaskInA2aJson) {
  const auto t = sample_task();
  auto o = task_json(t);
  EXPECT_EQ(o.at("id").as_string(), t.id.to_string());
  EXPECT_EQ(o.at("contextId").as_string(), "ctx-1");
  EXPECT_EQ(o.at("status").at("state").as_string(), "TASK_STATE_WORKING");
  EXPECT_EQ(o.at("status").at("timestamp").as_string(), "2025-12-03T06:20:06.123Z");
  EXPECT_EQ(o.at("status").at("message").at("role").as_string(), "ROLE_AGENT");
  EXPECT_EQ(o.at("status").at("message").at("parts").at(0).at("text").as_string(), "halfway");
  const auto& history = o.at("history").as_array();
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].at("role").as_string(), "ROLE_USER");
  EXPECT_EQ(history[0].at("parts").at(0).at("text").as_string(), "translate: hello");
  const auto& artifact = o.at("artifacts").at(0);
  EXPECT_EQ(artifact.at("artifactId").as_string(), "result");
  EXPECT_EQ(artifact.at("parts").at(0).at("data").at("de").as_string(), "hallo");  // JSON, not its text
  EXPECT_EQ(artifact.at("parts").at(0).at("mediaType").as_string(), "application/json");
  EXPECT_EQ(o.at("metadata").at("k").as_string(), "v");
  EXPECT_EQ(task_json(t, 1).at("history").as_array().size(), 1u);  // historyLength: the last N
  EXPECT_FALSE(task_json(t, 0).contains("history"));
  auto failed = t;
  failed.state = tasks::TaskState::failed;
  failed.messages.clear();
  failed.reason = "deadline_exceeded";
  EXPECT_EQ(task_json(failed).at("status").at("message").at("parts").at(0).at("text").as_string(), "deadline_exceeded");
}

TEST(A2aMappingTest, AStepAsStreamResponses) {
  tasks::Event e;
  e.task = core::TaskId::from_array({4});
  e.sequence = 5;
  e.state = tasks::TaskState::working;
  e.time_ms = 1764742806123;
  tasks::Part p;
  p.text = "chunk";
  e.chunks = {tasks::ArtifactChunk{"out", 0, false, {p}}, tasks::ArtifactChunk{"out", 1, true, {p}}};
  tasks::StatusMessage m;
  m.from = core::AgentId::from_array({8});
  m.parts = {p};
  e.message = m;
  const auto requester = core::AgentId::from_array({9});
  auto out = stream_responses(e, "ctx", requester);
  ASSERT_EQ(out.size(), 3u);  // two artifact chunks, then the status
  EXPECT_FALSE(out[0].at("artifactUpdate").at("append").as_bool());
  EXPECT_TRUE(out[1].at("artifactUpdate").at("append").as_bool());
  EXPECT_TRUE(out[1].at("artifactUpdate").at("lastChunk").as_bool());
  EXPECT_EQ(out[1].at("artifactUpdate").at("artifact").at("artifactId").as_string(), "out");
  const auto& status = out[2].at("statusUpdate").at("status");
  EXPECT_EQ(status.at("state").as_string(), "TASK_STATE_WORKING");
  EXPECT_EQ(status.at("message").at("role").as_string(), "ROLE_AGENT");
  EXPECT_EQ(out[2].at("statusUpdate").at("contextId").as_string(), "ctx");
  e.message->from = requester;  // the requester's answer
  EXPECT_EQ(stream_responses(e, "ctx", requester).back().at("statusUpdate").at("status").at("message").at("role"),
            "ROLE_USER");
  EXPECT_FALSE(stream_ends(tasks::TaskState::working));
  EXPECT_TRUE(stream_ends(tasks::TaskState::input_required));
  EXPECT_TRUE(stream_ends(tasks::TaskState::canceled));
}

TEST(A2aMappingTest, AnInboundMessageAsTaskParts) {
  auto v = json::parse(R"({"messageId":"m1","role":"ROLE_USER","contextId":"c","parts":[
      {"text":"hi"},{"data":{"a":[1,2]},"mediaType":"application/json"},
      {"url":"https://x.example/f.pdf","filename":"f.pdf","mediaType":"application/pdf"}],"metadata":{"s":"t","n":1}})");
  auto m = std::get<InboundMessage>(message_of(v));
  EXPECT_EQ(m.message_id, "m1");
  EXPECT_EQ(m.context_id, "c");
  ASSERT_EQ(m.parts.size(), 3u);
  EXPECT_EQ(m.parts[0].text, "hi");
  EXPECT_EQ(m.parts[1].kind, tasks::Part::Kind::data);
  EXPECT_EQ(m.parts[1].text, R"({"a":[1,2]})");
  EXPECT_EQ(m.parts[2].kind, tasks::Part::Kind::file);
  EXPECT_EQ(m.parts[2].uri, "https://x.example/f.pdf");
  EXPECT_EQ(m.parts[2].name, "f.pdf");
  EXPECT_EQ(m.metadata, (tasks::Metadata{{"s", "t"}, {"n", "1"}}));
  // The parts map back to what came in.
  EXPECT_EQ(part_json(m.parts[1]), json::parse(R"({"data":{"a":[1,2]},"mediaType":"application/json"})"));

  const std::vector<std::pair<std::string, RpcCode>> bad = {
      {R"({"role":"ROLE_USER","parts":[{"text":"x"}]})", RpcCode::invalid_params},
      {R"({"messageId":"","parts":[{"text":"x"}]})", RpcCode::invalid_params},
      {R"({"messageId":"m","parts":[]})", RpcCode::invalid_params},
      {R"({"messageId":"m","role":"ROLE_AGENT","parts":[{"text":"x"}]})", RpcCode::invalid_params},
      {R"({"messageId":"m","parts":[{"text":"x","data":1}]})", RpcCode::invalid_params},
      {R"({"messageId":"m","parts":[{"colour":"x"}]})", RpcCode::invalid_params},
      {R"({"messageId":"m","parts":[{"url":""}]})", RpcCode::invalid_params},
      {R"({"messageId":"m","parts":[{"raw":"aGk="}]})", RpcCode::content_type_not_supported},
  };
  for (const auto& [body, code] : bad) {
    auto r = message_of(json::parse(body));
    ASSERT_TRUE(std::holds_alternative<RpcError>(r)) << body;
    EXPECT_EQ(std::get<RpcError>(r).code, code) << body;
  }
}

}  // namespace
}  // namespace agentmesh::a2a
