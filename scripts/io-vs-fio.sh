#!/usr/bin/env bash
# io against fio (Debian's fio, a comparison tool only) with the same engine (io_uring, no
# registered files or fixed buffers, no polling), block size, queue depth and O_DIRECT, on a file
# of the same size in the same directory, interleaved fio, mlhpc, fio, ... in one run. fio reaps
# every completion there is (--iodepth_batch_complete_max=depth), as mlhpc does: by default it
# reaps one per call, and at depth 32 each completion then waits in the ring behind the others
# (its clat grew 20-25 % here at the same IOPS).
#   seq    1 MiB sequential reads, QD8      (mlhpc io:seq_read,  fio --rw=read)
#   rand1  4 KiB random reads, QD1          (mlhpc io:rand_read, fio --rw=randread)
#   rand32 4 KiB random reads, QD32         (mlhpc io:rand_read depth=32)
# Per round: bandwidth (MB/s) or IOPS, and completion-latency percentiles p50/p90/p99 (fio's clat,
# from its own log-linear histogram; mlhpc's from the same kind of histogram). Prints the median
# over rounds of mlhpc / fio for each (target: within 10 %). fio runs time-based for RUNTIME
# seconds (default 5); mlhpc repeats for about as long. CASES="seq rand1 rand32" picks the cases
# (all by default). KEEP=DIR keeps the result files.
# Usage: scripts/io-vs-fio.sh [ROUNDS] [BUILD_DIR] [DIR] [FILE_MIB]
set -euo pipefail
rounds=${1:-3}
build=${2:-build}
dir=${3:-/tmp}
file_mib=${4:-1024}
runtime=${RUNTIME:-5}
cases=${CASES:-seq rand1 rand32}
want() { [[ " $cases " == *" $1 "* ]]; }
command -v fio >/dev/null || { echo "fio not found: apt-get install fio" >&2; exit 2; }
tmp=${KEEP:-$(mktemp -d)}
mkdir -p "$tmp"
work=$(mktemp -d "$dir/io-vs-fio-XXXXXX")
trap 'rm -rf "$work"; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
fio_file="$work/fio.data"
common_fio=(--ioengine=io_uring --direct=1 --filename="$fio_file" --size="${file_mib}M"
  --time_based --runtime="$runtime" --ramp_time=1 --output-format=json --group_reporting)
common_mlhpc=(--set "file_mib=$file_mib" --set engine=io_uring -r 10 --warmup 2
  --max-time "$runtime" --counters none --quiet --dir "$work")
# fio's file is laid out anew (not timed) before each fio run, as mlhpc writes its own at set-up:
# on a VM the host may cache what was written last, so both read data of the same age.
layout() {
  rm -f "$fio_file"
  fio --name=layout --rw=write --bs=1M --ioengine=psync --direct=1 --filename="$fio_file" \
    --size="${file_mib}M" --output=/dev/null
}
for i in $(seq 1 "$rounds"); do
  if want seq; then
    layout
    fio --name=seq --rw=read --bs=1M --iodepth=8 --iodepth_batch_complete_max=8 \
      "${common_fio[@]}" >"$tmp/fio-seq-$i.json"
    "$build/bin/mlhpc" run -w io:seq_read --set block_kib=1024 --set depth=8 \
      "${common_mlhpc[@]}" --out "$tmp/mlhpc-seq-$i.json" >/dev/null
  fi
  if want rand1; then
    layout
    fio --name=rand1 --rw=randread --bs=4k --iodepth=1 "${common_fio[@]}" >"$tmp/fio-rand1-$i.json"
    "$build/bin/mlhpc" run -w io:rand_read --set block_kib=4 --set depth=1 --set ops=4096 \
      "${common_mlhpc[@]}" --out "$tmp/mlhpc-rand1-$i.json" >/dev/null
  fi
  if want rand32; then
    layout
    fio --name=rand32 --rw=randread --bs=4k --iodepth=32 --iodepth_batch_complete_max=32 \
      "${common_fio[@]}" >"$tmp/fio-rand32-$i.json"
    "$build/bin/mlhpc" run -w io:rand_read --set block_kib=4 --set depth=32 --set ops=32768 \
      "${common_mlhpc[@]}" --out "$tmp/mlhpc-rand32-$i.json" >/dev/null
  fi
  echo "round $i/$rounds done" >&2
done
python3 - "$tmp" "$rounds" "$cases" <<'PY'
import json, statistics, sys
tmp, rounds, cases = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()
def fio(path):
    j = json.load(open(path))["jobs"][0]["read"]
    pct = {float(k): v for k, v in j["clat_ns"]["percentile"].items()}
    return j["bw_bytes"], j["iops"], pct
def ours(path):
    r = json.load(open(path))["results"][0]
    assert r["status"] == "ok" and r["verification"]["status"] == "passed", r.get("reason")
    lat = r["details"]["completion_latency_ns"]
    pct = {p["percentile"]: p["ns"] for p in lat["percentiles"]}
    return r["rates"]["bytes_per_s"]["median"], r["rates"]["items_per_s"]["median"], pct
print(f"{'case':>6} {'round':>5} {'fio':>12} {'mlhpc':>12} {'ratio':>6}  "
      f"{'p50 fio/ours us':>16} {'p90 fio/ours us':>16} {'p99 fio/ours us':>16}")
for case, what in (("seq", "MB/s"), ("rand1", "IOPS"), ("rand32", "IOPS")):
    if case not in cases:
        continue
    ratios, lat = [], {50.0: [], 90.0: [], 99.0: []}
    for i in range(1, rounds + 1):
        fb, fi, fp = fio(f"{tmp}/fio-{case}-{i}.json")
        ob, oi, op = ours(f"{tmp}/mlhpc-{case}-{i}.json")
        a, b = (fb / 1e6, ob / 1e6) if what == "MB/s" else (fi, oi)
        ratios.append(b / a)
        cells = []
        for p in lat:
            lat[p].append(op[p] / fp[p])
            cells.append(f"{fp[p] / 1e3:>7.1f}/{op[p] / 1e3:<8.1f}")
        print(f"{case:>6} {i:>5} {a:>10.0f}{what[0]:>2} {b:>10.0f}{what[0]:>2} {b / a:>6.3f}  "
              + " ".join(cells))
    print(f"{case:>6} median mlhpc/fio {what}: {statistics.median(ratios):.3f}; latency "
          + ", ".join(f"p{p:g} {statistics.median(v):.3f}" for p, v in lat.items()))
PY
