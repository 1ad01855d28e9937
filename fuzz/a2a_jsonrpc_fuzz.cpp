// Fuzzes the A2A gateway's decoders of untrusted bytes (a2a/jsonrpc.hpp,
// a2a/mapping.hpp, a2a/legacy.hpp): a JSON-RPC body under both version rules,
// and each request's params.message (0.3's translated first) as an A2A Message. Whatever decodes must answer
// with an envelope that serializes, and every decoded part must map back to
// A2A JSON.
#include <boost/json/serialize.hpp>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <variant>

#include "a2a/jsonrpc.hpp"
#include "a2a/legacy.hpp"
#include "a2a/mapping.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentmesh::a2a;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (const bool legacy : {false, true}) {
    auto decoded = decode_body(bytes, VersionRule{legacy});
    if (auto* e = std::get_if<RpcError>(&decoded)) {
      (void)boost::json::serialize(error_envelope(*e));
      continue;
    }
    for (const auto& item : std::get<RpcBody>(decoded).items) {
      if (const auto* e = std::get_if<RpcError>(&item)) {
        (void)boost::json::serialize(error_envelope(*e));
        continue;
      }
      const auto& req = std::get<RpcRequest>(item);
      if (req.legacy && !legacy) std::abort();
      boost::json::object params = req.params;
      if (req.legacy) {  // 0.3 shapes (a2a/legacy.hpp)
        auto v1 = params_from_v03(req.method, req.params);
        if (std::holds_alternative<RpcError>(v1)) continue;
        params = std::move(std::get<boost::json::object>(v1));
      }
      if (const auto* message = params.if_contains("message")) {
        auto m = message_of(*message);
        if (const auto* in = std::get_if<InboundMessage>(&m)) {
          if (in->message_id.empty() || in->parts.empty()) std::abort();
          for (const auto& p : in->parts) (void)boost::json::serialize(part_json(p));
        }
      }
    }
  }
  return 0;
}
