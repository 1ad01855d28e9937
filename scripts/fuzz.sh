#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-14 and runs each for $1 seconds
# (default 60), starting from the committed seeds in fuzz/corpus/<target>.
# New corpus entries go to build/fuzz/corpus/<target>. Fails on any crash.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
cmake --preset fuzz >/dev/null
targets=(api_request_fuzz record_codec_fuzz text_codecs_fuzz multiaddr_fuzz multistream_fuzz yamux_frame_fuzz
         noise_fuzz identify_fuzz yamux_session_fuzz pubsub_rpc_fuzz pubsub_message_fuzz
         replay_fuzz peer_record_fuzz direct_fuzz advert_fuzz task_message_fuzz a2a_jsonrpc_fuzz a2a_rest_fuzz
         a2a_push_fuzz a2a_remote_fuzz mcp_session_fuzz console_fuzz autonat_fuzz circuit_fuzz dcutr_fuzz)
cmake --build --preset fuzz --target "${targets[@]}"
for t in "${targets[@]}"; do
  name="${t%_fuzz}"
  work="build/fuzz/corpus/$name"
  mkdir -p "$work"
  echo "fuzz: $t for ${seconds}s"
  rc=0
  "build/fuzz/fuzz/$t" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="build/fuzz/$name-" \
    "$work" "fuzz/corpus/$name" > "build/fuzz/$name.log" 2>&1 || rc=$?
  grep -E '^(stat::number_of_executed_units|stat::new_units_added|SUMMARY|Done)' "build/fuzz/$name.log" || true
  if [ "$rc" -ne 0 ]; then
    echo "fuzz: $t failed (exit $rc); log: build/fuzz/$name.log; input:" build/fuzz/"$name"-*
    exit 1
  fi
done
echo "fuzz: all targets ran ${seconds}s without a failure"
