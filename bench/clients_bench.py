#!/usr/bin/env python3
"""The client surfaces next to the raw API, in one run on one daemon (run by scripts/bench.sh):

- Python: sends per second through agentmesh.Client over its keep-alive connection, and through a bare
  http.client loop on one keep-alive connection (the floor the client adds to). Target: >= 50% of the raw loop.
- MCP: the round trip of a `send_message` tools/call through `agentmesh mcp` (stdio, JSON-RPC), and of the same
  send as one raw HTTP request, p50 and p99. Target: the MCP hop adds < 1 ms at p50.

Sends are 256-byte loopback messages (each answered after its fsync'd commit). Prints key=value lines.

usage: clients_bench.py AGENTMESH_BINARY SECONDS
"""

import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "clients" / "python"))
import agentmesh  # noqa: E402


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * p))]


def main() -> int:
    binary, seconds = sys.argv[1], float(sys.argv[2])
    work = Path(tempfile.mkdtemp(prefix="agentmesh-clients-bench-"))
    os.chmod(work, 0o700)
    data = work / "d"
    daemon = subprocess.Popen([binary, "daemon", "--data-dir", str(data), "--api", "127.0.0.1:0", "--listen",
                               "/ip4/127.0.0.1/tcp/0", "--log-level", "warn"], stdout=subprocess.DEVNULL,
                              stderr=open(work / "daemon.log", "wb"))
    mcp = None
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                c = agentmesh.Client(data_dir=str(data))
                c.health()
                break
            except agentmesh.Error:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        c.agents.create("a")
        c.agents.create("b")
        token = (data / "api-token").read_text().strip()
        host, port = (data / "api.port").read_text().strip().rsplit(":", 1)
        body = "x" * 256
        payload = json.dumps({"to": "b", "body": body}).encode()
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

        raw = http.client.HTTPConnection(host, int(port))

        def raw_send() -> float:
            t = time.perf_counter()
            raw.request("POST", "/v1/agents/a/messages", body=payload, headers=headers)
            r = raw.getresponse()
            r.read()
            if r.status != 202:
                raise RuntimeError(f"raw send: HTTP {r.status}")
            return time.perf_counter() - t

        def rates(fns, slice_s: float = 0.25):
            # Alternating slices, so both meet the same disk and the same store state.
            counts, spent = [0] * len(fns), [0.0] * len(fns)
            end = time.perf_counter() + 2 * seconds
            while time.perf_counter() < end:
                for i, fn in enumerate(fns):
                    start = time.perf_counter()
                    while time.perf_counter() - start < slice_s:
                        fn()
                        counts[i] += 1
                    spent[i] += time.perf_counter() - start
            return [c / t for c, t in zip(counts, spent)]

        for _ in range(200):  # warm up
            raw_send()
            c.send("a", to="b", body=body)
        raw_rate, client_rate = rates([raw_send, lambda: c.send("a", to="b", body=body)])
        print(f"python_raw_sends_per_s={raw_rate:.0f}")
        print(f"python_client_sends_per_s={client_rate:.0f}")
        print(f"python_client_ratio={client_rate / raw_rate:.3f}")

        # The round trips: raw HTTP, then the MCP server (started on the same daemon, acting as "a").
        n = max(200, int(seconds * 300))
        raw_rtt = [raw_send() for _ in range(n)]
        mcp = subprocess.Popen([binary, "mcp", "--data-dir", str(data), "--agent", "a", "--no-spawn"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

        def rpc(i: int, method: str, params: dict) -> dict:
            mcp.stdin.write((json.dumps({"jsonrpc": "2.0", "id": i, "method": method, "params": params}) + "\n")
                            .encode())
            mcp.stdin.flush()
            while True:
                msg = json.loads(mcp.stdout.readline())
                if msg.get("id") == i:
                    return msg

        rpc(0, "initialize", {"protocolVersion": "2025-11-25", "capabilities": {},
                              "clientInfo": {"name": "bench", "version": "1"}})
        mcp.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        call = {"name": "send_message", "arguments": {"to": "b", "text": body}}
        for i in range(1, 101):
            rpc(i, "tools/call", call)
        mcp_rtt = []
        for i in range(1000, 1000 + n):
            t = time.perf_counter()
            msg = rpc(i, "tools/call", call)
            mcp_rtt.append(time.perf_counter() - t)
            if msg["result"].get("isError"):
                raise RuntimeError(f"mcp send failed: {msg}")
        raw_rtt = raw_rtt + [raw_send() for _ in range(n)]  # before and after, so drift hits both alike
        for name, xs in (("raw", raw_rtt), ("mcp", mcp_rtt)):
            print(f"{name}_send_p50_ms={pct(xs, 0.5) * 1000:.3f}")
            print(f"{name}_send_p99_ms={pct(xs, 0.99) * 1000:.3f}")
        print(f"mcp_added_p50_ms={(pct(mcp_rtt, 0.5) - pct(raw_rtt, 0.5)) * 1000:.3f}")
        print(f"mcp_calls={n}")
        return 0
    finally:
        if mcp is not None:
            mcp.kill()
            mcp.wait()
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(20)
        except subprocess.TimeoutExpired:
            daemon.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
