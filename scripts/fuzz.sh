#!/usr/bin/env bash
# Runs every libFuzzer target of a build configured with -DMLHPC_FUZZ=ON for a bounded time,
# starting from the checked-in corpus (tests/fuzz/corpus/<name>, never modified: new inputs go
# to a scratch copy), two at a time. Fails on any crash, sanitizer report, leak or timeout (one
# input over 10 s), printing the fuzzer's log and the input that did it.
#   bash scripts/fuzz.sh [BUILD_DIR (build-san)] [SECONDS each (60; test.sh gives 40)]
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build-san}"
seconds="${2:-60}"
scratch="$(mktemp -d /tmp/mlhpc-fuzz-XXXXXX)"
trap 'rm -rf "$scratch"' EXIT

fuzz() {
  local name="$1"
  mkdir -p "$scratch/$name"
  local dict=()
  [ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")
  if "$build/bin/fuzz_$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -max_len=65536 -artifact_prefix="$scratch/$name-" -print_final_stats=1 "${dict[@]}" \
      "$scratch/$name" "tests/fuzz/corpus/$name" >"$scratch/$name.log" 2>&1; then
    echo "fuzz.sh: fuzz_$name: $(grep -E '^stat::number_of_executed_units' "$scratch/$name.log" \
      | awk '{print $2}') inputs in ${seconds} s, no finding"
  else
    echo "fuzz.sh: fuzz_$name FAILED; its log:"
    tail -n 60 "$scratch/$name.log"
    for f in "$scratch/$name"-*; do
      [ -e "$f" ] && { echo "fuzz.sh: the input ($f), base64:"; base64 "$f"; }
    done
    return 1
  fi
}

status=0
names=(suite conv_line set result_file plan)
for ((i = 0; i < ${#names[@]}; i += 2)); do
  pids=()
  for name in "${names[@]:i:2}"; do
    fuzz "$name" &
    pids+=("$!")
  done
  for pid in "${pids[@]}"; do wait "$pid" || status=1; done
done
exit "$status"
