#pragma once
// direct/delivery: committing a message to a recipient's inbox, exactly once.
//
// This is the receiving half of every path (loopback, the direct stream, the
// gossip inbox, durable topic subscriptions). deliver() runs inside a
// store transaction (a Writer job) and, in order:
//   1. looks up (sender, request_id) in the dedup table:
//        same content digest  -> returns the original outcome, delivers nothing
//        other digest         -> direct::error::idempotency_conflict
//   2. refuses it when the caller's policy says so (`refuse`),
//      appends to the recipient's inbox (assigning the next seq),
//   3. records the outcome in the dedup table until `dedup_expires_ms`.
// Because all three happen in one transaction, a crash leaves either all or
// none of them, and a retry after a crash finds the dedup row.
//
// dedup_expires_ms == 0 skips steps 1 and 3: for a loopback send without an
// idempotency key the request id is fresh random bytes no one can repeat, and
// a dedup row would only grow the table. Every path that can see a message
// twice (idempotency keys, network retries) sets it.
//
// content_digest() is the fingerprint compared in step 1: SHA-256 over the
// recipient and every content field, length-prefixed (so no two different
// messages share an encoding).
//
// Threading: deliver() runs on the store writer thread; the rest anywhere.

#include <functional>
#include <optional>
#include <string_view>

#include "core/result.hpp"
#include "store/store.hpp"

namespace agentmesh::direct {

struct Delivery {
  store::InboxRecord record;  // agent, sender, request_id, received_ms, content
  store::Digest digest{};
  core::UnixMs dedup_expires_ms = 0;  // 0: no dedup (see above)
  // Policy decided before the job (the block list, the recipient's state):
  // when set, a message that is not a duplicate fails with it after the
  // dedup lookup, so a duplicate of an earlier accepted message is still
  // acked with its original outcome.
  std::optional<error_code> refuse;
  // When set, step 2 runs this instead of the plain append: a service that
  // rides the direct path (tasks) applies the message to its own state in
  // the same transaction and appends what the recipient should see. It
  // returns that inbox seq, or Seq{0} for nothing appended (a stale step);
  // an error refuses the message like `refuse` (or, when not a refusal,
  // leaves it unacked for the sender to retry).
  std::function<Result<core::Seq>(store::Store&, store::InboxRecord&)> apply;
};

struct DeliveryResult {
  core::Seq seq;
  bool duplicate = false;  // true when an earlier identical send was found
};

store::Digest content_digest(const core::AgentId& recipient, const store::MessageContent& content);

// The request id for a caller-chosen idempotency key: the first 16 bytes of
// BLAKE2b("agentmesh/idempotency/v1" || sender || key), so the same key from
// the same sender always names the same request, across restarts.
core::RequestId request_id_for_key(const core::AgentId& sender, std::string_view idempotency_key);

// REQUIRES: an open store transaction (run as a Writer job).
Result<DeliveryResult> deliver(store::Store& store, Delivery& delivery);

}  // namespace agentmesh::direct
