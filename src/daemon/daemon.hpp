#pragma once
// run_daemon: the daemon's lifecycle, from a resolved configuration to exit.
//
//   1. create/check the data directory and take its lock (one daemon per dir)
//   2. open the node (keys, database, agents) and load the admin token
//   3. bind the API, write api.port, serve
//   4. on SIGTERM/SIGINT: stop accepting, finish in-flight requests within
//      the deadline, end streams, flush the store, remove api.port, exit 0;
//      a second signal exits at once (status 1).
//
// Returns the process exit status; startup failures print a message that says
// what to fix and return 1.

#include "daemon/config.hpp"

namespace agentmesh::daemon {

int run_daemon(const DaemonConfig& config);

}  // namespace agentmesh::daemon
