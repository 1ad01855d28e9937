"""Finding the daemon, and one keep-alive HTTP connection per thread to it."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

from .errors import DaemonUnavailable, Error, error_for

DEFAULT_TIMEOUT_S = 75.0  # above the longest wait the API offers (60 s), so a waiting request is not cut short


def default_data_dir(data_dir: Optional[str], name: Optional[str], env: Mapping[str, str]) -> Path:
    """The data directory the daemon and the CLI use: ``data_dir``, else ``$XDG_DATA_HOME/agentmesh[-NAME]``
    (``~/.local/share/...`` without it)."""
    if data_dir:
        return Path(data_dir)
    if env.get("XDG_DATA_HOME"):
        base = Path(env["XDG_DATA_HOME"])
    elif env.get("HOME"):
        base = Path(env["HOME"]) / ".local" / "share"
    else:
        base = Path(".")
    return base / (f"agentmesh-{name}" if name else "agentmesh")


def parse_host_port(text: str) -> Tuple[str, int]:
    """``HOST:PORT``, ``[V6]:PORT`` or ``:PORT`` (host 127.0.0.1)."""
    text = text.strip()
    host = "127.0.0.1"
    if text.startswith("["):
        close = text.find("]:")
        if close < 0:
            raise ValueError(f'API address "{text}" is not HOST:PORT')
        host, port_text = text[1:close], text[close + 2:]
    elif ":" in text:
        left, port_text = text.rsplit(":", 1)
        host = left or host
    else:
        port_text = text
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f'API address "{text}" is not HOST:PORT')
    return host, int(port_text)


class Locator:
    """Where the daemon is and which token to present.

    Resolution follows the CLI: ``api``/``token`` given, else ``AGENTMESH_API``/``AGENTMESH_TOKEN``, else the files
    ``api.port`` and ``api-token`` of the data directory (``data_dir``, ``name``, ``AGENTMESH_DATA_DIR``,
    ``AGENTMESH_NAME``, the default). Without a fixed address, ``api.port`` is read again on every new connection,
    so a named daemon that restarts on another port is found again.
    """

    def __init__(self, api: Optional[str], token: Optional[str], name: Optional[str], data_dir: Optional[str],
                 env: Optional[Mapping[str, str]] = None) -> None:
        env = os.environ if env is None else env
        if data_dir:
            name = None
        elif name:
            data_dir = None
        else:
            data_dir, name = env.get("AGENTMESH_DATA_DIR"), env.get("AGENTMESH_NAME")
            if data_dir:
                name = None
        self.name = name
        self.data_dir = default_data_dir(data_dir, name, env)
        self.explicit_data_dir = data_dir is not None
        api = api or env.get("AGENTMESH_API")
        self.fixed: Optional[Tuple[str, int]] = parse_host_port(api) if api else None
        self._token = token or env.get("AGENTMESH_TOKEN")

    def address(self) -> Tuple[str, int]:
        if self.fixed:
            return self.fixed
        port_file = self.data_dir / "api.port"
        try:
            text = port_file.read_text()
        except OSError as e:
            raise DaemonUnavailable(
                f"no running daemon found: cannot read {port_file} ({e.strerror}); start one with `agentmesh daemon`"
                " or pass spawn=True") from None
        try:
            return parse_host_port(text)
        except ValueError:
            raise DaemonUnavailable(f"{port_file} does not hold HOST:PORT: {text!r}") from None

    def token(self) -> Optional[str]:
        if self._token:
            return self._token
        try:
            return (self.data_dir / "api-token").read_text().strip() or None
        except OSError:
            return None

    def describe(self) -> str:
        if self.fixed:
            return f"{self.fixed[0]}:{self.fixed[1]}"
        return f"the daemon of data dir {self.data_dir}"


def query_string(query: Optional[Mapping[str, Any]]) -> str:
    if not query:
        return ""
    items = []
    for k, v in query.items():
        if v is None:
            continue
        if isinstance(v, bool):
            v = "true" if v else "false"
        items.append((k, str(v)))
    return "?" + urllib.parse.urlencode(items) if items else ""


def quote(segment: str) -> str:
    """One path segment, percent-encoded (topics and conversation ids may hold ``/``)."""
    return urllib.parse.quote(segment, safe="")


def raise_for(status: int, body: bytes) -> None:
    if status < 400:
        return
    try:
        v = json.loads(body)
        if isinstance(v, dict) and isinstance(v.get("error"), str):
            raise error_for(status, v["error"], str(v.get("message", "")), bool(v.get("retryable", False)))
    except (ValueError, UnicodeDecodeError):
        pass
    raise error_for(status, "http_error", f"HTTP {status}: {body[:200]!r}", status >= 500)


class Transport:
    """JSON requests over one keep-alive connection per thread (``http.client`` is not thread-safe)."""

    def __init__(self, locator: Locator, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        self.locator = locator
        self.timeout = timeout
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: "set[http.client.HTTPConnection]" = set()

    def _connection(self) -> Tuple[http.client.HTTPConnection, bool]:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            return conn, True
        host, port = self.locator.address()
        conn = http.client.HTTPConnection(host, port, timeout=self.timeout)
        self._local.conn = conn
        with self._lock:
            self._open.add(conn)
        return conn, False

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            with self._lock:
                self._open.discard(conn)
            conn.close()

    def close(self) -> None:
        """Closes the connections of every thread (a thread that uses the client again opens a new one)."""
        self._local = threading.local()
        with self._lock:
            conns, self._open = self._open, set()
        for conn in conns:
            conn.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    def headers(self, token: Optional[str] = None, extra: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
        h = {"Accept": "application/json"}
        token = token or self.locator.token()
        if token:
            h["Authorization"] = f"Bearer {token}"
        if extra:
            h.update(extra)
        return h

    def request(self, method: str, path: str, body: Any = None, query: Optional[Mapping[str, Any]] = None,
                timeout: Optional[float] = None, token: Optional[str] = None,
                accept: Tuple[int, ...] = ()) -> Tuple[int, Any]:
        """Sends one request and returns ``(status, parsed JSON)``; raises :class:`Error` for error answers.

        A request that fails on a reused connection before any answer (the daemon closed it while idle) is sent once
        more on a new connection: the daemon answers every request it processes, so none was processed.
        """
        target = path + query_string(query)
        data = None
        extra = None
        if body is not None:
            data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
            extra = {"Content-Type": "application/json"}
        headers = self.headers(token, extra)
        for attempt in (0, 1):
            conn, reused = self._connection()
            try:
                conn.timeout = timeout or self.timeout
                if conn.sock is not None:
                    conn.sock.settimeout(conn.timeout)
                conn.request(method, target, body=data, headers=headers)
                resp = conn.getresponse()
                payload = resp.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as e:
                self._drop()
                if reused and attempt == 0:
                    continue
                raise DaemonUnavailable(f"{self.locator.describe()} closed the connection: {e}") from None
            except socket.timeout:
                self._drop()
                raise DaemonUnavailable(f"{self.locator.describe()} did not answer within {conn.timeout:g} s") from None
            except (OSError, http.client.HTTPException) as e:
                self._drop()
                raise DaemonUnavailable(f"cannot reach {self.locator.describe()}: {e}") from None
            if resp.will_close:
                self._drop()
            if resp.status not in accept:
                raise_for(resp.status, payload)
            if not payload:
                return resp.status, {}
            ctype = resp.getheader("Content-Type", "")
            if ctype.startswith("application/json"):
                return resp.status, json.loads(payload)
            return resp.status, payload.decode("utf-8", "replace")
        raise AssertionError("unreachable")


def find_binary(binary: Optional[str]) -> str:
    found = binary or os.environ.get("AGENTMESH_BINARY") or shutil.which("agentmesh")
    if not found:
        raise Error("daemon_unavailable", "cannot start a daemon: no `agentmesh` on PATH "
                    "(give binary= or set AGENTMESH_BINARY)", None, False)
    return found


def healthy(locator: Locator, timeout: float = 2.0) -> bool:
    try:
        host, port = locator.address()
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            conn.request("GET", "/v1/health")
            resp = conn.getresponse()
            resp.read()
            return resp.status in (200, 503)
        finally:
            conn.close()
    except (Error, OSError, http.client.HTTPException):
        return False


def spawn_daemon(locator: Locator, binary: Optional[str], wait_s: float = 30.0,
                 alive: Callable[[Locator], bool] = healthy) -> Optional[subprocess.Popen]:
    """Starts ``agentmesh daemon`` for the locator's data directory in the background (its own session, its log in
    ``<data dir>/daemon.log``) unless one answers there, and waits until it does. Returns the process it started
    (``None`` when one was running); the daemon keeps running when this program ends."""
    if alive(locator):
        return None
    exe = find_binary(binary)
    locator.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if locator.name and not locator.explicit_data_dir:
        args = [exe, "daemon", "--name", locator.name]
    else:
        args = [exe, "daemon", "--data-dir", str(locator.data_dir)]
    if locator.fixed:
        args += ["--api", f"{locator.fixed[0]}:{locator.fixed[1]}"]
    log = open(locator.data_dir / "daemon.log", "ab")
    try:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
    finally:
        log.close()
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise DaemonUnavailable(f"the daemon exited with status {proc.returncode} at start; its log is "
                                    f"{locator.data_dir / 'daemon.log'}")
        if alive(locator):
            return proc
        time.sleep(0.05)
    raise DaemonUnavailable(f"the daemon started for {locator.data_dir} did not answer within {wait_s:g} s; "
                            f"its log is {locator.data_dir / 'daemon.log'}")
