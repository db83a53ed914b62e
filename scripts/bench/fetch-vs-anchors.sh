#!/usr/bin/env bash
# conc-fetch against aria2c, curl --parallel, wget and the classic Python ThreadPoolExecutor
# script, side by side in one run, on nginx serving 127.0.0.1 (scripts/bench/fetch_server.sh);
# on W1 also ApacheBench (ab -k: requests only, nothing saved), the practical ceiling of that
# server and loopback:
#   W1  2,000 files of 16 KiB, each delayed 50 ms (a remote host), concurrency 128
#   W2  200 files of 1 MiB, concurrency 16
#   W3  one 1 GiB file
#   W4  100,000 files of 1 KiB, concurrency 128 (memory; conc-fetch, aria2c and curl only)
# conc-fetch runs with both engines (threads, multi); on W2 and W3 also with --no-hash, and W3
# has the ceiling of libcurl itself: one easy handle, a 512 KiB receive buffer, fwrite.
# Downloads go to a tmpfs (/dev/shm) so the downloader is measured, not the disk. All URLs are on
# one host, so conc-fetch gets --per-host equal to -j where concurrency is compared.
# Usage: scripts/bench/fetch-vs-anchors.sh [REPS]     (default 3; W4 runs once)
#   FETCH_BEFORE=/path/to/an/older/conc-fetch adds its runs of W1 at 128, W2 and W3 beside the
#   current build's, interleaved, as "conc-fetch ENGINE (before)": a change measured in one run.
# Output: a Markdown report on stdout, raw runs in bench-results/fetch-vs-anchors.csv.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
reps=${1:-3}
bash scripts/setup.sh
source scripts/bench/lib.sh
ensure_packages nginx libnginx-mod-http-echo aria2 wget curl time bc apache2-utils
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release --target conc-fetch >/dev/null
fetch=$root/build/release/apps/fetch/conc-fetch
mkdir -p "${BENCH_DIR:-$root/bench-results/fetch}"
cc -O2 -o "${BENCH_DIR:-$root/bench-results/fetch}/libcurl_plain" scripts/bench/libcurl_plain.c -lcurl

work=${BENCH_DIR:-$root/bench-results/fetch}
mkdir -p "$work"
port=$(bash scripts/bench/fetch_server.sh "$work/server")
trap 'kill "$(cat "$work/server/nginx.pid")" 2>/dev/null || true; rm -rf /dev/shm/conc-fetch-bench' EXIT
base="http://127.0.0.1:$port"
lists=$work/lists
mkdir -p "$lists"
make_url_lists "$lists/w1" "$base/d/w1-" 2000
make_url_lists "$lists/w2" "$base/m/w2-" 200
make_url_lists "$lists/w3" "$base/g/w3-" 1
make_url_lists "$lists/w4" "$base/s/w4-" 100000

dest=/dev/shm/conc-fetch-bench
csv=$root/bench-results/fetch-vs-anchors.csv
echo "workload,tool,concurrency,rep,files,bytes,seconds,cpu_seconds,max_rss_kb" > "$csv"
measure() {  # workload tool concurrency rep files bytes command...
  local w=$1 tool=$2 c=$3 rep=$4 files=$5 bytes=$6
  shift 6
  rm -rf "$dest"
  mkdir -p "$dest"
  /usr/bin/time -f "%e %U %S %M" -o "$work/time.txt" "$@" >/dev/null 2>"$work/stderr.txt" || true
  read -r wall user sys rss < "$work/time.txt"
  local got
  got=$(find "$dest" -type f ! -name '.*' | wc -l)
  if [ "$got" -ne "$files" ]; then
    echo "  $w $tool: only $got of $files files arrived" >&2
    return
  fi
  cpu=$(echo "$user + $sys" | bc)
  echo "  $w $tool c=$c: $wall s, cpu $cpu s, $rss KB" >&2
  echo "$w,$tool,$c,$rep,$files,$bytes,$wall,$cpu,$rss" >> "$csv"
}
before=${FETCH_BEFORE:-}
conc_before() {
  [ -n "$before" ] || return 0
  local tool=$2
  measure "$1" "${tool/conc-fetch/conc-fetch (before)}" "$3" "$4" "$5" "$6" "$before" --no-progress --force -o "$dest" "${@:8}" "$lists/$7.txt"
}
conc() { measure "$1" "$2" "$3" "$4" "$5" "$6" "$fetch" --no-progress --force -o "$dest" "${@:8}" "$lists/$7.txt"; }
curl_p() { measure "$1" "curl --parallel" "$2" "$3" "$4" "$5" curl -s -Z --parallel-immediate --parallel-max "$2" --output-dir "$dest" -K "$lists/$6.curl"; }
aria() { measure "$1" "aria2c" "$2" "$3" "$4" "$5" aria2c -q -i "$lists/$6.txt" -d "$dest" -j "$2" -x 1 --file-allocation=none --auto-file-renaming=false --allow-overwrite=true --max-connection-per-server=1; }
ab_w1() {  # rep: ab -k on W1's URLs, the same 2,000 requests at 128 connections
  /usr/bin/time -f "%e %U %S %M" -o "$work/time.txt" ab -k -n 2000 -c 128 "$base/d/ab.bin" >"$work/ab.txt" 2>&1 || true
  read -r wall user sys rss < "$work/time.txt"
  if ! grep -Eq '^Complete requests: +2000$' "$work/ab.txt" || ! grep -Eq '^Failed requests: +0$' "$work/ab.txt"; then
    echo "  W1 ab: not all 2000 requests succeeded" >&2
    return
  fi
  cpu=$(echo "$user + $sys" | bc)
  echo "  W1 ab c=128: $wall s, cpu $cpu s, $rss KB" >&2
  echo "W1,ApacheBench (ab -k),128,$1,2000,$W1,$wall,$cpu,$rss" >> "$csv"
}
wget_i() { measure "$1" "wget -i" 1 "$2" "$3" "$4" wget -q -i "$lists/$5.txt" -P "$dest"; }
python_tpe() { measure "$1" "python ThreadPoolExecutor" "$2" "$3" "$4" "$5" /usr/bin/python3 scripts/bench/py_fetch.py "$lists/$6.txt" "$dest" "$2"; }

W1=$((2000 * 16384)); W2=$((200 * 1048576)); W3=1073741824; W4=$((100000 * 1024))
for rep in $(seq 1 "$reps"); do
  echo "repetition $rep/$reps" >&2
  for e in threads multi; do
    conc W1 "conc-fetch $e" 128 "$rep" 2000 $W1 w1 --engine $e -j 128 --per-host 128
    conc_before W1 "conc-fetch $e" 128 "$rep" 2000 $W1 w1 --engine $e -j 128 --per-host 128
  done
  curl_p W1 128 "$rep" 2000 $W1 w1
  ab_w1 "$rep"
  aria W1 128 "$rep" 2000 $W1 w1
  python_tpe W1 128 "$rep" 2000 $W1 w1
  for e in threads multi; do conc W1 "conc-fetch $e" auto "$rep" 2000 $W1 w1 --engine $e -j auto --per-host 0; done
  curl_p W1 50 "$rep" 2000 $W1 w1
  for j in 8 32 256 512; do
    for e in threads multi; do conc W1 "conc-fetch $e" "$j" "$rep" 2000 $W1 w1 --engine $e -j "$j" --per-host "$j"; done
  done
  for e in threads multi; do
    conc W2 "conc-fetch $e" 16 "$rep" 200 $W2 w2 --engine $e -j 16 --per-host 16
    conc W2 "conc-fetch $e --no-hash" 16 "$rep" 200 $W2 w2 --engine $e -j 16 --per-host 16 --no-hash
    conc_before W2 "conc-fetch $e" 16 "$rep" 200 $W2 w2 --engine $e -j 16 --per-host 16
    conc_before W2 "conc-fetch $e --no-hash" 16 "$rep" 200 $W2 w2 --engine $e -j 16 --per-host 16 --no-hash
  done
  curl_p W2 16 "$rep" 200 $W2 w2
  aria W2 16 "$rep" 200 $W2 w2
  wget_i W2 "$rep" 200 $W2 w2
  python_tpe W2 16 "$rep" 200 $W2 w2
  for e in threads multi; do
    conc W3 "conc-fetch $e" 1 "$rep" 1 $W3 w3 --engine $e -j 1
    conc W3 "conc-fetch $e --no-hash" 1 "$rep" 1 $W3 w3 --engine $e -j 1 --no-hash
    conc_before W3 "conc-fetch $e" 1 "$rep" 1 $W3 w3 --engine $e -j 1
    conc_before W3 "conc-fetch $e --no-hash" 1 "$rep" 1 $W3 w3 --engine $e -j 1 --no-hash
  done
  curl_p W3 1 "$rep" 1 $W3 w3
  measure W3 "plain libcurl (512 KiB buffer)" 1 "$rep" 1 $W3 "$work/libcurl_plain" "$(cat "$lists/w3.txt")" "$dest/w3.bin"
  aria W3 1 "$rep" 1 $W3 w3
  wget_i W3 "$rep" 1 $W3 w3
  python_tpe W3 1 "$rep" 1 $W3 w3
done
for e in threads multi; do conc W4 "conc-fetch $e" 128 1 100000 $W4 w4 --engine $e -j 128 --per-host 128; done
curl_p W4 128 1 100000 $W4 w4
aria W4 128 1 100000 $W4 w4

/usr/bin/python3 scripts/bench/summarize_fetch.py "$csv"
