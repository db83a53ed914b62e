#!/usr/bin/env bash
# How thumbnailing and downloading scale with workers, engines and the sizing rule, on a corpus
# and a local server this script prepares itself:
#   conc-thumbs at -j 1 .. 2x the cores with each engine (process, thread; serial once), and
#     vipsthumbnail under xargs -P J, on the photo corpus of the thumbnail benchmark;
#   conc-fetch on the delayed-response workload (16 KiB files, each delayed 50 ms by nginx on
#     127.0.0.1) at -j 1 4 8 20 40 128 256 with both engines and -j auto, and curl --parallel
#     and aria2c at the same concurrency. Each run gets 20 files per transfer slot (100 to 2,000),
#     so every concurrency does about the same number of rounds.
#   shards: the same jobs split into 1, 2 and 4 shards (--shard I/S) run at once on this machine:
#     conc-fetch on the delayed workload (2,000 files, -j 128 a shard) and conc-thumbs on the
#     corpus (the cores shared out among the shards); and what planning the whole list costs a
#     shard: one shard of 1,000 of a 200,000-URL list (time and memory per URL listed).
# Every configuration runs REPS times, interleaved; the report gives the median and min-max.
# The job counts follow the core count of the machine, so the script runs unchanged anywhere.
#
# Usage: [PARTS="thumbs fetch shards"] scripts/bench/scaling.sh [REPS]     (default 3, all parts)
# Output in bench-results/scaling/: scaling.csv (every run), scaling.md (tables, Amdahl fit,
# blocking coefficient), thumbs-speedup.png and fetch-throughput.png; shards.csv and shards.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
reps=${1:-3}
results=$root/bench-results/scaling
work=${BENCH_DIR:-$root/bench-results/scaling/work}

bash scripts/setup.sh
source scripts/bench/lib.sh
ensure_packages libvips-tools imagemagick nginx libnginx-mod-http-echo aria2 curl time python3-matplotlib
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release --target conc-thumbs conc-fetch >/dev/null
thumbs=$root/build/release/apps/thumbs/conc-thumbs
fetch=$root/build/release/apps/fetch/conc-fetch
cores=$(nproc)
mkdir -p "$results" "$work"
parts=" ${PARTS:-thumbs fetch shards} "
want() { [[ $parts == *" $1 "* ]]; }

# Job counts for the thumbnails: every count up to 2x the cores on small machines, powers of two
# plus the core count on big ones.
thumb_jobs=()
if [ $((2 * cores)) -le 8 ]; then
  for j in $(seq 1 $((2 * cores))); do thumb_jobs+=("$j"); done
else
  for ((j = 1; j < 2 * cores; j *= 2)); do thumb_jobs+=("$j"); done
  thumb_jobs+=("$cores" $((2 * cores)))
  mapfile -t thumb_jobs < <(printf '%s\n' "${thumb_jobs[@]}" | sort -n | uniq)
fi
fetch_jobs=(1 4 8 20 40 128 256)

csv=$results/scaling.csv
echo "tool,engine,jobs,rep,items,wall_s,cpu_s,max_rss_kb,items_per_s" > "$csv"
# measure TOOL ENGINE JOBS REP ITEMS DIR COMMAND...: times the command, checks that ITEMS files
# arrived in DIR (which it empties first) and appends one CSV row.
measure() {
  local tool=$1 engine=$2 jobs=$3 rep=$4 items=$5 dir=$6
  shift 6
  rm -rf "$dir"
  mkdir -p "$dir"
  local log=$work/logs/$tool-$engine-$jobs-$rep.err
  mkdir -p "$work/logs"
  /usr/bin/time -f "%e %U %S %M" -o "$work/time.txt" "$@" >/dev/null 2>"$log" || true
  local wall user sys rss got
  read -r wall user sys rss < <(tail -1 "$work/time.txt")
  got=$(find "$dir" -type f ! -name '.*' | wc -l)
  if [ "$got" -ne "$items" ]; then
    echo "  $tool $engine -j $jobs: only $got of $items files; run left out" >&2
    return
  fi
  local cpu rate
  cpu=$(echo "$user + $sys" | bc)
  rate=$(echo "scale=3; $items / $wall" | bc)
  echo "  $tool $engine -j $jobs: $wall s, cpu $cpu s, $rate items/s" >&2
  echo "$tool,$engine,$jobs,$rep,$items,$wall,$cpu,$rss,$rate" >> "$csv"
}

# ---- thumbnails -----------------------------------------------------------------------------
convert=$(command -v convert-im6.q16 || command -v convert)
prepare_photo_corpus "$work/corpus" "$convert"
photos=$work/corpus/mixed
n_photos=$(find "$photos" -type f | wc -l)
tout=$work/thumbs-out
if want thumbs; then
echo "thumbnails: $n_photos photos, jobs ${thumb_jobs[*]}" >&2
vips_thumbs() {  # JOBS
  find -L "$photos" -type f | xargs -P "$1" -n 4 vipsthumbnail -s 256x256 -o "$tout/%s.jpg[Q=85]"
}
export photos tout
export -f vips_thumbs
for rep in $(seq 1 "$reps"); do
  echo "thumbnails, repetition $rep/$reps" >&2
  measure conc-thumbs serial 1 "$rep" "$n_photos" "$tout" \
    "$thumbs" --engine serial -s 256 -q 85 -f jpeg --force --no-progress -o "$tout" "$photos"
  for j in "${thumb_jobs[@]}"; do
    for engine in process thread; do
      measure conc-thumbs "$engine" "$j" "$rep" "$n_photos" "$tout" \
        "$thumbs" --engine "$engine" -j "$j" -s 256 -q 85 -f jpeg --force --no-progress -o "$tout" "$photos"
    done
    measure vipsthumbnail xargs "$j" "$rep" "$n_photos" "$tout" bash -c 'vips_thumbs "$0"' "$j"
  done
done
fi

# ---- downloads ------------------------------------------------------------------------------
port=$(bash scripts/bench/fetch_server.sh "$work/server")
trap 'kill "$(cat "$work/server/nginx.pid")" 2>/dev/null || true; rm -rf /dev/shm/conc-scaling' EXIT
base="http://127.0.0.1:$port"
dest=/dev/shm/conc-scaling
mkdir -p "$work/lists"
files_for() { local n=$((20 * $1)); [ $n -lt 100 ] && n=100; [ $n -gt 2000 ] && n=2000; echo $n; }
list_for() {  # COUNT: a plain list and a curl config of COUNT delayed files
  local n=$1
  [ -f "$work/lists/$n.txt" ] || make_url_lists "$work/lists/$n" "$base/d/f-" "$n"
  echo "$work/lists/$n"
}
rm -f "$work"/lists/*
want fetch && for rep in $(seq 1 "$reps"); do
  echo "downloads, repetition $rep/$reps" >&2
  for j in "${fetch_jobs[@]}"; do
    n=$(files_for "$j")
    list=$(list_for "$n")
    for engine in threads multi; do
      measure conc-fetch "$engine" "$j" "$rep" "$n" "$dest" \
        "$fetch" --engine "$engine" -j "$j" --per-host "$j" --force --no-progress -o "$dest" "$list.txt"
    done
    measure "curl --parallel" curl "$j" "$rep" "$n" "$dest" \
      curl -s -Z --parallel-immediate --parallel-max "$j" --output-dir "$dest" -K "$list.curl"
    measure aria2c aria2c "$j" "$rep" "$n" "$dest" \
      aria2c -q -i "$list.txt" -d "$dest" -j "$j" -x 1 --file-allocation=none --auto-file-renaming=false \
      --allow-overwrite=true
  done
  list=$(list_for 2000)
  for engine in threads multi; do
    measure conc-fetch "$engine" auto "$rep" 2000 "$dest" \
      "$fetch" --engine "$engine" -j auto --per-host 0 --force --no-progress -o "$dest" "$list.txt"
  done
done

# ---- shards ---------------------------------------------------------------------------------
# shards S COMMAND...: S processes at once, process i with --shard i/S appended to COMMAND.
shards() {
  local s=$1 i pids=()
  shift
  for ((i = 0; i < s; i++)); do
    "$@" --shard "$i/$s" &
    pids+=($!)
  done
  local rc=0
  for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
  return $rc
}
export -f shards
if want shards; then
  main_csv=$csv
  csv=$results/shards.csv
  echo "tool,engine,jobs,rep,items,wall_s,cpu_s,max_rss_kb,items_per_s" > "$csv"
  list=$(list_for 2000)
  # Lists of 200,000 and 400,000 URLs of 1 KiB files: one shard of 1,000 downloads a few hundred
  # and plans them all (the difference between the two is the cost per URL listed).
  for n in 200000 400000; do
    seq 0 $((n - 1)) | sed "s|^|$base/s/f-|; s|\$|.bin|" > "$work/lists/plan-$n.txt"
  done
  for rep in $(seq 1 "$reps"); do
    echo "shards, repetition $rep/$reps" >&2
    for s in 1 2 4; do
      measure "conc-fetch" "W1 -j 128 a shard" "$s" "$rep" 2000 "$dest" \
        bash -c 'shards "$@"' _ "$s" "$fetch" -j 128 --per-host 128 --no-progress -o "$dest" "$list.txt"
      tj=$((cores / s))
      [ "$tj" -lt 1 ] && tj=1
      measure "conc-thumbs" "process (the cores shared out)" "$s" "$rep" "$n_photos" "$tout" \
        bash -c 'shards "$@"' _ "$s" "$thumbs" -j "$tj" -s 256 -q 85 -f jpeg --no-progress -o "$tout" "$photos"
    done
    for n in 200000 400000; do
      rm -rf "$dest" && mkdir -p "$dest"
      /usr/bin/time -f "%e %U %S %M" -o "$work/time.txt" "$fetch" --shard 0/1000 -j 16 --no-progress -o "$dest" \
        "$work/lists/plan-$n.txt" >/dev/null 2>"$work/logs/plan-$n-$rep.err" || true
      read -r wall user sys rss < <(tail -1 "$work/time.txt")
      got=$(find "$dest" -type f ! -name '.*' | wc -l)
      echo "  plan $n, shard 0/1000 ($got downloaded): $wall s, $rss kB" >&2
      echo "conc-fetch,plan $n,1000,$rep,$got,$wall,$(echo "$user + $sys" | bc),$rss,$(echo "scale=1; $n / $wall" | bc)" >> "$csv"
    done
  done
  csv=$main_csv
  /usr/bin/python3 scripts/bench/summarize_shards.py "$results/shards.csv" "$cores" > "$results/shards.md"
  cat "$results/shards.md"
fi

if want thumbs && want fetch; then
  # The thread count -j auto settled on, as conc-fetch's summary line states it.
  grep -ho '[0-9]* threads)' "$work"/logs/conc-fetch-threads-auto-*.err | tr -dc '0-9\n' > "$results/auto-threads.txt" || true
  /usr/bin/python3 scripts/bench/summarize_scaling.py "$csv" "$results" "$cores" "$n_photos" "$results/auto-threads.txt" \
    > "$results/scaling.md"
  cat "$results/scaling.md"
fi
