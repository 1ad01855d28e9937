#!/usr/bin/env python3
"""Checks that src/ follows the layer diagram in DESIGN.md.

* A module includes only headers of modules below it (transitively).
* sodium.h only in src/crypto/, sqlite3.h only in src/store/sqlite/,
  Beast only in the few translation units that need it.
* detail/ headers are private to their module.
Prints every violation and exits non-zero when there is one.
"""
import pathlib
import re
import sys

DEPS = {
    "core": [],
    "crypto": ["core"],
    "store": ["core"],
    "wire": ["core", "crypto"],
    "transport": ["core", "crypto", "wire"],
    "pubsub": ["core", "crypto", "wire", "transport"],
    "registry": ["core", "store"],
    "direct": ["core", "crypto", "wire", "store"],
    "node": ["core", "crypto", "store", "registry", "direct", "transport", "pubsub"],
    "api": ["node"],
    "daemon": ["api", "node"],
    "cli": ["daemon"],
}
CONFINED = {
    "sodium.h": ["src/crypto/"],
    "openssl/": ["src/crypto/"],
    "sqlite3.h": ["src/store/sqlite/"],
    # http_response.hpp is included by server.cpp only (directly and through pipeline.hpp).
    "boost/beast": ["src/api/server.cpp", "src/api/beast_impl.cpp", "src/api/http_response.hpp",
                    "src/api/http_response.cpp", "src/cli/http_client.cpp"],
}


def closure(module):
    seen, todo = set(), [module]
    while todo:
        m = todo.pop()
        for d in DEPS[m]:
            if d not in seen:
                seen.add(d)
                todo.append(d)
    return seen


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    errors = []
    include = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', re.M)
    for path in sorted((root / "src").rglob("*")):
        if path.suffix not in (".hpp", ".cpp", ".h"):
            continue
        rel = path.relative_to(root).as_posix()
        module = rel.split("/")[1]
        if module not in DEPS:
            errors.append(f"{rel}: module '{module}' is not in the layer table")
            continue
        allowed = closure(module) | {module}
        for inc in include.findall(path.read_text()):
            top = inc.split("/")[0]
            if top in DEPS and top not in allowed:
                errors.append(f"{rel}: includes {inc} but {module} may not depend on {top}")
            if "/detail/" in inc and top != module:
                errors.append(f"{rel}: includes another module's detail header {inc}")
            for needle, places in CONFINED.items():
                if inc.startswith(needle) and not any(rel.startswith(p) for p in places):
                    errors.append(f"{rel}: includes {inc}, which is confined to {', '.join(places)}")
    for e in errors:
        print(e)
    print(f"layering: {len(errors)} violations")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
