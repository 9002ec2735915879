#!/usr/bin/env bash
# Second command of the README, and what .ci/run calls: install what is missing, then build and
# test three configurations (19 minutes on 2 cores from a fresh clone, docs/PERFORMANCE.md;
# MLHPC_TEST_QUICK=1 stops after the first, for a developer's loop):
#   build/         Release, GCC, warnings as errors: every test (labels unit, integration; mpi
#                  and gpu tests skip with a reason where there is no launcher or GPU).
#   build-san/     clang with AddressSanitizer and UndefinedBehaviorSanitizer (any report fails),
#                  warnings as errors, -O2 with line tables only (what a sanitizer report needs)
#                  and precompiled headers: every test, the fuzz corpora, then each libFuzzer
#                  target for MLHPC_FUZZ_SECONDS (40) seconds (scripts/fuzz.sh).
#   build-nodnnl/  Release without oneDNN: gemm and conv listed and skipped with their reason. Its
#                  objects are the Release ones (the compiler cache), except the registration and
#                  the tests' build facts, so it runs the unit and integration tests (which read
#                  the registry through the driver); the mpi tests, whose launcher, lockstep loop
#                  and ranks are the same code in both builds, ran in the other two.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
jobs="$(nproc)"
started=$SECONDS
phase() { echo "test.sh: $1 at $((SECONDS - started)) s"; }

# A compiler cache inside the checkout (build-cache/, ignored by git): the no-oneDNN configuration
# compiles most sources exactly as the Release one does (only workloads/register_all.cpp and
# tests/support/build_config.cpp name the build's options or paths), so it reuses their objects.
cache=()
if command -v ccache >/dev/null 2>&1; then
  launcher="env;CCACHE_DIR=$PWD/build-cache/ccache;CCACHE_BASEDIR=$PWD;CCACHE_MAXSIZE=2G;ccache"
  cache=(-DCMAKE_C_COMPILER_LAUNCHER="$launcher" -DCMAKE_CXX_COMPILER_LAUNCHER="$launcher")
fi

phase "Release build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DMLHPC_WERROR=ON "${cache[@]}"
cmake --build build -j"$jobs"
phase "Release tests"
ctest --test-dir build --output-on-failure -j"$jobs"
if [ "${MLHPC_TEST_QUICK:-0}" = 1 ]; then
  echo "test.sh: MLHPC_TEST_QUICK=1: the sanitizer, fuzz and no-oneDNN configurations are not run"
  exit 0
fi

phase "sanitizer build"
# -gline-tables-only and precompiled headers: 463 s -> 360 s of build on 2 cores, the tests as
# fast (docs/PERFORMANCE.md, "CI duration").
san_flags="-O2 -gline-tables-only -DNDEBUG"
cmake -S . -B build-san -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang-14 \
  -DCMAKE_CXX_COMPILER=clang++-14 -DMLHPC_WERROR=ON -DMLHPC_SANITIZE=address,undefined \
  -DMLHPC_FUZZ=ON -DMLHPC_PCH=ON -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$san_flags" \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="$san_flags" "${cache[@]}"
cmake --build build-san -j"$jobs"
phase "sanitizer tests"
ctest --test-dir build-san --output-on-failure -j"$jobs" -E '^clang_format$'
phase "fuzzing"
bash scripts/fuzz.sh build-san "${MLHPC_FUZZ_SECONDS:-40}"

phase "no-oneDNN build"
cmake -S . -B build-nodnnl -DCMAKE_BUILD_TYPE=Release -DMLHPC_WERROR=ON -DMLHPC_WITH_DNNL=OFF \
  "${cache[@]}"
cmake --build build-nodnnl -j"$jobs"
phase "no-oneDNN tests"
ctest --test-dir build-nodnnl --output-on-failure -j"$jobs" -E '^clang_format$' -LE '^mpi$'
echo "test.sh: all three configurations passed in $((SECONDS - started)) s"
