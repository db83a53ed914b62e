#!/usr/bin/env bash
# Fails when a C++ source differs from what .clang-format makes of it; --fix rewrites them instead.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cpp' '*.hpp')
if [ "${1:-}" = "--fix" ]; then
  clang-format -i "${files[@]}"
else
  clang-format --dry-run -Werror "${files[@]}"
  echo "format: ${#files[@]} files match .clang-format"
fi
# CTest's test discovery splits a Catch2 test name at ';' (a CMake list), running a test that does not exist.
if git grep -n 'TEST_CASE("[^"]*;' -- '*.cpp'; then
  echo "format: a test name above holds ';', which CTest cannot run" >&2
  exit 1
fi
# Nor one starting with '-': CTest hands the name to the test program, which takes it for an option.
if git grep -n 'TEST_CASE("-' -- '*.cpp'; then
  echo "format: a test name above starts with '-', which the test program takes for an option" >&2
  exit 1
fi
