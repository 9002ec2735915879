#!/usr/bin/env bash
# Error rates of `mlhpc ab` on this machine: PROTOCOLS A/A protocols (the same binary on both
# sides) of ROUNDS rounds each over the five problems of the ci suite, then
#   - false alarms: the A/A verdicts that say "regressed" or "improved";
#   - detection: the same runs with every sample of the new side scaled by 1.05 and 1.10 (a planted
#     slowdown that keeps the real run-to-run drift of the new side), compared by
#     `mlhpc compare --paired` as ab does; a detection is a "regressed" verdict.
# Prints the rates per problem and overall, and the wall time of a protocol; writes the per-round
# medians to OUT_DIR/rounds.csv (docs/data/ keeps those of the recorded studies).
# Usage: scripts/error-rates.sh [PROTOCOLS] [ROUNDS] [BUILD_DIR] [OUT_DIR]
# Measure on a quiet machine (nothing else running: check top first).
set -euo pipefail
protocols=${1:-20}
rounds=${2:-48}
build=${3:-build}
out=${4:-results/error-rates-$(date -u +%Y%m%dT%H%M%S)}
mlhpc="$build/bin/mlhpc"
mkdir -p "$out"
for p in $(seq 1 "$protocols"); do
  start=$(date +%s.%N)
  "$mlhpc" ab "$mlhpc" "$mlhpc" --rounds "$rounds" --dir "$out/p$p" --format json \
    -- run --suite ci --counters none >/dev/null 2>"$out/p$p.log" || true
  echo "protocol $p: $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s" | tee -a "$out/times.txt"
done
python3 - "$out" "$protocols" "$rounds" "$mlhpc" <<'PY'
import glob, json, os, subprocess, sys, collections
out, protocols, rounds, mlhpc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]

def scaled_copy(src, dst, factor):
    d = json.load(open(src))
    for r in d["results"]:
        if "measurement" in r:
            r["measurement"]["samples_s"] = [x * factor for x in r["measurement"]["samples_s"]]
        for k, v in list(r.get("statistics", {}).items()):
            if k.endswith("_s") and isinstance(v, (int, float)):
                r["statistics"][k] = v * factor
            if k == "median_ci95_s":
                v["low"] *= factor; v["high"] *= factor
    json.dump(d, open(dst, "w"))

def verdicts(pdir, factor):
    base = [f"{pdir}/base-{i}.json" for i in range(1, rounds + 1)]
    new = [f"{pdir}/new-{i}.json" for i in range(1, rounds + 1)]
    if factor != 1.0:
        os.makedirs(f"{pdir}/x{factor}", exist_ok=True)
        scaled = []
        for f in new:
            dst = f"{pdir}/x{factor}/{os.path.basename(f)}"
            scaled_copy(f, dst, factor)
            scaled.append(dst)
        new = scaled
    r = subprocess.run([mlhpc, "compare", "--paired", "--threshold", "0.03", "--format", "json",
                        "--base", *base, "--new", *new], capture_output=True, text=True)
    if r.returncode not in (0, 1):
        raise SystemExit(f"compare failed in {pdir}: {r.stderr}")
    return {p["key"]: p["verdict"] for p in json.loads(r.stdout)["comparisons"][0]["pairs"]}

# The per-round data behind every verdict, small enough to keep with the figures: one row per
# protocol, round and problem, the two medians per unit of declared work.
import csv
with open(f"{out}/rounds.csv", "w", newline="") as fh:
    w = csv.writer(fh)
    w.writerow(["protocol", "round", "key", "base_median_s_per_work", "new_median_s_per_work",
                "base_n", "new_n"])
    for p in range(1, protocols + 1):
        for i in range(1, rounds + 1):
            try:
                b = json.load(open(f"{out}/p{p}/base-{i}.json"))
                n = json.load(open(f"{out}/p{p}/new-{i}.json"))
            except (OSError, ValueError):
                continue
            nr = {r["key"]: r for r in n["results"]}
            for rb in b["results"]:
                rn = nr.get(rb["key"])
                if rn is None or rb["status"] != "ok" or rn["status"] != "ok":
                    continue
                def per_work(r):
                    work = next(r["work"][k] for k in ("flops", "bytes", "items") if k in r["work"])
                    s = sorted(r["measurement"]["samples_s"])
                    m = s[len(s) // 2] if len(s) % 2 else (s[len(s) // 2 - 1] + s[len(s) // 2]) / 2
                    return m / work
                w.writerow([p, i, rb["key"], f"{per_work(rb):.6e}", f"{per_work(rn):.6e}",
                            len(rb["measurement"]["samples_s"]), len(rn["measurement"]["samples_s"])])

rows = collections.defaultdict(lambda: collections.Counter())
done = 0
for p in range(1, protocols + 1):
    pdir = f"{out}/p{p}"
    if not all(os.path.exists(f"{pdir}/{s}-{i}.json") for s in ("base", "new") for i in range(1, rounds + 1)):
        print(f"protocol {p}: incomplete, left out"); continue
    done += 1
    for factor, tag in ((1.0, "aa"), (1.05, "5%"), (1.10, "10%")):
        for key, v in verdicts(pdir, factor).items():
            rows[(tag, key)][v] += 1
print(f"\n{done} protocols of {rounds} rounds, threshold 3 %")
for tag, what in (("aa", "A/A false alarms (regressed or improved)"),
                  ("5%", "planted 5 % slowdown detected (regressed)"),
                  ("10%", "planted 10 % slowdown detected (regressed)")):
    total = hit = 0
    print(f"\n{what}:")
    for (t, key), c in sorted(rows.items()):
        if t != tag: continue
        n = sum(c.values())
        h = c["regressed"] + c["improved"] if tag == "aa" else c["regressed"]
        total += n; hit += h
        print(f"  {h:3d}/{n:<3d} {key}   ({dict(c)})")
    print(f"  overall: {hit}/{total} = {100.0 * hit / max(1, total):.1f} %")
times = [float(l.split()[2]) for l in open(f"{out}/times.txt")]
print(f"\nwall time per protocol: median {sorted(times)[len(times)//2]:.0f} s (min {min(times):.0f}, max {max(times):.0f})")
PY
