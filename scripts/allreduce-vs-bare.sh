#!/usr/bin/env bash
# Allreduce latency through `mlhpc run -w allreduce` against a bare OSU-style MPI_Allreduce loop
# (bench/micro/allreduce_bare.cpp), 2 ranks, f32, 8 B to 64 MiB, interleaved bare, mlhpc, bare,
# mlhpc ... in one run. Per size and round, two ratios: like for like, the slowest rank's mean
# per-call time (mlhpc: the mean of its samples, each a batch mean; bare: the mean over its loop),
# and mlhpc's headline (the slowest rank's median sample) over the bare mean. Prints the median
# of each ratio over the rounds (target: within 5 %). KEEP=DIR keeps the raw files there.
# Each size is timed for about SECONDS (default 0.25) by both. The shared VM's small-message
# latency is bimodal from one process to the next (0.2 or 0.45 us for the same bare loop), so
# many short rounds say more than a few long ones.
# Usage: scripts/allreduce-vs-bare.sh [ROUNDS] [BUILD_DIR] [RANKS] [SECONDS]
set -euo pipefail
rounds=${1:-5}
build=${2:-build}
ranks=${3:-2}
seconds=${4:-0.25}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
if [ -n "${KEEP:-}" ]; then
  tmp=$KEEP
  mkdir -p "$tmp"
else
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
fi
sizes=$(python3 -c "print(','.join(str(8 << i) for i in range(24)))")  # 8 B .. 64 MiB
for i in $(seq 1 "$rounds"); do
  mpirun --oversubscribe -np "$ranks" "$build/bin/allreduce_bare" 8 $((64 << 20)) "$seconds" \
    >"$tmp/bare-$i.txt"
  mpirun --oversubscribe -np "$ranks" "$build/bin/mlhpc" run -w allreduce --set "bytes=$sizes" \
    --threads 1 --max-time "$seconds" --quiet --out "$tmp/mlhpc-$i.json" >/dev/null
  echo "round $i/$rounds done" >&2
done
python3 - "$tmp" "$rounds" <<'PY'
import json, statistics, sys
tmp, rounds = sys.argv[1], int(sys.argv[2])
mean_ratio, median_ratio = {}, {}
for i in range(1, rounds + 1):
    bare = {}
    for line in open(f"{tmp}/bare-{i}.txt"):
        f = line.split()
        bare[int(f[1])] = float(f[3])
    for r in json.load(open(f"{tmp}/mlhpc-{i}.json"))["results"]:
        b = int(r["parameters"]["bytes"])
        slow = r["ranks"]["per_rank"][r["ranks"]["headline_rank"]]["statistics"]
        # the slowest rank by mean, as the bare loop's maximum over ranks of the means
        mean = max(p["statistics"]["mean_s"] for p in r["ranks"]["per_rank"]) * 1e6
        mean_ratio.setdefault(b, []).append(mean / bare[b])
        median_ratio.setdefault(b, []).append(r["statistics"]["median_s"] * 1e6 / bare[b])
print(f"{'bytes':>10} {'mean/mean':>10} {'median/mean':>12}   (median ratios over {rounds} interleaved rounds)")
worst = 0
for b in sorted(mean_ratio):
    m = statistics.median(mean_ratio[b])
    worst = max(worst, abs(m - 1))
    print(f"{b:>10} {m:>10.3f} {statistics.median(median_ratio[b]):>12.3f}")
print(f"largest deviation of the mean/mean ratio from 1: {worst*100:.1f} %")
PY
