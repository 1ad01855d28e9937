#!/usr/bin/env bash
# make chaos: runs the named fault-harness scenarios (tests/netsim/scenarios/NAME.toml) with their `chaos`
# profile, all at once (each in its own namespaces), and fails if any run fails. Reports go to build/chaos/NAME/.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/build/dev/apps/agentmesh/agentmesh"
pids=()
for s in "$@"; do
  mkdir -p "$root/build/chaos"
  python3 "$root/tests/netsim/run.py" "$root/tests/netsim/scenarios/$s.toml" --agentmesh "$bin" --profile chaos \
    --out "$root/build/chaos/$s" > "$root/build/chaos/$s.log" 2>&1 &
  pids+=($!)
  echo "chaos: $s running (log build/chaos/$s.log)"
done
status=0
i=0
for s in "$@"; do
  if wait "${pids[$i]}"; then echo "chaos: $s passed (build/chaos/$s/report.md)"
  else echo "chaos: $s FAILED (build/chaos/$s/report.md)"; tail -20 "$root/build/chaos/$s.log"; status=1; fi
  i=$((i + 1))
done
exit $status
