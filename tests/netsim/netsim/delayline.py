"""The delay line: a userspace forwarder that delays every routed packet by its host pair's one-way delay.

This kernel has no netem, so delay is done here. The router namespace routes every IPv4 packet that arrives from
a host's veth into the TUN device ``dl0`` (policy routing: ``ip rule iif vr<i> lookup 100``, table 100's default
route is ``dl0``). This process reads each packet from the TUN, holds it for the one-way delay of its (source host,
destination host) pair plus uniform jitter, and writes it back into the TUN; the kernel then routes it by the main
table to the destination host's veth. Packets of one pair leave in the order they came (jitter never reorders a
pair's packets: a packet waits at least until the one before it has left), as on a real path.

Hosts are numbered by the third octet of their address (10.254.<i+1>.2 is host i). The delays come from a JSON file
``{"delay_ms": [[...]], "jitter_ms": [[...]]}`` (row = source, column = destination), read at start and again on
SIGHUP. The queue holds at most ``--max-packets``; beyond that a packet is dropped and counted. On SIGTERM the
counters are written to ``--stats`` as JSON.

Run: ``ip netns exec ROUTER python3 delayline.py --config FILE --stats FILE``.
"""

import argparse
import errno
import fcntl
import heapq
import json
import os
import random
import select
import signal
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def open_tun(name: str) -> int:
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


class Delays:
    def __init__(self, path: str) -> None:
        self.path = path
        self.delay = []
        self.jitter = []
        self.load()

    def load(self) -> None:
        with open(self.path) as f:
            cfg = json.load(f)
        self.delay = [[float(x) / 1000.0 for x in row] for row in cfg["delay_ms"]]
        self.jitter = [[float(x) / 1000.0 for x in row] for row in cfg.get("jitter_ms", [])]

    def of(self, src: int, dst: int) -> float:
        if src >= len(self.delay) or dst >= len(self.delay[src]):
            return 0.0
        d = self.delay[src][dst]
        if src < len(self.jitter) and dst < len(self.jitter[src]):
            j = self.jitter[src][dst]
            d += random.uniform(-j, j)
        return max(d, 0.0)


def host_of(addr: bytes) -> int:
    # 10.254.<i+1>.x
    return addr[2] - 1 if addr[0] == 10 and addr[1] == 254 and addr[2] > 0 else -1


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--stats", required=True)
    ap.add_argument("--tun", default="dl0")
    ap.add_argument("--max-packets", type=int, default=200_000)
    ap.add_argument("--batch", type=int, default=64, help="packets read per turn before due packets are written")
    ap.add_argument("--ready", help="a file written once the TUN device exists")
    args = ap.parse_args()

    delays = Delays(args.config)
    fd = open_tun(args.tun)
    # late_*: how far behind its due time a packet was written back (this process is one Python thread on a shared
    # CPU; a run whose late_max_ms is large measured the forwarder as well as the daemons).
    stats = {"forwarded": 0, "dropped_queue_full": 0, "dropped_not_ipv4": 0, "max_depth": 0, "reloads": 0,
             "late_over_10ms": 0, "late_over_100ms": 0, "late_max_ms": 0.0}
    state = {"stop": False, "reload": False}
    signal.signal(signal.SIGTERM, lambda *_: state.update(stop=True))
    signal.signal(signal.SIGINT, lambda *_: state.update(stop=True))
    signal.signal(signal.SIGHUP, lambda *_: state.update(reload=True))
    if args.ready:
        with open(args.ready, "w") as f:
            f.write(str(os.getpid()))

    heap = []  # (due, seq, packet)
    last_due = {}  # (src, dst) -> due of the pair's last packet
    seq = 0
    while not state["stop"]:
        if state["reload"]:
            state["reload"] = False
            delays.load()
            stats["reloads"] += 1
        now = time.monotonic()
        timeout = max(0.0, heap[0][0] - now) if heap else 0.5
        try:
            readable, _, _ = select.select([fd], [], [], min(timeout, 0.5))
        except InterruptedError:
            continue
        if readable:
            # At most a batch per turn: a burst of arrivals must not hold back the packets already due.
            for _ in range(args.batch):
                try:
                    pkt = os.read(fd, 65535)
                except BlockingIOError:
                    break
                except OSError as e:
                    if e.errno == errno.EINTR:
                        continue
                    raise
                if len(pkt) < 20 or pkt[0] >> 4 != 4:
                    stats["dropped_not_ipv4"] += 1
                    continue
                if len(heap) >= args.max_packets:
                    stats["dropped_queue_full"] += 1
                    continue
                src, dst = host_of(pkt[12:16]), host_of(pkt[16:20])
                now = time.monotonic()
                due = max(now + delays.of(src, dst), last_due.get((src, dst), 0.0))
                last_due[(src, dst)] = due
                seq += 1
                heapq.heappush(heap, (due, seq, pkt))
                stats["max_depth"] = max(stats["max_depth"], len(heap))
        now = time.monotonic()
        while heap and heap[0][0] <= now:
            due, _, pkt = heapq.heappop(heap)
            late_ms = (now - due) * 1000.0
            if late_ms > 10:
                stats["late_over_10ms"] += 1
                stats["late_over_100ms"] += late_ms > 100
                stats["late_max_ms"] = round(max(stats["late_max_ms"], late_ms), 1)
            try:
                os.write(fd, pkt)
                stats["forwarded"] += 1
            except OSError:
                stats["dropped_write"] = stats.get("dropped_write", 0) + 1
    stats["depth_at_exit"] = len(heap)
    with open(args.stats, "w") as f:
        json.dump(stats, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
