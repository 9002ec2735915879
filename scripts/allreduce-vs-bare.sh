#!/usr/bin/env bash
# Allreduce latency through `mlhpc run -w allreduce` against a bare OSU-style MPI_Allreduce loop
# (bench/micro/allreduce_bare.cpp), 2 ranks, f32, 8 B to 64 MiB, interleaved bare, mlhpc, bare,
# mlhpc ... in one run. Per size and round: mlhpc's headline (the slowest rank's median per-call
# time) over the bare loop's (the slowest rank's mean per-call time); prints the median ratio per
# size over the rounds (target: within 5 %).
# Usage: scripts/allreduce-vs-bare.sh [ROUNDS] [BUILD_DIR] [RANKS]
set -euo pipefail
rounds=${1:-5}
build=${2:-build}
ranks=${3:-2}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sizes=$(python3 -c "print(','.join(str(8 << i) for i in range(24)))")  # 8 B .. 64 MiB
for i in $(seq 1 "$rounds"); do
  mpirun --oversubscribe -np "$ranks" "$build/bin/allreduce_bare" 8 $((64 << 20)) 0.5 \
    >"$tmp/bare-$i.txt"
  mpirun --oversubscribe -np "$ranks" "$build/bin/mlhpc" run -w allreduce --set "bytes=$sizes" \
    --threads 1 --max-time 0.5 --quiet --out "$tmp/mlhpc-$i.json" >/dev/null
  echo "round $i/$rounds done" >&2
done
python3 - "$tmp" "$rounds" <<'PY'
import json, statistics, sys
tmp, rounds = sys.argv[1], int(sys.argv[2])
ratios, bare_us, ours_us = {}, {}, {}
for i in range(1, rounds + 1):
    bare = {}
    for line in open(f"{tmp}/bare-{i}.txt"):
        f = line.split()
        bare[int(f[1])] = float(f[3])
    for r in json.load(open(f"{tmp}/mlhpc-{i}.json"))["results"]:
        b = int(r["parameters"]["bytes"])
        ours = r["statistics"]["median_s"] * 1e6
        ratios.setdefault(b, []).append(ours / bare[b])
        bare_us.setdefault(b, []).append(bare[b])
        ours_us.setdefault(b, []).append(ours)
print(f"{'bytes':>10} {'bare us':>10} {'mlhpc us':>10} {'ratio':>7}   (medians over {rounds} rounds)")
worst = 0
for b in sorted(ratios):
    m = statistics.median(ratios[b])
    worst = max(worst, abs(m - 1))
    print(f"{b:>10} {statistics.median(bare_us[b]):>10.2f} {statistics.median(ours_us[b]):>10.2f} {m:>7.3f}")
print(f"largest deviation of the median ratio from 1: {worst*100:.1f} %")
PY
