"""Server-sent event streams that resume with ``Last-Event-ID`` and reconnect with backoff."""

from __future__ import annotations

import http.client
import random
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, Mapping, Optional

from ._http import Transport, query_string, raise_for
from .errors import DaemonUnavailable, Error, Timeout

HEARTBEAT_GRACE_S = 45.0  # the daemon sends a comment every 15 s on an idle stream; three missed means it is gone


@dataclass
class SseEvent:
    """One event as sent: ``event`` type (``message`` when unnamed), ``data`` text and ``id`` (``None`` if none)."""

    event: str
    data: str
    id: Optional[str]


class EventStream:
    """An endless iterator of :class:`SseEvent` from one SSE route.

    It reconnects after the connection breaks or the daemon restarts (``event: shutdown``), with exponential backoff
    (the server's ``retry:`` doubling up to ``max_backoff``, with jitter), and resumes after the last event id seen, so
    no event is skipped and none repeats. It ends (``StopIteration``) after ``event: closed`` (``closed_reason`` says
    why) or :meth:`close`. ``timeout`` (seconds) bounds each wait for the next event: when it passes without one,
    :class:`~agentmesh.Timeout` is raised and the stream can be iterated again.
    """

    def __init__(self, transport: Transport, path: str, query: Optional[Mapping[str, Any]] = None,
                 last_event_id: Optional[str] = None, reconnect: bool = True, timeout: Optional[float] = None,
                 max_backoff: float = 10.0, token: Optional[str] = None) -> None:
        self._transport = transport
        self._path = path
        self._query = dict(query or {})
        self.last_event_id = last_event_id
        self.reconnect = reconnect
        self.timeout = timeout
        self.max_backoff = max_backoff
        self.closed_reason: Optional[str] = None
        self.reconnects = 0
        self._token = token
        self._conn: Optional[http.client.HTTPConnection] = None
        self._sock: Optional[socket.socket] = None  # the response owns it once the headers are read
        self._resp: Optional[http.client.HTTPResponse] = None
        self._retry_s = 1.0
        self._failures = 0
        self._closed = False
        self._lock = threading.Lock()

    def __iter__(self) -> Iterator[SseEvent]:
        return self

    def open(self) -> "EventStream":
        """Connects now instead of at the first iteration (a live topic stream receives what is published from
        the moment this returns); raises the daemon's error if it refuses the stream."""
        if self._resp is None:
            self._connect(None)
        return self

    def __del__(self) -> None:
        self._closed = True
        self._disconnect()

    def __enter__(self) -> "EventStream":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Ends the stream; safe from another thread (a blocked iteration returns)."""
        with self._lock:
            self._closed = True
            sock = self._sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _disconnect(self) -> None:
        with self._lock:
            conn, resp, self._conn, self._resp, self._sock = self._conn, self._resp, None, None, None
        if resp is not None:
            resp.close()
        if conn is not None:
            conn.close()

    def _connect(self, deadline: Optional[float]) -> None:
        host, port = self._transport.locator.address()
        wait = HEARTBEAT_GRACE_S if deadline is None else max(0.01, min(HEARTBEAT_GRACE_S, deadline - time.monotonic()))
        conn = http.client.HTTPConnection(host, port, timeout=wait)
        extra: Dict[str, str] = {"Accept": "text/event-stream"}
        query = dict(self._query)
        if self.last_event_id is not None:
            extra["Last-Event-ID"] = self.last_event_id
            query.pop("after", None)
        try:
            conn.request("GET", self._path + query_string(query), headers=self._transport.headers(self._token, extra))
            sock = conn.sock
            resp = conn.getresponse()
            if resp.status != 200:
                body = resp.read()
                conn.close()
                raise_for(resp.status, body)
                raise Error("http_error", f"HTTP {resp.status} opening a stream", resp.status, False)
        except BaseException:
            conn.close()
            raise
        with self._lock:
            if self._closed:
                conn.close()
                raise StopIteration
            self._conn, self._resp, self._sock = conn, resp, sock

    def _backoff(self, deadline: Optional[float]) -> None:
        self._failures += 1
        delay = min(self.max_backoff, self._retry_s * (2 ** min(self._failures - 1, 10)))
        delay *= random.uniform(0.8, 1.2)
        if deadline is not None and time.monotonic() + delay > deadline:
            delay = max(0.0, deadline - time.monotonic())
        end = time.monotonic() + delay
        while not self._closed and time.monotonic() < end:
            time.sleep(min(0.05, max(0.0, end - time.monotonic())))

    def __next__(self) -> SseEvent:
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        while True:
            if self._closed:
                self._disconnect()
                raise StopIteration
            if deadline is not None and time.monotonic() >= deadline:
                self._disconnect()
                raise Timeout(f"no event within {self.timeout:g} s on {self._path}")
            try:
                if self._resp is None:
                    self._connect(deadline)
                event = self._read_event(deadline)
            except StopIteration:
                self._disconnect()
                raise
            except Error as e:
                self._disconnect()
                if not (self.reconnect and e.retryable) or self._closed:
                    if self._closed:
                        raise StopIteration from None
                    raise
                self.reconnects += 1
                self._backoff(deadline)
                continue
            except (OSError, http.client.HTTPException):
                self._disconnect()
                if self._closed:
                    raise StopIteration from None
                if deadline is not None and time.monotonic() >= deadline:
                    raise Timeout(f"no event within {self.timeout:g} s on {self._path}") from None
                if not self.reconnect:
                    raise DaemonUnavailable(f"the stream {self._path} broke") from None
                self.reconnects += 1
                self._backoff(deadline)
                continue
            if event is None:  # the daemon ended the connection (it stops, or restarts)
                self._disconnect()
                if self._closed:
                    raise StopIteration
                if not self.reconnect:
                    raise DaemonUnavailable(f"the daemon ended the stream {self._path}")
                self.reconnects += 1
                self._backoff(deadline)
                continue
            self._failures = 0
            if event.id is not None:
                self.last_event_id = event.id
            if event.event == "closed":
                self.closed_reason = _reason(event.data)
                self._closed = True
                self._disconnect()
                raise StopIteration
            if event.event == "shutdown":
                continue  # the connection closes next; reconnect then
            return event

    def _read_event(self, deadline: Optional[float]) -> Optional[SseEvent]:
        """The next event, or ``None`` at the end of the body. Raises ``socket.timeout`` when nothing comes."""
        resp = self._resp
        assert resp is not None
        data: list = []
        event_type = "message"
        event_id: Optional[str] = None
        while True:
            if self._sock is not None:
                wait = HEARTBEAT_GRACE_S if deadline is None else min(HEARTBEAT_GRACE_S, deadline - time.monotonic())
                self._sock.settimeout(max(0.01, wait))
            raw = resp.readline()
            if not raw:
                return None
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if not line:
                if data or event_id is not None or event_type != "message":
                    return SseEvent(event_type, "\n".join(data), event_id)
                continue
            if line.startswith(":"):
                continue
            field, _, value = line.partition(":")
            if value.startswith(" "):
                value = value[1:]
            if field == "data":
                data.append(value)
            elif field == "event":
                event_type = value
            elif field == "id":
                event_id = value
            elif field == "retry" and value.isdigit():
                self._retry_s = max(0.05, int(value) / 1000.0)


def _reason(data: str) -> Optional[str]:
    import json

    try:
        v = json.loads(data)
        return v.get("reason") if isinstance(v, dict) else None
    except ValueError:
        return None


class MappedStream:
    """An :class:`EventStream` whose events are turned into objects by ``convert`` (events it maps to ``None`` are
    skipped). Iterate it, ``close()`` it (from any thread), or use it as a context manager."""

    def __init__(self, events: EventStream, convert: Callable[[SseEvent], Any]) -> None:
        self.events = events
        self._convert = convert

    def __iter__(self) -> "MappedStream":
        return self

    def __next__(self) -> Any:
        while True:
            item = self._convert(next(self.events))
            if item is not None:
                return item

    def __enter__(self) -> "MappedStream":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.events.close()

    @property
    def closed_reason(self) -> Optional[str]:
        return self.events.closed_reason
