#!/usr/bin/env bash
# Two checks that go with scripts/bench/fetch-vs-anchors.sh:
#  1. the server is never the limit: ApacheBench (keep-alive) against the same nginx on 127.0.0.1,
#     on the delayed 16 KiB files (W1) at 128 and 2,048 connections and on the undelayed 1 KiB
#     files (W4) at 128;
#  2. downloads to ext4 instead of tmpfs: W1 (2,000 x 16 KiB, 50 ms, concurrency 128) and W2
#     (200 x 1 MiB, concurrency 16) with conc-fetch (both engines) and curl --parallel, into a
#     folder under bench-results/ (on the disk the repository is on);
#  3. CPU per file on W1 at 128 into /dev/shm, with and without the SHA-256 the manifest records:
#     conc-fetch (multi engine) against curl --parallel.
# Usage: scripts/bench/fetch-checks.sh [REPS]     (default 3)
set -euo pipefail
ulimit -n 65536 2>/dev/null || true  # ab at 2,048 connections
cd "$(dirname "$0")/../.."
root=$PWD
reps=${1:-3}
bash scripts/setup.sh
source scripts/bench/lib.sh
ensure_packages nginx libnginx-mod-http-echo apache2-utils curl time bc
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release --target conc-fetch >/dev/null
fetch=$root/build/release/apps/fetch/conc-fetch
work=${BENCH_DIR:-$root/bench-results/fetch-checks}
mkdir -p "$work/lists"
port=$(bash scripts/bench/fetch_server.sh "$work/server")
trap 'kill "$(cat "$work/server/nginx.pid")" 2>/dev/null || true; rm -rf "$work/dest" /dev/shm/conc-fetch-checks' EXIT
base="http://127.0.0.1:$port"

echo "### The server alone (ApacheBench, keep-alive)"
echo
echo "| requests | connections | requests/s | the benchmark needs at most |"
echo "|---|---:|---:|---:|"
ab_rate() { ab -q -k -n "$1" -c "$2" "$3" 2>/dev/null | awk '/Requests per second/ {print $4}'; }
echo "| 16 KiB after 50 ms (W1) | 128 | $(ab_rate 10000 128 "$base/d/x.bin") | 2,560 (128 / 50 ms) |"
echo "| 16 KiB after 50 ms (W1) | 2048 | $(ab_rate 60000 2048 "$base/d/x.bin") | 10,240 (-j 512 / 50 ms) |"
echo "| 1 KiB (W4) | 128 | $(ab_rate 200000 128 "$base/s/x.bin") | 26,000 (curl's W4 rate) |"
echo

make_url_lists "$work/lists/w1" "$base/d/w1-" 2000
make_url_lists "$work/lists/w2" "$base/m/w2-" 200
dest=$work/dest
declare -A runs cpu
measure() {  # key files command...
  local key=$1 files=$2
  shift 2
  rm -rf "$dest"
  mkdir -p "$dest"
  /usr/bin/time -f "%e %U %S" -o "$work/time.txt" "$@" >/dev/null 2>"$work/stderr.txt" || true
  local got
  got=$(find "$dest" -type f ! -name '.*' | wc -l)
  if [ "$got" -ne "$files" ]; then
    echo "  $key: only $got of $files files arrived" >&2
    return
  fi
  local wall user sys
  read -r wall user sys < "$work/time.txt"
  runs[$key]="${runs[$key]:-} $wall"
  cpu[$key]="${cpu[$key]:-} $(echo "($user + $sys) * 1000000 / $files" | bc)"
  echo "  $key: $wall s, $user + $sys s CPU" >&2
}
for rep in $(seq 1 "$reps"); do
  for w in w1:128 w2:16; do
    name=${w%:*} c=${w#*:}
    files=$(wc -l < "$work/lists/$name.txt")
    for e in threads multi; do
      measure "$name conc-fetch $e" "$files" "$fetch" --engine "$e" -j "$c" --per-host "$c" --force --no-progress -o "$dest" "$work/lists/$name.txt"
    done
    measure "$name curl --parallel" "$files" curl -s -Z --parallel-immediate --parallel-max "$c" --output-dir "$dest" -K "$work/lists/$name.curl"
  done
done
shm=/dev/shm/conc-fetch-checks
for rep in $(seq 1 "$reps"); do
  dest=$shm
  measure "shm conc-fetch multi" 2000 "$fetch" --engine multi -j 128 --per-host 128 --force --no-progress -o "$dest" "$work/lists/w1.txt"
  measure "shm conc-fetch multi --no-hash" 2000 "$fetch" --engine multi -j 128 --per-host 128 --no-hash --force --no-progress -o "$dest" "$work/lists/w1.txt"
  measure "shm curl --parallel" 2000 curl -s -Z --parallel-immediate --parallel-max 128 --output-dir "$dest" -K "$work/lists/w1.curl"
  rm -rf "$shm"
done
dest=$work/dest
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
echo "### Downloads to ext4 ($(df -T "$work" | awk 'NR == 2 {print $2}'), medians of $reps)"
echo
echo "| workload | tool | seconds | MB/s |"
echo "|---|---|---:|---:|"
for key in "w1 conc-fetch threads" "w1 conc-fetch multi" "w1 curl --parallel" "w2 conc-fetch threads" "w2 conc-fetch multi" "w2 curl --parallel"; do
  [ -n "${runs[$key]:-}" ] || continue
  s=$(echo "${runs[$key]}" | median)
  bytes=$([ "${key%% *}" = w1 ] && echo $((2000 * 16384)) || echo $((200 * 1048576)))
  echo "| ${key%% *} | ${key#* } | $s | $(echo "scale=0; $bytes / $s / 1000000" | bc) |"
done
echo
echo "### CPU per file, W1 at 128 into /dev/shm (medians of $reps)"
echo
echo "| tool | seconds | CPU µs / file |"
echo "|---|---:|---:|"
for key in "shm conc-fetch multi" "shm conc-fetch multi --no-hash" "shm curl --parallel"; do
  [ -n "${runs[$key]:-}" ] || continue
  echo "| ${key#shm } | $(echo "${runs[$key]}" | median) | $(echo "${cpu[$key]}" | median) |"
done
