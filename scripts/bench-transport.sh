#!/usr/bin/env bash
# The transport part of `make bench` (called by scripts/bench.sh): prints
# key=value lines. Needs the release build of agentmesh and p2p_bench, and
# interop/node_modules (scripts/install-deps.sh).
#
#   - single-core ChaCha20-Poly1305 on 64 KiB messages (OpenSSL, libsodium)
#   - one stream and 16 streams between two processes running the agentmesh
#     transport (p2p_bench sink/source), 64 KiB writes, median of 5 runs (the
#     single-stream figure swings between 1.3 and 2.2 GB/s on this VM)
#   - one stream through a circuit relay (a third process; median of 3) and the
#     relay's CPU per relayed MB
#   - the same transfer between two js-libp2p processes (median of 3)
#   - full handshakes per second against a daemon (8 concurrent dialers)
#   - daemon RSS per idle connection (150 connections)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/release/apps/agentmesh/agentmesh
p2p=build/release/bench/p2p_bench
mb=${BENCH_TRANSFER_MB:-2000}
js_mb=${BENCH_JS_MB:-1000}
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
field() { grep "^$1=" | cut -d= -f2; }

"$p2p" aead 2

# A long-lived helper reading a FIFO, so that closing the FIFO stops it.
start_with_fifo() {  # name, command...
  local name=$1; shift
  mkfifo "$tmp/$name.in"
  "$@" < "$tmp/$name.in" > "$tmp/$name.out" 2> "$tmp/$name.err" &
  pids+=($!)
  eval "exec {fd_$name}>\"$tmp/$name.in\""
}
wait_for() {  # file, pattern
  for _ in $(seq 1 150); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "bench-transport: timed out waiting for $2 in $1" >&2; cat "$1" "${1%.out}.err" >&2 || true; exit 1
}

# agentmesh <-> agentmesh
start_with_fifo sink "$p2p" sink
wait_for "$tmp/sink.out" addr=
addr=$(field addr < "$tmp/sink.out")
for s in 1 16; do
  for _ in 1 2 3 4 5; do timeout 60 "$p2p" source "$addr" "$mb" "$s" | field mb_per_s; done | median | sed "s/^/stream${s}_mb_per_s=/"
done

# agentmesh -> relay -> agentmesh: one stream over a circuit, and the relay's CPU time for it.
relay_mb=${BENCH_RELAY_MB:-1000}
start_with_fifo relay "$p2p" relay
relay_pid=${pids[-1]}
wait_for "$tmp/relay.out" addr=
raddr=$(field addr < "$tmp/relay.out")
start_with_fifo rsink "$p2p" sink "$raddr"
wait_for "$tmp/rsink.out" addr=
caddr=$(field addr < "$tmp/rsink.out")
cpu() { awk '{print $14 + $15}' "/proc/$relay_pid/stat"; }
cpu_before=$(cpu)
for _ in 1 2 3; do timeout 120 "$p2p" source "$caddr" "$relay_mb" 1 | field mb_per_s; done | median |
  sed "s/^/relay_stream1_mb_per_s=/"
cpu_after=$(cpu)
echo "relay_cpu_ms_per_mb=$(python3 -c "import sys; print(round(($cpu_after - $cpu_before) * 1000 / $(getconf CLK_TCK) / (3 * $relay_mb), 3))")"

# js-libp2p <-> js-libp2p
pushd interop >/dev/null
start_with_fifo jssink node --import ./polyfill.mjs bench-transfer.mjs sink
popd >/dev/null
wait_for "$tmp/jssink.out" addr
jsaddr=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["addr"])' "$tmp/jssink.out")
for s in 1 16; do
  for _ in 1 2 3; do
    (cd interop && timeout 120 node --import ./polyfill.mjs bench-transfer.mjs source "$jsaddr" "$js_mb" "$s") |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["mb_per_s"])'
  done | median | sed "s/^/js_stream${s}_mb_per_s=/"
done

# Handshakes and idle connections against a daemon.
data="$tmp/daemon"
mkdir -m 700 "$data"
"$bin" daemon --data-dir "$data" --api 127.0.0.1:0 --listen /ip4/127.0.0.1/tcp/0 --log-level warn \
  > "$tmp/daemon.log" 2>&1 &
daemon=$!
pids+=($daemon)
for _ in $(seq 1 100); do [ -s "$data/api.port" ] && break; sleep 0.1; done
node_json=$(python3 - "$data" <<'PY'
import sys, urllib.request
d = sys.argv[1]
port = open(f"{d}/api.port").read().strip()
token = open(f"{d}/api-token").read().strip()
req = urllib.request.Request(f"http://{port}/v1/node", headers={"Authorization": f"Bearer {token}"})
print(urllib.request.urlopen(req).read().decode())
PY
)
daddr=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["listen_addrs"][0])' "$node_json")
"$p2p" handshakes "$daddr" 5 8
sleep 2
rss_before=$(awk '/VmRSS/ {print $2}' "/proc/$daemon/status")
start_with_fifo idle "$p2p" idle "$daddr" 150
wait_for "$tmp/idle.out" ready=
sleep 2
rss_after=$(awk '/VmRSS/ {print $2}' "/proc/$daemon/status")
echo "idle_connections=150"
echo "rss_before_kb=$rss_before"
echo "rss_after_kb=$rss_after"
echo "rss_per_idle_connection_kb=$(( (rss_after - rss_before) / 150 ))"
