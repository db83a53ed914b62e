#!/usr/bin/env bash
# A dataset-shaped workload: conc-fetch --thumbnail against img2dataset's architecture in Python, both
# building the same WebDataset from the same TSV.
#   The TSV: ROWS rows (url, caption, NSFW, LICENSE) of web-sized images (300-1,200 px JPEG, PNG and
#   WebP of 15-200 KB, made once from the photo corpus of the thumbnail benchmarks) on 200 host names
#   looked up as 127.0.0.1 (conc-fetch's --resolve when it has it, else *.localhost, which libcurl
#   resolves itself; the Python arm looks them up the same way). nginx on 127.0.0.1 answers every
#   request after 100 ms: 3% with 404, 1% with a truncated PNG or WebP, 1% with an HTML page, 2% with
#   an image and X-Robots-Tag: noai, the rest with an image.
#   conc    conc-fetch --thumbnail 256 --fit border --format jpeg --output-format webdataset --caption-col caption
#           --save-columns NSFW,LICENSE --quality 85 -j CONCURRENCY (one thumbnail process per core)
#   python  scripts/bench/py_img2dataset.py --dataset: a ThreadPool(CONCURRENCY) of urllib downloads
#           (img2dataset's X-Robots-Tag rule) feeding a multiprocessing Pool (one process per core) of
#           OpenCV workers (img2dataset's border resize, JPEG quality 85); the main process writes the tars
# Each arm's samples are read back (scripts/bench/dataset_samples.py: every sample has its 256x256
# image, its caption and its JSON) and the two arms' keys compared, run by run: the same samples must
# be kept. Then memory against list length: conc-fetch on the first 1,000 and on all 10,000 rows.
# Every configuration runs REPS times, interleaved; the report gives medians and min-max. Peak RSS is
# GNU time's: the largest single process of the run (the parent or one worker).
#
# Usage: scripts/bench/dataset.sh [REPS]     (default 3)
#   ROWS=N (default 10000), CONCURRENCY=N (default 64), DISTINCT=N images made (default 600),
#   ARMS="conc python" (default both; the memory runs belong to conc).
# Output: a Markdown report on stdout, raw runs in bench-results/dataset.csv.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
reps=${1:-3}
rows=${ROWS:-10000}
concurrency=${CONCURRENCY:-64}
distinct=${DISTINCT:-600}
arms=${ARMS:-conc python}
size=256
quality=85
cores=$(nproc)
work=${BENCH_DIR:-$root/bench-results/dataset}

has_arm() { [[ " $arms " == *" $1 "* ]]; }

bash scripts/setup.sh
source scripts/bench/lib.sh
ensure_packages imagemagick nginx libnginx-mod-http-echo python3-opencv time curl
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release --target conc-fetch >/dev/null
fetch=$root/build/release/apps/fetch/conc-fetch
if ! grep -q -- --caption-col <<<"$("$fetch" --help)"; then
  echo "dataset.sh: $fetch cannot read tables (--caption-col, issue 23)" >&2
  exit 1
fi
mkdir -p "$work"

# ---- corpus, server, list --------------------------------------------------------------------
convert=$(command -v convert-im6.q16 || command -v convert)
prepare_photo_corpus "$work/../pipeline/corpus" "$convert"
server=$work/server
www=$server/www
if [ ! -f "$www/.done-$distinct" ]; then
  rm -rf "$www"
  mkdir -p "$www"
  /usr/bin/python3 scripts/bench/dataset_corpus.py "$work/../pipeline/corpus/mixed/orig" "$www" "$distinct"
  touch "$www/.done-$distinct"
fi
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$server/tmp"
cat > "$server/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;
worker_processes 1;
daemon on;
pid $server/nginx.pid;
error_log $server/error.log error;
events { worker_connections 8192; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 1000000;
  keepalive_timeout 60;
  client_body_temp_path $server/tmp;
  proxy_temp_path $server/tmp;
  fastcgi_temp_path $server/tmp;
  uwsgi_temp_path $server/tmp;
  scgi_temp_path $server/tmp;
  types { image/jpeg jpg; image/png png; image/webp webp; text/html html; }
  server {
    listen 127.0.0.1:$port reuseport backlog=8192;
    location /f/ { internal; alias $www/; }
    location /robots/ { internal; alias $www/; add_header X-Robots-Tag noai; }
    location ~ ^/img/[0-9]+/(.+)\$ { echo_sleep 0.1; echo_exec /f/img/\$1; }
    location ~ ^/noai/[0-9]+/(.+)\$ { echo_sleep 0.1; echo_exec /robots/img/\$1; }
    location ~ ^/cut/[0-9]+/(.+)\$ { echo_sleep 0.1; echo_exec /f/cut/\$1; }
    location ~ ^/html/[0-9]+/(.+)\$ { echo_sleep 0.1; echo_exec /f/page.html; }
    location ~ ^/missing/[0-9]+/(.+)\$ { echo_sleep 0.1; echo_exec /f/none/\$1; }
  }
}
CONF
nginx -c "$server/nginx.conf" -p "$server" 2>>"$server/error.log"
trap 'kill "$(cat "$server/nginx.pid")" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://127.0.0.1:$port/f/" && break
  sleep 0.05
done

# The 200 host names: pinned to 127.0.0.1 with --resolve where conc-fetch has it.
resolve=()
if grep -q -- --resolve <<<"$("$fetch" --help)"; then
  suffix=.dataset.test
  for h in $(seq 0 199); do resolve+=(--resolve "h$h$suffix:$port:127.0.0.1"); done
else
  suffix=.localhost
fi
lists=$work/lists
mkdir -p "$lists"
/usr/bin/python3 scripts/bench/dataset_corpus.py --list "$www" "$rows" \
  "http://h{host}$suffix:$port/{kind}/{row}/{name}" "$lists/rows.tsv"
head -1001 "$lists/rows.tsv" > "$lists/rows-1k.tsv"
first=$(sed -n 2p "$lists/rows.tsv" | cut -f1)
if [ "${#resolve[@]}" -eq 0 ] && ! curl -s -o /dev/null "$first"; then
  echo "dataset.sh: $first does not answer" >&2
  exit 1
fi
bytes=$(find "$www/img" -type f -printf '%s\n' | awk '{s += $1; n++} END {printf "%d images, %.0f KB on average", n, s / n / 1024}')
echo "corpus: $bytes; $rows rows on 200 hosts, server on 127.0.0.1:$port" >&2

# ---- runs -----------------------------------------------------------------------------------
csv=$root/bench-results/dataset.csv
echo "workload,arm,rep,rows,samples,problems,keys_equal,wall_s,cpu_s,max_rss_kb" > "$csv"
out=$work/out
logs=$work/logs
mkdir -p "$logs"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# measure WORKLOAD ARM REP ROWS COMMAND...: runs the command into $out (at most 30 minutes), reads its
# samples back and appends one CSV row; keys_equal is filled in once both arms of the repetition ran.
measure() {
  local workload=$1 arm=$2 rep=$3 n=$4
  shift 4
  local log=$logs/$workload-$arm-$rep.err
  rm -rf "$out"
  mkdir -p "$out"
  timeout 1800 /usr/bin/time -f "%e %U %S %M" -o "$work/time.txt" "$@" >/dev/null 2>"$log" || true
  local wall user sys rss samples problems
  read -r wall user sys rss < <(tail -1 "$work/time.txt")
  read -r samples problems < <(/usr/bin/python3 scripts/bench/dataset_samples.py "$out" "$work/keys-$workload-$arm-$rep.txt")
  echo "  $workload $arm: $wall s, cpu $(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}') s, $rss KB, $samples samples, $problems problems" >&2
  echo "$workload,$arm,$rep,$n,$samples,$problems,,$wall,$(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}'),$rss" >> "$csv"
}
conc_arm() {  # WORKLOAD REP ROWS LIST
  measure "$1" conc "$2" "$3" "$fetch" --thumbnail "$size" --fit border --format jpeg --output-format webdataset \
    --caption-col caption --save-columns NSFW,LICENSE --quality "$quality" -j "$concurrency" \
    --thumbnail-workers "$cores" "${resolve[@]}" --no-progress -o "$out" "$4"
}
python_arm() {  # WORKLOAD REP ROWS LIST
  measure "$1" python "$2" "$3" /usr/bin/python3 scripts/bench/py_img2dataset.py --dataset "$4" "$out" "$size" \
    "$quality" "$concurrency" "$cores" caption NSFW,LICENSE "$suffix"
}

for rep in $(seq 1 "$reps"); do
  echo "dataset, repetition $rep/$reps" >&2
  if has_arm conc; then conc_arm dataset "$rep" "$rows" "$lists/rows.tsv"; fi
  if has_arm python; then python_arm dataset "$rep" "$rows" "$lists/rows.tsv"; fi
  if has_arm conc && has_arm python; then
    same=no
    cmp -s "$work/keys-dataset-conc-$rep.txt" "$work/keys-dataset-python-$rep.txt" && same=yes
    [ "$same" = yes ] || echo "  repetition $rep: the arms kept different samples" \
      "($(comm -3 "$work/keys-dataset-conc-$rep.txt" "$work/keys-dataset-python-$rep.txt" | wc -l) differ)" >&2
    sed -i "s/^\(dataset,[a-z]*,$rep,[^,]*,[^,]*,[^,]*\),,/\1,$same,/" "$csv"
  fi
done
if has_arm conc; then
  for rep in $(seq 1 "$reps"); do
    echo "memory, repetition $rep/$reps" >&2
    conc_arm rows-1k "$rep" 1000 "$lists/rows-1k.tsv"
    conc_arm "rows-$rows" "$rep" "$rows" "$lists/rows.tsv"
  done
fi
rm -rf "$out"

/usr/bin/python3 scripts/bench/summarize_dataset.py "$csv" "$rows" "$concurrency" "$load_before" \
  "$(cut -d' ' -f1-3 /proc/loadavg)"
