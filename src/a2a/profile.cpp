// a2a/profile: validation and the stored form of an agent's A2A profile.

#include "a2a/profile.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <set>

#include "core/utf8.hpp"

namespace agentmesh::a2a {
namespace json = boost::json;

namespace {

bool skill_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == ':' || c == '/' || c == '-';
}

bool text_ok(const std::string& s, std::size_t max, std::string& why, std::string_view field) {
  if (s.size() > max) {
    why = fmt::format("{} must be at most {} bytes", field, max);
    return false;
  }
  if (!core::is_valid_utf8(s)) {
    why = fmt::format("{} must be UTF-8", field);
    return false;
  }
  return true;
}

bool texts_ok(const std::vector<std::string>& v, std::size_t max_items, std::size_t max_bytes, std::string& why,
              std::string_view field) {
  if (v.size() > max_items) {
    why = fmt::format("{} must have at most {} items", field, max_items);
    return false;
  }
  return std::all_of(v.begin(), v.end(), [&](const std::string& s) { return text_ok(s, max_bytes, why, field); });
}

Result<std::vector<std::string>> strings_of(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  const auto* v = o.if_contains(key);
  if (!v) return out;
  if (!v->is_array()) return make_error_code(boost::system::errc::invalid_argument);
  for (const auto& item : v->get_array()) {
    if (!item.is_string()) return make_error_code(boost::system::errc::invalid_argument);
    out.emplace_back(item.get_string());
  }
  return out;
}

Result<std::string> string_of(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v) return std::string();
  if (!v->is_string()) return make_error_code(boost::system::errc::invalid_argument);
  return std::string(v->get_string());
}

}  // namespace

Result<void> validate(const Profile& p, std::string& why) {
  const auto bad = make_error_code(boost::system::errc::invalid_argument);
  if (!text_ok(p.description, kMaxDescriptionBytes, why, "a2a.description")) return bad;
  if (p.skills.size() > kMaxSkills) {
    why = fmt::format("a2a.skills must have at most {} items", kMaxSkills);
    return bad;
  }
  std::set<std::string> ids;
  for (const auto& s : p.skills) {
    if (s.id.empty() || s.id.size() > kMaxSkillIdBytes || !std::all_of(s.id.begin(), s.id.end(), skill_id_char)) {
      why = fmt::format("a2a.skills[].id must be 1-{} of [A-Za-z0-9._:/-]", kMaxSkillIdBytes);
      return bad;
    }
    if (!ids.insert(s.id).second) {
      why = fmt::format("a2a.skills[].id \"{}\" appears twice", s.id);
      return bad;
    }
    if (s.name.empty()) {
      why = "a2a.skills[].name is required";
      return bad;
    }
    if (!text_ok(s.name, kMaxSkillNameBytes, why, "a2a.skills[].name") ||
        !text_ok(s.description, kMaxSkillTextBytes, why, "a2a.skills[].description") ||
        !texts_ok(s.tags, kMaxSkillTags, kMaxTagBytes, why, "a2a.skills[].tags") ||
        !texts_ok(s.examples, kMaxSkillExamples, kMaxSkillTextBytes, why, "a2a.skills[].examples")) {
      return bad;
    }
  }
  return {};
}

std::string encode(const Profile& p) {
  json::array skills;
  for (const auto& s : p.skills) {
    skills.push_back(json::object{{"id", s.id},
                                  {"name", s.name},
                                  {"description", s.description},
                                  {"tags", json::array(s.tags.begin(), s.tags.end())},
                                  {"examples", json::array(s.examples.begin(), s.examples.end())}});
  }
  return json::serialize(
      json::object{{"v", 1}, {"enabled", p.enabled}, {"description", p.description}, {"skills", std::move(skills)}});
}

Result<Profile> decode(std::string_view bytes) {
  const auto bad = make_error_code(boost::system::errc::invalid_argument);
  boost::system::error_code ec;
  auto v = json::parse(bytes, ec);
  if (ec || !v.is_object()) return bad;
  const auto& o = v.get_object();
  const auto* version = o.if_contains("v");
  const auto* enabled = o.if_contains("enabled");
  const auto* skills = o.if_contains("skills");
  if (!version || !version->is_int64() || version->get_int64() != 1 || !enabled || !enabled->is_bool() || !skills ||
      !skills->is_array()) {
    return bad;
  }
  Profile p;
  p.enabled = enabled->get_bool();
  auto description = string_of(o, "description");
  if (!description) return bad;
  p.description = std::move(*description);
  for (const auto& item : skills->get_array()) {
    if (!item.is_object()) return bad;
    const auto& so = item.get_object();
    Skill s;
    auto id = string_of(so, "id");
    auto name = string_of(so, "name");
    auto desc = string_of(so, "description");
    auto tags = strings_of(so, "tags");
    auto examples = strings_of(so, "examples");
    if (!id || !name || !desc || !tags || !examples) return bad;
    s.id = std::move(*id);
    s.name = std::move(*name);
    s.description = std::move(*desc);
    s.tags = std::move(*tags);
    s.examples = std::move(*examples);
    p.skills.push_back(std::move(s));
  }
  return p;
}

}  // namespace agentmesh::a2a
