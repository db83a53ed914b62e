#!/usr/bin/env bash
# Installs the dependencies, builds conc (Release) and thumbnails the bundled sample photos:
# data/photos/ -> out/thumbs/ (256x256 boxes) with an album (--gallery), and a JSON report in
# out/thumbs-report.json; ends by printing the album's index.html.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j "$(nproc)" --target conc-thumbs conc-demo
mkdir -p out
build/release/apps/thumbs/conc-thumbs -s 256 --gallery --title "Sample photos" -o out/thumbs \
  --report out/thumbs-report.json data/photos
echo "thumbnails: out/thumbs/   report: out/thumbs-report.json"
echo "album: $PWD/out/thumbs/index.html"
