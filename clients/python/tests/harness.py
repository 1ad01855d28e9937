"""Real daemons for the client's tests: each in a temporary data directory, on ports the OS picks, on 127.0.0.1."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
from pathlib import Path
from typing import Callable, Iterator, List, Optional, TypeVar
import sys

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the package under test, not an installed one

import agentmesh  # noqa: E402

T = TypeVar("T")


def binary() -> str:
    found = os.environ.get("AGENTMESH_BINARY")
    if found:
        return found
    guess = Path(__file__).resolve().parents[3] / "build" / "dev" / "apps" / "agentmesh" / "agentmesh"
    if guess.exists():
        return str(guess)
    raise RuntimeError("set AGENTMESH_BINARY to the agentmesh executable")


def eventually(probe: Callable[[], Optional[T]], timeout: float = 20.0, what: str = "condition") -> T:
    """Polls ``probe`` until it returns something truthy, for at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.02)


@contextlib.contextmanager
def environment(values: "dict[str, str]") -> Iterator[None]:
    """Sets environment variables for the block, restoring what was there after it."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class Daemon:
    """``agentmesh daemon`` on a temporary data dir; the API and the p2p listener on OS-chosen loopback ports."""

    def __init__(self, data_dir: Path, extra: Optional[List[str]] = None) -> None:
        self.data_dir = data_dir
        self.extra = list(extra or [])
        self.log_path = data_dir.parent / (data_dir.name + ".log")
        self.proc: Optional[subprocess.Popen] = None

    def start(self) -> "Daemon":
        (self.data_dir / "api.port").unlink(missing_ok=True) if self.data_dir.exists() else None
        args = [binary(), "daemon", "--data-dir", str(self.data_dir), "--api", "127.0.0.1:0",
                "--listen", "/ip4/127.0.0.1/tcp/0", *self.extra]
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()

        def up() -> bool:
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"the daemon exited at start:\n{self.log()}")
            try:
                with agentmesh.Client(data_dir=str(self.data_dir)) as c:
                    return c.health().status in ("ok", "degraded")
            except agentmesh.Error:
                return False

        eventually(up, 30.0, "the daemon to answer")
        return self

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not exited within 20 s."""
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def kill9(self) -> None:
        if self.proc is None:
            return
        self.proc.kill()
        self.proc.wait()
        self.proc = None

    def client(self) -> agentmesh.Client:
        return agentmesh.Client(data_dir=str(self.data_dir))

    def multiaddr(self) -> str:
        with self.client() as c:
            return c.node()["listen_addrs"][0]

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


class DaemonTest(unittest.TestCase):
    """A test case with a temporary directory and daemons that are stopped when it ends, also on failure."""

    def setUp(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="agentmesh-py-"))
        self.daemons: List[Daemon] = []
        self.addCleanup(self._cleanup)

    def _cleanup(self) -> None:
        for d in self.daemons:
            d.kill9()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def daemon(self, name: str = "d", extra: Optional[List[str]] = None) -> Daemon:
        d = Daemon(self.tmp / name, extra)
        self.daemons.append(d)
        return d.start()

    def linked(self) -> "tuple[Daemon, Daemon]":
        """Two daemons, the second bootstrapped from the first."""
        a = self.daemon("a")
        b = self.daemon("b", ["--bootstrap", a.multiaddr()])
        eventually(lambda: a.client().peers.list(), 20.0, "the daemons to connect")
        return a, b
