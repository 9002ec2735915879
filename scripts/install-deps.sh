#!/usr/bin/env bash
# Installs the Debian 12 packages mlhpc-bench builds with, and only those that are missing, so it
# can be run any number of times. Needs root (or sudo). CUDA is not a Debian package: when
# /usr/local/cuda exists the build uses it, otherwise GPU workloads are built out.
# ocl-icd-opencl-dev: oneDNN's CMake package config requires OpenCL (Debian builds it with the OCL GPU
# runtime), even though mlhpc uses only its CPU engine.
# clang-14, libclang-rt-14-dev (libFuzzer, sanitizer runtimes) and libomp-14-dev (OpenMP for
# clang) build the sanitizer and fuzz configuration of scripts/test.sh.
# ccache lets scripts/test.sh's no-oneDNN configuration reuse the Release one's objects.
# python3-matplotlib draws the figures of `mlhpc report` (run as /usr/bin/python3); chromium
# renders the report headless in its test (tests/integration/test_report_cli.cpp).
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ccache clang-format clang-14 libclang-rt-14-dev
  libomp-14-dev libfmt-dev nlohmann-json3-dev libcli11-dev libvalijson-dev libyaml-cpp-dev libhwloc-dev
  libre2-dev libdnnl-dev ocl-icd-opencl-dev libbenchmark-dev libgtest-dev libgmock-dev
  libpapi-dev libopenmpi-dev openmpi-bin liburing-dev
  python3-matplotlib chromium
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "install-deps: missing ${missing[*]}; run this script as root" >&2
    exit 1
  fi
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
