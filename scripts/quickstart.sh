#!/usr/bin/env bash
# First command of the README: install what is missing, build, run the default (quick) suite.
# The table goes to the terminal and the result file to results/<host>-<time>.json.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)"
build/bin/mlhpc run --suite quick "$@"
