// Fuzzes what A2A callers send for push notifications (a2a/push.hpp): the
// first byte picks the input. 0: a webhook URL; whatever parses has a host,
// a port and a target that starts with '/'. 1: a TaskPushNotificationConfig
// as JSON; whatever parses gives back JSON that parses to the same config,
// with nothing in it that could break an HTTP header. 2: a 0.3 push config
// method's params, translated to 1.0 and the result back.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <variant>

#include "a2a/legacy.hpp"
#include "a2a/push.hpp"

namespace {

bool header_safe(const std::string& s) { return s.find_first_of("\r\n") == std::string::npos; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentmesh::a2a;
  if (size == 0 || size > 16 * 1024) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 3 == 0) {
    auto url = parse_webhook_url(text);
    if (const auto* u = std::get_if<WebhookUrl>(&url)) {
      if (u->host.empty() || u->port == 0 || !u->target.starts_with("/")) std::abort();
    }
    return 0;
  }
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return 0;
  if (data[0] % 3 == 1) {
    auto parsed = push_config_of(v.get_object());
    const auto* c = std::get_if<PushConfig>(&parsed);
    if (!c) return 0;
    if (!header_safe(c->token) || !header_safe(c->scheme) || !header_safe(c->credentials)) std::abort();
    auto again = push_config_of(push_config_json(*c));
    const auto* c2 = std::get_if<PushConfig>(&again);
    if (!c2 || c2->url != c->url || c2->id != c->id || c2->token != c->token || c2->scheme != c->scheme ||
        c2->credentials != c->credentials) {
      std::abort();
    }
    return 0;
  }
  for (auto m :
       {Method::create_push_config, Method::get_push_config, Method::list_push_configs, Method::delete_push_config}) {
    auto params = params_from_v03(m, v.get_object());
    if (const auto* p = std::get_if<boost::json::object>(&params)) {
      (void)boost::json::serialize(result_to_v03(m, *p));
    }
  }
  return 0;
}
