#!/usr/bin/env bash
# Second command of the README, and what .ci/run calls: install what is missing, then build and
# test three configurations (about 20 minutes on 2 cores; MLHPC_TEST_QUICK=1 stops after the
# first, for a developer's loop):
#   build/         Release, GCC, warnings as errors: every test (labels unit, integration; mpi
#                  and gpu tests skip with a reason where there is no launcher or GPU).
#   build-san/     clang with AddressSanitizer and UndefinedBehaviorSanitizer (any report fails),
#                  warnings as errors: the unit and integration tests, the fuzz corpora, then each
#                  libFuzzer target for MLHPC_FUZZ_SECONDS (40) seconds (scripts/fuzz.sh).
#   build-nodnnl/  Release without oneDNN: gemm and conv listed and skipped with their reason.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
jobs="$(nproc)"

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DMLHPC_WERROR=ON
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"
if [ "${MLHPC_TEST_QUICK:-0}" = 1 ]; then
  echo "test.sh: MLHPC_TEST_QUICK=1: the sanitizer, fuzz and no-oneDNN configurations are not run"
  exit 0
fi

cmake -S . -B build-san -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang-14 \
  -DCMAKE_CXX_COMPILER=clang++-14 -DMLHPC_WERROR=ON -DMLHPC_SANITIZE=address,undefined \
  -DMLHPC_FUZZ=ON
cmake --build build-san -j"$jobs"
ctest --test-dir build-san --output-on-failure -j"$jobs" -E '^clang_format$'
bash scripts/fuzz.sh build-san "${MLHPC_FUZZ_SECONDS:-40}"

cmake -S . -B build-nodnnl -DCMAKE_BUILD_TYPE=Release -DMLHPC_WERROR=ON -DMLHPC_WITH_DNNL=OFF
cmake --build build-nodnnl -j"$jobs"
ctest --test-dir build-nodnnl --output-on-failure -j"$jobs" -E '^clang_format$'
echo "test.sh: all three configurations passed"
