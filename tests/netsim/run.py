#!/usr/bin/env python3
"""Runs one netsim scenario: ``run.py SCENARIO.toml --agentmesh BIN [--out DIR] [--profile chaos] [--seed N]``.

Exits 0 when the checker finds no anomaly and every target of the scenario is met; otherwise 1, with the
offending ids printed and written to DIR/report.md. Needs root (network namespaces); without it, exits 1 saying
so. See tests/netsim/README.md.
"""

import argparse
import shutil
import signal
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from netsim.runner import Run, load_scenario  # noqa: E402


def main() -> int:
    # ctest's timeout and Ctrl-C both end the run through the cleanup (namespaces, daemons, delay line).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", type=Path)
    ap.add_argument("--agentmesh", type=Path, required=True, help="the agentmesh executable to run on every host")
    ap.add_argument("--out", type=Path, help="where the report, history and logs go (default: a new temp dir)")
    ap.add_argument("--profile", help="a scenario profile whose values override the phases' (e.g. chaos)")
    ap.add_argument("--seed", type=int)
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix=f"netsim-{args.scenario.stem}-"))
    if out.exists() and any(out.iterdir()):
        if not (out / "history.jsonl").exists():
            print(f"netsim: {out} is not empty and holds no earlier run: not touching it", file=sys.stderr)
            return 2
        shutil.rmtree(out)  # an earlier run's output
    out.mkdir(parents=True, exist_ok=True)
    print(f"netsim {args.scenario.name}: output in {out}", flush=True)
    sc = load_scenario(args.scenario, args.profile)
    return 0 if Run(sc, args.agentmesh.resolve(), out, args.seed).execute() else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
