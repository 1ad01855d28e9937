#pragma once
// Identity and id value types.
//
//   AgentId    an agent's Ed25519 public key (32 bytes); text form is 64
//              lowercase hex characters. Self-certifying: anyone can verify the
//              agent's signatures and encrypt to it from the id alone.
//   RequestId  16 bytes naming one sent message across retries (hex in JSON).
//   Seq        a per-recipient inbox sequence number, 1-based and gap-free.
//
// Every type has a private constructor and validating factories (`parse` for
// text, `from_bytes` for binary), comparison, std::hash and fmt formatting.
// Construction from unchecked data is impossible, so a function that takes an
// AgentId never needs to re-validate it.
//
// Thread safety: plain values; safe to copy between threads.

#include <fmt/format.h>

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace agentmesh::core {

// Fixed-size binary id with a lowercase-hex text form. `Tag` keeps id types
// apart: a RequestId can never be passed where a MessageId is expected.
template <std::size_t N, class Tag>
class FixedId {
 public:
  static constexpr std::size_t kSize = N;
  using Bytes = std::array<std::uint8_t, N>;

  // The all-zero id: a placeholder for record fields not yet assigned. Never
  // produced by parsing untrusted input as anything but those exact bytes.
  FixedId() = default;

  // Parses exactly 2*N lowercase hex characters.
  static Result<FixedId> parse(std::string_view text);
  // Takes exactly N bytes.
  static Result<FixedId> from_bytes(std::span<const std::uint8_t> bytes);
  static FixedId from_array(const Bytes& bytes) { return FixedId(bytes); }

  const Bytes& bytes() const { return bytes_; }
  std::span<const std::uint8_t> span() const { return bytes_; }
  std::string to_string() const;

  friend auto operator<=>(const FixedId&, const FixedId&) = default;

 private:
  explicit FixedId(const Bytes& b) : bytes_(b) {}
  Bytes bytes_{};
};

struct AgentIdTag {};
struct RequestIdTag {};
struct TaskIdTag {};
struct TokenIdTag {};

using AgentId = FixedId<32, AgentIdTag>;
using RequestId = FixedId<16, RequestIdTag>;
// A task's id: 16 random bytes, 32 hex characters (tasks/).
using TaskId = FixedId<16, TaskIdTag>;
// An A2A caller token's id: 16 random bytes (node/a2a_tokens.hpp).
using TokenId = FixedId<16, TokenIdTag>;

// Per-recipient inbox sequence number. 0 means "before the first message".
struct Seq {
  std::uint64_t value = 0;
  friend auto operator<=>(const Seq&, const Seq&) = default;
};

// Local agent names: 1-64 characters of [a-z0-9._-], not "." or "..", and
// never 64 hex characters (that text is reserved for agent ids, so a name can
// never be mistaken for an id).
Result<void> validate_agent_name(std::string_view name);

}  // namespace agentmesh::core

template <std::size_t N, class Tag>
struct std::hash<agentmesh::core::FixedId<N, Tag>> {
  std::size_t operator()(const agentmesh::core::FixedId<N, Tag>& id) const noexcept {
    // Ids are public keys, random, or (request ids) a time then random bits:
    // their last 8 bytes are uniform in every case.
    static_assert(N >= sizeof(std::size_t));
    std::size_t h;
    std::memcpy(&h, id.bytes().data() + N - sizeof h, sizeof h);
    return h;
  }
};

template <std::size_t N, class Tag>
struct fmt::formatter<agentmesh::core::FixedId<N, Tag>> : fmt::formatter<std::string_view> {
  template <class Ctx>
  auto format(const agentmesh::core::FixedId<N, Tag>& id, Ctx& ctx) const {
    return fmt::formatter<std::string_view>::format(id.to_string(), ctx);
  }
};
