// Directory benchmarks (scripts/bench.sh): lookup by agent id and search by
// capability in a directory of 100,000 remote agents (the directory's bound).

#include <benchmark/benchmark.h>

#include <vector>

#include "crypto/crypto.hpp"
#include "registry/directory.hpp"

namespace {

using namespace agentmesh;

struct Filled {
  registry::Directory directory;
  std::vector<core::AgentId> ids;
  explicit Filled(std::size_t n) {
    const auto peer = core::PeerId::from_ed25519(crypto::SigningKey::generate().public_key());
    for (std::size_t i = 0; i < n; ++i) {
      core::AgentId::Bytes b{};
      crypto::random_bytes(b);
      registry::DirectoryEntry e(peer);
      e.agent = core::AgentId::from_array(b);
      e.seq = 1;
      e.expires_ms = 1'000'000;
      e.capabilities = {"cap-" + std::to_string(i % 1000), "common"};
      ids.push_back(e.agent);
      directory.upsert(std::move(e));
    }
  }
};

Filled& filled() {
  static Filled f(100'000);
  return f;
}

void BM_DirectoryLookupById(benchmark::State& state) {
  auto& f = filled();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.directory.find(f.ids[i++ % f.ids.size()]));
  }
}
BENCHMARK(BM_DirectoryLookupById);

void BM_DirectorySearchByCapability100(benchmark::State& state) {  // 100 of 100,000 match
  auto& f = filled();
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.directory.with_capability("cap-" + std::to_string(i++ % 1000)));
  }
}
BENCHMARK(BM_DirectorySearchByCapability100);

}  // namespace

BENCHMARK_MAIN();
