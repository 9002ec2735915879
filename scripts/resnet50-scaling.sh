#!/usr/bin/env bash
# Data-parallel ResNet-50 on one node: R ranks x 1 thread (`mpirun -np R mlhpc run -w
# resnet50:data_parallel --threads 1`) against 1 rank x R threads (`mlhpc run -w resnet50:train
# --threads R`, the same step with no gradient hooks), batch 32 per rank, f32, interleaved one
# rank, R ranks, one rank ... in one run. Per round: the total images/s of each (the runner's
# median images/s, per rank for data_parallel: x R) and the R-rank run's communication wait and
# scaling efficiency against its own solo baseline. Prints the median over rounds of the ratio
# R x 1 / 1 x R (target: within 10 %, i.e. >= 0.90). KEEP=DIR keeps the result files.
# Usage: scripts/resnet50-scaling.sh [ROUNDS] [BUILD_DIR] [RANKS] [DTYPE]
set -euo pipefail
rounds=${1:-3}
build=${2:-build}
ranks=${3:-2}
dtype=${4:-f32}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
if [ -n "${KEEP:-}" ]; then
  tmp=$KEEP
  mkdir -p "$tmp"
else
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
fi
common=(--set "dtype=$dtype" -r 3 --warmup 2 --max-time 1 --counters none --quiet)
for i in $(seq 1 "$rounds"); do
  "$build/bin/mlhpc" run -w resnet50:train "${common[@]}" --threads "$ranks" \
    --out "$tmp/one-$i.json" >/dev/null
  # --bind-to core: each rank's thread on its own core (Open MPI's default for 2 ranks too).
  mpirun --bind-to core -np "$ranks" "$build/bin/mlhpc" run -w resnet50:data_parallel \
    "${common[@]}" --threads 1 --out "$tmp/many-$i.json" >/dev/null
  echo "round $i/$rounds done" >&2
done
python3 - "$tmp" "$rounds" "$ranks" <<'PY'
import json, statistics, sys
tmp, rounds, ranks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def result(path):
    r = json.load(open(path))["results"][0]
    assert r["status"] == "ok" and r["verification"]["status"] == "passed", r.get("reason", r["verification"])
    return r
ratios = []
print(f"{'round':>5} {'1x'+str(ranks)+' img/s':>12} {str(ranks)+'x1 img/s':>12} {'ratio':>7} "
      f"{'wait s':>8} {'efficiency':>10}")
for i in range(1, rounds + 1):
    one, many = result(f"{tmp}/one-{i}.json"), result(f"{tmp}/many-{i}.json")
    a = one["rates"]["items_per_s"]["median"]
    b = many["rates"]["items_per_s"]["median"] * many["details"]["data_parallel"]["ranks"]
    ratios.append(b / a)
    dp = many["details"]["data_parallel"]
    eff = dp["scaling_efficiency"].get("value", float("nan"))
    wait = dp["communication"]["wait_s"]["median"]
    print(f"{i:>5} {a:>12.2f} {b:>12.2f} {b / a:>7.3f} {wait:>8.4f} {eff:>10.3f}")
print(f"median ratio {ranks} ranks x 1 thread / 1 rank x {ranks} threads: "
      f"{statistics.median(ratios):.3f}")
PY
