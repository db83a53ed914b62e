#!/usr/bin/env bash
# conc-thumbs --gallery against thumbsup (npm), the static album generator, on the same 200 photos
# (scripts/make-album-photos.py: JPEGs of 1200 to 2400 px, 30 of them in three albums):
#   - the time to build the album from nothing (wall and CPU), REPS interleaved runs each;
#   - what a phone downloads on opening the album's top page (Lighthouse's mobile preset in
#     Debian's headless Chromium, served from 127.0.0.1), with Lighthouse's scores.
# Comparable settings: 256-px square thumbnails, a 1600-px view of each photo, originals linked
# (not copied), parallelism 2:
#   conc-thumbs --gallery -s 256 -j 2 -o OUT PHOTOS          (also a 512-px 2x thumbnail per photo)
#   thumbsup --thumb-size 256 --large-size 1600 --photo-download link --concurrency 2
#            --no-usage-stats --input PHOTOS --output OUT    (also a 300-px-high "small" per photo)
# thumbsup 2.18.0 is installed with npm into bench-results/ (never committed), its native
# better-sqlite3 built against Debian's Node.js headers (its prebuilt binary cannot be downloaded
# here); it needs Debian's graphicsmagick and libimage-exiftool-perl.
#
# Usage: scripts/bench/gallery-vs-thumbsup.sh [REPS]     (default 3)
# Output: a Markdown report on stdout, raw runs in bench-results/gallery-vs-thumbsup.csv.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
reps=${1:-3}
work=${BENCH_DIR:-$root/bench-results/gallery}
thumbsup_version=2.18.0

bash scripts/setup.sh
source scripts/bench/lib.sh
ensure_packages graphicsmagick libimage-exiftool-perl python3-pil time
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release --target conc-thumbs >/dev/null
thumbs=$root/build/release/apps/thumbs/conc-thumbs

mkdir -p "$work"
if [ ! -x "$work/thumbsup/node_modules/.bin/thumbsup" ]; then
  mkdir -p "$work/thumbsup"
  (
    cd "$work/thumbsup"
    npm install --no-audit --no-fund --loglevel=error "thumbsup@$thumbsup_version" >/dev/null
    # npm 11 runs no install script unless approved; the module is then built from source.
    npm install-scripts approve better-sqlite3 >/dev/null 2>&1 || true
    npm rebuild better-sqlite3 --nodedir=/usr >/dev/null
  )
fi
thumbsup=$work/thumbsup/node_modules/.bin/thumbsup
if [ ! -f "$work/photos/.done" ]; then
  rm -rf "$work/photos"
  /usr/bin/python3 scripts/make-album-photos.py "$work/photos" 200
  touch "$work/photos/.done"
fi
photos=$(find "$work/photos" -name '*.jpg' | wc -l)

csv=$root/bench-results/gallery-vs-thumbsup.csv
echo "tool,rep,wall_s,cpu_s" > "$csv"
measure() {  # measure TOOL REP COMMAND...: one run from an empty output folder
  local tool=$1 rep=$2 wall user sys
  shift 2
  rm -rf "$work/out-$tool"
  /usr/bin/time -o "$work/time.txt" -f "%e %U %S" "$@" >/dev/null 2>"$work/$tool.err" ||
    { echo "$tool failed:" >&2; tail -5 "$work/$tool.err" >&2; exit 1; }
  read -r wall user sys < "$work/time.txt"
  echo "$tool,$rep,$wall,$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" >> "$csv"
}
for rep in $(seq 1 "$reps"); do
  measure conc-thumbs "$rep" "$thumbs" --gallery -s 256 -j 2 --no-progress -o "$work/out-conc-thumbs" "$work/photos"
  measure thumbsup "$rep" "$thumbsup" --input "$work/photos" --output "$work/out-thumbsup" --thumb-size 256 \
    --large-size 1600 --photo-download link --concurrency 2 --no-usage-stats
done
screen=$(/usr/bin/python3 scripts/bench/gallery_first_screen.py "$work" /opt/conc/lighthouse \
  conc-thumbs=out-conc-thumbs/index.html thumbsup=out-thumbsup/index.html)
bytes_of() { du -sb --apparent-size "$1" | cut -f1; }

/usr/bin/python3 - "$csv" "$photos" "$reps" "$screen" "$(bytes_of "$work/out-conc-thumbs")" \
  "$(bytes_of "$work/out-thumbsup")" <<'EOF'
import csv, statistics, sys
runs, photos, reps, screen, conc_bytes, thumbsup_bytes = sys.argv[1:]
rows = list(csv.DictReader(open(runs)))
def stats(tool, key):
    values = sorted(float(r[key]) for r in rows if r["tool"] == tool)
    return statistics.median(values), values[0], values[-1]
print(f"{photos} photos, {reps} interleaved runs each, medians (min-max).\n")
print("| tool | build wall s | build CPU s | output MB |")
print("|---|---|---|---|")
for tool, size in (("conc-thumbs", conc_bytes), ("thumbsup", thumbsup_bytes)):
    w, c = stats(tool, "wall_s"), stats(tool, "cpu_s")
    print(f"| {tool} | {w[0]:.1f} ({w[1]:.1f}-{w[2]:.1f}) | {c[0]:.1f} ({c[1]:.1f}-{c[2]:.1f}) | {int(size) / 1e6:.1f} |")
ratio = stats("thumbsup", "wall_s")[0] / stats("conc-thumbs", "wall_s")[0]
print(f"\nconc-thumbs builds the album {ratio:.1f}x faster (wall, medians).\n")
print("| top page on a phone (Lighthouse mobile) | bytes downloaded | requests | performance | accessibility | best practices |")
print("|---|---|---|---|---|---|")
for line in screen.strip().splitlines()[1:]:
    name, size, requests, perf, a11y, bp = line.split(",")
    print(f"| {name} | {int(size) / 1e3:.0f} kB | {requests} | {perf} | {a11y} | {bp} |")
EOF
