// Fuzzes the small text decoders that see user input: base64 bodies, hex ids,
// agent names, UTF-8 validation. Round trips must hold for what decodes.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/base64.hpp"
#include "core/hex.hpp"
#include "core/ids.hpp"
#include "core/utf8.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentmesh::core;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto decoded = base64_decode(text)) {
    if (base64_encode(*decoded) != text) std::abort();
  }
  if (auto bytes = from_hex(text)) {
    if (to_hex(*bytes) != text) std::abort();
  }
  if (auto id = AgentId::parse(text)) {
    if (id->to_string() != text) std::abort();
  }
  (void)validate_agent_name(text);
  (void)is_valid_utf8(text);
  return 0;
}
