"""The load generator's operations, each recorded in the history when it completes (see checker.py)."""

import json
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Tuple

from .daemons import HostApi, Indeterminate, Refused


def now_ms() -> float:
    return time.time() * 1000.0


def new_req() -> str:
    return os.urandom(8).hex()


class History:
    """history.jsonl, one line per completed operation or fault event; thread-safe."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._f = open(path, "a")
        self.ops = []

    def record(self, op: Dict[str, Any]) -> None:
        with self._lock:
            self.ops.append(op)
            self._f.write(json.dumps(op, sort_keys=True) + "\n")
            self._f.flush()

    def close(self) -> None:
        self._f.close()


def perform(history: History, op: Dict[str, Any], call: Callable[[], Tuple[int, Any]],
             judge: Callable[[int, Any], str]) -> Dict[str, Any]:
    """Runs ``call``, classifies its outcome (``judge`` for an answer; refused = fail, unknown = info), records it."""
    op["invoke_ms"] = now_ms()
    try:
        status, resp = call()
        op.update(http=status, result=resp, type=judge(status, resp))
    except Refused as e:
        op.update(type="fail", error=f"refused: {e}")
    except Indeterminate as e:
        op.update(type="info", error=str(e))
    op["complete_ms"] = now_ms()
    history.record(op)
    return op


def send(api: HostApi, history: History, host: str, frm: str, to: str, wait: str = "queued",
         timeout_ms: int = 10_000, ttl_ms: Optional[int] = None, phase: str = "") -> Dict[str, Any]:
    """POST /v1/agents/{frm}/messages, run on one of ``api``'s threads; returns the history line."""
    req = new_req()
    op: Dict[str, Any] = {"op": "send", "req": req, "host": host, "from": frm, "to": to, "wait": wait,
                          "phase": phase}
    body: Dict[str, Any] = {"to": to, "body": json.dumps({"req": req}), "content_type": "application/json",
                            "idempotency_key": req, "wait": wait}
    if wait == "ack":
        body["timeout_ms"] = timeout_ms
    if ttl_ms:
        body["ttl_ms"] = ttl_ms

    def judge(status: int, resp: Any) -> str:
        if status in (200, 202) and isinstance(resp, dict):
            op["request_id"] = resp.get("request_id")
            return "fail" if resp.get("state") in ("rejected", "expired") else "ok"
        return "fail"

    timeout = (timeout_ms / 1000.0 + 10) if wait == "ack" else 15
    return perform(history, op, lambda: api.request("POST", f"/v1/agents/{frm}/messages", body, timeout=timeout),
                    judge)


def publish(api: HostApi, history: History, host: str, frm: str, topic: str, phase: str = "",
            pad_bytes: int = 0) -> Dict[str, Any]:
    """Publishes ``{"pub": req}`` as ``frm``; ``pad_bytes`` adds that many bytes of padding to the body."""
    req = new_req()
    op: Dict[str, Any] = {"op": "publish", "req": req, "host": host, "from": frm, "topic": topic, "phase": phase}
    content: Dict[str, Any] = {"pub": req}
    if pad_bytes:
        content["pad"] = "x" * pad_bytes
    body = {"as": frm, "body": json.dumps(content), "content_type": "application/json"}
    return perform(history, op,
                    lambda: api.request("POST", f"/v1/topics/{topic.replace('/', '%2F')}/messages", body),
                    lambda status, _: "ok" if status == 200 else "fail")


def fault(history: History, kind: str, action: str, **fields: Any) -> None:
    history.record({"op": "fault", "kind": kind, "action": action, "t_ms": now_ms(), **fields})


def inbox(api: HostApi, agent: str) -> list:
    """Every message in the agent's inbox (paged), run on one of ``api``'s threads."""
    out = []
    after = 0
    while True:
        status, page = api.request("GET", f"/v1/agents/{agent}/inbox?after={after}&limit=1000")
        if status != 200:
            raise RuntimeError(f"inbox of {agent}: HTTP {status} {page}")
        msgs = page.get("messages", [])
        out += msgs
        if not msgs or page.get("next_after", after) >= page.get("last_seq", 0):
            return out
        after = page["next_after"]
