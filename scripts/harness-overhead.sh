#!/usr/bin/env bash
# Harness overhead: GEMM f32 M=N=K=2048 through `mlhpc run` against the bare oneDNN matmul in a
# tight Google Benchmark loop (bench/micro/gemm_onednn_bare.cpp), interleaved A, B, A, B ... in
# one run, same thread count. Prints each round's GFLOP/s and the median of the per-round ratios
# (target: mlhpc / bare >= 0.97). Usage: scripts/harness-overhead.sh [ROUNDS] [BUILD_DIR]
set -euo pipefail
rounds=${1:-7}
build=${2:-build}
threads=$(nproc)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for i in $(seq 1 "$rounds"); do
  OMP_NUM_THREADS=$threads "$build/bin/gemm_onednn_bare" --benchmark_min_time=3 \
    --benchmark_repetitions=1 --benchmark_format=json >"$tmp/bare-$i.json" 2>/dev/null
  "$build/bin/mlhpc" run -w gemm:f32 --set m=2048 --set n=2048 --set k=2048 --threads "$threads" \
    --repetitions 10 --max-time 3 --warmup 2 --quiet --out "$tmp/mlhpc-$i.json" >/dev/null
done
python3 - "$tmp" "$rounds" <<'PY'
import json, statistics, sys
tmp, rounds = sys.argv[1], int(sys.argv[2])
ratios = []
for i in range(1, rounds + 1):
    bare = [b["flops"] for b in json.load(open(f"{tmp}/bare-{i}.json"))["benchmarks"]
            if b.get("run_type") == "iteration"][0]
    ours = json.load(open(f"{tmp}/mlhpc-{i}.json"))["results"][0]["rates"]["flops_per_s"]["median"]
    ratios.append(ours / bare)
    print(f"round {i}: bare {bare/1e9:7.1f} GFLOP/s   mlhpc {ours/1e9:7.1f} GFLOP/s   ratio {ours/bare:.3f}")
print(f"median ratio mlhpc/bare over {rounds} interleaved rounds: {statistics.median(ratios):.3f}")
PY
