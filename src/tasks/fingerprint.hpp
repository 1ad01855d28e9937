#pragma once
// tasks/fingerprint: what an idempotency record compares. The same caller
// request id with the same fingerprint returns the first result; with
// another fingerprint it is idempotency_conflict. A fingerprint covers the
// action and its whole payload as the caller stated it (not what this
// daemon derived from it, such as the candidate list or the attempt).
//
// Threading: none.

#include <array>
#include <cstdint>
#include <string_view>

#include "tasks/types.hpp"

namespace agentmesh::tasks {

using Fingerprint = std::array<std::uint8_t, 32>;

// An action on a task: its action, task, parts, percent, chunks and reason.
Fingerprint fingerprint(const Command& c);

// A creation request: the target ("agent:<ref>" or "capability:<c>"), the
// input, the timeouts as the caller gave them (relative), the context and
// the metadata.
struct CreateTerms {
  std::string_view target;
  const std::vector<Part>* input = nullptr;
  std::int64_t acceptance_timeout_ms = 0;
  std::int64_t deadline_ms = 0;
  std::string_view context_id;
  const Metadata* metadata = nullptr;
};
Fingerprint fingerprint(const CreateTerms& t);

}  // namespace agentmesh::tasks
