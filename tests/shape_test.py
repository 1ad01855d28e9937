#!/usr/bin/env python3
"""Keeps src/ readable (docs/architecture.md, "Shape"): fails when a file in src/ has
more than 600 lines or a function more than 120.

Function extents come from universal-ctags (Debian's universal-ctags,
installed by scripts/install-deps.sh): its C++ parser reports each
function's first and last line. Prints every offender and exits non-zero when
there is one.
"""
import pathlib
import shutil
import subprocess
import sys

MAX_FILE_LINES = 600
MAX_FUNCTION_LINES = 120


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    src = root / "src"
    problems = []
    for path in sorted(src.rglob("*")):
        if path.suffix in (".cpp", ".hpp", ".h", ".cc"):
            n = len(path.read_text().splitlines())
            if n > MAX_FILE_LINES:
                problems.append(f"{path.relative_to(root)}: {n} lines (at most {MAX_FILE_LINES})")
    ctags = shutil.which("ctags-universal") or shutil.which("ctags")
    if not ctags:
        print("shape: universal-ctags is missing (scripts/install-deps.sh installs it)")
        return 1
    out = subprocess.run([ctags, "-R", "--languages=C++", "--kinds-C++=f", "--fields=+ne", "-o", "-", str(src)],
                         capture_output=True, text=True, check=True).stdout
    functions = 0
    for line in out.splitlines():
        fields = line.split("\t")
        start = end = None
        for f in fields[3:]:
            if f.startswith("line:"):
                start = int(f[5:])
            elif f.startswith("end:"):
                end = int(f[4:])
        if start is None or end is None:
            continue
        functions += 1
        length = end - start + 1
        if length > MAX_FUNCTION_LINES:
            rel = pathlib.Path(fields[1]).relative_to(src.resolve()) if pathlib.Path(fields[1]).is_absolute() \
                else fields[1]
            problems.append(f"{rel}:{start}: {fields[0]} is {length} lines (at most {MAX_FUNCTION_LINES})")
    if functions < 100:
        problems.append(f"ctags found only {functions} functions: is it universal-ctags?")
    for p in problems:
        print(p)
    print(f"shape: {functions} functions checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
