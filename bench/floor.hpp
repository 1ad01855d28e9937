#pragma once
// The floor of a direct message's "wait": "ack" latency on this machine, measured in the same run as the
// message figures (issue 19): what the path cannot avoid is A's outbox commit, B's inbox commit (each an fsync)
// and one loopback round trip, so floor = 2 x fsync + round trip, per percentile. Also the single-core cost of
// sealing and opening one envelope (XChaCha20-Poly1305), which the path pays once each way but which is not in
// the floor.

#include <filesystem>

#include "bench_util.hpp"

namespace agentmesh::bench {

struct Floor {
  Distribution fsync_ms;     // fdatasync after appending 256 bytes to a file in `dir`
  Distribution loopback_ms;  // a 256-byte TCP round trip between two threads on 127.0.0.1
  double envelope_seal_open_us = 0;  // one envelope sealed and opened, one core
  double p50_ms() const { return 2 * fsync_ms.p50 + loopback_ms.p50; }
  double p99_ms() const { return 2 * fsync_ms.p99 + loopback_ms.p99; }
};

// Takes about two seconds. `dir` must be on the filesystem the daemons' data directories are on.
Floor measure_floor(const std::filesystem::path& dir);

}  // namespace agentmesh::bench
