"""The simulated network: host namespaces, the router namespace, and the faults applied in it.

Mechanisms (this kernel has no netem):
- delay and jitter: the userspace delay line (delayline.py) on the router's TUN device ``dl0``;
- random loss and partitions: nftables rules in the router's forward chain (``numgen random`` for loss), applied
  to packets as they arrive from a host, before the delay line;
- bandwidth caps: ``tc tbf`` on both ends of a host's veth pair (the router's side shapes what the host receives,
  the host's side what it sends);
- link down/up: the router's side of a host's veth pair set down (the host is cut off from every other host);
- NAT: a host behind NAT sits in a private subnet (10.253.<i+1>.0/24) behind its own router namespace, which holds
  the host's public address (10.254.<i+1>.2) and masquerades with Linux conntrack: ``eim`` keeps the source port
  (one mapping per local port, whatever the destination: endpoint-independent), ``symmetric`` picks a random port
  per connection (endpoint-dependent). Both filter by connection: nothing from outside gets in unless it belongs
  to a connection the inside opened, and unsolicited SYNs are dropped, not answered.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from . import ns as nsmod
from .ns import NetsimError, run

DELAYLINE = Path(__file__).with_name("delayline.py")


def host_addr(index: int) -> str:
    return f"10.254.{index + 1}.2"


def subnet(index: int) -> str:
    return f"10.254.{index + 1}.0/24"


def private_addr(index: int) -> str:
    return f"10.253.{index + 1}.2"


NAT_KINDS = ("eim", "symmetric")


class Network:
    """N host namespaces joined through one router namespace. Use as a context manager: leaving it removes every
    namespace, process and rule it made, also on an exception or Ctrl-C."""

    def __init__(self, hosts: Sequence[str], workdir: Path, run_id: Optional[int] = None,
                 nat: Optional[Dict[str, str]] = None) -> None:
        self.hosts = list(hosts)
        self.nat = dict(nat or {})  # host -> NAT kind (NAT_KINDS)
        for h, kind in self.nat.items():
            if h not in self.hosts or kind not in NAT_KINDS:
                raise NetsimError(f"nat: {h} = {kind!r}: need a host of the scenario and one of {NAT_KINDS}")
        self.index = {h: i for i, h in enumerate(self.hosts)}
        self.workdir = workdir
        self.run_id = run_id if run_id is not None else os.getpid()
        self.router = nsmod.ns_name(self.run_id, "router")
        self.delay_ms = [[0.0] * len(self.hosts) for _ in self.hosts]
        self.jitter_ms = [[0.0] * len(self.hosts) for _ in self.hosts]
        self.loss: Dict[Tuple[int, int], float] = {}  # (src, dst) -> percent
        self.partitions: Dict[str, Tuple[List[int], List[int]]] = {}
        self.bandwidth: Dict[int, int] = {}  # host -> kbit/s
        self.down: set = set()
        self.firewalled: set = set()  # hosts nobody may open a TCP connection to
        self.delayline: Optional[subprocess.Popen] = None
        self.delayline_stats: Dict[str, int] = {}
        self._dropped: Dict[str, int] = {}  # counts of rules since removed

    def ns(self, host: str) -> str:
        return nsmod.ns_name(self.run_id, host)

    def addr(self, host: str) -> str:
        """The host's own address (a daemon listens there); behind NAT, a private one."""
        i = self.index[host]
        return private_addr(i) if host in self.nat else host_addr(i)

    def nat_ns(self, host: str) -> str:
        return nsmod.ns_name(self.run_id, f"{self.index[host]}nat")

    # --- setup and teardown ---

    def __enter__(self) -> "Network":
        try:
            self.create()
        except BaseException:
            self.destroy()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.destroy()

    def create(self) -> None:
        nsmod.remove_stale()
        self.workdir.mkdir(parents=True, exist_ok=True)
        r = self.router
        nsmod.create(r)
        run(["sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0",
             "net.ipv4.conf.default.rp_filter=0"], ns=r)
        for i, h in enumerate(self.hosts):
            hn = self.ns(h)
            nsmod.create(hn)
            # Behind NAT, the router's link ends in the NAT namespace, which holds the public address.
            edge, edge_dev = (self.nat_ns(h), "wan0") if h in self.nat else (hn, "eth0")
            if h in self.nat:
                nsmod.create(edge)
            run(["ip", "link", "add", f"vr{i}", "netns", r, "type", "veth", "peer", "name", edge_dev, "netns", edge])
            run(["ip", "-n", r, "addr", "add", f"10.254.{i + 1}.1/24", "dev", f"vr{i}"])
            run(["ip", "-n", r, "link", "set", f"vr{i}", "up"])
            run(["ip", "-n", edge, "addr", "add", f"{host_addr(i)}/24", "dev", edge_dev])
            run(["ip", "-n", edge, "link", "set", edge_dev, "up"])
            run(["ip", "-n", edge, "route", "add", "default", "via", f"10.254.{i + 1}.1"])
            if h in self.nat:
                self._create_nat(h, i)
            run(["ip", "-n", r, "rule", "add", "iif", f"vr{i}", "lookup", "100", "priority", "100"])
        self._start_delayline()
        self._apply_rules()

    def _create_nat(self, host: str, i: int) -> None:
        nat, hn = self.nat_ns(host), self.ns(host)
        run(["sysctl", "-qw", "net.ipv4.ip_forward=1"], ns=nat)
        run(["ip", "link", "add", "lan0", "netns", nat, "type", "veth", "peer", "name", "eth0", "netns", hn])
        run(["ip", "-n", nat, "addr", "add", f"10.253.{i + 1}.1/24", "dev", "lan0"])
        run(["ip", "-n", nat, "link", "set", "lan0", "up"])
        run(["ip", "-n", hn, "addr", "add", f"{private_addr(i)}/24", "dev", "eth0"])
        run(["ip", "-n", hn, "link", "set", "eth0", "up"])
        run(["ip", "-n", hn, "route", "add", "default", "via", f"10.253.{i + 1}.1"])
        ports = " random" if self.nat[host] == "symmetric" else ""
        rules = "\n".join([
            "table ip nat {",
            " chain post {",
            "  type nat hook postrouting priority srcnat; policy accept;",
            f'  oifname "wan0" masquerade{ports}',
            " }",
            "}",
            "table inet natfilter {",
            " chain forward {",
            "  type filter hook forward priority 0; policy drop;",
            "  ct state established,related accept",
            '  iifname "lan0" accept',
            '  counter comment "nat unsolicited"',
            " }",
            " chain input {",
            "  type filter hook input priority 0; policy accept;",
            '  iifname "wan0" ct state new counter drop comment "nat unsolicited"',
            " }",
            "}",
        ]) + "\n"
        run(["nft", "-f", "-"], ns=nat, input_text=rules)

    def nat_drops(self, host: str) -> int:
        """Packets from outside the host's NAT that belonged to no connection (dropped)."""
        p = run(["nft", "-j", "list", "table", "inet", "natfilter"], ns=self.nat_ns(host), check=False)
        if p.returncode != 0:
            return 0
        n = 0
        for item in json.loads(p.stdout).get("nftables", []):
            rule = item.get("rule")
            for e in (rule or {}).get("expr", []):
                if "counter" in e and rule.get("comment") == "nat unsolicited":
                    n += e["counter"]["packets"]
        return n

    def _start_delayline(self) -> None:
        cfg = self.workdir / "delays.json"
        ready = self.workdir / "delayline.ready"
        ready.unlink(missing_ok=True)
        self._write_delays()
        log = open(self.workdir / "delayline.log", "w")
        self.delayline = subprocess.Popen(
            ["ip", "netns", "exec", self.router, sys.executable, str(DELAYLINE), "--config", str(cfg), "--stats",
             str(self.workdir / "delayline.stats.json"), "--ready", str(ready)], stdout=log, stderr=log)
        deadline = time.monotonic() + 10
        while not ready.exists():
            if self.delayline.poll() is not None or time.monotonic() > deadline:
                raise NetsimError(f"the delay line did not start: see {self.workdir / 'delayline.log'}")
            time.sleep(0.02)
        r = self.router
        run(["sysctl", "-qw", "net.ipv4.conf.dl0.rp_filter=0"], ns=r)
        run(["ip", "-n", r, "link", "set", "dl0", "up"])
        run(["ip", "-n", r, "route", "add", "default", "dev", "dl0", "table", "100"])

    def destroy(self) -> None:
        if self.delayline and self.delayline.poll() is None:
            self.delayline.send_signal(signal.SIGTERM)
            try:
                self.delayline.wait(5)
            except subprocess.TimeoutExpired:
                self.delayline.kill()
                self.delayline.wait()
        stats = self.workdir / "delayline.stats.json"
        if stats.exists():
            try:
                self.delayline_stats = json.loads(stats.read_text())
            except ValueError:
                pass
        for name in nsmod.ours(self.run_id):
            nsmod.delete(name)

    # --- delay ---

    def set_rtt(self, a: str, b: str, rtt_ms: float, jitter_ms: float = 0.0) -> None:
        i, j = self.index[a], self.index[b]
        self.delay_ms[i][j] = self.delay_ms[j][i] = rtt_ms / 2.0
        self.jitter_ms[i][j] = self.jitter_ms[j][i] = jitter_ms
        self._write_delays()

    def commit_delays(self) -> None:
        self._write_delays()
        if self.delayline and self.delayline.poll() is None:
            self.delayline.send_signal(signal.SIGHUP)

    def _write_delays(self) -> None:
        tmp = self.workdir / "delays.json.tmp"
        tmp.write_text(json.dumps({"delay_ms": self.delay_ms, "jitter_ms": self.jitter_ms}))
        os.replace(tmp, self.workdir / "delays.json")

    def one_way_ms(self, a: str, b: str) -> float:
        return self.delay_ms[self.index[a]][self.index[b]]

    # --- loss and partitions (nftables) ---

    def set_loss(self, percent: float, pairs: Optional[Iterable[Tuple[str, str]]] = None) -> None:
        """Random loss on the given directed pairs (both directions of each), or on every link."""
        if pairs is None:
            pairs = [(a, b) for a in self.hosts for b in self.hosts if a != b]
        for a, b in pairs:
            for key in ((self.index[a], self.index[b]), (self.index[b], self.index[a])):
                if percent > 0:
                    self.loss[key] = percent
                else:
                    self.loss.pop(key, None)
        self._apply_rules()

    def partition(self, name: str, group: Sequence[str], rest: Optional[Sequence[str]] = None) -> None:
        """Drops all traffic between ``group`` and ``rest`` (default: every other host)."""
        g = [self.index[h] for h in group]
        others = [self.index[h] for h in (rest if rest is not None else self.hosts) if self.index[h] not in g]
        self.partitions[name] = (g, others)
        self._apply_rules()

    def firewall(self, host: str) -> None:
        """Drops every TCP SYN toward ``host`` (a daemon behind NAT or a stateful firewall): it can open connections,
        nobody can open one to it."""
        self.firewalled.add(self.index[host])
        self._apply_rules()

    def heal(self, name: str) -> None:
        self.partitions.pop(name, None)
        self._apply_rules()

    def _apply_rules(self) -> None:
        for k, v in self._counters().items():  # keep the counts of the rules about to be replaced
            self._dropped[k] = self._dropped.get(k, 0) + v
        lines = ["table inet netsim", "delete table inet netsim", "table inet netsim {", " chain forward {",
                 "  type filter hook forward priority 0; policy accept;",
                 '  iifname "dl0" accept comment "already judged on the way in"']
        for name, (g, others) in sorted(self.partitions.items()):
            for a in g:
                for b in others:
                    for s, d in ((a, b), (b, a)):
                        lines.append(f'  ip saddr {subnet(s)} ip daddr {subnet(d)} counter drop '
                                     f'comment "partition {name}"')
        for h in sorted(self.firewalled):
            lines.append(f'  ip daddr {subnet(h)} tcp flags & (syn | ack) == syn counter drop '
                         f'comment "firewall {self.hosts[h]}"')
        for (s, d), pct in sorted(self.loss.items()):
            lines.append(f'  ip saddr {subnet(s)} ip daddr {subnet(d)} numgen random mod 10000 lt '
                         f'{int(round(pct * 100))} counter drop comment "loss"')
        lines += [" }", "}"]
        run(["nft", "-f", "-"], ns=self.router, input_text="\n".join(lines) + "\n")

    def drop_counters(self) -> Dict[str, int]:
        """Packets dropped so far by each kind of rule (loss, partition NAME), removed rules included."""
        out = dict(self._dropped)
        for k, v in self._counters().items():
            out[k] = out.get(k, 0) + v
        return out

    def _counters(self) -> Dict[str, int]:
        out: Dict[str, int] = {}
        p = run(["nft", "-j", "list", "table", "inet", "netsim"], ns=self.router, check=False)
        if p.returncode != 0:
            return out  # not created yet
        for item in json.loads(p.stdout).get("nftables", []):
            rule = item.get("rule")
            if not rule or "comment" not in rule:
                continue
            for e in rule.get("expr", []):
                if "counter" in e:
                    out[rule["comment"]] = out.get(rule["comment"], 0) + e["counter"]["packets"]
        return out

    # --- bandwidth and links ---

    def set_bandwidth(self, host: str, kbit: Optional[int]) -> None:
        """Caps what ``host`` sends and receives at ``kbit`` kbit/s (None removes the cap)."""
        i = self.index[host]
        for ns, dev in ((self.router, f"vr{i}"), (self.ns(host), "eth0")):
            if kbit:
                burst = max(kbit * 1000 // 8 // 50, 3000)  # 20 ms of the rate, at least two full frames
                run(["tc", "qdisc", "replace", "dev", dev, "root", "tbf", "rate", f"{kbit}kbit", "burst",
                     str(burst), "latency", "400ms"], ns=ns)
            else:
                run(["tc", "qdisc", "del", "dev", dev, "root"], ns=ns, check=False)
        if kbit:
            self.bandwidth[i] = kbit
        else:
            self.bandwidth.pop(i, None)

    def link(self, host: str, up: bool) -> None:
        i = self.index[host]
        run(["ip", "-n", self.router, "link", "set", f"vr{i}", "up" if up else "down"])
        (self.down.discard if up else self.down.add)(i)
