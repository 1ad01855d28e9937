// Fuzzes what the outbound A2A client reads from agents outside the mesh
// (a2a/remote.hpp): the first byte picks the input. 0: an Agent Card;
// whatever parses names a URL. 1: an answer, JSON-RPC's or (odd second
// byte) HTTP+JSON's; a decoded update's ids are bounded and its artifacts
// have ids. 2: an SSE stream fed in
// chunks of the second byte's size; every event is within the bound, and
// the same bytes fed whole give the same events.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <variant>
#include <vector>

#include "a2a/mapping.hpp"
#include "a2a/remote.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentmesh::a2a;
  if (size < 2 || size > 64 * 1024) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 2, size - 2);
  switch (data[0] % 3) {
    case 0: {
      auto card = parse_card(text);
      if (const auto* c = std::get_if<RemoteCard>(&card); c && c->url.empty()) std::abort();
      break;
    }
    case 1: {
      const RemoteCard card{"f", "https://x", (data[1] & 1) != 0, false};
      auto r = parse_answer(card, text);
      if (const auto* u = std::get_if<Update>(&r)) {
        if (u->task_id.size() > kMaxIdBytes || u->context_id.size() > kMaxIdBytes) std::abort();
        for (const auto& a : u->artifacts) {
          if (a.id.empty() || a.parts.size() > kMaxParts) std::abort();
        }
      }
      break;
    }
    default: {
      constexpr std::size_t kBound = 256;
      const std::size_t step = data[1] % 64 + 1;
      SseParser chunked(kBound), whole(kBound);
      std::vector<std::string> a, b;
      std::string why;
      bool ok_chunked = true;
      for (std::size_t i = 0; i < text.size() && ok_chunked; i += step) {
        ok_chunked = chunked.feed(text.substr(i, step), a, why);
      }
      const bool ok_whole = whole.feed(text, b, why);
      if (ok_chunked != ok_whole || (ok_whole && a != b)) std::abort();
      for (const auto& e : a) {
        if (e.size() > kBound) std::abort();
      }
      break;
    }
  }
  return 0;
}
