#!/usr/bin/env bash
# Builds the release scale simulation (bench/scale_sim.cpp), runs it for 100,
# 200, 500 and 1,000 nodes with 10,000 agents, and rewrites docs/scaling.md and
# its plots (docs/img/scaling-*.svg). SCALE_NODES, SCALE_AGENTS and
# SCALE_WINDOW (seconds of directory traffic simulated) change the run.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes="${SCALE_NODES:-100 200 500 1000}"
agents="${SCALE_AGENTS:-10000}"
window="${SCALE_WINDOW:-2}"
cmake --preset release >/dev/null
cmake --build --preset release --target scale_sim
out=build/release/scale-results
mkdir -p "$out"
for n in $sizes; do
  echo "scale: $n nodes, $agents agents" >&2
  build/release/bench/scale_sim "$n" "$agents" "$window" > "$out/$n.txt"
done
python3 scripts/scaling_report.py "$out" $sizes
