#!/usr/bin/env bash
# compare on very large sample sets: builds two result files with N samples in one result (from
# a real run of peak:f32; the second 2 % slower), then times `mlhpc compare A B` (one file a
# side) and `mlhpc compare --base A A --new B B` (runs pooled), each REPEAT times, and prints
# the median wall time and the interval compare found. The numbers go to docs/PERFORMANCE.md.
#   bash scripts/compare-large.sh [N (1000000)] [REPEAT (5)] [BUILD_DIR (build)]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000000}"
repeat="${2:-5}"
bin="${3:-build}/bin/mlhpc"
dir="$(mktemp -d /tmp/mlhpc-compare-large-XXXXXX)"
trap 'rm -rf "$dir"' EXIT
"$bin" run -w peak:f32 -r 3 --max-time 0.05 -q --out "$dir/seed.json" >/dev/null
python3 - "$dir" "$n" <<'PY'
import json, random, sys
d, n = sys.argv[1], int(sys.argv[2])
doc = json.load(open(f"{d}/seed.json"))
r = doc["results"][0]
m = r["statistics"]["median_s"]
random.seed(1)
for name, f in (("a", 1.0), ("b", 1.02)):
    r["measurement"]["samples_s"] = [m * f * (1 + 0.05 * random.random()) for _ in range(n)]
    json.dump(doc, open(f"{d}/{name}.json", "w"))
PY
ls -l "$dir"/a.json | awk '{printf "file size: %.1f MB\n", $5 / 1e6}'
for mode in single pooled; do
  times=()
  for _ in $(seq "$repeat"); do
    start=$EPOCHREALTIME
    if [ "$mode" = single ]; then
      "$bin" compare "$dir/a.json" "$dir/b.json" --format json >"$dir/out.json"
    else
      "$bin" compare --base "$dir/a.json" "$dir/a.json" --new "$dir/b.json" "$dir/b.json" \
        --format json >"$dir/out.json"
    fi
    times+=("$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN {print b - a}')")
  done
  median=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  python3 - "$dir/out.json" "$mode" "$median" "$n" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["comparisons"][0]["pairs"][0]
ci = c["time_ratio_ci95"]
print(f"{sys.argv[2]}: {sys.argv[4]} samples a side, median wall {float(sys.argv[3]):.2f} s; "
      f"ratio {c['time_ratio']:.4f} [{ci['low']:.4f}, {ci['high']:.4f}]; method: {ci['method']}")
PY
done
