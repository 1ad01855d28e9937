// `agentmesh mcp` against the pinned @modelcontextprotocol/sdk client
// (interop/mcp-client.mjs, StdioClientTransport spawning the server): the
// script starts two daemons on 127.0.0.1 in a temporary directory and runs two
// servers acting as agents on them (see the script for what it checks); its
// process group is killed when it ends.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "interop/js_peer.hpp"

namespace agentmesh::testutil {
namespace {

TEST(McpInterop, SdkClientDrivesTwoAgentsOnTwoDaemons) {
  TempDir dir;
  ::chmod(dir.path().c_str(), 0700);
  auto r =
      run_node_script("mcp-client.mjs", {{"AGENTMESH_BINARY", agentmesh_binary()}, {"MCP_DIR", dir.path().string()}});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("mcp interop: 28 checks passed"), std::string::npos) << r.out << r.err;
}

// The same flows (resource updates through subscriptions/listen) with the 2026-07-28 client
// of @modelcontextprotocol/client 2.4.0, pinned to that revision.
TEST(McpInterop, StatelessRevisionClientDrivesTwoAgents) {
  TempDir dir;
  ::chmod(dir.path().c_str(), 0700);
  auto r = run_node_script("mcp-client-2026.mjs",
                           {{"AGENTMESH_BINARY", agentmesh_binary()}, {"MCP_DIR", dir.path().string()}});
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("mcp 2026-07-28 interop: 12 checks passed"), std::string::npos) << r.out << r.err;
}

}  // namespace
}  // namespace agentmesh::testutil
