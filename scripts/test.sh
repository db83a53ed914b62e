#!/usr/bin/env bash
# Installs the dependencies, then builds and runs every test through CTest three times:
#   release  - optimised build of everything
#   tsan     - ThreadSanitizer build of the concurrency code: libconc, conc-fetch's units, the demo
#              (not conc-thumbs: OpenCV is not built with ThreadSanitizer)
#   asan     - AddressSanitizer + UndefinedBehaviorSanitizer build of everything
#   fuzz     - the libFuzzer targets (Clang), each run for a bounded count and time
#   package  - the Debian packages (scripts/package.sh, from the release build when there is one)
#              installed, used and removed again (scripts/check-package.sh)
# Usage: scripts/test.sh [--stress] [release|tsan|asan|fuzz|package ...]   (default: all five)
#   --stress runs two busy CPU hogs beside the tests for the whole run, as a loaded CI machine would.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

echo "=== format and portability"
bash scripts/check-format.sh
bash scripts/check-portability.sh

stress=0
if [ "${1:-}" = "--stress" ]; then
  stress=1
  shift
fi

jobs=$(nproc)
variants=("$@")
[ ${#variants[@]} -eq 0 ] && variants=(release tsan asan fuzz package)

if [ "$stress" = 1 ]; then
  hogs=()
  for _ in 1 2; do
    timeout 7200 bash -c 'while :; do :; done' &
    hogs+=($!)
  done
  trap 'kill "${hogs[@]}" 2>/dev/null || true' EXIT
  echo "=== stress: two CPU hogs running (${hogs[*]})"
fi

for variant in "${variants[@]}"; do
  if [ "$variant" = package ]; then
    echo "=== package: build, install, use, remove"
    if [ -f build/release/CMakeCache.txt ]; then bash scripts/package.sh build/release; else bash scripts/package.sh; fi
    bash scripts/check-package.sh
    continue
  fi
  case "$variant" in
    release) flags=(-DCMAKE_BUILD_TYPE=Release -DCONC_BUILD_APPS=ON -DCONC_BUILD_THUMBS=ON) ;;
    tsan) flags=(-DCMAKE_BUILD_TYPE=Debug -DCONC_SANITIZE=thread -DCONC_BUILD_APPS=ON -DCONC_BUILD_THUMBS=OFF -DCONC_BUILD_BENCH=OFF) ;;
    asan) flags=(-DCMAKE_BUILD_TYPE=Debug -DCONC_SANITIZE=address -DCONC_BUILD_APPS=ON -DCONC_BUILD_THUMBS=ON -DCONC_BUILD_BENCH=OFF) ;;
    fuzz) flags=(-DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ -DCONC_BUILD_FUZZERS=ON
                 -DCONC_BUILD_APPS=OFF -DCONC_BUILD_TESTS=OFF -DCONC_BUILD_BENCH=OFF) ;;
    *) echo "test.sh: unknown variant '$variant' (release, tsan, asan, fuzz, package)" >&2; exit 2 ;;
  esac
  echo "=== $variant: configure and build"
  cmake -S . -B "build/$variant" -G Ninja "${flags[@]}" >/dev/null
  cmake --build "build/$variant" -j "$jobs"
  echo "=== $variant: test"
  (
    export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp"
    export ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1"
    export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
    ctest --test-dir "build/$variant" --output-on-failure -j "$jobs"
  )
done
echo "=== all tests passed: ${variants[*]}"
