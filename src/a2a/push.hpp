#pragma once
// a2a/push: A2A push notification configs (TaskPushNotificationConfig) as
// callers send them, and the webhook URLs they name.
//
//   {"taskId", "id", "url", "token", "authentication": {"scheme", "credentials"}}
//
// `url` is http:// or https://, a host (a name, an IPv4 address or a
// bracketed IPv6 address), an optional port, and a path; no user info, no
// fragment, at most kMaxUrlBytes. `id` (chosen by the caller, or made by the
// gateway when empty) is printable ASCII without '/'. `token` and the
// authentication's credentials travel in HTTP headers, so they must be
// printable ASCII (no CR or LF: no header injection); `scheme` is an HTTP
// token ("Bearer", "Basic"). Everything is bounded (the k* constants).
//
// Threading: none (pure functions).

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace agentmesh::a2a {

inline constexpr std::size_t kMaxUrlBytes = 2048;
inline constexpr std::size_t kMaxPushIdBytes = 128;
inline constexpr std::size_t kMaxPushTokenBytes = 1024;
inline constexpr std::size_t kMaxCredentialBytes = 4096;

struct PushConfig {
  std::string task_id;
  std::string id;
  std::string url;
  std::string token;
  std::string scheme;  // empty: no Authorization header
  std::string credentials;
};

// A webhook URL's parts.
struct WebhookUrl {
  bool tls = false;
  std::string host;  // without brackets for IPv6
  std::uint16_t port = 0;
  std::string target;  // the path and query, "/" at least
};

// The URL's parts, or why it is not a webhook URL.
std::variant<WebhookUrl, std::string> parse_webhook_url(std::string_view url);

// A TaskPushNotificationConfig (as CreateTaskPushNotificationConfig's params
// or SendMessageConfiguration.taskPushNotificationConfig), or why it is
// malformed. `taskId` may be absent (SendMessage's; the path's in HTTP+JSON).
std::variant<PushConfig, std::string> push_config_of(const boost::json::object& o);

// The config as A2A gives it back.
boost::json::object push_config_json(const PushConfig& c);

}  // namespace agentmesh::a2a
