// Fuzzes the signed peer record opener (envelope, signature, record): it
// never crashes, and whatever opens names its signer with at most kMaxAddrs
// addresses.
#include <cstdint>
#include <cstdlib>

#include "wire/peer_record.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace agentmesh::wire::peer_record;
  auto rec = open({data, size});
  if (rec && rec->addrs.size() > kMaxAddrs) std::abort();
  return 0;
}
