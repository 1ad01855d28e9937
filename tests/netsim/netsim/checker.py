"""The history checker: judges a run from what the load generator did and what the daemons hold at the end.

Inputs
- the history (history.jsonl): one line per operation the load generator performed, written when it completed:
  ``{"op": "send"|"publish", "req", "host", "from", "to" (sends) | "topic" (publishes), "invoke_ms",
  "complete_ms", "type": "ok"|"fail"|"info", "http", "result"}``. ``ok``: the daemon answered that it took the
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
"""

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional

FINAL_STATES = {"accepted", "rejected", "expired"}
TOPIC_PROTOCOL = "agentmesh/topic"


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
    for agent, msgs in sorted(inboxes.items()):
        for m in msgs:
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
    return r
