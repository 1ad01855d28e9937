// Fuzzes the A2A gateway's HTTP+JSON decoder (a2a/rest.hpp): the first byte
// picks the HTTP method, the rest is "path\nquery\nbody". Whatever decodes
// has an object of params with the path's ids; every refusal has a status
// this binding answers and an error body that serializes.
#include <boost/json/serialize.hpp>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <variant>

#include "a2a/rest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentmesh::a2a;
  if (size == 0) return 0;
  static constexpr std::string_view kMethods[] = {"GET", "POST", "DELETE", "PUT"};
  const auto http = kMethods[data[0] % 4];
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto next = [&rest] {
    const auto nl = rest.find('\n');
    const auto part = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    return part;
  };
  const auto path = next();
  const auto query = next();
  auto decoded = decode_rest(http, path, query, rest);
  if (const auto* e = std::get_if<RestError>(&decoded)) {
    if (e->status != 400 && e->status != 404 && e->status != 405 && e->status != 413) std::abort();
    (void)boost::json::serialize(error_body(e->status, e->code, e->message));
    return 0;
  }
  const auto& call = std::get<RestCall>(decoded);
  const bool on_task = path.starts_with("/tasks/");
  if (on_task && !call.params.contains("id") && !call.params.contains("taskId")) std::abort();
  (void)boost::json::serialize(call.params);
  return 0;
}
