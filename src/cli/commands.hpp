#pragma once
// The `agentmesh` command line: `daemon` runs the daemon; every other
// subcommand talks to a running daemon over its local HTTP API.
//
// Finding the daemon: --api HOST:PORT (or AGENTMESH_API), else the api.port
// file in the data directory (--data-dir / --name / AGENTMESH_DATA_DIR /
// AGENTMESH_NAME / the default). The token: --token (or AGENTMESH_TOKEN), else
// the data directory's api-token file (the admin token).
//
// Exit status: 0 on success; 1 when the daemon answers with an error (its
// error code and message go to stderr) or cannot be reached; 2 for usage errors.

namespace agentmesh::cli {

int run(int argc, char** argv);

}  // namespace agentmesh::cli
