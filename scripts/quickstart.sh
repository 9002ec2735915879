#!/usr/bin/env bash
# First command of the README: install what is missing, build, run the default (quick) suite
# with threads bound to cores. The table goes to the terminal and the result file to
# results/<host>-<time>.json. The build uses the flags of scripts/test.sh, so that the test
# command afterwards finds it built and rebuilds nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DMLHPC_WERROR=ON
cmake --build build -j"$(nproc)" --target mlhpc  # the tests are built by scripts/test.sh
build/bin/mlhpc run --suite quick --bind cores "$@"
