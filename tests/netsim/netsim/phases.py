"""The scenario phases: all_pairs, topic and steady (load under a fault schedule)."""

import concurrent.futures
import itertools
import json
import threading
import time
from typing import Any, Callable, Dict, List, Tuple

from . import checker, ops, plots, tasks
from .daemons import Indeterminate, Refused
from .runner import Run, shortest_paths


def run(r: Run, ph: Dict[str, Any]) -> None:
    {"all_pairs": all_pairs, "topic": topic, "steady": steady, "connections": connections}[ph["kind"]](r, ph)


# --- all pairs ---

def all_pairs(r: Run, ph: Dict[str, Any]) -> None:
    """Every agent sends to every other with ``"wait": "ack"``; a host pair passes when every agent pair between the
    two hosts was acked. Repeated ``rounds`` times."""
    rounds = int(ph.get("rounds", 3))
    wait_ms = int(ph.get("wait_ms", 10_000))
    agents = list(r.agents)
    pairs = [(a, b) for a in agents for b in agents if a != b]
    host_pairs = [(x, y) for x in r.hosts for y in r.hosts if x != y]
    lines = ["## All-pairs direct messages\n", "| round | host pairs | agent pairs | slowest ack (ms) |",
             "|---|---|---|---|"]
    all_met = True
    all_results: List[Dict[str, Any]] = []
    for k in range(1, rounds + 1):
        futs = []
        for a, b in pairs:
            h = r.agents[a]
            futs.append(r.api(h).submit(ops.send, r.history, h, a, b, "ack", wait_ms, None, f"all_pairs {k}"))
        results = [f.result() for f in futs]
        all_results.extend(results)
        good = {(op["from"], op["to"]) for op in results
                if op["type"] == "ok" and (op.get("result") or {}).get("state") == "accepted"}
        agent_ok = len(good)
        host_ok = sum(1 for x, y in host_pairs
                      if all((a, b) in good for a in r.by_host[x] for b in r.by_host[y]))
        slowest = max(op["complete_ms"] - op["invoke_ms"] for op in results)
        lines.append(f"| {k} | {host_ok}/{len(host_pairs)} | {agent_ok}/{len(pairs)} | {slowest:.0f} |")
        if host_ok != len(host_pairs) or agent_ok != len(pairs):
            all_met = False
            for op in results:
                if (op["from"], op["to"]) not in good:
                    lines.append(f"|  | failed: {r.agents[op['from']]} -> {r.agents[op['to']]} | "
                                 f"{op.get('result') or op.get('error')} | |")
    if r.cut_pairs():
        judge_paths(r, all_results, results, lines)
    r.section("\n".join(lines) + "\n")
    r.target(f"all-pairs, {rounds} consecutive rounds", "every round complete" if all_met else "incomplete",
             f"{len(host_pairs)}/{len(host_pairs)} host pairs, {len(pairs)}/{len(pairs)} agent pairs", all_met)


def judge_paths(r: Run, results: List[Dict[str, Any]], last_round: List[Dict[str, Any]], lines: List[str]) -> None:
    """With ``no_direct`` pairs: the paths the receipts name, for pairs with and without a direct path. Without
    relays, every accepted message between a cut pair must have crossed the mesh on the relay topic
    (``gossip_relay``). With relays, every one of the last round must have gone on a direct-message stream
    (``direct``) over a connection through a relay's circuit, which ``GET /v1/peers`` must show; in the first round,
    while the two daemons dial each other through the relay at once and keep one connection, a message whose stream
    was on the connection given up is retried and may take the relay topic. Pairs behind two endpoint-independent
    NATs are left to the connections phase (DCUtR may have moved them to a direct connection)."""
    counts: Dict[Tuple[bool, str], int] = {}
    for op in results:
        rc = op.get("result") or {}
        if rc.get("state") != "accepted":
            continue
        key = (r.cut(r.agents[op["from"]], r.agents[op["to"]]), rc.get("path", "?"))
        counts[key] = counts.get(key, 0) + 1
    lines += ["", "| pair | path | messages |", "|---|---|---|"]
    for (cut, path), n in sorted(counts.items()):
        lines.append(f"| {'no direct path' if cut else 'direct path'} | {path} | {n} |")
    cut_total = sum(n for (cut, _), n in counts.items() if cut)
    if not r.relay_hosts:
        carried = counts.get((True, "gossip_relay"), 0)
        r.target("messages between daemons with no direct path, carried across the mesh", f"{carried}/{cut_total}",
                 "all on path gossip_relay", cut_total > 0 and carried == cut_total)
        return
    last = [op for op in last_round if (op.get("result") or {}).get("state") == "accepted"
            and r.cut(r.agents[op["from"]], r.agents[op["to"]])]
    direct = sum(1 for op in last if op["result"].get("path") == "direct")
    r.target("messages between daemons with no direct path in the last round, over the relayed connection",
             f"{direct}/{len(last)}", "all on path direct", len(last) > 0 and direct == len(last))
    through: List[str] = []
    # Two hosts behind endpoint-independent NATs may have punched a direct connection (the connections phase
    # judges them).
    cut = [(a, b) for a, b in r.cut_pairs() if not (r.nat.get(a) == "eim" and r.nat.get(b) == "eim")]
    for a, b in cut:
        status, body = r.api(a).call("GET", "/v1/peers")
        peer = next((p for p in body.get("peers", []) if p["peer_id"] == r.daemons[b].peer_id), None)
        if status == 200 and peer and peer.get("relay") in {r.daemons[h].peer_id for h in r.relay_hosts}:
            through.append(f"{a}-{b}")
    r.target("connections between daemons with no direct path", f"{len(through)}/{len(cut)} through a relay",
             "all through a relay's circuit", len(through) == len(cut))


# --- topics ---

def subscribe_all(r: Run, name: str) -> None:
    """Every agent subscribes durably to ``name``; returns once every daemon sees every other in the topic."""
    for a, h in r.agents.items():
        status, body = r.api(h).call("POST", f"/v1/agents/{a}/subscriptions", {"topic": name})
        if status not in (201, 409):
            raise RuntimeError(f"subscribe {a}: HTTP {status} {body}")
    r.subscribers[name] = list(r.agents)
    deadline = time.monotonic() + 30
    while True:
        ready = True
        for h in r.hosts:
            status, body = r.api(h).call("GET", "/v1/topics?internal=true")
            entry = next((t for t in body.get("topics", []) if t["topic"] == name), None)
            if not entry or entry.get("peers", 0) < len(r.hosts) - 1:
                ready = False
        if ready:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"topic {name}: not every daemon sees every other subscribed after 30 s")
        time.sleep(0.1)


def topic(r: Run, ph: Dict[str, Any]) -> None:
    """Every agent subscribes durably; one agent per host publishes; every subscriber must get every message. The
    spread latency is judged against the shortest-path one-way delay between publisher and subscriber hosts."""
    name = ph.get("topic", "netsim/spread")
    per_host = int(ph.get("per_host", 3))
    r.require_topic_delivery = True
    subscribe_all(r, name)
    publishers = [r.by_host[h][0] for h in r.hosts]
    for k in range(per_host):
        futs = [r.api(r.agents[p]).submit(ops.publish, r.history, r.agents[p], p, name, "topic") for p in publishers]
        for f in futs:
            if f.result()["type"] != "ok":
                raise RuntimeError(f"publish failed: {f.result()}")
        time.sleep(0.2)
    want = per_host * len(publishers)
    deadline = time.monotonic() + float(ph.get("deadline_s", 20))
    while time.monotonic() < deadline:
        counts = [sum(1 for m in r.api(h).submit(lambda api, a=a: ops.inbox(api, a)).result()
                      if m.get("protocol") == checker.TOPIC_PROTOCOL) for a, h in r.agents.items()]
        if min(counts) >= want:
            break
        time.sleep(0.25)
    # Spread against the shortest path, from the inboxes as they are now.
    state = {"inboxes": {a: r.api(h).submit(lambda api, a=a: ops.inbox(api, a)).result() for a, h in r.agents.items()},
             "subscribers": {name: list(r.agents)}}
    res = checker.check([op for op in r.history.ops if op.get("op") == "publish"], state, True, r.agents)
    sp = shortest_paths(r.net.delay_ms)
    excess = []
    rows = []
    for s in res.spread_ms:
        i, j = r.net.index[s["from_host"]], r.net.index[s["to_host"]]
        excess.append(s["ms"] - 1.5 * sp[i][j])
        rows.append((s["from_host"], s["to_host"], sp[i][j], s["ms"]))
    worst = sorted(rows, key=lambda x: x[3] - 1.5 * x[2], reverse=True)[:6]
    lines = ["## Topic spread\n",
             f"{len(publishers)} publishers x {per_host} messages, {len(r.agents)} durable subscribers; delivery ratio "
             f"min {min(res.topic_ratio.values()):.3f}.", "",
             "| publisher host | subscriber host | shortest-path one-way (ms) | spread (ms) |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {d:.0f} | {m:.0f} |" for a, b, d, m in worst]
    r.section("\n".join(lines) + "\n")
    p99 = checker.percentile(excess, 99)
    r.target("topic: every subscriber got every message", f"ratio min {min(res.topic_ratio.values()):.3f}", "1.000",
             not any(k.startswith("topic_") and v for k, v in res.anomalies.items()))
    if not ph.get("judge_spread", False):
        # A speed figure: judged by the `full` profile on a quiet machine, reported by the short run in make
        # test (sanitizer builds, other suites running beside it).
        r.section(f"Topic spread p99 minus 1.5x the shortest-path one-way delay: "
                  f"{'-' if p99 is None else '%.0f ms' % p99} (target <= 20 ms; judged only with judge_spread).\n")
        return
    r.target("topic spread p99 minus 1.5x shortest-path one-way delay", f"{p99:.0f} ms" if p99 is not None else "-",
             "<= 20 ms", p99 is not None and p99 <= 20)


# --- steady load under faults ---

class Faults:
    """Runs a phase's fault schedule on a thread: each ``[[phase.fault]]`` entry at its ``at_s``."""

    def __init__(self, r: Run, specs: List[Dict[str, Any]], start: float) -> None:
        self.r = r
        self.start = start
        self.events: List[Tuple[float, str, Callable[[], None]]] = []
        self.stop = threading.Event()
        self.last_heal = 0.0
        self.errors: List[str] = []
        self.presence_at_heal: Dict[str, Dict[str, int]] = {}  # observer host -> presence -> agents cut off
        self.reconverged: List[Tuple[str, Any]] = []  # (partition, seconds until every directory was complete)
        self.measuring: List[threading.Thread] = []
        for k, spec in enumerate(specs):
            self.expand(k, spec)
        self.events.sort(key=lambda e: e[0])
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def at(self, t: float, label: str, fn: Callable[[], None]) -> None:
        self.events.append((t, label, fn))

    def band(self, t0: float, t1: float, label: str) -> None:
        self.r.faults.append((self.start * 1000 + t0 * 1000, self.start * 1000 + t1 * 1000, label))

    def healed(self) -> None:
        self.last_heal = time.time()

    def expand(self, k: int, f: Dict[str, Any]) -> None:
        r, net = self.r, self.r.net
        kind, t = f["kind"], float(f.get("at_s", 0))
        dur = float(f.get("for_s", 0))
        if kind == "partition":
            group = f["group"]
            for n in range(int(f.get("count", 1))):  # repeated every_s apart
                name, at = f"p{k}.{n}", t + n * float(f.get("every_s", 0))
                self.at(at, f"partition {group}", lambda name=name: net.partition(name, group))
                self.at(at + dur - 0.5, f"presence of {group} on the other side", lambda: self.observe_cut(group))
                self.at(at + dur, f"heal {group}",
                        lambda name=name: (net.heal(name), self.healed(), self.measure(name)))
                self.band(at, at + dur, f"partition {'+'.join(group)}")
        elif kind == "loss":
            pct = float(f["percent"])
            self.at(t, f"loss {pct}%", lambda: net.set_loss(pct))
            self.at(t + dur, "loss off", lambda: (net.set_loss(0), self.healed()))
            self.band(t, t + dur, f"loss {pct:g}%")
        elif kind == "bandwidth":
            host, kbit = f["host"], int(f["kbit"])
            self.at(t, f"cap {host} {kbit} kbit/s", lambda: net.set_bandwidth(host, kbit))
            if dur:
                self.at(t + dur, f"uncap {host}", lambda: (net.set_bandwidth(host, None), self.healed()))
            self.band(t, t + (dur or 1), f"{host} {kbit} kbit/s")
        elif kind == "link_down":
            host = f["host"]
            self.at(t, f"link down {host}", lambda: net.link(host, False))
            self.at(t + dur, f"link up {host}", lambda: (net.link(host, True), self.healed()))
            self.band(t, t + dur, f"{host} down")
        elif kind in ("kill", "crashes"):
            count = int(f.get("count", 1))
            every = float(f.get("every_s", 0))
            lo, hi = f.get("pause_s", [f.get("restart_after_s", 2)] * 2)
            for n in range(count):
                host = f.get("host") or r.rng.choice(r.hosts)
                at = t + n * every
                pause = r.rng.uniform(float(lo), float(hi))
                self.at(at, f"kill -9 {host}", lambda h=host: self.kill(h))
                self.at(at + pause, f"restart {host}", lambda h=host: self.restart(h))
                self.band(at, at + pause, f"kill {host}")
        else:
            raise ValueError(f"unknown fault kind {kind!r}")

    def observe_cut(self, group: List[str]) -> None:
        """How the hosts outside ``group`` see the agents inside it, just before the heal."""
        cut = {a for a, h in self.r.agents.items() if h in group}
        for h in self.r.hosts:
            if h in group:
                continue
            status, body = self.r.api(h).call("GET", "/v1/directory", timeout=5)
            seen: Dict[str, int] = {}
            for e in body.get("agents", []) if status == 200 else []:
                if e["agent_id"] in cut:
                    seen[e.get("presence", "?")] = seen.get(e.get("presence", "?"), 0) + 1
            self.presence_at_heal[h] = seen

    def measure(self, name: str) -> None:
        """From the heal: seconds until every directory lists every agent online again (on a thread)."""
        def run() -> None:
            self.reconverged.append((name, self.r.wait_directories(60, presence="online")))
        t = threading.Thread(target=run, daemon=True)
        t.start()
        self.measuring.append(t)

    def kill(self, host: str) -> None:
        ops.fault(self.r.history, "kill", "start", host=host)
        self.r.daemons[host].kill()

    def restart(self, host: str) -> None:
        d = self.r.daemons[host]
        if d.running():
            return
        d.start(wait=True)
        ops.fault(self.r.history, "kill", "end", host=host)
        self.healed()

    def loop(self) -> None:
        for t, label, fn in self.events:
            while not self.stop.is_set() and time.time() < self.start + t:
                self.stop.wait(min(0.05, max(0.0, self.start + t - time.time())))
            if self.stop.is_set():
                return
            print(f"  t={time.time() - self.start:5.1f}s {label}", flush=True)
            ops.fault(self.r.history, "event", label)
            try:
                fn()
            except Exception as e:  # a fault that cannot be applied ends the run as a failure
                self.errors.append(f"{label}: {e}")

    def end(self) -> float:
        """Waits for the schedule to finish (and the reconvergence measurements); returns the seconds it ran."""
        self.thread.join()
        for t in self.measuring:
            t.join()
        return (self.events[-1][0] if self.events else 0.0)


# --- connections (hole punching) ---

def connection_kind(r: Run, a: str, b: str) -> str:
    """How ``a`` and ``b`` are connected, as both say in GET /v1/peers: direct, relayed, none or mixed."""
    kinds = []
    for x, y in ((a, b), (b, a)):
        status, body = r.api(x).call("GET", "/v1/peers", timeout=5)
        entry = next((p for p in body.get("peers", []) if p["peer_id"] == r.daemons[y].peer_id), None) \
            if status == 200 else None
        kinds.append("none" if entry is None else "relayed" if entry.get("relay") else "direct")
    return kinds[0] if kinds[0] == kinds[1] else "mixed"


def hole_punch(r: Run, host: str) -> Dict[str, Any]:
    status, body = r.api(host).call("GET", "/v1/diagnostics/transport", timeout=5)
    return body["circuit_relay"]["hole_punch"] if status == 200 else {}


def connections(r: Run, ph: Dict[str, Any]) -> None:
    """Each pair in ``expect`` ("a b" = "direct" or "relayed") must be connected that way within ``deadline_s``;
    a relayed pair must also have seen a hole punch fail (so it stayed relayed after trying, not for want of one)."""
    deadline = time.monotonic() + float(ph.get("deadline_s", 30))
    lines = ["## Connections between hosts behind NAT\n",
             "| pair | NAT | expected | seen | upgrades started (results) | last upgrade (ms) |",
             "|---|---|---|---|---|---|"]
    for key, want in ph["expect"].items():
        a, b = key.split()
        seen = "none"
        while True:
            seen = connection_kind(r, a, b)
            failed = sum(hole_punch(r, h).get("results_total", {}).get("failed", 0) for h in (a, b))
            if seen == want and (want == "direct" or failed > 0) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        punches = {h: hole_punch(r, h) for h in (a, b)}
        results = "; ".join(f"{h}: {p.get('results_total', {})}" for h, p in punches.items())
        upgrade = [p["last_upgrade_ms"] for p in punches.values() if p.get("last_upgrade_ms") is not None]
        nat = ", ".join(f"{h} {r.nat.get(h, 'none')}" for h in (a, b))
        lines.append(f"| {a} - {b} | {nat} | {want} | {seen} | {results} | "
                     f"{max(upgrade) if upgrade and want == 'direct' else '-'} |")
        if want == "direct" and upgrade:
            rtt = r.rtt(a, b)
            print(f"  {a} - {b}: direct {max(upgrade)} ms after the relayed connection opened "
                  f"(RTT {rtt:.0f} ms; 3 RTT + 500 ms = {3 * rtt + 500:.0f} ms)", flush=True)
        r.target(f"{a} - {b} connection", seen, want, seen == want)
    drops = ", ".join(f"{h} {r.net.nat_drops(h)}" for h in r.nat)
    lines.append(f"\nUnsolicited packets each NAT dropped: {drops}.\n")
    r.section("\n".join(lines) + "\n")


def save_diagnostics(r: Run, when: str) -> None:
    """Writes every daemon's transport and pubsub diagnostics to ``diagnostics/HOST-WHEN-KIND.json`` (queue
    depths, waits and drops per peer and traffic class: what makes a slow link's backlog visible)."""
    out = r.out / "diagnostics"
    out.mkdir(exist_ok=True)
    for h in r.hosts:
        for kind in ("transport", "pubsub", "direct"):
            try:
                status, body = r.api(h).call("GET", f"/v1/diagnostics/{kind}", timeout=5)
            except Exception as e:  # a daemon killed by the schedule: say so in the file
                status, body = 0, {"error": str(e)}
            (out / f"{h}-{when}-{kind}.json").write_text(json.dumps(body if status == 200 else {"status": status},
                                                                     indent=1))


def steady(r: Run, ph: Dict[str, Any]) -> None:
    """Sends at ``rate`` per second for ``duration_s`` from random agents to random other agents (``"wait":
    "queued"``) while the fault schedule runs; then waits until every accepted message is final."""
    rate = float(ph.get("rate", 20))
    duration = float(ph.get("duration_s", 30))
    start = time.time()
    if r.load_start_ms is None:
        r.load_start_ms = start * 1000
    topic_rate = float(ph.get("topic_rate", 0))
    flood_at = float(ph.get("topic_after_s", 0))  # the topic load starts then: before it, an unloaded baseline
    if topic_rate:
        subscribe_all(r, "netsim/steady")
        start = time.time()
        r.load_start_ms = start * 1000
    task_rate = float(ph.get("task_rate", 0))
    workers = tasks.Workers(r) if task_rate else None
    if workers:
        workers.start()
    tasked = 0
    faults = Faults(r, ph.get("fault", []), start)
    faults.thread.start()
    agents = list(r.agents)
    futs: List[concurrent.futures.Future] = []
    n = 0
    published = 0
    rss: Dict[str, List[Tuple[float, float]]] = {h: [] for h in r.hosts}
    next_rss = start
    mid_saved = False
    while time.time() < start + duration:
        if not mid_saved and time.time() >= start + duration / 2:
            save_diagnostics(r, "mid-load")
            mid_saved = True
        early = start + n / rate - time.time()
        if early > 0:
            time.sleep(min(0.01, early))
            continue
        a = r.rng.choice(agents)
        b = r.rng.choice([x for x in agents if x != a])
        h = r.agents[a]
        futs.append(r.api(h).submit(ops.send, r.history, h, a, b, "queued", 10_000, ph.get("ttl_ms"), "steady"))
        n += 1
        while topic_rate and published < (time.time() - start - flood_at) * topic_rate:
            p = r.rng.choice(agents)
            futs.append(r.api(r.agents[p]).submit(ops.publish, r.history, r.agents[p], p, "netsim/steady", "steady",
                                                  int(ph.get("topic_body_bytes", 0))))
            published += 1
        while task_rate and tasked < (time.time() - start) * task_rate:
            a = r.rng.choice(agents)
            b = r.rng.choice([x for x in agents if x != a])
            futs.append(r.api(r.agents[a]).submit(tasks.create, r.history, r.agents[a], a, b, "steady"))
            tasked += 1
        if time.time() >= next_rss:
            for host, d in r.daemons.items():
                v = d.rss_bytes()
                if v:
                    rss[host].append((time.time() - start, v / 1e6))
            next_rss += float(ph.get("rss_every_s", 10))
    faults.end()
    for f in futs:
        f.result()
    load_end = time.time()
    save_diagnostics(r, "end-of-load")
    heal_at = faults.last_heal or load_end
    sent_ok = [op for op in r.history.ops if op.get("op") == "send" and op.get("phase") == "steady"
               and op["type"] == "ok"]
    drained = drain(r, sent_ok, float(ph.get("drain_s", 60)))
    tasks_ended = None  # when every accepted task had ended on both daemons (their own record of it)
    if workers:
        created = [op for op in r.history.ops if op.get("op") == "task_create" and op["type"] == "ok"]
        tasks_ended = tasks.drain(r, created, float(ph.get("drain_s", 60)))
        workers.end()
    # When the last accepted message reached its inbox, from the inboxes themselves.
    received: Dict[str, float] = {}
    for a, h in r.agents.items():
        for m in r.api(h).submit(lambda api, a=a: ops.inbox(api, a)).result():
            req = checker.body_req(m, "req")
            if req:
                received[req] = min(received.get(req, m["received_ms"]), m["received_ms"])
    # Each message's wait counts from the end of the last fault, or from its send when that came later: when the
    # load goes on after the faults end (400 kills in 1,600 s of a 1,800 s chaos run), the messages of those last
    # minutes are not late, and counting them from the fault would charge the load's length as drain time.
    drain_s = max((received[op["req"]] / 1000 - max(op["invoke_ms"] / 1000, heal_at) for op in sent_ok
                   if op["req"] in received), default=0.0)
    drain_s = max(0.0, drain_s) if drained else None
    kinds: Dict[str, int] = {}
    for op in r.history.ops:
        if op.get("op") == "send" and op.get("phase") == "steady":
            kinds[op["type"]] = kinds.get(op["type"], 0) + 1
    lines = [f"## Steady load under faults\n", f"{n} sends in {duration:.0f} s ({rate:g}/s offered): "
             f"{kinds.get('ok', 0)} accepted, {kinds.get('fail', 0)} refused, {kinds.get('info', 0)} indeterminate.",
             "", "Faults: " + "; ".join(f"{label} at {t:.1f} s" for t, label, _ in sorted(faults.events)) + "."]
    if r.net.drop_counters():
        lines.append(f"Packets dropped by the router: {r.net.drop_counters()}.")
    if faults.errors:
        lines.append(f"Faults that could not be applied: {faults.errors}")
    for host, seen in sorted(faults.presence_at_heal.items()):
        lines.append(f"- just before the heal, {host} saw the cut-off agents as {seen}")
    r.section("\n".join(lines) + "\n")
    rtt_s = max(r.rtt(a, b) for a, b in itertools.combinations(r.hosts, 2)) / 1000
    # The target is 2 s plus the path's round trips; a run may set a looser bound (the short run in make
    # test, beside other suites) and report the figure.
    bound = float(ph.get("reconverge_target_s", 2 + rtt_s))
    for name, secs in faults.reconverged:
        r.target(f"every directory complete (all agents online) after partition {name} healed",
                 f"{secs:.1f} s" if secs is not None else "not within 60 s",
                 f"<= {bound:.2f} s (the issue: 2 s + {rtt_s:.2f} s max RTT)", secs is not None and secs <= bound)
    if r.sc.get("focus_host") and flood_at > 0:
        judge_focus(r, ph, sent_ok, received, start + flood_at)
    limit = float(ph.get("drain_target_s", 30))
    if workers:
        since = max(0.0, tasks_ended - max(heal_at, load_end)) if tasks_ended is not None else None
        r.target(f"every accepted task ({tasked} created, {task_rate:g}/s) ended on both daemons, counted from the "
                 "end of the load or of the last fault", f"{since:.1f} s" if since is not None else
                 f"not within {ph.get('drain_s', 60)} s", f"<= {limit:g} s", since is not None and since <= limit)
    r.target("every accepted message delivered, counted from the end of the last fault (or its send, if later)",
             f"{drain_s:.1f} s" if drain_s is not None else f"not within {ph.get('drain_s', 60)} s",
             f"<= {limit:g} s", drain_s is not None and drain_s <= limit and not faults.errors)
    if any(rss.values()) and ph.get("rss_target"):
        worst = 0.0
        for host, pts in rss.items():
            base = next((v for t, v in pts if t >= 60), None)
            if base:
                worst = max(worst, max(v for _, v in pts) / base)
        r.figures.append(("rss.svg", plots.timeline(rss, [], "daemon RSS", "MB")))
        r.target("RSS within 2x its value after the first minute", f"{worst:.2f}x", "<= 2x", worst <= 2.0)


def judge_focus(r: Run, ph: Dict[str, Any], sent_ok: List[Dict[str, Any]], received: Dict[str, float],
                flood_at: float) -> None:
    """Direct messages to the focus host before the topic load and during it: the issue asks that the p99 under load
    stay within 2 RTT + 100 ms of the unloaded one (RTT: the focus host's longest round trip). A speed target:
    judged with ``judge_focus`` (the full and chaos profiles), reported otherwise."""
    focus = r.sc["focus_host"]
    before: List[float] = []
    during: List[float] = []
    for op in sent_ok:
        if r.agents.get(op["to"]) != focus or op["req"] not in received:
            continue
        (before if op["invoke_ms"] < flood_at * 1000 else during).append(received[op["req"]] - op["invoke_ms"])
    p_before = checker.percentile(before, 99)
    p_during = checker.percentile(during, 99)
    rtt = max(r.rtt(focus, h) for h in r.hosts if h != focus)
    if p_before is None or p_during is None:
        r.target(f"direct message p99 to {focus} under the topic load", "no messages", "some", False)
        return
    bound = p_before + 2 * rtt + 100
    figure = f"{p_during:.0f} ms (n {len(during)}; unloaded {p_before:.0f} ms, n {len(before)})"
    if ph.get("judge_focus", False):
        r.target(f"direct message p99 to {focus} under the topic load", figure,
                 f"<= {bound:.0f} ms (unloaded p99 + 2 x {rtt:.0f} ms + 100 ms)", p_during <= bound)
    else:
        r.section(f"Direct messages to {focus}: p99 {figure} under the topic load; the issue's bound {bound:.0f} ms "
                  f"(unloaded p99 + 2 x {rtt:.0f} ms RTT + 100 ms) is judged only with judge_focus.\n")


def drain(r: Run, sent_ok: List[Dict[str, Any]], deadline_s: float) -> bool:
    """Polls the senders' receipts until every accepted remote send is final (accepted, rejected or expired)."""
    pending = [op for op in sent_ok if r.agents[op["to"]] != op["host"] and op.get("request_id")]
    deadline = time.time() + deadline_s
    while pending and time.time() < deadline:
        still = []
        for op in pending:
            try:
                status, rc = r.api(op["host"]).call("GET", f"/v1/agents/{op['from']}/messages/{op['request_id']}",
                                                    timeout=5)
            except (Refused, Indeterminate):
                still.append(op)
                continue
            if status != 200 or rc.get("state") not in checker.FINAL_STATES:
                still.append(op)
        pending = still
        if pending:
            time.sleep(0.25)
    if pending:
        print(f"  {len(pending)} accepted messages not final after {deadline_s} s", flush=True)
    return not pending
