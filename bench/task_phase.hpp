#pragma once
// The task benchmark's phase (issue 13), run by dm_bench on the same two
// daemons right after the direct-message phases, so the reference figures
// come from the same run. 16 requester threads for alice on A, 16 worker
// agents on B; each worker follows its task event stream (SSE), accepts
// every task offered to it and, once the accept comes back as a step,
// completes it with a 256-byte artifact. A requester creates a task for its
// worker and follows the task's own event stream until the `completed` step.
// Prints `key=value` lines:
//
//   task_lifecycles_per_s       16 requesters in a closed loop: create ->
//                               accept -> complete, seen completed by the
//                               requester, per second
//   task_latency_p50_ms/p99_ms  create -> completed seen, at `rate` offered
//   task_cpu_ms_a/_b            each daemon's CPU time per lifecycle in the
//                               closed loop

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace agentmesh::bench {

struct TaskBenchSetup {
  std::uint16_t port_a = 0;  // the requester's daemon
  std::string admin_a;
  std::uint16_t port_b = 0;  // the workers' daemon
  std::string admin_b;
  std::string requester_token;
  std::string requester_id;
  pid_t pid_a = -1;  // for the daemons' CPU time per lifecycle
  pid_t pid_b = -1;
};

// Returns false (after saying why on stderr) if the phase could not run.
bool task_phase(const TaskBenchSetup& s, int seconds, int rate);

}  // namespace agentmesh::bench
