#!/usr/bin/env bash
# What --bind cores does to the quick suite: the suite run alternately unbound (OMP_PROC_BIND
# unset, as the environment has it) and with --bind cores, ROUNDS rounds (AB in odd rounds, BA in
# even ones) in one job. Prints per problem the median over rounds of each side's coefficient of
# variation and the median of the per-round ratios of the medians (bound / unbound time).
# Usage: scripts/bind-effect.sh [ROUNDS] [BUILD_DIR]
set -euo pipefail
rounds=${1:-4}
build=${2:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() {  # run SIDE ROUND
  if [ "$1" = bound ]; then
    "$build/bin/mlhpc" run --suite quick --bind cores -q --out "$tmp/$1-$2.json" >/dev/null
  else
    env -u OMP_PROC_BIND -u OMP_PLACES "$build/bin/mlhpc" run --suite quick -q \
      --out "$tmp/$1-$2.json" >/dev/null
  fi
}
for i in $(seq 1 "$rounds"); do
  if [ $((i % 2)) = 1 ]; then run unbound "$i"; run bound "$i"; else run bound "$i"; run unbound "$i"; fi
done
python3 - "$tmp" "$rounds" <<'PY'
import json, statistics, sys
tmp, rounds = sys.argv[1], int(sys.argv[2])
def load(side, i):
    d = json.load(open(f"{tmp}/{side}-{i}.json"))
    return {r.get("label", r["key"]): r for r in d["results"] if r["status"] == "ok"}
runs = {s: [load(s, i) for i in range(1, rounds + 1)] for s in ("unbound", "bound")}
keys = [k for k in runs["unbound"][0] if all(k in r for s in runs for r in runs[s])]
print(f"{'problem':44} {'cv unbound':>10} {'cv bound':>9} {'time bound/unbound':>19}")
for k in keys:
    cv = {s: statistics.median(r[k]["statistics"]["cv"] for r in runs[s]) for s in runs}
    ratio = statistics.median(b[k]["statistics"]["median_s"] / u[k]["statistics"]["median_s"]
                              for b, u in zip(runs["bound"], runs["unbound"]))
    label = k if len(k) <= 44 else k[:20] + "..." + k[-21:]
    print(f"{label:44} {100*cv['unbound']:9.1f}% {100*cv['bound']:8.1f}% {ratio:19.3f}")
PY
