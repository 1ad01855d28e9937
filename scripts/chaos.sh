#!/usr/bin/env bash
# make chaos: runs the named fault-harness scenarios (tests/netsim/scenarios/NAME.toml) with their `chaos`
# profile (30 minutes of load each), one after another, against the release binary, and fails if any run fails.
# One at a time because four scenarios of six daemons each at once overload a 2-core machine (load average over
# 40: the crash schedule falls behind and reconvergence after a heal slows past its targets), which would judge
# the machine, not the daemon. Reports go to build/chaos/NAME/, logs to build/chaos/NAME.log.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${AGENTMESH_BIN:-$root/build/release/apps/agentmesh/agentmesh}"
mkdir -p "$root/build/chaos"
status=0
for s in "$@"; do
  echo "chaos: $s running since $(date -u +%H:%M:%S) UTC (log build/chaos/$s.log)"
  if python3 "$root/tests/netsim/run.py" "$root/tests/netsim/scenarios/$s.toml" --agentmesh "$bin" --profile chaos \
    --out "$root/build/chaos/$s" > "$root/build/chaos/$s.log" 2>&1; then
    echo "chaos: $s passed (build/chaos/$s/report.md)"
  else
    echo "chaos: $s FAILED (build/chaos/$s/report.md)"
    tail -20 "$root/build/chaos/$s.log"
    status=1
  fi
done
exit $status
