#!/usr/bin/env bash
# Installs the dependencies, builds conc (Release) and runs the pool demo on the bundled data/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j "$(nproc)" --target conc-demo
build/release/examples/conc-demo data
