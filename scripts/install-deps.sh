#!/usr/bin/env bash
# Installs every Debian 12 package the build, the tests, the benchmarks and the
# fuzzers need. Idempotent: when nothing is missing it prints nothing and
# returns in well under a second. Runs apt-get only for what is missing.
#
#   scripts/install-deps.sh          build + test packages
#
# Environment: AGENTMESH_SKIP_DEPS=1 skips the check entirely (for packagers
# who manage dependencies themselves).
set -euo pipefail

[ "${AGENTMESH_SKIP_DEPS:-0}" = "1" ] && exit 0

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libboost1.81-dev libboost-json1.81-dev
  libsodium-dev
  libprotobuf-dev protobuf-compiler
  libsqlite3-dev
  libspdlog-dev libfmt-dev
  libcli11-dev
  libtomlplusplus-dev
  libgtest-dev libgmock-dev
  libbenchmark-dev
  clang-14 libclang-rt-14-dev
  python3 curl procps
)

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
