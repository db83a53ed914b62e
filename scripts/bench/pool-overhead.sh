#!/usr/bin/env bash
# Task overhead of conc's pools next to other tools, measured side by side in one run:
#   - 1,000,000 no-op tasks: conc::ThreadPool vs oneTBB task_group vs std::async
#   - 100,000 echo tasks (100-byte payload each way): conc::ProcessPool (one task per frame,
#     automatic coalescing, chunksize 1000) vs multiprocessing.Pool.map and
#     concurrent.futures.ProcessPoolExecutor.map at several chunksizes
# Every configuration runs REPS times, interleaved (A B C A B C ...); medians and min-max are
# reported. Output: a Markdown table on stdout and the raw runs in bench-results/pool-overhead.csv.
#
# Usage: scripts/bench/pool-overhead.sh [REPS] [WORKERS]      (defaults: 5, 2)
set -euo pipefail
cd "$(dirname "$0")/../.."

reps=${1:-5}
workers=${2:-2}
tasks_thread=${TASKS_THREAD:-1000000}
tasks_process=${TASKS_PROCESS:-100000}
python=/usr/bin/python3
[ -x "$python" ] || python=python3

bash scripts/setup.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release --target conc-bench-pools >/dev/null
bench=build/release/bench/conc-bench-pools

mkdir -p bench-results
csv=bench-results/pool-overhead.csv
echo "group,name,rep,tasks,seconds,tasks_per_s" > "$csv"

run() {  # group rep command...
  local group=$1 rep=$2
  shift 2
  local line
  line=$("$@")
  echo "  $line" >&2
  local name tasks seconds rate
  name=${line%% tasks=*}
  tasks=$(sed -E 's/.* tasks=([0-9]+).*/\1/' <<<"$line")
  seconds=$(sed -E 's/.* seconds=([0-9.]+).*/\1/' <<<"$line")
  rate=$(sed -E 's/.* tasks_per_s=([0-9]+).*/\1/' <<<"$line")
  echo "$group,\"$name\",$rep,$tasks,$seconds,$rate" >> "$csv"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" >&2
for rep in $(seq 1 "$reps"); do
  echo "repetition $rep/$reps" >&2
  run thread "$rep" "$bench" thread-pool "$tasks_thread" "$workers"
  run thread "$rep" "$bench" tbb "$tasks_thread" "$workers"
  run thread "$rep" "$bench" std-async "$tasks_thread"
  run process "$rep" "$bench" process-pool "$tasks_process" "$workers" frame
  run process "$rep" "$bench" process-pool "$tasks_process" "$workers" auto
  run process "$rep" "$bench" process-pool "$tasks_process" "$workers" chunk=1000
  for chunk in 1 100 1000 10000; do
    run process "$rep" "$python" scripts/bench/py_pool_overhead.py pool "$tasks_process" "$workers" "$chunk"
  done
  for chunk in 1 1000; do
    run process "$rep" "$python" scripts/bench/py_pool_overhead.py executor "$tasks_process" "$workers" "$chunk"
  done
done

"$python" scripts/bench/summarize_pool_overhead.py "$csv" "$workers"
