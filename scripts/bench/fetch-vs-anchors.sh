#!/usr/bin/env bash
# conc-fetch against aria2c, curl --parallel, wget and the classic Python ThreadPoolExecutor
# script, side by side in one run, on nginx serving 127.0.0.1 (scripts/bench/fetch_server.sh);
# on W1 also ApacheBench (ab -k: requests only, nothing saved), the practical ceiling of that
# server and loopback:
#   W1  2,000 files of 16 KiB, each delayed 50 ms (a remote host), concurrency 128
#   W2  200 files of 1 MiB, concurrency 16
#   W3  one 1 GiB file
#   W4  100,000 files of 1 KiB, concurrency 128 (memory; conc-fetch, aria2c and curl only)
# and over TLS, on nginx with a private CA and 500 host names on loopback addresses of their own
# (scripts/bench/fetch_tls_server.sh), every file 16 KiB after 50 ms, concurrency 128:
#   W5  2,000 files from one host, HTTP/1.1 (W5-h2: the same over HTTP/2)
#   W6  the same 2,000 files spread over the 500 hosts, host after host (W6-h2: over HTTP/2)
#   W7  500 files, one per host, each certificate verified against the system's CA bundle with the
#       private CA added (the cost of a real trust store)
#   W8  2,000 files from the 500 hosts listed host by host (4 in a row), conc-fetch --per-host 2
# Every tool finds the hosts through an /etc/hosts bind-mounted in a private mount namespace
# (unshare -m), so the system's is never touched: aria2c has no --resolve, and 1,000 --resolve
# entries would cost curl, which loads them into each transfer's new handle, about 0.45 ms of CPU
# per transfer (W5: 1.2 s of CPU instead of 0.3 s). Each TLS run also counts the connections nginx
# saw and how many of them resumed a TLS session.
# conc-fetch runs with both engines (threads, multi); on W2 and W3 also with --no-hash, and W3
# has the ceiling of libcurl itself: one easy handle, a 512 KiB receive buffer, fwrite.
# Downloads go to a tmpfs (/dev/shm) so the downloader is measured, not the disk. Where the URLs
# are on one host conc-fetch gets --per-host equal to -j where concurrency is compared; W6 and W8
# run with --per-host 2 (curl and aria2c have no per-host limit).
# Usage: scripts/bench/fetch-vs-anchors.sh [REPS] [WORKLOAD...]   (default 3 and W1 ... W8; W4 runs once)
#   TLS_HOSTS=N: N hosts instead of 500 (W5, W6 and W8 then have 4N files, W7 N), for a quick check.
#   FETCH_BEFORE=/path/to/an/older/conc-fetch adds its runs of W1 at 128, W2, W3 and the TLS
#   workloads at 128 beside the current build's, interleaved, as "conc-fetch ENGINE (before)": a
#   change measured in one run.
# Output: a Markdown report on stdout, raw runs in bench-results/fetch-vs-anchors.csv.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
reps=${1:-3}
shift $(($# > 0 ? 1 : 0))
workloads=" ${*:-W1 W2 W3 W4 W5 W6 W7 W8} "
run() { [[ $workloads == *" $1 "* ]]; }  # whether workload $1 was asked for
bash scripts/setup.sh
source scripts/bench/lib.sh
ensure_packages nginx libnginx-mod-http-echo aria2 wget curl time bc apache2-utils openssl util-linux
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release --target conc-fetch >/dev/null
fetch=$root/build/release/apps/fetch/conc-fetch
mkdir -p "${BENCH_DIR:-$root/bench-results/fetch}"
cc -O2 -o "${BENCH_DIR:-$root/bench-results/fetch}/libcurl_plain" scripts/bench/libcurl_plain.c -lcurl

work=${BENCH_DIR:-$root/bench-results/fetch}
mkdir -p "$work"
port=$(bash scripts/bench/fetch_server.sh "$work/server")
tls=$work/tls-server
stop_servers() {
  kill "$(cat "$work/server/nginx.pid")" 2>/dev/null || true
  [ -f "$tls/nginx.pid" ] && kill "$(cat "$tls/nginx.pid")" 2>/dev/null || true
  rm -rf /dev/shm/conc-fetch-bench
}
trap stop_servers EXIT
base="http://127.0.0.1:$port"
lists=$work/lists
mkdir -p "$lists"
make_url_lists "$lists/w1" "$base/d/w1-" 2000
make_url_lists "$lists/w2" "$base/m/w2-" 200
make_url_lists "$lists/w3" "$base/g/w3-" 1
make_url_lists "$lists/w4" "$base/s/w4-" 100000

hosts=${TLS_HOSTS:-500}
files=$((4 * hosts))
if run W5 || run W6 || run W7 || run W8; then
  rm -f "$tls/nginx.pid"
  read -r h2 h1 < <(bash scripts/bench/fetch_tls_server.sh "$tls" "$hosts")
  # URL lists over TLS: make_tls_list STEM PORT COUNT HOST_OF_FILE (an awk expression of i).
  make_tls_list() {
    awk -v port="$2" -v count="$3" -v hosts="$hosts" "BEGIN { for (i = 0; i < count; ++i) {
      h = $4; printf \"https://h%03d.bench.test:%s/d/%s-%d.bin\n\", h, port, \"$(basename "$1")\", i } }" > "$1.txt"
    awk '{n = split($0, a, "/"); printf "url = \"%s\"\noutput = \"%s\"\n", $0, a[n]}' "$1.txt" > "$1.curl"
  }
  make_tls_list "$lists/w5" "$h1" "$files" 0
  make_tls_list "$lists/w5-h2" "$h2" "$files" 0
  make_tls_list "$lists/w6" "$h1" "$files" "i % hosts"
  make_tls_list "$lists/w6-h2" "$h2" "$files" "i % hosts"
  make_tls_list "$lists/w7" "$h1" "$hosts" "i"
  make_tls_list "$lists/w8" "$h1" "$files" "int(i / 4)"
fi

dest=/dev/shm/conc-fetch-bench
mkdir -p "$root/bench-results"
csv=$root/bench-results/fetch-vs-anchors.csv
echo "workload,tool,concurrency,rep,files,bytes,seconds,cpu_seconds,max_rss_kb,connections,resumed" > "$csv"
counting=""  # with TLS runs: nginx's access log, whose connections are counted
measure() {  # workload tool concurrency rep files bytes command...
  local w=$1 tool=$2 c=$3 rep=$4 files=$5 bytes=$6
  shift 6
  rm -rf "$dest"
  mkdir -p "$dest"
  [ -z "$counting" ] || : > "$counting"
  /usr/bin/time -f "%e %U %S %M" -o "$work/time.txt" "$@" >/dev/null 2>"$work/stderr.txt" || true
  read -r wall user sys rss < "$work/time.txt"
  local got
  got=$(find "$dest" -type f ! -name '.*' | wc -l)
  if [ "$got" -ne "$files" ]; then
    echo "  $w $tool: only $got of $files files arrived" >&2
    return
  fi
  local connections="" resumed=""
  if [ -n "$counting" ]; then
    # nginx logs a request once its response is sent: wait (bounded) for the last lines.
    for _ in $(seq 1 100); do
      [ "$(wc -l < "$counting")" -ge "$files" ] && break
      sleep 0.02
    done
    connections=$(cut -d' ' -f1 "$counting" | sort -u | wc -l)
    resumed=$(awk '$3 == "r" { print $1 }' "$counting" | sort -u | wc -l)
  fi
  cpu=$(echo "$user + $sys" | bc)
  echo "  $w $tool c=$c: $wall s, cpu $cpu s, $rss KB${connections:+, $connections connections, $resumed resumed}" >&2
  echo "$w,$tool,$c,$rep,$files,$bytes,$wall,$cpu,$rss,$connections,$resumed" >> "$csv"
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
# Over TLS every tool runs with the hosts file bind-mounted over /etc/hosts in a mount namespace
# of its own. CA: the CA file to trust.
with_hosts=(unshare -m --propagation private sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$tls/hosts")
conc_tls() {  # workload tool concurrency rep files CA list conc-fetch-options...
  measure "$1" "$2" "$3" "$4" "$5" $(($5 * 16384)) "${with_hosts[@]}" "$fetch" --no-progress --force -o "$dest" --cacert "$6" "${@:8}" "$lists/$7.txt"
}
conc_tls_before() {
  [ -n "$before" ] || return 0
  local tool=$2
  measure "$1" "${tool/conc-fetch/conc-fetch (before)}" "$3" "$4" "$5" $(($5 * 16384)) "${with_hosts[@]}" "$before" --no-progress --force -o "$dest" --cacert "$6" "${@:8}" "$lists/$7.txt"
}
curl_tls() {  # workload concurrency rep files CA list [multiplex]
  if [ "${7:-}" = multiplex ]; then  # without --parallel-immediate: new transfers wait to share an HTTP/2 connection
    measure "$1" "curl --parallel (multiplexing)" "$2" "$3" "$4" $(($4 * 16384)) "${with_hosts[@]}" curl -s -Z --parallel-max "$2" --cacert "$5" --output-dir "$dest" -K "$lists/$6.curl"
  else
    measure "$1" "curl --parallel" "$2" "$3" "$4" $(($4 * 16384)) "${with_hosts[@]}" curl -s -Z --parallel-immediate --parallel-max "$2" --cacert "$5" --output-dir "$dest" -K "$lists/$6.curl"
  fi
}
aria_tls() {  # workload concurrency rep files CA list
  measure "$1" "aria2c" "$2" "$3" "$4" $(($4 * 16384)) "${with_hosts[@]}" aria2c -q -i "$lists/$6.txt" -d "$dest" -j "$2" -x 1 --file-allocation=none --auto-file-renaming=false --allow-overwrite=true --max-connection-per-server=1 --ca-certificate="$5"
}
ab_w1() {  # rep: ab -k on W1's URLs, the same 2,000 requests at 128 connections
  /usr/bin/time -f "%e %U %S %M" -o "$work/time.txt" ab -k -n 2000 -c 128 "$base/d/ab.bin" >"$work/ab.txt" 2>&1 || true
  read -r wall user sys rss < "$work/time.txt"
  if ! grep -Eq '^Complete requests: +2000$' "$work/ab.txt" || ! grep -Eq '^Failed requests: +0$' "$work/ab.txt"; then
    echo "  W1 ab: not all 2000 requests succeeded" >&2
    return
  fi
  cpu=$(echo "$user + $sys" | bc)
  echo "  W1 ab c=128: $wall s, cpu $cpu s, $rss KB" >&2
  echo "W1,ApacheBench (ab -k),128,$1,2000,$W1,$wall,$cpu,$rss,," >> "$csv"
}
wget_i() { measure "$1" "wget -i" 1 "$2" "$3" "$4" wget -q -i "$lists/$5.txt" -P "$dest"; }
python_tpe() { measure "$1" "python ThreadPoolExecutor" "$2" "$3" "$4" "$5" /usr/bin/python3 scripts/bench/py_fetch.py "$lists/$6.txt" "$dest" "$2"; }

per_host_at() { if [ "$1" = 0 ]; then echo "$2"; else echo "$1"; fi; }  # PER_HOST J: 0 means as -j
# One repetition of a TLS workload: conc-fetch (both engines) at 128, curl at 128 (over HTTP/2 also
# letting transfers wait to share a connection), aria2c at 128 (it has no HTTP/2), conc-fetch at
# -j auto, then at the other fixed -j the auto runs are judged against.
tls_workload() {  # workload rep files CA list per-host(0: as -j) aria2c(yes|no) sweep(yes|no)
  local w=$1 rep=$2 files=$3 ca=$4 list=$5 per_host=$6 with_aria=$7 sweep=$8 e j
  counting=$tls/access.log
  for e in threads multi; do
    conc_tls "$w" "conc-fetch $e" 128 "$rep" "$files" "$ca" "$list" --engine $e -j 128 --per-host "$(per_host_at "$per_host" 128)"
    conc_tls_before "$w" "conc-fetch $e" 128 "$rep" "$files" "$ca" "$list" --engine $e -j 128 --per-host "$(per_host_at "$per_host" 128)"
  done
  curl_tls "$w" 128 "$rep" "$files" "$ca" "$list"
  [[ $list != *-h2 ]] || curl_tls "$w" 128 "$rep" "$files" "$ca" "$list" multiplex
  [ "$with_aria" = no ] || aria_tls "$w" 128 "$rep" "$files" "$ca" "$list"
  for e in threads multi; do conc_tls "$w" "conc-fetch $e" auto "$rep" "$files" "$ca" "$list" --engine $e -j auto --per-host "$per_host"; done
  if [ "$sweep" = yes ]; then
    for j in 32 256 512; do
      for e in threads multi; do
        conc_tls "$w" "conc-fetch $e" "$j" "$rep" "$files" "$ca" "$list" --engine $e -j "$j" --per-host "$(per_host_at "$per_host" "$j")"
      done
    done
  fi
  counting=""
}

W1=$((2000 * 16384)); W2=$((200 * 1048576)); W3=1073741824; W4=$((100000 * 1024))
for rep in $(seq 1 "$reps"); do
  echo "repetition $rep/$reps" >&2
  if run W1; then
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
  fi
  if run W2; then
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
  fi
  if run W3; then
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
  fi
  if run W5; then
    tls_workload W5 "$rep" "$files" "$tls/ca.pem" w5 0 yes yes
    tls_workload W5-h2 "$rep" "$files" "$tls/ca.pem" w5-h2 0 no yes
  fi
  if run W6; then
    tls_workload W6 "$rep" "$files" "$tls/ca.pem" w6 2 yes yes
    tls_workload W6-h2 "$rep" "$files" "$tls/ca.pem" w6-h2 2 no yes
  fi
  if run W7; then tls_workload W7 "$rep" "$hosts" "$tls/bundle.pem" w7 2 yes no; fi
  if run W8; then tls_workload W8 "$rep" "$files" "$tls/ca.pem" w8 2 yes no; fi
done
if run W4; then
  for e in threads multi; do conc W4 "conc-fetch $e" 128 1 100000 $W4 w4 --engine $e -j 128 --per-host 128; done
  curl_p W4 128 1 100000 $W4 w4
  aria W4 128 1 100000 $W4 w4
fi

/usr/bin/python3 scripts/bench/summarize_fetch.py "$csv"
