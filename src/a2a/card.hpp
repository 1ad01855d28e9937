#pragma once
// a2a/card: an agent's A2A v1.0 Agent Card (AgentCard in ProtoJSON form:
// camelCase members, SCREAMING_SNAKE_CASE enums), built from the agent's
// record and its profile (a2a/profile.hpp).
//
// The card lists two interfaces under `base_url` (the A2A listener's
// address as clients reach it): JSON-RPC at /agents/{name}/a2a/jsonrpc and
// HTTP+JSON at /agents/{name}/a2a, both protocol version 1.0; HTTP bearer
// authentication (tokens from `agentmesh a2a token create`); and the
// agent's mesh identity in the extension kMeshExtension, so a mesh-aware
// client can address the agent directly.
//
// Threading: none (pure function).

#include <boost/json/object.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "a2a/profile.hpp"

namespace agentmesh::a2a {

inline constexpr std::string_view kProtocolVersion = "1.0";
inline constexpr std::string_view kMeshExtension = "urn:agentmesh:a2a:mesh-agent:v1";

struct CardAgent {
  std::string name;          // the agent's local name (the card's path segment)
  std::string display_name;  // the card's name
  std::string agent_id;      // 64 hex characters
  std::string peer_id;       // the hosting daemon's libp2p peer id
  std::vector<std::string> capabilities;
  Profile profile;
};

// What the serving gateway implements, as the card's `capabilities` say.
struct CardFeatures {
  bool streaming = false;
  bool push_notifications = false;
};

// REQUIRES: base_url has no trailing slash.
boost::json::object agent_card(const CardAgent& agent, std::string_view base_url, std::string_view version,
                               CardFeatures features);

// The card's skills: the profile's, or one per capability when it has none.
std::vector<Skill> card_skills(const CardAgent& agent);

}  // namespace agentmesh::a2a
