#!/usr/bin/env bash
# ResNet-50 v1.5 training steps, batch 32, 224^2, f32: `mlhpc run -w peak -w resnet50:train`
# against PyTorch training torchvision's resnet50 (SGD, momentum 0.9, weight decay 1e-4, lr
# 0.1 x 32 / 256, cross-entropy on one fixed random batch) in its best CPU configuration here:
# channels-last tensors and glibc's allocator kept from returning memory to the system
# (MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=1e12: no mmap per large tensor, no trim, so no page
# faults per step), the same threads. Interleaved torch, mlhpc, torch, mlhpc ... in one run.
# Per round: each one's images/s (medians of STEPS timed steps after 2 warm-up steps; mlhpc's
# from its result) and mlhpc's share of the f32 peak measured in the same run. Prints the median
# of the per-round ratios (targets: mlhpc / torch >= 1.1; share >= 80 %). PyTorch is a tool for
# this comparison only, never a dependency of the suite.
# Usage: scripts/resnet50-vs-pytorch.sh [ROUNDS] [BUILD_DIR] [THREADS] [STEPS]
set -euo pipefail
rounds=${1:-3}
build=${2:-build}
threads=${3:-2}
steps=${4:-3}
# Debian's python3-torch lives in the system interpreter (a pyenv or venv python3 on PATH lacks it).
py=${PYTHON:-/usr/bin/python3}
"$py" -c 'import torch, torchvision' 2>/dev/null || {
  echo "resnet50-vs-pytorch: needs PyTorch and torchvision (apt-get install python3-torchvision)" >&2
  exit 2
}
if [ -n "${KEEP:-}" ]; then
  tmp=$KEEP
  mkdir -p "$tmp"
else
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
fi
cat >"$tmp/resnet50_torch.py" <<'PY'
import statistics, sys, time
import torch, torchvision
threads, steps = int(sys.argv[1]), int(sys.argv[2])
torch.set_num_threads(threads)
torch.manual_seed(0)
batch = 32
model = torchvision.models.resnet50().to(memory_format=torch.channels_last)
model.train()
opt = torch.optim.SGD(model.parameters(), lr=0.1 * batch / 256, momentum=0.9, weight_decay=1e-4)
loss_fn = torch.nn.CrossEntropyLoss()
x = (torch.rand(batch, 3, 224, 224) * 2 - 1).contiguous(memory_format=torch.channels_last)
y = torch.randint(0, 1000, (batch,))
times, losses = [], []
for i in range(2 + steps):
    t0 = time.perf_counter()
    opt.zero_grad(set_to_none=True)
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()
    t = time.perf_counter() - t0
    losses.append(loss.item())
    if i >= 2:
        times.append(t)
med = statistics.median(times)
print(f"{batch / med:.4f} {med:.4f} {losses[0]:.4f} {losses[-1]:.4f} {torch.__version__}")
PY
for i in $(seq 1 "$rounds"); do
  MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=1000000000000 OMP_NUM_THREADS="$threads" \
    "$py" "$tmp/resnet50_torch.py" "$threads" "$steps" >"$tmp/torch-$i.txt"
  "$build/bin/mlhpc" run -w peak -w resnet50:train --threads "$threads" -r "$steps" --warmup 2 \
    --max-time 1 --counters none --quiet --out "$tmp/mlhpc-$i.json" >/dev/null
  echo "round $i/$rounds done" >&2
done
"$py" - "$tmp" "$rounds" <<'PY'
import json, statistics, sys
tmp, rounds = sys.argv[1], int(sys.argv[2])
ratios, shares = [], []
print(f"{'round':>5} {'torch img/s':>11} {'mlhpc img/s':>11} {'ratio':>6} {'mlhpc GFLOP/s':>13} "
      f"{'peak':>7} {'share':>6}")
for i in range(1, rounds + 1):
    t_ips, _, first, last, version = open(f"{tmp}/torch-{i}.txt").read().split()
    t_ips = float(t_ips)
    doc = json.load(open(f"{tmp}/mlhpc-{i}.json"))
    r = next(r for r in doc["results"] if r["workload"] == "resnet50")
    assert r["status"] == "ok", r.get("reason")
    ips = r["rates"]["items_per_s"]["median"]
    gf = r["rates"]["flops_per_s"]["median"] / 1e9
    peak = r["ceiling"]["value"] / 1e9 if "ceiling" in r else float("nan")
    share = gf / peak
    ratios.append(ips / t_ips)
    shares.append(share)
    print(f"{i:>5} {t_ips:>11.2f} {ips:>11.2f} {ips / t_ips:>6.3f} {gf:>13.1f} {peak:>7.1f} "
          f"{share * 100:>5.1f}%")
print(f"PyTorch {version}: channels-last, MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=1e12, "
      f"torchvision resnet50, SGD")
print(f"median mlhpc / torch: {statistics.median(ratios):.3f}; "
      f"median share of the f32 peak: {statistics.median(shares) * 100:.1f} %")
PY
