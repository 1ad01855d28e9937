#pragma once
// The durable reference for local sends (issue 19): Debian's redis-server on 127.0.0.1 with `appendonly yes` and
// `appendfsync always`, so that every write is fsync'd to its append-only file before its reply, grouped across
// clients as our group commit groups sends. Clients write 256-byte values with SET, as the local API's load
// generator sends 256-byte messages, one at a time or pipelined.

#include <filesystem>
#include <optional>

namespace agentmesh::bench {

struct RedisFigures {
  double depth1_per_s = 0;   // `clients` connections, one SET at a time each
  double pipelined_per_s = 0;  // `clients` connections, `depth` SETs in flight each
};

// Starts redis-server (data in `dir`), measures `seconds` per row, stops it. Empty (with a line on stderr) when
// redis-server is missing or does not start.
std::optional<RedisFigures> redis_reference(const std::filesystem::path& dir, int clients, int depth, int seconds);

}  // namespace agentmesh::bench
