#!/usr/bin/env bash
# Cost of counters: GEMM f32 M=N=K=1024 with --counters default against --counters none,
# interleaved none, default, none, default ... in one run, same threads and settings. Prints each
# round's median time and the median of the per-round ratios (target: default / none <= 1.01)
# and which counters were live (on a VM without a PMU only software events and rusage are).
# Usage: scripts/counter-overhead.sh [ROUNDS] [BUILD_DIR] [SET]
set -euo pipefail
rounds=${1:-9}
build=${2:-build}
set_name=${3:-default}
threads=$(nproc)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for i in $(seq 1 "$rounds"); do
  for c in none "$set_name"; do
    "$build/bin/mlhpc" run -w gemm:f32 --set m=1024 --set n=1024 --set k=1024 \
      --threads "$threads" --repetitions 30 --max-time 2 --warmup 3 --counters "$c" --quiet \
      --out "$tmp/$c-$i.json" >/dev/null
  done
done
python3 - "$tmp" "$rounds" "$set_name" <<'PY'
import json, statistics, sys
tmp, rounds, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ratios = []
for i in range(1, rounds + 1):
    a = json.load(open(f"{tmp}/none-{i}.json"))["results"][0]
    b = json.load(open(f"{tmp}/{name}-{i}.json"))["results"][0]
    ta, tb = a["statistics"]["median_s"], b["statistics"]["median_s"]
    ratios.append(tb / ta)
    print(f"round {i}: none {ta*1e3:7.3f} ms   {name} {tb*1e3:7.3f} ms   ratio {tb/ta:.4f}")
live = sorted(b["counters"]["values"].keys())
print(f"counters measured: {', '.join(live)}")
r = b["counters"].get("reading", {})
if r:
    print(f"reading before/after each sample (outside the timed region): "
          f"{r['before_sample_median_s']*1e6:.1f} / {r['after_sample_median_s']*1e6:.1f} us")
print(f"median ratio {name}/none over {rounds} interleaved rounds: {statistics.median(ratios):.4f}")
PY
