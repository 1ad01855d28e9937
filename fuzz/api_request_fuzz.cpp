// Fuzzes the API's request-body parsers: every route's JSON mapping on the
// same bytes. They must never crash, leak or accept a result that violates
// their own limits.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "api/requests.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentmesh;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  api::JsonLimits limits;
  limits.max_payload_bytes = 1024;
  std::string why;
  if (auto r = api::parse_send(body, limits, why)) {
    if (r->content.body.size() > limits.max_payload_bytes) std::abort();
    if (r->to.empty() && body.find("\"to\"") == std::string_view::npos) std::abort();
  }
  (void)api::parse_create_agent(body, limits, why);
  (void)api::parse_update_agent(body, limits, why);
  (void)api::parse_ack(body, limits, why);
  if (auto code = api::parse_login(body, limits, why); code && code->size() > 256) std::abort();
  (void)api::parse_ws_ack(body, limits, why);
  if (auto t = api::parse_create_task(body, limits, why)) {
    if (t->to.empty() == t->capability.empty() || t->input.empty()) std::abort();
  }
  for (int a = 0; a <= static_cast<int>(tasks::Action::input); ++a) {
    if (auto r = api::parse_task_action(body, static_cast<tasks::Action>(a), limits, why)) {
      if (r->percent && *r->percent > 100) std::abort();
    }
  }
  return 0;
}
