#!/usr/bin/env bash
# conv forward f32 mb32ic64ih56oc64oh56kh3ph1 through `mlhpc run` against PyTorch's conv2d on NCHW
# tensors (Debian's python3-torch, built on the same oneDNN), both with the same threads,
# interleaved torch, mlhpc, torch, mlhpc ... in one run. Prints each round's GFLOP/s (medians) and
# the median of the per-round ratios (target: mlhpc / torch >= 1.5). PyTorch is a tool for this
# comparison only, never a dependency of the suite.
# Usage: scripts/conv-vs-pytorch.sh [ROUNDS] [BUILD_DIR] [THREADS]
set -euo pipefail
rounds=${1:-7}
build=${2:-build}
threads=${3:-2}
# Debian's python3-torch lives in the system interpreter (a pyenv or venv python3 on PATH lacks it).
py=${PYTHON:-/usr/bin/python3}
"$py" -c 'import torch' 2>/dev/null || {
  echo "conv-vs-pytorch: needs PyTorch (apt-get install python3-torch)" >&2
  exit 2
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/conv_torch.py" <<'PY'
import statistics, sys, time
import torch
import torch.nn.functional as F
torch.set_num_threads(int(sys.argv[1]))
x = torch.rand(32, 64, 56, 56) * 2 - 1
w = torch.rand(64, 64, 3, 3) * 2 - 1
flops = 2 * 32 * 64 * 64 * 166 * 166  # taps on padding not counted, as mlhpc and benchdnn count
times = []
with torch.no_grad():
    for _ in range(3):
        F.conv2d(x, w, padding=1)
    t_end = time.perf_counter() + 3
    while len(times) < 10 or (time.perf_counter() < t_end and len(times) < 200):
        t0 = time.perf_counter()
        F.conv2d(x, w, padding=1)
        times.append(time.perf_counter() - t0)
print(flops / statistics.median(times), torch.__version__, torch.backends.mkldnn.is_available())
PY
for i in $(seq 1 "$rounds"); do
  # PyTorch as users run it, and with glibc malloc told to keep freed memory (no fresh pages
  # for its 25.7 MB output on every call): PyTorch's best case.
  OMP_NUM_THREADS=$threads "$py" "$tmp/conv_torch.py" "$threads" >"$tmp/torch-$i.txt"
  MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=4294967296 OMP_NUM_THREADS=$threads \
    "$py" "$tmp/conv_torch.py" "$threads" >"$tmp/tuned-$i.txt"
  "$build/bin/mlhpc" run -w conv --set problem=mb32ic64ih56oc64oh56kh3ph1 \
    --set pass=fwd_inference --threads "$threads" --repetitions 10 --max-time 3 --warmup 3 \
    --counters none --quiet --out "$tmp/mlhpc-$i.json" >/dev/null
done
python3 - "$tmp" "$rounds" <<'PY'
import json, statistics, sys
tmp, rounds = sys.argv[1], int(sys.argv[2])
ratios, tuned_ratios = [], []
for i in range(1, rounds + 1):
    torch_flops, version, mkldnn = open(f"{tmp}/torch-{i}.txt").read().split()
    torch_flops = float(torch_flops)
    tuned = float(open(f"{tmp}/tuned-{i}.txt").read().split()[0])
    r = json.load(open(f"{tmp}/mlhpc-{i}.json"))["results"][0]
    ours = r["rates"]["flops_per_s"]["median"]
    with_reorders = r["work"]["flops"] / (r["statistics"]["median_s"] + r["details"]["edge_reorders_s"])
    ratios.append(ours / torch_flops)
    tuned_ratios.append(ours / tuned)
    print(f"round {i}: torch {torch_flops/1e9:6.1f}  torch (malloc keeps memory) {tuned/1e9:6.1f}  "
          f"mlhpc {ours/1e9:6.1f} GFLOP/s (with the edge reorders {with_reorders/1e9:6.1f})  "
          f"ratios {ours/torch_flops:.2f} / {ours/tuned:.2f}")
print(f"torch {version} (mkldnn {mkldnn}); mlhpc implementation {r['details']['implementation']}")
print(f"median ratio mlhpc/torch over {rounds} interleaved rounds: {statistics.median(ratios):.2f}")
print(f"median ratio mlhpc/torch with malloc keeping memory: {statistics.median(tuned_ratios):.2f}")
PY
