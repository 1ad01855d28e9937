#pragma once
// a2a/profile: what an agent publishes to A2A clients (PATCH /v1/agents/{id}
// {"a2a": {...}}; docs/api.md, "A2A"): whether it is published, the
// description its Agent Card shows and its skills. Kept with the agent's
// record (store::AgentRecord::a2a, encoded by encode()).
//
// Threading: none (values and pure functions).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace agentmesh::a2a {

inline constexpr std::size_t kMaxDescriptionBytes = 2048;
inline constexpr std::size_t kMaxSkills = 32;
inline constexpr std::size_t kMaxSkillIdBytes = 64;
inline constexpr std::size_t kMaxSkillNameBytes = 128;
inline constexpr std::size_t kMaxSkillTextBytes = 1024;  // a skill's description, each example
inline constexpr std::size_t kMaxSkillTags = 16;
inline constexpr std::size_t kMaxSkillExamples = 8;
inline constexpr std::size_t kMaxTagBytes = 64;

// An A2A AgentSkill.
struct Skill {
  std::string id;  // 1-64 of [A-Za-z0-9._:/-], unique within the profile
  std::string name;
  std::string description;
  std::vector<std::string> tags;
  std::vector<std::string> examples;

  friend bool operator==(const Skill&, const Skill&) = default;
};

struct Profile {
  bool enabled = false;
  std::string description;
  // Empty: the card shows one skill per capability of the agent.
  std::vector<Skill> skills;

  friend bool operator==(const Profile&, const Profile&) = default;
};

// Checks the bounds above, skill ids and their uniqueness, and that every
// text is valid UTF-8. `why` names the offending field.
Result<void> validate(const Profile& p, std::string& why);

// The stored form (JSON). decode() of anything encode() did not write is
// `invalid_argument`.
std::string encode(const Profile& p);
Result<Profile> decode(std::string_view bytes);

}  // namespace agentmesh::a2a
