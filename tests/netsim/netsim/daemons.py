"""Real agentmesh daemons, one per host namespace, and an HTTP client that talks to each from inside its namespace.

Each daemon listens for peers on its host's address (port 7782) and serves its API on 127.0.0.1:7781 of its own
namespace (every namespace has its own loopback). Host j keeps a connection to every host i < j (``--bootstrap``),
so every pair is kept connected by exactly one side and a restarted daemon is redialed by, or redials, each peer.
"""

import concurrent.futures
import http.client
import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import ns as nsmod
from .net import Network

API_PORT = 7781
P2P_PORT = 7782


class Refused(Exception):
    """The request was never sent (the daemon is not listening): it certainly did not happen."""


class Indeterminate(Exception):
    """The request may or may not have taken effect (timeout, connection lost after sending)."""


class HostApi:
    """HTTP/JSON calls to one daemon, made by a pool of threads that live in its host's namespace."""

    def __init__(self, ns_name: str, token_file: Path, threads: int = 8) -> None:
        self.ns_name = ns_name
        self.token_file = token_file
        self._local = threading.local()
        self.pool = concurrent.futures.ThreadPoolExecutor(threads, thread_name_prefix=ns_name,
                                                          initializer=nsmod.enter, initargs=(ns_name,))

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def submit(self, fn: Callable[..., Any], *args: Any) -> concurrent.futures.Future:
        """Runs ``fn(self, *args)`` on one of the namespace's threads."""
        return self.pool.submit(fn, self, *args)

    def call(self, method: str, path: str, body: Any = None, timeout: float = 15) -> Tuple[int, Any]:
        """Blocking call from any thread (it hops to the namespace's pool)."""
        return self.pool.submit(self.request, method, path, body, timeout).result()

    def request(self, method: str, path: str, body: Any = None, timeout: float = 15) -> Tuple[int, Any]:
        """Must run on one of this API's threads. Returns (status, decoded JSON body). A GET that fails on a
        reused connection (the daemon may have closed it as idle) is tried once more on a new one."""
        reused = getattr(self._local, "conn", None) is not None and self._local.conn.sock is not None
        try:
            return self._request(method, path, body, timeout)
        except Indeterminate:
            if method != "GET" or not reused:
                raise
            return self._request(method, path, body, timeout)

    def _request(self, method: str, path: str, body: Any, timeout: float) -> Tuple[int, Any]:
        token = self.token_file.read_text().strip()
        headers = {"Authorization": f"Bearer {token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn: Optional[http.client.HTTPConnection] = getattr(self._local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", API_PORT, timeout=timeout)
            self._local.conn = conn
        conn.timeout = timeout
        if conn.sock is None:
            try:
                conn.connect()
            except OSError as e:  # refused, or no route: the request was never sent
                self._drop()
                raise Refused(str(e)) from None
        else:
            conn.sock.settimeout(timeout)
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
        except (TimeoutError, OSError, http.client.HTTPException) as e:
            # Sent, or possibly sent: a reused connection the daemon had closed (it restarted, or timed the
            # connection out) may not have been read, a timeout may have been. Sends carry idempotency keys.
            self._drop()
            raise Indeterminate(f"{type(e).__name__}: {e}") from None
        try:
            obj = json.loads(raw) if raw else None
        except ValueError:
            obj = {"raw": raw.decode(errors="replace")}
        return resp.status, obj

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
        self._local.conn = None


class Daemon:
    def __init__(self, net: Network, host: str, binary: Path, workdir: Path, bootstrap: List[str],
                 extra_args: Optional[List[str]] = None) -> None:
        self.net = net
        self.host = host
        self.binary = binary
        self.data_dir = workdir / host / "data"
        self.log_path = workdir / host / "daemon.log"
        self.bootstrap = bootstrap
        self.extra_args = extra_args or []
        self.proc: Optional[subprocess.Popen] = None
        self.api = HostApi(net.ns(host), self.data_dir / "api-token")
        self.peer_id: Optional[str] = None
        self.starts = 0
        self.kills = 0
        self.meant_running = False  # started by the run and not since killed or stopped by it

    @property
    def listen_addr(self) -> str:
        return f"/ip4/{self.net.addr(self.host)}/tcp/{P2P_PORT}"

    def start(self, wait: bool = True) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.data_dir, 0o700)
        args = [str(self.binary), "daemon", "--data-dir", str(self.data_dir), "--api", f"127.0.0.1:{API_PORT}",
                "--listen", self.listen_addr]
        for b in self.bootstrap:
            args += ["--bootstrap", b]
        args += self.extra_args
        log = open(self.log_path, "a")
        log.write(f"--- start {self.starts + 1} at {time.time():.3f}\n")
        log.flush()
        env = dict(os.environ)
        for k in ("AGENTMESH_LISTEN", "AGENTMESH_BOOTSTRAP", "AGENTMESH_API", "AGENTMESH_DATA_DIR", "AGENTMESH_NAME"):
            env.pop(k, None)
        self.proc = subprocess.Popen(["ip", "netns", "exec", self.net.ns(self.host)] + args, stdout=log,
                                     stderr=log, env=env, start_new_session=True)
        log.close()
        self.starts += 1
        self.meant_running = True
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                raise RuntimeError(f"daemon on {self.host} exited ({self.proc.returncode if self.proc else '-'}): "
                                   f"see {self.log_path}")
            if (self.data_dir / "api-token").exists():
                try:
                    status, body = self.api.call("GET", "/v1/node", timeout=2)
                    if status == 200:
                        self.peer_id = body["peer_id"]
                        return
                    last = f"HTTP {status}"
                except (Refused, Indeterminate) as e:
                    last = str(e)
            time.sleep(0.05)
        raise RuntimeError(f"daemon on {self.host} not ready after {timeout} s ({last}): see {self.log_path}")

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """kill -9."""
        self.meant_running = False
        if self.running():
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self.kills += 1

    def died(self) -> Optional[str]:
        """How the daemon ended, if it ended without the run asking it to, with the end of its log."""
        if not self.meant_running or self.running():
            return None
        code = self.proc.returncode
        how = f"killed by signal {-code}" if code < 0 else f"exited with status {code}"
        try:
            tail = self.log_path.read_text(errors="replace").splitlines()[-40:]
        except OSError:
            tail = []
        return f"daemon on {self.host} {how}; the end of {self.log_path}:\n" + "\n".join(tail)

    def stop(self, timeout: float = 20) -> None:
        self.meant_running = False
        if not self.running():
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def rss_bytes(self) -> Optional[int]:
        if not self.running():
            return None
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            return None
        return None
