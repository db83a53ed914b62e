#!/usr/bin/env bash
# Download and thumbnail: conc-fetch --thumbnail against the two-step way and img2dataset's
# architecture, side by side in one run, on nginx at 127.0.0.1 (scripts/bench/fetch_server.sh)
# answering every photo of the thumbnail benchmark's corpus after 200 ms (a remote host):
#   fetch-thumbnail  conc-fetch --thumbnail 256x256 --format jpeg -o OUT LIST   (one run)
#   two-step         conc-fetch -o DL LIST, then conc-thumbs -s 256x256 -f jpeg -o OUT DL (the sum)
#   python           scripts/bench/py_img2dataset.py: a ThreadPool of urllib downloads feeding a
#                    multiprocessing Pool of OpenCV decode/resize/encode workers
# Each gets 32 downloads at a time and one thumbnail process per core; JPEG quality 85 (the
# default of both conc apps); everything is written to disk under the work folder.
# Then memory against list length: conc-fetch --thumbnail on 1,000 and 10,000 URLs of distinct
# 64x64 JPEGs served at once, peak RSS side by side.
# Every configuration runs REPS times, interleaved; the report gives medians and min-max. Peak RSS
# is GNU time's: the largest single process of the run (the parent or one worker).
#
# Usage: scripts/bench/pipeline.sh [REPS]     (default 5)
#   ARMS="two-step python" runs only those arms (default: fetch-thumbnail two-step python); the
#   memory runs belong to fetch-thumbnail.
# Output: a Markdown report on stdout, raw runs in bench-results/pipeline.csv.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
reps=${1:-5}
arms=${ARMS:-fetch-thumbnail two-step python}
box=256x256
quality=85
concurrency=32
cores=$(nproc)
work=${BENCH_DIR:-$root/bench-results/pipeline}

has_arm() { [[ " $arms " == *" $1 "* ]]; }

bash scripts/setup.sh
source scripts/bench/lib.sh
ensure_packages imagemagick nginx libnginx-mod-http-echo python3-opencv time curl
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release --target conc-fetch conc-thumbs >/dev/null
fetch=$root/build/release/apps/fetch/conc-fetch
thumbs=$root/build/release/apps/thumbs/conc-thumbs
if has_arm fetch-thumbnail && ! grep -q -- --thumbnail <<<"$("$fetch" --help)"; then
  echo "pipeline.sh: $fetch has no --thumbnail option (issue 13); build a conc that has it," \
    "or run only the other arms: ARMS=\"two-step python\" $0 $reps" >&2
  exit 1
fi
mkdir -p "$work"

# ---- corpus and server ----------------------------------------------------------------------
convert=$(command -v convert-im6.q16 || command -v convert)
prepare_photo_corpus "$work/corpus" "$convert"
server=$work/server
rm -rf "$server/www/photos"
mkdir -p "$server/www/photos" "$work/lists"
# The photos under plain numbered names, so every tool names its outputs alike and none collide.
i=0
while read -r f; do
  i=$((i + 1))
  ext=${f##*.}
  ln -s "$f" "$server/www/photos/$(printf %03d "$i").${ext,,}"
done < <(find "$work/corpus/mixed" -type f | sort)
n_photos=$i
# Distinct 64x64 JPEGs for the memory runs, made once.
if [ ! -f "$server/www/small/.done" ]; then
  rm -rf "$server/www/small"
  mkdir -p "$server/www/small"
  /usr/bin/python3 - "$server/www/small" 10000 <<'PY'
import sys, cv2, numpy as np
out, count = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(13)
base = np.fromfunction(lambda y, x, c: (x * 4 + y * 2 + c * 40) % 256, (64, 64, 3)).astype(np.uint8)
for i in range(count):
    image = cv2.add(base, rng.integers(0, 32, (64, 64, 3), dtype=np.uint8))
    cv2.imwrite(f"{out}/{i:05d}.jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 90])
PY
  touch "$server/www/small/.done"
fi
port=$(bash scripts/bench/fetch_server.sh "$server")
trap 'kill "$(cat "$server/nginx.pid")" 2>/dev/null || true' EXIT
base="http://127.0.0.1:$port"
find "$server/www/photos" -type l -printf '%f\n' | sort | sed "s|^|$base/p/photos/|" > "$work/lists/photos.txt"
seq -f '%05g' 0 999 | sed "s|^|$base/small/|; s|\$|.jpg|" > "$work/lists/small-1k.txt"
seq -f '%05g' 0 9999 | sed "s|^|$base/small/|; s|\$|.jpg|" > "$work/lists/small-10k.txt"
if ! curl -sf -o /dev/null "$(head -1 "$work/lists/photos.txt")"; then
  echo "pipeline.sh: the server at $base does not serve the photos" >&2
  exit 1
fi
mp=$(find -L "$server/www/photos" -type f -print0 | xargs -0 identify -format '%w %h\n' 2>/dev/null |
  awk '{s += $1 * $2} END {printf "%.0f", s / 1e6}')
bytes=$(find -L "$server/www/photos" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
echo "corpus: $n_photos photos, $mp megapixels, $bytes bytes; server on $base" >&2

# ---- runs -----------------------------------------------------------------------------------
csv=$root/bench-results/pipeline.csv
echo "workload,arm,step,rep,items,wall_s,cpu_s,max_rss_kb" > "$csv"
out=$work/out
dl=$work/dl
logs=$work/logs
mkdir -p "$logs"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# measure WORKLOAD ARM STEP REP ITEMS DIR COMMAND...: runs the command (at most 15 minutes), checks
# that ITEMS images are in DIR and appends one CSV row; a failed or incomplete run is left out.
measure() {
  local workload=$1 arm=$2 step=$3 rep=$4 items=$5 dir=$6
  shift 6
  local log=$logs/$workload-$arm-$step-$rep.err
  local rc=0
  timeout 900 /usr/bin/time -f "%e %U %S %M" -o "$work/time.txt" "$@" >/dev/null 2>"$log" || rc=$?
  local wall user sys rss got
  read -r wall user sys rss < <(tail -1 "$work/time.txt")
  got=$(find "$dir" -type f \( -name '*.jpg' -o -name '*.jpeg' -o -name '*.png' \) | wc -l)
  if [ "$rc" -ne 0 ] || [ "$got" -ne "$items" ]; then
    echo "  $workload $arm $step: exit $rc, $got of $items images; run left out (see $log)" >&2
    return 1
  fi
  local cpu
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}')
  echo "  $workload $arm $step: $wall s, cpu $cpu s, $rss KB" >&2
  echo "$workload,$arm,$step,$rep,$items,$wall,$cpu,$rss" >> "$csv"
}
fresh() { rm -rf "$out" "$dl"; mkdir -p "$out" "$dl"; }

fetch_thumbnail() {  # WORKLOAD REP ITEMS LIST
  fresh
  measure "$1" fetch-thumbnail all "$2" "$3" "$out" \
    "$fetch" --thumbnail "$box" --format jpeg -j "$concurrency" --per-host "$concurrency" --no-progress -o "$out" "$4"
}
two_step() {  # WORKLOAD REP ITEMS LIST
  fresh
  measure "$1" two-step fetch "$2" "$3" "$dl" \
    "$fetch" -j "$concurrency" --per-host "$concurrency" --no-progress -o "$dl" "$4" &&
    measure "$1" two-step thumbs "$2" "$3" "$out" \
      "$thumbs" -s "$box" -f jpeg -q "$quality" -j "$cores" --no-progress -o "$out" "$dl"
}
python_arm() {  # WORKLOAD REP ITEMS LIST
  fresh
  measure "$1" python all "$2" "$3" "$out" \
    /usr/bin/python3 scripts/bench/py_img2dataset.py "$4" "$out" "$box" "$quality" "$concurrency" "$cores"
}

for rep in $(seq 1 "$reps"); do
  echo "photos, repetition $rep/$reps" >&2
  if has_arm fetch-thumbnail; then fetch_thumbnail photos "$rep" "$n_photos" "$work/lists/photos.txt" || true; fi
  if has_arm two-step; then two_step photos "$rep" "$n_photos" "$work/lists/photos.txt" || true; fi
  if has_arm python; then python_arm photos "$rep" "$n_photos" "$work/lists/photos.txt" || true; fi
done
if has_arm fetch-thumbnail; then
  for rep in $(seq 1 "$reps"); do
    echo "memory, repetition $rep/$reps" >&2
    fetch_thumbnail small-1k "$rep" 1000 "$work/lists/small-1k.txt" || true
    fetch_thumbnail small-10k "$rep" 10000 "$work/lists/small-10k.txt" || true
  done
fi
rm -rf "$out" "$dl"

/usr/bin/python3 scripts/bench/summarize_pipeline.py "$csv" "$n_photos" "$mp" "$concurrency" \
  "$load_before" "$(cut -d' ' -f1-3 /proc/loadavg)"
