"""The history checker: judges a run from what the load generator did and what the daemons hold at the end.

Inputs
- the history (history.jsonl): one line per operation the load generator performed, written when it completed:
  ``{"op": "send"|"publish"|"task_create"|"task_action", "req", "host", "from", "to" (sends, creates) |
  "topic" (publishes) | "agent", "task_id", "action" (a worker's actions), "invoke_ms", "complete_ms", "type":
  "ok"|"fail"|"info", "http", "result"}``. ``ok``: the daemon answered that it took the
  operation (202/200, or an ack); ``fail``: it certainly did not happen (refused connection, a 4xx answer);
  ``info``: it may or may not have happened (timeout, connection lost after the request was sent). Fault lines
  (``"op": "fault"``) mark when faults began and ended.
- the final state (state.json): every agent's inbox (``inboxes``: agent id -> messages as the inbox API returns
  them), the senders' receipts of remote sends (``receipts``: request id -> receipt), and the durable topic
  subscribers (``subscribers``: topic -> agent ids).

Every message the load generator sends carries its operation's ``req`` in a JSON body, so each inbox message is
traced back to exactly one operation.

Anomalies (each fails the run and names the offending ids)
- ``lost``: an ``ok`` send is not in its recipient's inbox;
- ``duplicated``: a send (of any type) is in an inbox more than once;
- ``phantom``: an inbox holds a message no operation sent, or one sent to a different agent or by a different one;
- ``failed_delivered``: a send answered as failed is in an inbox;
- ``receipt_disagrees``: the sender's final receipt contradicts the inbox (accepted but absent, a different seq,
  or rejected/expired but present);
- ``topic_duplicated``, ``topic_phantom``: the same for durable topic subscriptions; ``topic_lost`` only when the
  run requires every publish to reach every subscriber.

Tasks (when the history has ``task_create`` lines and the state has ``tasks``: agent id -> every task it is party to
on its own daemon, see tasks.py). A task is traced to its create by the ``req`` its input carries.
- ``task_lost``: an ``ok`` create whose task is missing from its requester's or its assignee's daemon;
- ``task_phantom``: a task no create made, or one whose requester or assignee is not the create's;
- ``task_failed_exists``: a create answered as failed whose task exists;
- ``task_diverged``: the two daemons' copies differ in state or state_sequence, or either is not terminal;
- ``task_artifact``: a completed task whose artifacts are not exactly the worker's one chunk, once;
- ``task_step_duplicated``: an inbox holds the same step (task id, state_sequence) twice;
- ``task_step_missing``: the requester's inbox lacks a step between 1 and the task's final state_sequence.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

FINAL_STATES = {"accepted", "rejected", "expired"}
TOPIC_PROTOCOL = "agentmesh/topic"
TASK_PROTOCOL = "agentmesh.task/1"
TERMINAL = {"completed", "failed", "canceled", "rejected"}


def percentile(values: List[float], p: float) -> Optional[float]:
    if not values:
        return None
    s = sorted(values)
    k = min(len(s) - 1, max(0, int(round(p / 100.0 * (len(s) - 1)))))
    return s[k]


def load_history(path: Path) -> List[Dict[str, Any]]:
    out = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                out.append(json.loads(line))
            except ValueError as e:
                raise ValueError(f"{path}:{n}: not JSON: {e}") from None
    return out


def body_req(msg: Dict[str, Any], key: str) -> Optional[str]:
    body = msg.get("body")
    if not isinstance(body, str):
        return None
    try:
        obj = json.loads(body)
    except ValueError:
        return None
    v = obj.get(key) if isinstance(obj, dict) else None
    return v if isinstance(v, str) else None


@dataclass
class Result:
    anomalies: Dict[str, List[str]] = field(default_factory=dict)
    counts: Dict[str, int] = field(default_factory=dict)
    # Delivery latency of each delivered send (inbox received_ms - invoke_ms), by (from host, to host).
    delivery_ms: List[float] = field(default_factory=list)
    ack_ms: List[float] = field(default_factory=list)
    spread_ms: List[Dict[str, Any]] = field(default_factory=list)  # {pub, from_host, to_host, ms}
    topic_ratio: Dict[str, float] = field(default_factory=dict)  # subscriber -> delivered / published
    deliveries: List[Dict[str, Any]] = field(default_factory=list)  # {req, invoke_ms, received_ms}

    def add(self, kind: str, ident: str) -> None:
        self.anomalies.setdefault(kind, []).append(ident)

    @property
    def ok(self) -> bool:
        return not any(self.anomalies.values())


def check(history: Iterable[Dict[str, Any]], state: Dict[str, Any], require_topic_delivery: bool = False,
          host_of: Optional[Dict[str, str]] = None) -> Result:
    r = Result()
    history = list(history)
    host_of = host_of or {}
    sends: Dict[str, Dict[str, Any]] = {}
    publishes: Dict[str, Dict[str, Any]] = {}
    for op in history:
        if op.get("op") == "send":
            sends[op["req"]] = op
        elif op.get("op") == "publish":
            publishes[op["req"]] = op
    inboxes: Dict[str, List[Dict[str, Any]]] = state.get("inboxes", {})
    receipts: Dict[str, Dict[str, Any]] = state.get("receipts", {})
    subscribers: Dict[str, List[str]] = state.get("subscribers", {})

    seen: Dict[str, List[Dict[str, Any]]] = {}  # send req -> inbox messages
    topic_seen: Dict[str, Dict[str, int]] = {}  # subscriber -> pub -> count
    steps: Dict[Tuple[str, str], List[int]] = {}  # (agent, task id) -> state sequences in its inbox
    for agent, msgs in sorted(inboxes.items()):
        for m in msgs:
            if m.get("protocol") == TASK_PROTOCOL:
                e = m.get("task_event") or {}
                steps.setdefault((agent, str(e.get("task_id"))), []).append(int(e.get("state_sequence", 0)))
                continue
            if m.get("protocol") == TOPIC_PROTOCOL:
                pub = body_req(m, "pub")
                if pub is None or pub not in publishes or publishes[pub].get("from") != m.get("from"):
                    r.add("topic_phantom", f"{agent}: topic message {m.get('request_id')} (pub {pub})")
                    continue
                per = topic_seen.setdefault(agent, {})
                per[pub] = per.get(pub, 0) + 1
                if per[pub] == 2:
                    r.add("topic_duplicated", f"{agent}: pub {pub}")
                if per[pub] == 1:
                    p = publishes[pub]
                    r.spread_ms.append({"pub": pub, "from_host": p.get("host"), "to_host": host_of.get(agent),
                                        "ms": m["received_ms"] - p["invoke_ms"]})
                continue
            req = body_req(m, "req")
            op = sends.get(req) if req else None
            if op is None:
                r.add("phantom", f"{agent}: message {m.get('request_id')} (no send has req {req})")
                continue
            if op.get("to") != agent or op.get("from") != m.get("from"):
                r.add("phantom", f"{agent}: message {m.get('request_id')} carries req {req}, sent "
                                 f"{op.get('from')} -> {op.get('to')}")
                continue
            seen.setdefault(req, []).append(m)

    for req, op in sorted(sends.items()):
        got = seen.get(req, [])
        if len(got) > 1:
            r.add("duplicated", f"{req} ({len(got)} copies in {op.get('to')})")
        kind = op.get("type")
        if kind == "fail" and got:
            r.add("failed_delivered", req)
        if kind == "ok" and not got:
            rc = receipts.get(op.get("request_id") or "", {})
            r.add("lost", f"{req} {op.get('host')} {op.get('from')} -> {op.get('to')} "
                          f"(receipt: {rc.get('state', 'none')} {rc.get('reason', rc.get('last_error', ''))})".rstrip())
        if got:
            first = min(got, key=lambda m: m["received_ms"])
            r.delivery_ms.append(first["received_ms"] - op["invoke_ms"])
            r.deliveries.append({"req": req, "invoke_ms": op["invoke_ms"], "received_ms": first["received_ms"],
                                 "to_host": host_of.get(op.get("to")), "from_host": op.get("host")})
        if kind == "ok" and (op.get("result") or {}).get("state") == "accepted" and op.get("wait") == "ack":
            r.ack_ms.append(op["complete_ms"] - op["invoke_ms"])
        rid = op.get("request_id")
        rc = receipts.get(rid) if rid else None
        if rc and rc.get("state") in FINAL_STATES:
            if rc["state"] == "accepted":
                if not got:
                    r.add("receipt_disagrees", f"{req}: receipt accepted (seq {rc.get('seq')}), inbox has nothing")
                elif rc.get("seq") is not None and all(m.get("seq") != rc.get("seq") for m in got):
                    r.add("receipt_disagrees", f"{req}: receipt seq {rc.get('seq')}, inbox seq "
                                               f"{[m.get('seq') for m in got]}")
            elif got:
                r.add("receipt_disagrees", f"{req}: receipt {rc['state']} but delivered")

    ok_pubs = {p for p, op in publishes.items() if op.get("type") == "ok"}
    for topic, subs in sorted(subscribers.items()):
        pubs = {p for p in ok_pubs if publishes[p].get("topic") == topic}
        for s in subs:
            got = set(topic_seen.get(s, {})) & pubs
            r.topic_ratio[s] = len(got) / len(pubs) if pubs else 1.0
            if require_topic_delivery:
                for p in sorted(pubs - got):
                    r.add("topic_lost", f"{s}: pub {p}")

    types = [op.get("type") for op in sends.values()]
    r.counts = {"sends": len(sends), "ok": types.count("ok"), "fail": types.count("fail"),
                "info": types.count("info"), "delivered": len(seen), "publishes": len(publishes),
                "publishes_ok": len(ok_pubs)}
    check_tasks(r, history, state.get("tasks", {}), steps)
    return r


def task_req(task: Dict[str, Any]) -> Optional[str]:
    """The ``req`` a task's input carries (tasks.py creates every task with one), or None."""
    for part in task.get("input") or []:
        data = part.get("data") if isinstance(part, dict) else None
        if isinstance(data, dict) and isinstance(data.get("req"), str):
            return data["req"]
    return None


def check_tasks(r: Result, history: List[Dict[str, Any]], tasks: Dict[str, List[Dict[str, Any]]],
                steps: Dict[Tuple[str, str], List[int]]) -> None:
    creates = {op["req"]: op for op in history if op.get("op") == "task_create"}
    if not creates and not tasks and not steps:
        return
    # req -> agent -> that agent's copies (more than one would be a second task for one create).
    held: Dict[str, Dict[str, List[Dict[str, Any]]]] = {}
    for agent, ts in sorted(tasks.items()):
        for t in ts:
            req = task_req(t)
            op = creates.get(req) if req else None
            if op is None:
                r.add("task_phantom", f"{agent}: task {t.get('task_id')} (no create has req {req})")
                continue
            if t.get("requester") != op["from"] or t.get("assignee") != op["to"]:
                r.add("task_phantom", f"{agent}: task {t.get('task_id')} carries req {req}, created "
                                      f"{op['from']} -> {op['to']}, holds {t.get('requester')} -> {t.get('assignee')}")
                continue
            held.setdefault(req, {}).setdefault(agent, []).append(t)
    completed = 0
    for req, op in sorted(creates.items()):
        by_agent = held.get(req, {})
        home, copy = by_agent.get(op["from"], []), by_agent.get(op["to"], [])
        if len(home) > 1 or len(copy) > 1 or len({t.get("task_id") for t in home + copy}) > 1:
            r.add("task_phantom", f"{req}: {len(home)} + {len(copy)} tasks for one create "
                                  f"({sorted({t.get('task_id') for t in home + copy})})")
            continue
        if op.get("type") == "fail":
            if home or copy:
                r.add("task_failed_exists", f"{req} ({(home + copy)[0].get('task_id')})")
            continue
        if not home or not copy:
            if op.get("type") == "ok" or home or copy:  # an indeterminate create may be nowhere, not half-way
                r.add("task_lost", f"{req} {op['from']} -> {op['to']} (task {op.get('task_id')}): "
                                   f"{'requester' if not home else 'assignee'}'s daemon does not have it")
            continue
        a, b = home[0], copy[0]
        tid = a.get("task_id")
        if (a.get("state"), a.get("state_sequence")) != (b.get("state"), b.get("state_sequence")) \
                or a.get("state") not in TERMINAL:
            r.add("task_diverged", f"{tid}: requester's daemon {a.get('state')} #{a.get('state_sequence')}, "
                                   f"assignee's {b.get('state')} #{b.get('state_sequence')}")
        if a.get("state") == "completed":
            completed += 1
            for side, t in (("requester", a), ("assignee", b)):
                arts = t.get("artifacts") or []
                parts = arts[0].get("parts") or [] if len(arts) == 1 else []
                if len(arts) != 1 or arts[0].get("chunks") != 1 or len(parts) != 1 \
                        or (parts[0].get("kind"), parts[0].get("data")) != ("data", {"req": req}):
                    r.add("task_artifact", f"{tid} ({side}'s daemon): {arts}")
        final = int(a.get("state_sequence") or 0)
        for agent in (op["from"], op["to"]):
            seqs = steps.get((agent, tid), [])
            dup = sorted({s for s in seqs if seqs.count(s) > 1})
            if dup:
                r.add("task_step_duplicated", f"{tid}: steps {dup} twice in {agent}'s inbox")
        have = set(steps.get((op["from"], tid), []))
        missing = [s for s in range(1, final + 1) if s not in have]
        if missing:
            r.add("task_step_missing", f"{tid}: steps {missing} of 1..{final} not in the requester's inbox")
    known = {t.get("task_id") for per in held.values() for ts in per.values() for t in ts}
    for (agent, tid), seqs in sorted(steps.items()):
        if tid not in known:
            r.add("task_phantom", f"{agent}: {len(seqs)} steps of task {tid}, which no daemon holds for a create")
    types = [op.get("type") for op in creates.values()]
    r.counts.update({"tasks": len(creates), "tasks_ok": types.count("ok"), "tasks_completed": completed})
