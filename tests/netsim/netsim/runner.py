"""A run: the network, the daemons, the agents, the scenario's phases, the final state, the checker and the report.

Usage: ``python3 tests/netsim/run.py SCENARIO.toml --agentmesh BIN [--out DIR] [--profile chaos]``.
"""

import itertools
import json
import random
import sys
import time
import tomllib
import traceback
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from . import checker, ns as nsmod, ops, plots, tasks
from .daemons import Daemon, Indeterminate, Refused
from .net import Network


class Target:
    def __init__(self, name: str, value: str, target: str, met: bool) -> None:
        self.name, self.value, self.target, self.met = name, value, target, met


def load_scenario(path: Path, profile: Optional[str]) -> Dict[str, Any]:
    with open(path, "rb") as f:
        sc = tomllib.load(f)
    if "network" in sc:
        # The hosts, round trips and agents of another scenario file (its phases are not taken).
        with open(path.parent / sc["network"], "rb") as f:
            base = tomllib.load(f)
        for k, v in base.items():
            if k != "phase" and k != "name":
                sc.setdefault(k, v)
    if profile:
        for ph in sc.get("phase", []):
            ph.update(ph.get(profile, {}))
            for f in ph.get("fault", []):
                f.update(f.get(profile, {}))
    return sc


def shortest_paths(delay: List[List[float]]) -> List[List[float]]:
    n = len(delay)
    d = [[0.0 if i == j else delay[i][j] for j in range(n)] for i in range(n)]
    for k, i, j in itertools.product(range(n), repeat=3):
        if d[i][k] + d[k][j] < d[i][j]:
            d[i][j] = d[i][k] + d[k][j]
    return d


class Run:
    def __init__(self, scenario: Dict[str, Any], binary: Path, out: Path, seed: Optional[int] = None) -> None:
        self.sc = scenario
        self.binary = binary
        self.out = out
        self.hosts: List[str] = scenario["hosts"]
        self.rng = random.Random(seed if seed is not None else scenario.get("seed", 1))
        self.history = ops.History(out / "history.jsonl")
        self.daemons: Dict[str, Daemon] = {}
        self.agents: Dict[str, str] = {}  # agent id -> host
        self.by_host: Dict[str, List[str]] = {h: [] for h in self.hosts}
        self.subscribers: Dict[str, List[str]] = {}
        self.targets: List[Target] = []
        self.result: Optional[checker.Result] = None
        self.sections: List[str] = []
        self.figures: List[Tuple[str, str]] = []
        self.faults: List[Tuple[float, float, str]] = []  # (start ms, end ms, label)
        self.load_start_ms: Optional[float] = None
        self.require_topic_delivery = False
        self.net: Optional[Network] = None
        # Host pairs with no path between them for the whole run (both behind NAT, say): every packet between
        # them is dropped from the start, so they can talk only through the other daemons.
        self.no_direct: List[Tuple[str, str]] = [(p[0], p[1]) for p in scenario.get("no_direct", [])]
        # Hosts that run the circuit relay service; every other host holds a reservation on each (--relay).
        self.relays: List[str] = list(scenario.get("relays", []))
        # Hosts nobody can open a connection to (behind NAT or a firewall); they dial out. Two of them have no direct
        # path between them, like a no_direct pair.
        self.firewalled: List[str] = list(scenario.get("firewalled", []))
        # Hosts behind a NAT router of their own (net.py): "eim" (endpoint-independent mapping) or "symmetric".
        self.nat: Dict[str, str] = dict(scenario.get("nat", {}))
        # Hosts nobody can dial: firewalled or behind NAT.
        self.private_hosts: List[str] = self.firewalled + [h for h in self.nat if h not in self.firewalled]
        # Extra daemon arguments per host.
        self.host_args: Dict[str, List[str]] = {h: list(a) for h, a in scenario.get("host_args", {}).items()}
        # Hosts whose daemons relay circuits (relays, or --relay-service in host_args).
        self.relay_hosts: List[str] = self.relays + [h for h, a in self.host_args.items()
                                                     if "--relay-service" in a and h not in self.relays]

    # --- helpers the phases use ---

    def target(self, name: str, value: str, target: str, met: bool) -> None:
        self.targets.append(Target(name, value, target, met))
        print(f"  {'ok  ' if met else 'MISS'} {name}: {value} (target {target})", flush=True)

    def section(self, text: str) -> None:
        self.sections.append(text)

    def api(self, host: str):
        return self.daemons[host].api

    def cut(self, a: str, b: str) -> bool:
        """Whether ``a`` and ``b`` have no direct path (``no_direct``, or both firewalled)."""
        both_firewalled = a != b and a in self.private_hosts and b in self.private_hosts
        return (a, b) in self.no_direct or (b, a) in self.no_direct or both_firewalled

    def cut_pairs(self) -> List[Tuple[str, str]]:
        return [(a, b) for a, b in itertools.combinations(self.hosts, 2) if self.cut(a, b)]

    def rtt(self, a: str, b: str) -> float:
        key = self.sc.get("rtt_ms", {})
        return float(key.get(f"{a} {b}", key.get(f"{b} {a}", self.sc.get("default_rtt_ms", 0))))

    def directory_complete(self, host: str, presence: Optional[str] = None) -> bool:
        """Every agent is listed online here (with ``presence``: exactly that presence, e.g. not suspect)."""
        try:
            status, body = self.api(host).call("GET", "/v1/directory?online=true", timeout=5)
        except (Refused, Indeterminate):
            return False
        if status != 200:
            return False
        return {a["agent_id"] for a in body["agents"]
                if presence is None or a.get("presence", presence) == presence} >= set(self.agents)

    def wait_directories(self, deadline_s: float, presence: Optional[str] = None) -> Optional[float]:
        """Seconds until every running daemon lists every agent online, or None at the deadline."""
        start = time.monotonic()
        pending = [h for h in self.hosts if self.daemons[h].running()]
        while pending:
            pending = [h for h in pending if not self.directory_complete(h, presence)]
            if not pending:
                break
            if time.monotonic() - start > deadline_s:
                print(f"  directories incomplete after {deadline_s} s on {pending}", flush=True)
                return None
            time.sleep(0.1)
        return time.monotonic() - start

    def wait_private(self, deadline_s: float) -> None:
        """Until every firewalled daemon says it is private (AutoNAT) and lists a circuit address, and every daemon's
        directory lists the firewalled daemons' agents at one: then a message to them can be routed through a relay."""
        start = time.monotonic()
        private_at: Optional[float] = None
        while True:
            ready = True
            for h in self.private_hosts:
                status, node = self.api(h).call("GET", "/v1/node", timeout=5)
                if status != 200 or node["reachability"]["state"] != "private" or not node.get("relay_addrs"):
                    ready = False
            if ready and private_at is None:
                private_at = time.monotonic() - start
            if ready:
                ready = self.circuits_listed(self.private_hosts)
            if ready:
                total = time.monotonic() - start
                self.section(f"Every daemon behind NAT or a firewall ({', '.join(self.private_hosts)}) reported "
                             f"itself private and held a relay reservation {private_at:.1f} s after the directories were complete; "
                             f"every directory listed their circuit addresses after {total:.1f} s.\n")
                print(f"  firewalled hosts private and reserved after {private_at:.1f} s, "
                      f"advertised after {total:.1f} s", flush=True)
                return
            if time.monotonic() - start > deadline_s:
                raise RuntimeError(f"the firewalled daemons were not private with a relay reservation and advertised "
                                   f"everywhere within {deadline_s} s")
            time.sleep(0.2)

    def circuits_listed(self, hosts: List[str]) -> bool:
        """Whether every daemon's directory lists the agents of ``hosts`` (but its own) at a circuit address."""
        for h in self.hosts:
            status, body = self.api(h).call("GET", "/v1/directory?online=true", timeout=5)
            views = {a["agent_id"]: a for a in body.get("agents", [])} if status == 200 else {}
            for agent, host in self.agents.items():
                if host in hosts and host != h and not any(
                        "/p2p-circuit/" in x for x in views.get(agent, {}).get("addrs", [])):
                    return False
        return True

    def wait_circuits_listed(self, hosts: List[str], deadline_s: float) -> None:
        """Until every directory lists the agents of ``hosts`` at a circuit address. Daemons with no direct path
        between them reach each other only there: a first round that found only their direct addresses would fail
        over those, and the circuit breaker would then keep the direct path shut for 30 s."""
        start = time.monotonic()
        while not self.circuits_listed(hosts):
            if time.monotonic() - start > deadline_s:
                raise RuntimeError(f"the circuit addresses of {hosts} were not in every directory within {deadline_s} s")
            time.sleep(0.2)
        waited = time.monotonic() - start
        self.section(f"Every directory listed the circuit addresses of {', '.join(hosts)} {waited:.1f} s after it "
                     f"was complete.\n")
        print(f"  circuit addresses of {hosts} advertised after {waited:.1f} s", flush=True)

    def relay_config(self, host: str) -> Path:
        """A TOML file with the scenario's ``relay_limits`` for a relay host's [relay] section."""
        path = self.out / "hosts" / host / "relay.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = ["[relay]"] + [f"{k} = {int(v)}" for k, v in self.sc.get("relay_limits", {}).items()]
        path.write_text("\n".join(lines) + "\n")
        return path

    def wait_connected(self, deadline_s: float) -> Optional[float]:
        start = time.monotonic()
        want = {h: sum(1 for o in self.hosts if o != h and not self.cut(h, o)) for h in self.hosts}
        while True:
            counts = {}
            for h in self.hosts:
                try:
                    status, body = self.api(h).call("GET", "/v1/peers", timeout=5)
                    counts[h] = len(body.get("peers", [])) if status == 200 else 0
                except (Refused, Indeterminate):
                    counts[h] = 0
            if all(c >= want[h] for h, c in counts.items()):
                return time.monotonic() - start
            if time.monotonic() - start > deadline_s:
                print(f"  peers still missing after {deadline_s} s: {counts}", flush=True)
                return None
            time.sleep(0.1)

    # --- the run ---

    def execute(self) -> bool:
        problem = nsmod.requirements_problem()
        if problem:
            print(f"netsim: cannot run: {problem}", file=sys.stderr)
            return False
        ok = False
        with Network(self.hosts, self.out / "net", nat=self.nat) as net:
            self.net = net
            try:
                self.setup()
                from . import phases  # noqa: PLC0415 (phases imports this module's types)
                for ph in self.sc.get("phase", []):
                    print(f"phase {ph['kind']}", flush=True)
                    phases.run(self, ph)
                ok = self.finish()
            except Exception:
                traceback.print_exc()
                self.section("## The run stopped\n\n```\n" + traceback.format_exc() + "```\n")
                self.write_report(None)
            finally:
                deaths = [why for why in (d.died() for d in self.daemons.values()) if why]
                for why in deaths:
                    print(why, file=sys.stderr, flush=True)
                if deaths:
                    ok = False
                    self.section("## Daemons that died\n\n```\n" + "\n\n".join(deaths) + "\n```\n")
                    self.write_report(self.result, failed=True)
                for d in self.daemons.values():
                    d.stop()
                    d.api.close()
                self.history.close()
        print(f"report: {self.out / 'report.md'}", flush=True)
        return ok

    def setup(self) -> None:
        jitter = float(self.sc.get("jitter_ms", 0))
        for a, b in itertools.combinations(self.hosts, 2):
            self.net.set_rtt(a, b, self.rtt(a, b), jitter)
        self.net.commit_delays()
        for i, (a, b) in enumerate(self.no_direct):
            self.net.partition(f"no_direct{i}", [a], [b])
        for h in self.firewalled:
            self.net.firewall(h)
        extra = list(self.sc.get("daemon_args", []))
        for j, h in enumerate(self.hosts):
            boot = [f"/ip4/{self.net.addr(self.hosts[i])}/tcp/7782" for i in range(j)]
            args = list(extra) + self.host_args.get(h, [])
            if h in self.relays:
                args += ["--relay-service", "--config", str(self.relay_config(h))]
            self.daemons[h] = Daemon(self.net, h, self.binary, self.out / "hosts", boot, args)
        # The relays first: the others name them, peer id included, in --relay.
        for h in self.relays:
            self.daemons[h].start(wait=True)
        relay_addrs = [f"{self.daemons[h].listen_addr}/p2p/{self.daemons[h].peer_id}" for h in self.relays]
        for h, d in self.daemons.items():
            if h not in self.relays:
                for a in relay_addrs:
                    d.extra_args += ["--relay", a]
                d.start(wait=False)
        for d in self.daemons.values():
            d.wait_ready()
        started = time.monotonic()
        for h in self.hosts:
            for k in range(int(self.sc.get("agents_per_host", 2))):
                caps = ["netsim", f"host-{h}"]
                status, body = self.api(h).call("POST", "/v1/agents", {"name": f"{h}-{k}", "capabilities": caps})
                if status != 201:
                    raise RuntimeError(f"create agent on {h}: HTTP {status} {body}")
                self.agents[body["agent_id"]] = h
                self.by_host[h].append(body["agent_id"])
        connected = self.wait_connected(30)
        complete = self.wait_directories(float(self.sc.get("directory_deadline_s", 90)))
        if self.private_hosts:
            self.wait_private(float(self.sc.get("private_deadline_s", 60)))
        elif self.relays and self.no_direct:
            self.wait_circuits_listed(sorted({h for pair in self.no_direct for h in pair}),
                                      float(self.sc.get("private_deadline_s", 60)))
        total = time.monotonic() - started
        self.section("## Start\n\n"
                     f"{len(self.hosts)} hosts, {len(self.agents)} agents. Every pair of daemons "
                     f"{'(but the pairs with no direct path) ' if self.no_direct else ''}connected "
                     f"{'after %.1f s' % connected if connected is not None else 'NOT within 30 s'}; every directory "
                     f"complete (all agents online everywhere) "
                     f"{'%.1f s after the agents were created' % total if complete is not None else 'NOT in time'}.\n")
        if complete is None:
            raise RuntimeError("the directories never became complete")
        print(f"  directories complete {total:.1f} s after the agents were created", flush=True)

    # --- the end ---

    def collect_state(self) -> Dict[str, Any]:
        inboxes = {}
        for agent, host in self.agents.items():
            inboxes[agent] = self.api(host).submit(lambda api, a=agent: ops.inbox(api, a)).result()
        receipts = {}
        for op in self.history.ops:
            if op.get("op") != "send" or not op.get("request_id") or self.agents.get(op["to"]) == op["host"]:
                continue
            status, rc = self.api(op["host"]).call("GET", f"/v1/agents/{op['from']}/messages/{op['request_id']}")
            if status == 200:
                receipts[op["request_id"]] = rc
        state = {"inboxes": inboxes, "receipts": receipts, "subscribers": self.subscribers}
        if any(op.get("op") == "task_create" for op in self.history.ops):
            state["tasks"] = {agent: self.api(host).submit(lambda api, a=agent: tasks.all_tasks(api, a)).result()
                              for agent, host in self.agents.items()}
        return state

    def finish(self) -> bool:
        state = self.collect_state()
        (self.out / "state.json").write_text(json.dumps(state))
        self.result = checker.check(self.history.ops, state, self.require_topic_delivery, self.agents)
        return self.write_report(self.result)

    def write_report(self, result: Optional[checker.Result], failed: bool = False) -> bool:
        lines = [f"# netsim run: {self.sc.get('name', '?')}", "",
                 f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}; hosts {', '.join(self.hosts)}; "
                 f"history `history.jsonl`, final state `state.json`, daemon logs under `hosts/`.", ""]
        ok = not failed and result is not None and result.ok and all(t.met for t in self.targets)
        lines.append(f"**Outcome: {'PASS' if ok else 'FAIL'}**\n")
        if result is not None:
            lines.append("## Checker\n")
            lines.append("| " + " | ".join(result.counts) + " |")
            lines.append("|" + "---|" * len(result.counts))
            lines.append("| " + " | ".join(str(v) for v in result.counts.values()) + " |\n")
            if result.ok:
                lines.append("No anomaly: every acknowledged message is in its recipient's inbox exactly once, nothing "
                             "arrived that was not sent, and every final receipt agrees with the inboxes." +
                             (" Every accepted task ended in the same state on both daemons, each step in each "
                              "party's inbox once, each artifact chunk once." if result.counts.get("tasks") else "")
                             + "\n")
            for kind, ids in sorted(result.anomalies.items()):
                lines.append(f"### {kind}: {len(ids)}\n")
                lines += [f"- `{i}`" for i in ids[:200]]
                lines.append("")
            self.latency_section(result, lines)
            if result.topic_ratio:
                ratios = list(result.topic_ratio.values())
                lines.append(f"Topic delivery ratio per durable subscriber: min {min(ratios):.3f}, mean "
                             f"{sum(ratios) / len(ratios):.3f} ({len(ratios)} subscribers, "
                             f"{result.counts['publishes_ok']} messages published).\n")
        lines.append("## Targets\n\n| | measured | target | |\n|---|---|---|---|")
        for t in self.targets:
            lines.append(f"| {t.name} | {t.value} | {t.target} | {'met' if t.met else '**missed**'} |")
        lines.append("")
        lines += self.sections
        if self.net and self.net.delayline_stats:
            lines.append(f"Delay line: {json.dumps(self.net.delayline_stats)}\n")
        for name, svg in self.figures:
            (self.out / name).write_text(svg)
            lines.append(f"![{name}]({name})\n")
        (self.out / "report.md").write_text("\n".join(lines) + "\n")
        if result is not None and not result.ok:
            print("ANOMALIES:", flush=True)
            for kind, ids in sorted(result.anomalies.items()):
                print(f"  {kind}: {len(ids)}: {', '.join(ids[:20])}", flush=True)
        return ok

    def latency_section(self, result: checker.Result, lines: List[str]) -> None:
        def row(name: str, vs: List[float]) -> str:
            ps = [checker.percentile(vs, p) for p in (50, 90, 99)]
            cells = " | ".join("-" if v is None else f"{v:.0f}" for v in ps + [max(vs) if vs else None])
            return f"| {name} | {len(vs)} | {cells} |"

        lines.append("## Latency (ms)\n\n| | n | p50 | p90 | p99 | max |\n|---|---|---|---|---|---|")
        lines.append(row("direct message: send to inbox", result.delivery_ms))
        focus = self.sc.get("focus_host")
        if focus:
            lines.append(row(f"direct message to {focus}: send to inbox",
                             [d["received_ms"] - d["invoke_ms"] for d in result.deliveries if d["to_host"] == focus]))
            lines.append(row(f"direct message from {focus}: send to inbox",
                             [d["received_ms"] - d["invoke_ms"] for d in result.deliveries
                              if d.get("from_host") == focus]))
            lines.append(row(f"direct message between other hosts: send to inbox",
                             [d["received_ms"] - d["invoke_ms"] for d in result.deliveries
                              if focus not in (d["to_host"], d.get("from_host"))]))
        if result.ack_ms:
            lines.append(row('direct message: `"wait": "ack"` answer', result.ack_ms))
        if result.spread_ms:
            lines.append(row("topic: publish to subscriber inbox", [s["ms"] for s in result.spread_ms]))
        lines.append("")
        series = {"send -> inbox": result.delivery_ms}
        if result.ack_ms:
            series["wait=ack answer"] = result.ack_ms
        if result.spread_ms:
            series["topic spread"] = [s["ms"] for s in result.spread_ms]
        self.figures.append(("latency-cdf.svg", plots.cdf(series, "latency CDF", "milliseconds")))
        if result.deliveries and self.load_start_ms is not None:
            t0 = self.load_start_ms
            sent: Dict[int, int] = {}
            got: Dict[int, int] = {}
            for op in self.history.ops:
                if op.get("op") == "send" and op.get("type") == "ok" and op["invoke_ms"] >= t0:
                    sent[int((op["invoke_ms"] - t0) // 1000)] = sent.get(int((op["invoke_ms"] - t0) // 1000), 0) + 1
            for d in result.deliveries:
                if d["invoke_ms"] >= t0:
                    k = int((d["received_ms"] - t0) // 1000)
                    got[k] = got.get(k, 0) + 1
            end = max(list(sent) + list(got) + [0])
            series2 = {"accepted (202) per s": [(s, sent.get(s, 0)) for s in range(end + 1)],
                       "delivered per s": [(s, got.get(s, 0)) for s in range(end + 1)]}
            faults = [((a - t0) / 1000, (b - t0) / 1000, label) for a, b, label in self.faults]
            self.figures.append(("delivery-over-time.svg",
                                 plots.timeline(series2, faults, "direct messages over time", "messages per second")))
