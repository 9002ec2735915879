#!/usr/bin/env bash
# Second command of the README, and what .ci/run calls: install what is missing, build with
# warnings as errors, and run the whole test suite (labels unit, integration; mpi and gpu tests
# skip with a reason where there is no launcher or GPU).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DMLHPC_WERROR=ON
cmake --build build -j"$(nproc)"
ctest --test-dir build --output-on-failure -j"$(nproc)"
