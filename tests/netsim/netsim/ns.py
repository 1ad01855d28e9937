"""Network namespaces: create, enter (per thread), run commands in, and remove.

Every namespace this module creates is named ``ams<pid>-<name>``, so a run removes its own at exit and a later run
removes those of runs whose process is gone (killed before it could clean up).
"""

import ctypes
import os
import re
import subprocess
from pathlib import Path
from typing import List, Optional, Sequence

NETNS_DIR = Path("/run/netns")
PREFIX = "ams"
_CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


class NetsimError(RuntimeError):
    pass


def run(cmd: Sequence[str], *, ns: Optional[str] = None, check: bool = True, input_text: Optional[str] = None,
        timeout: float = 30) -> subprocess.CompletedProcess:
    """Runs a command (in namespace ``ns`` when given); a failure raises NetsimError with its stderr."""
    full: List[str] = list(cmd)
    if ns is not None:
        full = ["ip", "netns", "exec", ns] + full
    p = subprocess.run(full, input=input_text, capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise NetsimError(f"{' '.join(full)}: exit {p.returncode}: {p.stderr.strip()}")
    return p


def requirements_problem() -> Optional[str]:
    """Why this machine cannot run the harness, or None. The harness never skips: callers fail with this."""
    if os.geteuid() != 0:
        return "the netsim harness needs root (network namespaces, nftables, tc, TUN); run it as root"
    for tool in ("ip", "nft", "tc"):
        if subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True).returncode != 0:
            return f"the netsim harness needs `{tool}` (scripts/install-deps.sh installs iproute2 and nftables)"
    if not os.path.exists("/dev/net/tun"):
        return "the netsim harness needs /dev/net/tun for its delay line"
    probe = f"{PREFIX}{os.getpid()}-probe"
    p = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if p.returncode != 0:
        return f"cannot create a network namespace: {p.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def ns_name(run_id: int, name: str) -> str:
    return f"{PREFIX}{run_id}-{name}"


def create(name: str) -> None:
    run(["ip", "netns", "add", name])
    run(["ip", "link", "set", "lo", "up"], ns=name)


def delete(name: str) -> None:
    # Killing what still runs inside first: a namespace with processes in it outlives `ip netns del`.
    pids = run(["ip", "netns", "pids", name], check=False).stdout.split()
    for pid in pids:
        try:
            os.kill(int(pid), 9)
        except (ProcessLookupError, ValueError):
            pass
    run(["ip", "netns", "del", name], check=False)


def ours(run_id: int) -> List[str]:
    if not NETNS_DIR.is_dir():
        return []
    return sorted(p.name for p in NETNS_DIR.iterdir() if p.name.startswith(f"{PREFIX}{run_id}-"))


def remove_stale() -> List[str]:
    """Removes the namespaces of earlier runs whose process is gone; returns their names."""
    removed = []
    if not NETNS_DIR.is_dir():
        return removed
    for p in NETNS_DIR.iterdir():
        m = re.fullmatch(rf"{PREFIX}(\d+)-.+", p.name)
        if not m:
            continue
        pid = int(m.group(1))
        if pid == os.getpid() or Path(f"/proc/{pid}").exists():
            continue
        delete(p.name)
        removed.append(p.name)
    return removed


def enter(name: str) -> None:
    """Moves the calling thread into namespace ``name``: sockets it opens from now on live there."""
    fd = os.open(NETNS_DIR / name, os.O_RDONLY)
    try:
        if _libc.setns(fd, _CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise NetsimError(f"setns({name}): {os.strerror(err)}")
    finally:
        os.close(fd)
