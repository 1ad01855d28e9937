#!/usr/bin/env python3
"""Runs docs/tutorial.md: its ```sh blocks, in order, as one bash script (set -euo pipefail), with its ```python
blocks written to the files their first line names. In a temporary directory that is also XDG_DATA_HOME (so the
named instances live there), with the built agentmesh on PATH and clients/python on PYTHONPATH, in a process
group of its own that is killed at the end (the daemons it starts go with it). Checks what the tutorial says the
commands print.

usage: tutorial_test.py REPO_ROOT AGENTMESH_BINARY
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> int:
    root, binary = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    text = (root / "docs" / "tutorial.md").read_text()
    script = ["set -euo pipefail"]
    files = {}
    for lang, body in re.findall(r"```(sh|python)\n(.*?)```", text, re.S):
        if lang == "sh":
            script.append(body)
        else:
            first = body.splitlines()[0]
            if not first.startswith("# ") or not first[2:].endswith(".py"):
                print(f"a python block must start with '# NAME.py': {first!r}")
                return 1
            files[first[2:]] = body
    work = Path(tempfile.mkdtemp(prefix="agentmesh-tutorial-"))
    os.chmod(work, 0o700)
    try:
        for name, body in files.items():
            (work / name).write_text(body)
        env = dict(os.environ)
        env.update({"XDG_DATA_HOME": str(work), "HOME": str(work),
                    "PATH": f"{binary.parent}:{env.get('PATH', '')}",
                    "PYTHONPATH": str(root / "clients" / "python"), "PYTHONDONTWRITEBYTECODE": "1"})
        for k in ("AGENTMESH_API", "AGENTMESH_TOKEN", "AGENTMESH_DATA_DIR", "AGENTMESH_NAME"):
            env.pop(k, None)
        proc = subprocess.Popen(["bash", "-c", "\n".join(script)], cwd=work, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            out, _ = proc.communicate(timeout=180)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            print(out)
            print("the tutorial did not finish within 180 s")
            return 1
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        print(out)
        if proc.returncode != 0:
            print(f"the tutorial's commands failed (status {proc.returncode}); daemon logs:")
            for log in ("a.log", "b.log"):
                if (work / log).exists():
                    print(log, (work / log).read_text()[-3000:])
            return 1
        expected = ["completed hello", "  created submitted", "  accepted working", "  progress working",
                    "  completed completed", '"state": "completed"', '"text": "short"']
        missing = [e for e in expected if e not in out]
        if missing:
            print(f"the tutorial's output lacks {missing}")
            return 1
        print("tutorial: every command ran and printed what the text says")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
