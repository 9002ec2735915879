#!/usr/bin/env bash
# peak:f32 against an independent 12-chain FMA kernel with explicit registers
# (bench/micro/peak_reference.cpp, Google Benchmark), interleaved A, B, A, B ... in one run with
# the same thread count, and both against the nominal peak of the run's context. Prints each
# round's GFLOP/s and the median of the per-round ratios mlhpc / reference (expected ~1.0: the
# same instructions, chains and threads; a ratio far above 1 means mlhpc counts work that did not
# run). Usage: scripts/peak-vs-reference.sh [ROUNDS] [BUILD_DIR]
set -euo pipefail
rounds=${1:-7}
build=${2:-build}
threads=$(nproc)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for i in $(seq 1 "$rounds"); do
  OMP_NUM_THREADS=$threads "$build/bin/peak_reference" --benchmark_min_time=1 \
    --benchmark_format=json >"$tmp/ref-$i.json" 2>/dev/null
  "$build/bin/mlhpc" run -w peak:f32 --set isa=avx512 --threads "$threads" --repetitions 10 \
    --max-time 1 --counters none --quiet --out "$tmp/mlhpc-$i.json" >/dev/null
done
python3 - "$tmp" "$rounds" <<'PY'
import json, statistics, sys
tmp, rounds = sys.argv[1], int(sys.argv[2])
ratios = []
for i in range(1, rounds + 1):
    ref = [b["flops"] for b in json.load(open(f"{tmp}/ref-{i}.json"))["benchmarks"]
           if b.get("run_type") == "iteration"][0]
    doc = json.load(open(f"{tmp}/mlhpc-{i}.json"))
    ours = doc["results"][0]["rates"]["flops_per_s"]["median"]
    nominal = doc["context"]["nominal_peak"].get("rates", {}).get("flops:f32", {}).get("value")
    ratios.append(ours / ref)
    nom = f"   nominal {nominal/1e9:7.1f}" if nominal else "   nominal unavailable"
    print(f"round {i}: reference {ref/1e9:7.1f} GFLOP/s   mlhpc {ours/1e9:7.1f} GFLOP/s"
          f"   ratio {ours/ref:.3f}{nom}")
print(f"median ratio mlhpc/reference over {rounds} interleaved rounds: {statistics.median(ratios):.3f}")
PY
