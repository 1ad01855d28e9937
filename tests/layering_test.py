#!/usr/bin/env python3
"""Checks that src/ follows the layer diagram in docs/architecture.md.

* Each module's direct dependencies are declared once, in the DEPS of its
  add_module() call (src/<module>/CMakeLists.txt). A module includes headers
  only of itself and of the modules it declares there: direct dependencies,
  not the transitive closure, so every edge of the graph is written down.
* Declared dependencies point down: each is a module listed earlier in LAYERS.
* sodium.h and OpenSSL only in src/crypto/, sqlite3.h only in src/store/sqlite/,
  Beast only in the few translation units that need it.
* detail/ headers are private to their module.
* The fuzz targets, which the fuzz preset compiles from src/ files directly
  (no make test builds them), name only files that exist, and scripts/fuzz.sh
  runs exactly the targets fuzz/CMakeLists.txt defines.
Prints every violation and exits non-zero when there is one.
"""
import pathlib
import re
import sys

# Bottom to top (docs/architecture.md, Layers).
LAYERS = ["core", "crypto", "store", "wire", "transport", "pubsub", "registry", "direct", "tasks", "a2a", "node", "api", "daemon",
          "cli"]
CONFINED = {
    "sodium.h": ["src/crypto/"],
    "openssl/": ["src/crypto/"],
    "sqlite3.h": ["src/store/sqlite/"],
    # The HTTP server, its streams, the response writer, the A2A webhook client, and the CLI's client.
    "boost/beast": ["src/api/server.cpp", "src/api/beast_impl.cpp", "src/api/http_response.hpp",
                    "src/api/http_response.cpp", "src/api/stream_session.hpp", "src/api/stream_session.cpp",
                    "src/api/webhook.cpp", "src/cli/http_client.cpp"],
}


def declared_deps(root, module):
    text = (root / "src" / module / "CMakeLists.txt").read_text()
    call = re.search(r"add_module\(\s*" + module + r"\b(.*?)\)\s*$", text, re.S | re.M)
    if not call:
        return None
    deps = re.search(r"\bDEPS\b(.*?)(?:\bPRIVATE_DEPS\b|$)", call.group(1), re.S)
    names = re.findall(r"\bagentmesh_(\w+)", deps.group(1) if deps else "")
    return set(names)


def fuzz_errors(root):
    text = (root / "fuzz" / "CMakeLists.txt").read_text()
    errors = []
    for rel in sorted(set(re.findall(r"\$\{SRC\}/([\w/.]+)", text))):
        if not (root / "src" / rel).is_file():
            errors.append(f"fuzz/CMakeLists.txt: src/{rel} does not exist")
    defined = set(re.findall(r"^add_fuzzer\(\s*(\w+)", text, re.M))
    script = (root / "scripts" / "fuzz.sh").read_text()
    listed = re.search(r"targets=\((.*?)\)", script, re.S)
    run = set(listed.group(1).split()) if listed else set()
    for name in sorted(defined - run):
        errors.append(f"scripts/fuzz.sh: does not run {name}, defined in fuzz/CMakeLists.txt")
    for name in sorted(run - defined):
        errors.append(f"scripts/fuzz.sh: runs {name}, which fuzz/CMakeLists.txt does not define")
    return errors


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    errors = []
    deps = {}
    for m in LAYERS:
        d = declared_deps(root, m)
        if d is None:
            errors.append(f"src/{m}/CMakeLists.txt: no add_module({m} ...)")
            d = set()
        for dep in sorted(d):
            if dep not in LAYERS:
                errors.append(f"src/{m}/CMakeLists.txt: depends on unknown module '{dep}'")
            elif LAYERS.index(dep) >= LAYERS.index(m):
                errors.append(f"src/{m}/CMakeLists.txt: depends on '{dep}', which is not below it")
        deps[m] = d
    include = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', re.M)
    for path in sorted((root / "src").rglob("*")):
        if path.suffix not in (".hpp", ".cpp", ".h"):
            continue
        rel = path.relative_to(root).as_posix()
        module = rel.split("/")[1]
        if module not in deps:
            errors.append(f"{rel}: module '{module}' is not in the layer table")
            continue
        for inc in include.findall(path.read_text()):
            top = inc.split("/")[0]
            if top in deps and top != module and top not in deps[module]:
                errors.append(f"{rel}: includes {inc}, but {module} does not declare {top} in its DEPS")
            if "/detail/" in inc and top != module:
                errors.append(f"{rel}: includes another module's detail header {inc}")
            for needle, places in CONFINED.items():
                if inc.startswith(needle) and not any(rel.startswith(p) for p in places):
                    errors.append(f"{rel}: includes {inc}, which is confined to {', '.join(places)}")
    errors += fuzz_errors(root)
    for e in errors:
        print(e)
    print(f"layering: {len(errors)} violations")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
