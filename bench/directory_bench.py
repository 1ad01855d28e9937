#!/usr/bin/env python3
"""Directory convergence on 127.0.0.1 (issue 16), the two measurements the issue starts from (run by
scripts/bench.sh):

- join: ten daemons (two agents each) whose directories are complete; an eleventh joins through one of them and
  creates two agents. Measured: from the joiner's API answering until its directory lists all twenty agents of
  the mesh, and from its agents' creation until every other daemon lists them (before adverts were exchanged with
  each new neighbour, both took the 60 s advert republish).
- together: twenty daemons started at once (the first, then nineteen bootstrapping to it), two agents each created
  once every API answers: from the last agent's creation until every directory lists all forty (61 s before).

Target: a joining daemon's directory complete within 2 s (the issue's bound plus the path's RTTs, none here).
Prints key=value lines.

usage: directory_bench.py AGENTMESH_BINARY
"""

import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import List, Optional, Set

POLL_S = 0.02


class Daemon:
    def __init__(self, binary: str, work: Path, name: str, bootstrap: Optional[str]) -> None:
        self.data = work / name
        args = [binary, "daemon", "--data-dir", str(self.data), "--api", "127.0.0.1:0", "--listen",
                "/ip4/127.0.0.1/tcp/0", "--log-level", "warn"]
        if bootstrap:
            args += ["--bootstrap", bootstrap]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=open(work / f"{name}.log", "wb"))
        self.base = ""
        self.token = ""
        self.agents: List[str] = []

    def call(self, method: str, path: str, body=None):
        req = urllib.request.Request(self.base + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {self.token}",
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read() or b"null")

    def wait_ready(self, deadline_s: float = 60) -> float:
        """Waits until the API answers; returns the monotonic time it did."""
        end = time.monotonic() + deadline_s
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.data.name} exited with status {self.proc.returncode}")
            try:
                self.base = "http://" + (self.data / "api.port").read_text().strip()
                self.token = (self.data / "api-token").read_text().strip()
                self.call("GET", "/v1/health")
                return time.monotonic()
            except (OSError, ValueError):
                if time.monotonic() > end:
                    raise RuntimeError(f"{self.data.name}: API not up after {deadline_s} s") from None
                time.sleep(POLL_S)

    def addr(self) -> str:
        return self.call("GET", "/v1/node")["listen_addrs"][0]

    def create_agents(self, n: int) -> None:
        for k in range(n):
            self.agents.append(self.call("POST", "/v1/agents", {"name": f"{self.data.name}-{k}"})["agent_id"])

    def sees(self) -> Set[str]:
        return {a["agent_id"] for a in self.call("GET", "/v1/directory")["agents"] if a.get("online")}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def wait_until(pred, deadline_s: float) -> Optional[float]:
    """Seconds until ``pred()`` held, or None when it did not within the deadline."""
    start = time.monotonic()
    while time.monotonic() - start < deadline_s:
        if pred():
            return time.monotonic() - start
        time.sleep(POLL_S)
    return None


def everyone_sees(daemons: List[Daemon], agents: Set[str]) -> bool:
    return all(agents <= d.sees() for d in daemons)


def join(binary: str, work: Path) -> None:
    mesh: List[Daemon] = []
    try:
        for i in range(10):
            mesh.append(Daemon(binary, work, f"join{i}", mesh[-1].addr() if mesh else None))
            mesh[-1].wait_ready()
        for d in mesh:
            d.create_agents(2)
        agents = {a for d in mesh for a in d.agents}
        if wait_until(lambda: everyone_sees(mesh, agents), 120) is None:
            raise RuntimeError("the ten daemons' directories never became complete")
        joiner = Daemon(binary, work, "joiner", mesh[len(mesh) // 2].addr())
        mesh.append(joiner)
        joiner.wait_ready()
        sees_mesh = wait_until(lambda: agents <= joiner.sees(), 120)
        joiner.create_agents(2)
        new = set(joiner.agents)
        mesh_sees = wait_until(lambda: everyone_sees(mesh[:-1], new), 120)
        print(f"join_daemons={len(mesh) - 1}")
        print(f"join_joiner_sees_mesh_s={sees_mesh if sees_mesh is not None else float('nan'):.3f}")
        print(f"join_mesh_sees_joiner_s={mesh_sees if mesh_sees is not None else float('nan'):.3f}")
    finally:
        for d in mesh:
            d.stop()


def together(binary: str, work: Path, n: int = 20) -> None:
    mesh: List[Daemon] = []
    try:
        # The first daemon, then the other n-1 at once, each bootstrapping to the first; every daemon creates its
        # agents once all answer.
        mesh.append(Daemon(binary, work, "all0", None))
        mesh[0].wait_ready()
        hub = mesh[0].addr()
        mesh += [Daemon(binary, work, f"all{i}", hub) for i in range(1, n)]
        for d in mesh:
            d.wait_ready()
        for d in mesh:
            d.create_agents(2)
        agents = {a for d in mesh for a in d.agents}
        complete = wait_until(lambda: everyone_sees(mesh, agents), 120)
        if complete is None:
            for d in mesh:  # where it stopped: what each daemon lists, and how many peers it has
                print(f"# {d.data.name}: {len(agents & d.sees())} of {len(agents)} agents, "
                      f"{len(d.call('GET', '/v1/peers')['peers'])} peers", file=sys.stderr)
        print(f"together_daemons={n}")
        print(f"together_complete_s={complete if complete is not None else float('nan'):.3f}")
    finally:
        for d in mesh:
            d.stop()


def main() -> int:
    binary = sys.argv[1]
    work = Path(tempfile.mkdtemp(prefix="agentmesh-directory-bench-"))
    try:
        join(binary, work)
        together(binary, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
