#!/usr/bin/env bash
# Installs every Debian 12 package the build, the tests, the benchmarks and the
# fuzzers need. Idempotent: when nothing is missing it prints nothing and
# returns in well under a second. Runs apt-get only for what is missing.
#
#   scripts/install-deps.sh          build + test packages
#
# Environment: AGENTMESH_SKIP_DEPS=1 skips the check entirely (for packagers
# who manage dependencies themselves). AGENTMESH_BUILD_ONLY=1 (make run,
# make release) installs only what building and running need: the test
# harnesses' npm packages (interop/) and Chromium are left out.
set -euo pipefail

[ "${AGENTMESH_SKIP_DEPS:-0}" = "1" ] && exit 0

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libboost1.81-dev libboost-json1.81-dev
  libsodium-dev libssl-dev
  libprotobuf-dev protobuf-compiler
  libsqlite3-dev
  libspdlog-dev libfmt-dev
  libcli11-dev
  libtomlplusplus-dev
  libgtest-dev libgmock-dev
  libbenchmark-dev
  libjemalloc-dev  # jemalloc for the release executables (cmake/allocator.cmake)
  clang-14 libclang-rt-14-dev
  lld  # make test: links the large sanitizer-build executables ~4x faster than GNU ld (cmake/sanitizers.cmake)
  python3 curl procps
  python3-venv  # make test: the Python client's package test installs it with pip into a venv
  nftables iproute2  # make test: the fault harness (tests/netsim) drops packets and partitions with nftables, shapes with tc
  universal-ctags  # make test: the shape test (tests/shape_test.py) measures functions with it
  nats-server  # make bench: the reference for the direct-message benchmark (NATS request/reply)
  redis-server  # make bench: the durable reference for local sends (appendfsync always; bench/redis_ref.cpp)
)
if [ "${AGENTMESH_BUILD_ONLY:-0}" != "1" ]; then
  packages+=(chromium)  # make test: the web console's browser test (tests/console), driven by playwright-core
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq >/dev/null
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node.js and npm: the web console's front-end packages (ui/) are compiled
# into the daemon, and the test harnesses (interop/) run on Node. The libp2p 3
# stack needs Node >= 20; Debian 12's own nodejs is 18, so an older or absent
# node is an error with a clear message rather than a silent skip.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "install-deps: installing nodejs npm" >&2
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "install-deps: the console build and the interop tests need Node.js >= 20 (found $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi
# The pinned npm packages, from the committed lockfiles: interop/ (the test
# harnesses: js-libp2p, the A2A and MCP SDKs, playwright-core) and ui/ (the
# web console's front-end packages, compiled into the daemon at build time).
# Reinstalled when a lockfile changes.
root_dir="$(cd "$(dirname "$0")/.." && pwd)"
npm_dirs=("$root_dir/ui")
if [ "${AGENTMESH_BUILD_ONLY:-0}" != "1" ]; then npm_dirs+=("$root_dir/interop"); fi
for npm_dir in "${npm_dirs[@]}"; do
  stamp="$npm_dir/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$npm_dir/package-lock.json" -nt "$stamp" ]; then
    echo "install-deps: npm ci ($(basename "$npm_dir")/)" >&2
    (cd "$npm_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
done
