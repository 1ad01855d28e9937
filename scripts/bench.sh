#!/usr/bin/env bash
# Builds the release configuration, runs the benchmarks on this machine and
# rewrites docs/benchmarks.md with the figures, the command, the machine and
# the date. BENCH_SECONDS sets the length of each end-to-end phase (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${BENCH_SECONDS:-5}"
cmake --preset release >/dev/null
cmake --build --preset release --target agentmesh store_bench loadgen p2p_bench pubsub_bench registry_bench dm_bench
out=build/release/bench-results
mkdir -p "$out"

echo "bench: store group commit" >&2
build/release/bench/store_bench --benchmark_format=json --benchmark_out="$out/store.json" \
  --benchmark_out_format=json >/dev/null
echo "bench: directory lookups" >&2
build/release/bench/registry_bench --benchmark_format=json --benchmark_out="$out/registry.json" \
  --benchmark_out_format=json >/dev/null
echo "bench: end to end through the HTTP API (${seconds}s per phase)" >&2
build/release/bench/loadgen build/release/apps/agentmesh/agentmesh "$seconds" > "$out/e2e.txt"
echo "bench: transport (Noise + yamux on loopback, js-libp2p for comparison)" >&2
scripts/bench-transport.sh > "$out/p2p.txt"
echo "bench: publish/subscribe (5 agentmesh daemons, then 5 js-libp2p nodes)" >&2
build/release/bench/pubsub_bench build/release/apps/agentmesh/agentmesh "$seconds" 200 > "$out/pubsub.txt"
(cd interop && node --import ./polyfill.mjs bench-gossip.mjs "$seconds" 200) >> "$out/pubsub.txt"
echo "bench: direct messages (the floor, 2 daemons, then NATS request/reply; 60 s more for the RSS after the load)" >&2
build/release/bench/dm_bench build/release/apps/agentmesh/agentmesh "$seconds" 1000 all "$out/dm-latency.json" > "$out/dm.txt"
echo "bench: the A2A gateway (an echo agent; the same agent on @a2a-js/sdk's server)" >&2
(cd interop && node bench-a2a.mjs ../build/release/apps/agentmesh/agentmesh "$seconds") > "$out/a2a.txt"
echo "bench: the web console (Chromium through playwright-core: first load, 1,000 inbox messages/s)" >&2
CONSOLE_FIGURES="$out/console.txt" node tests/console/console_test.mjs "$PWD/build/release/apps/agentmesh/agentmesh" \
  "$PWD" "$out/console-screenshots" > "$out/console.log"
echo "bench: clients (the Python client and agentmesh mcp, next to the raw API)" >&2
python3 bench/clients_bench.py build/release/apps/agentmesh/agentmesh "$seconds" > "$out/clients.txt"
echo "bench: directory convergence (a daemon joining ten, twenty started at once)" >&2
python3 bench/directory_bench.py build/release/apps/agentmesh/agentmesh > "$out/directory.txt"

python3 - "$out" "$seconds" <<'PY'
import json, sys, subprocess, datetime, platform, os
out, seconds = sys.argv[1], sys.argv[2]
store = json.load(open(f"{out}/store.json"))
registry = {b["name"]: b for b in json.load(open(f"{out}/registry.json"))["benchmarks"]}
lookup_ns = registry["BM_DirectoryLookupById"]["cpu_time"]
search_us = registry["BM_DirectorySearchByCapability100"]["cpu_time"] / 1000
e2e = dict(l.strip().split("=", 1) for l in open(f"{out}/e2e.txt") if "=" in l)
p2p = {k: float(v) for k, v in (l.strip().split("=", 1) for l in open(f"{out}/p2p.txt") if "=" in l)}
ps = {k: float(v) for k, v in (l.strip().split("=", 1) for l in open(f"{out}/pubsub.txt") if "=" in l)}
dm = {k: float(v) for k, v in (l.strip().split("=", 1) for l in open(f"{out}/dm.txt") if "=" in l)}
nats = dm.get("nats_reqrep_per_s", float("nan"))
latency_rows = "\n".join(
    f"| {r:,}/s | {dm[f'latency_{r}_samples']:,.0f} | {dm[f'latency_{r}_p50_ms']:.2f} ms | {dm[f'latency_{r}_p90_ms']:.2f} ms | "
    f"{dm[f'latency_{r}_p99_ms']:.2f} ms | {dm[f'latency_{r}_p999_ms']:.2f} ms | {dm[f'latency_{r}_max_ms']:.2f} ms | "
    f"{dm[f'latency_{r}_failed']:,.0f} |" for r in (100, 1000, 5000))
cl = {k: float(v) for k, v in (l.strip().split("=", 1) for l in open(f"{out}/clients.txt") if "=" in l)}
a2a = {k: float(v) for k, v in (l.strip().split("=", 1) for l in open(f"{out}/a2a.txt") if "=" in l)}
ui = {k: float(v) for k, v in (l.strip().split("=", 1) for l in open(f"{out}/console.txt") if "=" in l)}
dirc = {k: float(v) for k, v in (l.strip().split("=", 1) for l in open(f"{out}/directory.txt") if "=" in l)}
def ladder(prefix):
    rates = sorted({int(k[len(prefix) + 5:].split("_")[0]) for k in ps if k.startswith(prefix + "rate_")})
    return ", ".join(f"{r:,}: {ps[f'{prefix}rate_{r}_delivered_per_s']:,.0f}" for r in rates)
verify_bound = ps["verify_per_s"] * ps["cores"] / ps["subscribers"]
def bench(name):
    return next(b for b in store["benchmarks"] if b["name"].startswith(name))
seq = bench("BM_GroupCommitAppend256/8/1/")
win = bench("BM_GroupCommitAppend256/8/64/")
deep = bench("BM_GroupCommitAppend256/1/8192/")
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown")
mem_gb = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30)
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
date = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC")
def ok(v, target, higher=True):
    return "meets" if (v >= target if higher else v < target) else "**misses**"
thr1 = float(e2e["throughput_depth1_msgs_per_s"]); thr = float(e2e["throughput_depth16_msgs_per_s"]); p50 = float(e2e["latency_p50_ms"]); p99 = float(e2e["latency_p99_ms"])
idle = int(e2e["rss_idle_kb"]) / 1024; loaded = int(e2e["rss_loaded_kb"]) / 1024
redis1 = float(e2e.get("redis_depth1_per_s", "nan")); redis16 = float(e2e.get("redis_depth16_per_s", "nan"))
text = f"""# Benchmarks

Measured by `make bench` (scripts/bench.sh, release build), which rewrites this file.

- Date: {date}
- Commit: {commit}
- Machine: {cpu}, {os.cpu_count()} cores, {mem_gb} GiB RAM, {platform.system()} {platform.release()}
- Command: `make bench` (BENCH_SECONDS={seconds})

## Store: group commit (SQLite WAL, synchronous=FULL)

256-byte messages appended to one inbox through the group-commit writer (the same `direct::deliver` job the
API runs); each completion arrives only after its transaction is fsync'd.

| producer threads x jobs in flight each | messages/s | avg jobs per commit | commit p99 (ms) | target |
|---|---|---|---|---|
| 8 x 1 (like 8 synchronous clients) | {seq['items_per_second']:,.0f} | {seq['avg_batch']:.1f} | {seq['commit_p99_ms']:.2f} | |
| 8 x 64 | {win['items_per_second']:,.0f} | {win['avg_batch']:.1f} | {win['commit_p99_ms']:.2f} | |
| 1 x 8192 (the writer's own capacity) | {deep['items_per_second']:,.0f} | {deep['avg_batch']:.1f} | {deep['commit_p99_ms']:.2f} | >= 100,000/s: {ok(deep['items_per_second'], 100000)} |

The target is judged on the last row, which measures the store: with 8 producer threads the producers themselves
(building jobs, waiting on condition variables) take CPU from the writer on these 2 cores, as the 8 x 64 row shows.

## End to end through the HTTP API

One daemon on 127.0.0.1, 256-byte payloads; the load generator (bench/loadgen.cpp) runs on the same 2 cores.
The reference is the durable store a user would otherwise pick, measured in the same run by the same load
generator: Debian's redis-server on 127.0.0.1 with `appendonly yes` and `appendfsync always` (every write fsync'd
to its append-only file before its reply, grouped across clients as our group commit groups sends; no snapshots or
file rewrites during the run), 8 clients writing 256-byte values with SET (bench/redis_ref.cpp). Our figure
includes the JSON, the bearer token, the indexes and the exactly-once bookkeeping a SET does not have.

| measure | result | target |
|---|---|---|
| accepted messages/s, {e2e['throughput_clients']} keep-alive clients, one request at a time, {seconds} s | {thr1:,.0f} | >= 90% of Redis: {ok(thr1, 0.9 * redis1)} ({100 * thr1 / redis1:.0f}%) |
| accepted messages/s, {e2e['throughput_clients']} keep-alive clients, 16 pipelined requests each, {seconds} s | {thr:,.0f} | >= 20,000: {ok(thr, 20000)}; >= 50% of Redis: {ok(thr, 0.5 * redis16)} ({100 * thr / redis16:.0f}%) |
| reference: Redis `appendfsync always`, {e2e['throughput_clients']} clients, one SET of 256 bytes at a time | {redis1:,.0f} | |
| reference: the same, 16 pipelined SETs per client | {redis16:,.0f} | |
| send -> SSE delivery p50 at {e2e['latency_offered_per_s']} msgs/s offered ({e2e['latency_samples']} samples) | {p50:.2f} ms | |
| send -> SSE delivery p99 at {e2e['latency_offered_per_s']} msgs/s offered | {p99:.2f} ms | < 5 ms: {ok(p99, 5, False)} |
| daemon RSS, idle | {idle:.1f} MB | < 30 MB: {ok(idle, 30, False)} |
| daemon RSS, 100 agents and 100,000+ stored messages | {loaded:.1f} MB | |

Failed sends during the throughput phases: {int(e2e['throughput_depth1_failed']) + int(e2e['throughput_depth16_failed'])}. Daemon exit status after SIGTERM: {e2e['daemon_exit']}.
CPU used (of 2 cores): one at a time, daemon {e2e['throughput_depth1_daemon_cores']} and load generator
{e2e['throughput_depth1_loadgen_cores']}; pipelined, daemon {e2e['throughput_depth16_daemon_cores']} and load generator
{e2e['throughput_depth16_loadgen_cores']}.

## Transport: Noise + yamux between two processes on loopback

Two processes run the agentmesh transport (`transport::Host`, as in the daemon; bench/p2p_bench.cpp): one
dials, opens streams and writes 64 KiB chunks; the other reads them to the end and answers the byte count.
The js-libp2p rows are the same transfer between two js-libp2p processes (interop/bench-transfer.mjs, the
pinned libp2p 3 stack). Transfers: median of 5 runs (agentmesh) and 3 (js). Handshakes and idle connections are measured against a
running daemon.

| measure | result | target |
|---|---|---|
| single-core ChaCha20-Poly1305, 64 KiB messages (OpenSSL, the transport's cipher) | {p2p['aead_mb_per_s']:,.0f} MB/s | |
| single-core ChaCha20-Poly1305, 64 KiB messages (libsodium 1.0.18, for comparison) | {p2p['aead_libsodium_mb_per_s']:,.0f} MB/s | |
| one stream, agentmesh to agentmesh | {p2p['stream1_mb_per_s']:,.0f} MB/s ({100 * p2p['stream1_mb_per_s'] / p2p['aead_mb_per_s']:.0f}% of the AEAD) | >= 50% of the AEAD: {ok(p2p['stream1_mb_per_s'], 0.5 * p2p['aead_mb_per_s'])} |
| 16 parallel streams, agentmesh to agentmesh | {p2p['stream16_mb_per_s']:,.0f} MB/s | |
| one stream through a circuit relay (a third process on the same 2 cores), agentmesh to agentmesh | {p2p['relay_stream1_mb_per_s']:,.0f} MB/s ({100 * p2p['relay_stream1_mb_per_s'] / p2p['stream1_mb_per_s']:.0f}% of direct) | >= 40% of direct: {ok(p2p['relay_stream1_mb_per_s'], 0.4 * p2p['stream1_mb_per_s'])} |
| relay CPU per relayed MB (user + system) | {p2p['relay_cpu_ms_per_mb']:.2f} ms | |
| one stream, js-libp2p to js-libp2p | {p2p['js_stream1_mb_per_s']:,.0f} MB/s | |
| 16 parallel streams, js-libp2p to js-libp2p | {p2p['js_stream16_mb_per_s']:,.0f} MB/s | |
| agentmesh / js-libp2p, one stream | {p2p['stream1_mb_per_s'] / p2p['js_stream1_mb_per_s']:.1f}x | >= 5x: {ok(p2p['stream1_mb_per_s'] / p2p['js_stream1_mb_per_s'], 5)} |
| full handshakes (TCP, multistream, Noise XX, yamux) per second, 8 concurrent dialers | {p2p['handshakes_per_s']:,.0f}/s ({p2p['handshake_failures']:.0f} failed) | |
| daemon RSS per idle connection ({p2p['idle_connections']:.0f} connections) | {p2p['rss_per_idle_connection_kb']:.0f} KB | < 64 KiB: {ok(p2p['rss_per_idle_connection_kb'], 64, False)} |

Where the time goes (`perf record` of both processes, 2026-11-22): the receiver spends most of its CPU in the
AEAD and the rest in the kernel's loopback receive path and one copy into the stream buffer; the sender spends
about half in the AEAD and most of the rest in the kernel's send path, which on loopback also runs the
receiver's TCP processing. With both processes and the kernel's network processing sharing 2 cores, each byte
is encrypted once, decrypted once and copied through the kernel twice. Steps that moved this figure: decrypting
in place and parsing yamux frames straight from the decrypted buffer, reusing the send buffers (no allocation or
zero-fill per write), OpenSSL's AVX-512 ChaCha20-Poly1305 instead of libsodium's (about 820 MB/s, 48% of
libsodium's rate, before), and 4 MiB socket buffers (`socket_buffer_bytes`; with the kernel's autotuning one
stream varied between 1.3 and 2.2 GB/s from run to run). js-libp2p uses Node's OpenSSL cipher for frames of
1,200 bytes and more, so the comparison is between the stacks around the same primitive.
The handshake figure has the dialers and the daemon on the same 2 cores: each handshake costs both sides
key generation, three X25519 operations, an Ed25519 signature and a verification.

## Publish/subscribe: 5 daemons, 1 publisher, 4 subscribers

bench/pubsub_bench.cpp: five daemons on 127.0.0.1 connected all to all; daemon 0 publishes 256-byte messages
through its HTTP API (one client connection, paced open loop: what has come due is sent as one pipelined batch at
most every 2 ms), daemons 1-4 each have one SSE subscriber on the topic.
Every subscribing daemon checks every message's Ed25519 signature once (StrictSign; duplicates from the other
three are recognised before any verification). interop/bench-gossip.mjs runs the same workload on five js-libp2p
gossipsub processes (the pinned libp2p 3 stack; publishing is a direct `publish()` call, no HTTP). Latency is
publish call -> subscriber event (ours: before the HTTP POST -> SSE event read; CLOCK_MONOTONIC across processes).
Throughput: offered rate raised step by step ({seconds} s each) until the slowest subscriber gets < 90% of it.

| measure | agentmesh | js-libp2p | target |
|---|---|---|---|
| Ed25519 verifications/s on one core (libsodium, over the 511 bytes a message's signature covers; the highest of three 1 s measurements in this run, taken while no daemon runs; the lowest was {ps['verify_per_s_min']:,.0f}) | {ps['verify_per_s']:,.0f} | | |
| verify bound per subscriber: verifications/s x {ps['cores']:.0f} cores / {ps['subscribers']:.0f} subscribers | {verify_bound:,.0f}/s | | |
| delivered messages/s per subscriber (slowest subscriber, best step) | {ps['delivered_per_s']:,.0f} ({100 * ps['delivered_per_s'] / verify_bound:.0f}% of the bound) | {ps['js_delivered_per_s']:,.0f} | >= 50% of the bound: {ok(ps['delivered_per_s'], 0.5 * verify_bound)} |
| agentmesh / js-libp2p throughput | {ps['delivered_per_s'] / ps['js_delivered_per_s']:.1f}x | | >= 10x: {ok(ps['delivered_per_s'] / ps['js_delivered_per_s'], 10)} |
| publish -> delivery p50 at {ps['latency_offered_per_s']:.0f} msgs/s offered | {ps['latency_p50_ms']:.2f} ms | {ps['js_latency_p50_ms']:.2f} ms | |
| publish -> delivery p99 at {ps['latency_offered_per_s']:.0f} msgs/s offered | {ps['latency_p99_ms']:.2f} ms | {ps['js_latency_p99_ms']:.2f} ms | <= 1/10 of js: {ok(ps['latency_p99_ms'], ps['js_latency_p99_ms'] / 10, False)} |
| largest process RSS during the run | {ps['rss_max_kb'] / 1024:.0f} MB | {ps['js_rss_max_kb'] / 1024:.0f} MB | < 100 MB: {ok(ps['rss_max_kb'] / 1024, 100, False)} |

Delivered per offered rate (msgs/s), agentmesh: {ladder("")}; js-libp2p: {ladder("js_")}.
Messages the SSE subscribers were told they missed (gap events, over the whole run, overload steps included):
{ps['subscriber_gaps']:,.0f}.

Where the CPU goes (perf, 2026-11-23, 6,000 msgs/s): a subscribing daemon spends about 60% of its CPU in the one
signature verification per message. The rest: the kernel (loopback TCP, and context switches among six busy
processes on two cores, about a tenth), receiving four copies of each message (one from the publisher, three
forwarded by the other subscribers; the three seen ones are recognised from their raw `from` and `seqno` and never
decoded), Noise, the SSE stream, allocation. The publisher's largest item is its one signature per message (about
a third of its CPU), then HTTP. All five daemons and the load generator share the 2 cores, so at the top step
they are saturated together. This VM's speed drifts from run to run (a lone verification loop measured 24,000 to
28,000/s on 2026-11-23) while the delivered rate stayed at about 6,500/s, so the ratio to the bound moved
between 48% and 56% across that day's runs.
Steps that moved this figure: checking the seen cache before the signature (each duplicate had been verified
again: 2,000 -> 3,000/s), writing each peer's queued RPCs in one frame, not re-verifying our own messages
(4,716/s, 36%, at the previous recording); then tcmalloc instead of glibc's malloc (in one A/B run 4,863 ->
5,998/s), encoding each message once for every peer, skipping seen copies before decoding them, libsodium instead
of OpenSSL for Noise frames under 2 KiB, SipHash and a flat table for the seen cache, one write for a run of
pipelined HTTP responses, and one pipelined client connection instead of four.
The 10x target assumed js-libp2p at a few hundred messages/s; here it reaches the figure above, and 10x that
exceeds the verify bound itself, which no implementation that checks every signature can pass.

## Direct messages: 2 daemons, 16 concurrent senders

bench/dm_bench.cpp: alice on daemon A sends 256-byte messages to bob on daemon B through A's HTTP API from 16
client threads. Every message is sealed (XChaCha20-Poly1305 under the cached pair key), committed with fsync on
both sides (A's outbox row before the 202; B's inbox entry and dedup row before the ack; A's outcome row) and
acked with a MAC. Throughput: senders queue as fast as A answers for {seconds} s; the rate is what bob's inbox
accepted, from the first send until the last queued message was accepted. The NATS rows are the reference a user
would otherwise choose: Debian's nats-server 2.9 on 127.0.0.1, request/reply with the same payload and 16
requesters (a minimal client of the NATS text protocol in the benchmark), with no persistence and no end-to-end
encryption.

The floor, measured by dm_bench before the daemons start, on the filesystem of their data directories
(bench/floor.cpp): what a `"wait": "ack"` send cannot avoid is A's outbox commit, B's inbox commit (an fsync each)
and one round trip, so **floor = 2 x fsync + loopback round trip**, per percentile.

| floor | p50 | p90 | p99 | p99.9 | max |
|---|---|---|---|---|---|
| fsync: `fdatasync` after appending 256 bytes ({dm['floor_fsync_samples']:,.0f} samples) | {dm['floor_fsync_p50_ms']:.3f} ms | {dm['floor_fsync_p90_ms']:.3f} ms | {dm['floor_fsync_p99_ms']:.3f} ms | {dm['floor_fsync_p999_ms']:.3f} ms | {dm['floor_fsync_max_ms']:.3f} ms |
| TCP round trip of 256 bytes between two threads on 127.0.0.1 ({dm['floor_loopback_rtt_samples']:,.0f} samples) | {dm['floor_loopback_rtt_p50_ms']:.3f} ms | {dm['floor_loopback_rtt_p90_ms']:.3f} ms | {dm['floor_loopback_rtt_p99_ms']:.3f} ms | {dm['floor_loopback_rtt_p999_ms']:.3f} ms | {dm['floor_loopback_rtt_max_ms']:.3f} ms |
| **floor** | **{dm['floor_p50_ms']:.3f} ms** | | **{dm['floor_p99_ms']:.3f} ms** | | |

Sealing and opening one envelope (XChaCha20-Poly1305, a 256-byte message's body) costs {dm['floor_envelope_seal_open_us']:.1f} µs
on one core: not part of the floor, and small beside it.

| measure | agentmesh | NATS request/reply | target |
|---|---|---|---|
| messages/s accepted by the recipient, direct stream (`/agentmesh/dm/1.0.0`), one request at a time per sender | {dm['direct_accepted_per_s']:,.0f} | | |
| the same, 8 pipelined requests per sender | {dm['direct_pipelined_accepted_per_s']:,.0f} | {dm.get('nats_reqrep_per_s', 0):,.0f}/s (closed loop) | >= 40% of NATS: {ok(dm['direct_pipelined_accepted_per_s'], 0.4 * nats)} ({100 * dm['direct_pipelined_accepted_per_s'] / nats:.0f}%) |
| messages/s accepted by the recipient, gossip inbox path, one request at a time per sender | {dm['gossip_accepted_per_s']:,.0f} | | |
| the same, 8 pipelined requests per sender | {dm['gossip_pipelined_accepted_per_s']:,.0f} | | |
| 16 senders each waiting for the ack (`"wait": "ack"`, closed loop) | {dm['wait_ack_per_s']:,.0f}/s | {dm.get('nats_reqrep_per_s', 0):,.0f}/s | >= 25% of NATS: {ok(dm['wait_ack_per_s'], 0.25 * nats)} ({100 * dm['wait_ack_per_s'] / nats:.0f}%) |
| send -> receipt p50 with `"wait": "ack"` at 1,000 msgs/s offered | {dm['latency_1000_p50_ms']:.2f} ms | {dm.get('nats_latency_p50_ms', 0):.2f} ms | <= 3 x floor p50 ({3 * dm['floor_p50_ms']:.2f} ms): {ok(dm['latency_1000_p50_ms'], 3 * dm['floor_p50_ms'] + 1e-9, False)} ({dm['latency_1000_p50_ms'] / dm['floor_p50_ms']:.1f}x) |
| send -> receipt p99 at 1,000 msgs/s offered | {dm['latency_1000_p99_ms']:.2f} ms | {dm.get('nats_latency_p99_ms', 0):.2f} ms | <= 4 x floor p99 + 1 ms ({4 * dm['floor_p99_ms'] + 1:.2f} ms): {ok(dm['latency_1000_p99_ms'], 4 * dm['floor_p99_ms'] + 1 + 1e-9, False)} |
| daemon RSS right after the load (A, B) | {dm['rss_a_kb'] / 1024:.0f} MB, {dm['rss_b_kb'] / 1024:.0f} MB | | |
| daemon RSS 60 s after the load ended (A, B) | {dm['rss_a_after_60s_kb'] / 1024:.1f} MB, {dm['rss_b_after_60s_kb'] / 1024:.1f} MB | | <= 40 MB each: {ok(max(dm['rss_a_after_60s_kb'], dm['rss_b_after_60s_kb']) / 1024, 40 + 1e-9, False)} |

`"wait": "ack"` latency by offered rate (open loop: each message has a due time and its latency runs from that
time, so a slow answer that delays the sends behind it counts against them too; the histograms are in
`build/release/bench-results/dm-latency.json`):

| offered | samples | p50 | p90 | p99 | p99.9 | max | failed |
|---|---|---|---|---|---|---|---|
{latency_rows}

The receipt of a `"wait": "ack"` send comes back after B committed the message to bob's inbox (fsync) and A
verified B's ack, so it measures send -> inbox -> ack. As for the local API above, the throughput target is
judged with each sender pipelining its requests (HTTP/1.1; every request is still its own message with its own
202): one request at a time, each sender waits for A's outbox fsync before sending the next, and the HTTP round
trips of 16 clients on the same 2 cores become the limit. Both daemons, the 16 HTTP client threads and, for the
reference, nats-server share the 2 cores.

## Tasks: 2 daemons, 16 requesters, 16 workers

bench/task_phase.cpp, run by dm_bench on the same two daemons right after the rows above (so those are the
reference): 16 requester threads for alice on A, 16 worker agents on B. A requester creates a task for its worker
and follows the task's event stream (SSE) until its `completed` step; the worker follows its own task event stream,
accepts what it is offered and, once the accept comes back as a step, completes the task with a 256-byte
artifact. A lifecycle is three steps decided and committed (fsync) at A and applied at B, and two actions sent from
B to A, each an authenticated direct message with its ack.

| measure | tasks | reference (rows above) | target |
|---|---|---|---|
| full lifecycles/s (create -> accept -> complete, seen completed by the requester), closed loop | {dm['task_lifecycles_per_s']:,.0f} | {dm['direct_pipelined_accepted_per_s']:,.0f} pipelined messages/s | >= 25% of it: {ok(dm['task_lifecycles_per_s'], 0.25 * dm['direct_pipelined_accepted_per_s'])} ({100 * dm['task_lifecycles_per_s'] / dm['direct_pipelined_accepted_per_s']:.0f}%) |
| create -> completed seen, p50 at {dm['task_latency_rate']:.0f} tasks/s offered | {dm['task_latency_p50_ms']:.2f} ms | {dm['latency_p50_ms']:.2f} ms `"wait": "ack"` p50 | <= 3x: {ok(dm['task_latency_p50_ms'], 3 * dm['latency_p50_ms'] + 1e-9, False)} ({dm['task_latency_p50_ms'] / dm['latency_p50_ms']:.1f}x) |
| create -> completed seen, p99 | {dm['task_latency_p99_ms']:.2f} ms | {dm['latency_p99_ms']:.2f} ms `"wait": "ack"` p99 | <= 4x: {ok(dm['task_latency_p99_ms'], 4 * dm['latency_p99_ms'] + 1e-9, False)} ({dm['task_latency_p99_ms'] / dm['latency_p99_ms']:.1f}x) |

## The A2A gateway: an echo agent, blocking SendMessage

interop/bench-a2a.mjs: the pinned `@a2a-js/sdk` JSON-RPC client calls an echo agent (it completes with the input as
its artifact) with blocking `SendMessage`. agentmesh: the agent is published on a daemon's `--a2a` gateway and its
worker (in the same node process as the clients) takes each task from the agent's task event stream and accepts and
completes it through the local API; every step is committed (fsync) before it is answered. The reference is the same
agent on the SDK's own server (express, `DefaultRequestHandler`, `InMemoryTaskStore`: nothing durable), in the same
run. Round trips at {a2a['rate']:.0f} requests/s for {seconds} s, then 16 clients each calling in a loop.

| measure | agentmesh | @a2a-js/sdk server | target |
|---|---|---|---|
| round trip p50 at {a2a['rate']:.0f}/s | {a2a['agentmesh_p50_ms']:.2f} ms | {a2a['sdk_p50_ms']:.2f} ms | <= 2x: {ok(a2a['agentmesh_p50_ms'], 2 * a2a['sdk_p50_ms'] + 1e-9, False)} ({a2a['agentmesh_p50_ms'] / a2a['sdk_p50_ms']:.1f}x) |
| round trip p99 | {a2a['agentmesh_p99_ms']:.2f} ms | {a2a['sdk_p99_ms']:.2f} ms | |
| completed tasks/s, 16 clients | {a2a['agentmesh_tasks_per_s']:,.0f} | {a2a['sdk_tasks_per_s']:,.0f} | >= 100%: {ok(a2a['agentmesh_tasks_per_s'], a2a['sdk_tasks_per_s'])} ({100 * a2a['agentmesh_tasks_per_s'] / a2a['sdk_tasks_per_s']:.0f}%) |

## Clients: the Python client and `agentmesh mcp`

One daemon on 127.0.0.1, loopback sends of 256 bytes from agent a to agent b, one at a time (each answered after its
fsync'd commit); bench/clients_bench.py, each measure next to the raw API in the same run.

| measure | result | reference (same run) | target |
|---|---|---|---|
| sends/s, `agentmesh.Client.send` over its keep-alive connection | {cl['python_client_sends_per_s']:,.0f} | {cl['python_raw_sends_per_s']:,.0f} with a bare `http.client` loop | >= 50%: {ok(cl['python_client_ratio'], 0.5)} ({100 * cl['python_client_ratio']:.0f}%) |
| `send_message` tools/call round trip through `agentmesh mcp` (stdio), p50 | {cl['mcp_send_p50_ms']:.3f} ms | {cl['raw_send_p50_ms']:.3f} ms one raw HTTP send | adds < 1 ms: {ok(cl['mcp_added_p50_ms'], 1, False)} ({cl['mcp_added_p50_ms']:+.3f} ms) |
| the same, p99 | {cl['mcp_send_p99_ms']:.3f} ms | {cl['raw_send_p99_ms']:.3f} ms | |

The two send loops take turns in 0.25 s slices on the same daemon, so both meet the same disk and store state; the
commit (fsync) dominates each send, and the client adds JSON encoding, header building and a dataclass per send.

## The web console

tests/console/console_test.mjs against release daemons (two, and a third that joins), driving Debian's Chromium
(headless, software rendering) through playwright-core, all on the same cores: the first load is every response from the one-time link to the
rendered overview in a fresh browser context; then {ui['burst_messages']:,.0f} messages are sent at 1,000/s to an
agent whose inbox is open live, and the page counts the frames it draws until the last message shows.

| measure | result | target |
|---|---|---|
| first load, uncompressed | {ui['first_load_bytes'] / 1024:,.0f} KB | < 300 KB compressed: {ok(ui['first_load_bytes'], 300 * 1024, False)} |
| overview rendered after the link opened | {ui['overview_ms']:,.0f} ms | < 1 s: {ok(ui['overview_ms'], 1000, False)} |
| frames drawn during the burst | {ui['frames_per_s']:.0f}/s ({ui['frames']:,.0f} in {ui['frames_ms'] / 1000:.1f} s) | smooth, >= 50/s: {ok(ui['frames_per_s'], 50)} |
| longest gap between two frames | {ui['worst_gap_ms']:.0f} ms | <= 100 ms: {ok(ui['worst_gap_ms'], 100.5, False)} |

"Smooth" is read as a display's frame rate give or take a few dropped frames, and no pause long enough to notice
(100 ms, the usual bound for a response to feel immediate).

## Agent directory

bench/registry_bench.cpp: the in-memory directory filled to its bound of 100,000 remote agents.

| measure | result | target |
|---|---|---|
| lookup by agent id | {lookup_ns:,.0f} ns | < 10 µs: {ok(lookup_ns, 10000, False)} |
| search by capability (100 of 100,000 agents match) | {search_us:,.1f} µs | |

bench/directory_bench.py: daemons on 127.0.0.1, two agents each (issue 16's convergence figures; before adverts were
exchanged with each new neighbour, a joiner waited for the 60 s republish and twenty daemons took 61 s).

| measure | result | target |
|---|---|---|
| a daemon joining {dirc['join_daemons']:.0f} (through one of them) lists all their agents, from its API's first answer | {dirc['join_joiner_sees_mesh_s']:.2f} s | <= 2 s: {ok(dirc['join_joiner_sees_mesh_s'], 2, False)} |
| the {dirc['join_daemons']:.0f} list the joiner's agents, from their creation | {dirc['join_mesh_sees_joiner_s']:.2f} s | <= 2 s: {ok(dirc['join_mesh_sees_joiner_s'], 2, False)} |
| {dirc['together_daemons']:.0f} daemons started at once: every directory complete, from the last agent's creation | {dirc['together_complete_s']:.2f} s | <= 2 s: {ok(dirc['together_complete_s'], 2, False)} |

## Reading these figures

- Every accepted message is fsync'd before its 202 (SQLite WAL, `synchronous=FULL`); group commit spreads one
  fsync over every request that arrived while the previous commit was in flight, which is why the pipelined store
  figure is several times the synchronous one.
- The store benchmark's producers (8 threads building jobs) run on the same 2 cores as the writer thread, and the
  end-to-end load generator's 8 HTTP clients compete with the daemon for the same 2 cores: the CPU line above shows
  the split. The daemon handles HTTP, JSON and routing on one thread and SQLite on a second.
- One request at a time per client, a group commit can never hold more than 8 messages, so throughput is bounded
  by 8 x the commit (fsync) rate, the same ceiling as the store's 8 x 1 row. A `perf record` of the daemon under
  that load (2026-11-22) showed user code as a small share; most samples were kernel context switches,
  inter-processor interrupts and virtio disk kicks around the fsync. The server therefore supports HTTP/1.1
  pipelining: sends pipelined on one connection are processed concurrently and share commits, while responses stay
  in request order and any other request waits for the sends before it (tested in
  `StreamTest.PipelinedSendsKeepTheirOrderAndALaterReadSeesThemAll`).
"""
# Comparisons written by hand (before/after a change, on one machine) live
# below the marker and survive a rerun.
marker = "<!-- kept by make bench: comparisons -->"
try:
    old = open("docs/benchmarks.md").read()
    if marker in old:
        text += "\n" + old[old.index(marker):]
except FileNotFoundError:
    pass
open("docs/benchmarks.md", "w").write(text)
print(text)
PY
