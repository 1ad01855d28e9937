"""Tasks under faults: requesters create tasks for random agents, one worker per host accepts and completes every
task offered to its agents, and the checker (checker.check_tasks) judges both daemons' copies at the end.

A created task carries its operation's ``req`` as its input (a data part ``{"req": ...}``) and an idempotency key
equal to it; the worker completes it with one artifact chunk carrying the same ``req``. Every call the worker makes
carries a request id derived from the task and the action, so a call whose answer was lost (the daemon died, the
connection dropped) is simply made again on the next poll: the daemon answers the first outcome.
"""

import threading
import time
from typing import Any, Dict, List, Optional

from . import ops
from .checker import TERMINAL, task_req
from .daemons import HostApi, Indeterminate, Refused

# Long enough that a 60 s partition or a killed daemon does not make the requester's daemon give the offer up
# (three attempts, then not_accepted): the run judges delivery of every step, not the acceptance timeout.
ACCEPT_TIMEOUT_MS = 300_000


def create(api: HostApi, history: ops.History, host: str, frm: str, to: str, phase: str = "") -> Dict[str, Any]:
    """POST /v1/agents/{frm}/tasks for ``to``, run on one of ``api``'s threads; returns the history line."""
    req = ops.new_req()
    op: Dict[str, Any] = {"op": "task_create", "req": req, "host": host, "from": frm, "to": to, "phase": phase}
    body = {"to": to, "input": [{"kind": "data", "data": {"req": req}}], "idempotency_key": req,
            "acceptance_timeout_ms": ACCEPT_TIMEOUT_MS}

    def judge(status: int, resp: Any) -> str:
        if status in (200, 202) and isinstance(resp, dict):
            op["task_id"] = resp.get("task_id")
            return "ok"
        return "fail"

    return ops.perform(history, op, lambda: api.request("POST", f"/v1/agents/{frm}/tasks", body), judge)


def artifact(req: str) -> List[Dict[str, Any]]:
    """The one chunk the worker completes a task with."""
    return [{"name": "result", "index": 0, "last": True, "parts": [{"kind": "data", "data": {"req": req}}]}]


class Workers:
    """One thread per host. Every ``poll_s`` each of the host's agents lists the tasks offered to it that are
    ``submitted`` (accepts them) or ``working`` (completes them); each action is recorded in the history (``"op":
    "task_action"``). A refused or unanswered call is made again on the next poll with the same request id."""

    def __init__(self, r: Any, poll_s: float = 0.2) -> None:
        self.r = r
        self.poll_s = poll_s
        self.stop = threading.Event()
        self.gone: set = set()  # task ids the worker may no longer act on (withdrawn from it)
        self.threads = [threading.Thread(target=self.loop, args=(h,), daemon=True) for h in r.hosts]

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def end(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join()

    def loop(self, host: str) -> None:
        while not self.stop.is_set():
            for agent in self.r.by_host[host]:
                try:
                    self.r.api(host).submit(self.work, agent, host).result()
                except (Refused, Indeterminate):
                    pass  # the daemon is down or restarting: next poll
            self.stop.wait(self.poll_s)

    def work(self, api: HostApi, agent: str, host: str) -> None:
        for state, action in (("submitted", "accept"), ("working", "complete")):
            status, page = api.request("GET", f"/v1/agents/{agent}/tasks?role=assignee&state={state}&limit=200",
                                       timeout=5)
            if status != 200:
                continue
            for t in page.get("tasks", []):
                if t["task_id"] not in self.gone and not self.stop.is_set():
                    self.act(api, host, agent, t, action)

    def act(self, api: HostApi, host: str, agent: str, task: Dict[str, Any], action: str) -> None:
        tid = task["task_id"]
        body: Dict[str, Any] = {"request_id": f"{action}-{tid}"}
        if action == "complete":
            body["artifacts"] = artifact(task_req(task) or "")
        op: Dict[str, Any] = {"op": "task_action", "req": ops.new_req(), "host": host, "agent": agent,
                              "task_id": tid, "action": action}

        def judge(status: int, resp: Any) -> str:
            if status in (200, 202) and isinstance(resp, dict):
                op["result"] = {k: resp.get(k) for k in ("state", "state_sequence", "pending", "duplicate")}
                return "ok"
            op["result"] = resp
            if status == 409 and isinstance(resp, dict) and resp.get("error") == "task_reassigned":
                self.gone.add(tid)
            return "fail"

        ops.perform(self.r.history, op,
                     lambda: api.request("POST", f"/v1/agents/{agent}/tasks/{tid}/{action}", body, timeout=15), judge)


def copies(r: Any, op: Dict[str, Any]) -> List[Optional[Dict[str, Any]]]:
    """The requester's and the assignee's copy of an accepted create's task (None where not found)."""
    out: List[Optional[Dict[str, Any]]] = []
    for agent in (op["from"], op["to"]):
        try:
            status, t = r.api(r.agents[agent]).call("GET", f"/v1/agents/{agent}/tasks/{op['task_id']}", timeout=5)
        except (Refused, Indeterminate):
            status, t = 0, None
        out.append(t if status == 200 else None)
    return out


def drain(r: Any, created: List[Dict[str, Any]], deadline_s: float) -> Optional[float]:
    """Waits until every accepted create's task is terminal on both daemons. Returns when the last of them ended,
    as the daemons recorded it (the latest ``updated_ms`` of the terminal copies, in Unix seconds: not when this
    loop, thousands of requests later, noticed), or None when some were not by the deadline (they are printed)."""
    start = time.monotonic()
    pending = [op for op in created if op.get("task_id")]
    ended = 0.0
    while pending:
        still = []
        for op in pending:
            cs = copies(r, op)
            if all(c and c.get("state") in TERMINAL for c in cs):
                ended = max([ended] + [c["updated_ms"] / 1000 for c in cs if c])
            else:
                still.append(op)
        pending = still
        if not pending:
            break
        if time.monotonic() - start > deadline_s:
            for op in pending[:10]:
                states = [c.get("state") if c else None for c in copies(r, op)]
                print(f"  task {op['task_id']} not ended on both sides: {states}", flush=True)
            print(f"  {len(pending)} tasks not ended on both daemons after {deadline_s:.0f} s", flush=True)
            return None
        time.sleep(0.25)
    return ended


def all_tasks(api: HostApi, agent: str) -> List[Dict[str, Any]]:
    """Every task ``agent`` is party to on its daemon (paged), run on one of ``api``'s threads."""
    out: List[Dict[str, Any]] = []
    after = ""
    while True:
        status, page = api.request("GET", f"/v1/agents/{agent}/tasks?role=any&limit=500"
                                          + (f"&after={after}" if after else ""))
        if status != 200:
            raise RuntimeError(f"tasks of {agent}: HTTP {status} {page}")
        out += page.get("tasks", [])
        if not page.get("next_after"):
            return out
        after = page["next_after"]
