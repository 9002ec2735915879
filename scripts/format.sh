#!/usr/bin/env bash
# Formats every C++ source with the repository's .clang-format (--check: only report).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=(-i)
[ "${1:-}" = "--check" ] && mode=(--dry-run -Werror)
git ls-files '*.cpp' '*.hpp' '*.cu' '*.cuh' | xargs clang-format "${mode[@]}"
