#!/usr/bin/env bash
# How well ThreadPool's Sizing::Auto sizes itself, measured side by side in one run:
#   - blocking workloads (tasks of 200 us CPU then a sleep, blocking coefficient b = 0.5, 0.9,
#     0.99) and a CPU-bound one (b = 0), each on Fixed pools of several sizes and on Auto, for
#     SECONDS each; Auto's thread count is sampled every 50 ms for the plot;
#   - 1,000,000 no-op tasks: conc::ThreadPool (Fixed) vs oneTBB task_group.
# Every configuration runs REPS times, interleaved (A B C A B C ...); medians are reported.
# Output: bench-results/pool-sizing/{runs.csv, timeline-*.csv, sizing.md, threads-over-time.png}.
#
# Usage: scripts/bench/pool-sizing.sh [REPS] [SECONDS]     (defaults: 3, 3)
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/bench/lib.sh

reps=${1:-3}
seconds=${2:-3}
python=/usr/bin/python3
cores=$(nproc)

bash scripts/setup.sh
ensure_packages python3-matplotlib
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release --target conc-bench-sizing conc-bench-pools >/dev/null
sizing=build/release/bench/conc-bench-sizing
pools=build/release/bench/conc-bench-pools

out=bench-results/pool-sizing
rm -rf "$out"
mkdir -p "$out"
csv=$out/runs.csv
echo "b,sizing,threads,rep,tasks_per_s,peak_threads,mean_threads" > "$csv"

# Fixed sizes around each workload's rule (cores / (1 - b)), from well below to well above it.
sizes_for() {
  "$python" - "$1" "$cores" <<'PY'
import sys
b, cores = float(sys.argv[1]), int(sys.argv[2])
rule = max(1, round(cores / (1 - b)))
sizes = sorted({max(1, round(rule * f)) for f in (0.25, 0.5, 1, 2, 4)} | ({cores + 1} if b == 0 else set()))
print(" ".join(map(str, sizes)))
PY
}

field() { sed -E "s/.* $1=([0-9.]+).*/\1/" <<<"$2"; }

run_sizing() {  # b sizing rep [timeline]
  local line
  line=$("$sizing" "$1" "$2" "$seconds" ${4:+"$4"})
  echo "  $line" >&2
  local threads=0
  [[ $2 == fixed:* ]] && threads=${2#fixed:}
  echo "$1,${2%%:*},$threads,$3,$(field tasks_per_s "$line"),$(field peak_threads "$line"),$(field mean_threads "$line")" >> "$csv"
}

echo "machine: $cores cores; $seconds s per run, $reps repetitions" >&2
for rep in $(seq 1 "$reps"); do
  echo "repetition $rep/$reps" >&2
  for b in 0.5 0.9 0.99 0; do
    for n in $(sizes_for "$b"); do
      run_sizing "$b" "fixed:$n" "$rep"
    done
    run_sizing "$b" auto "$rep" "$out/timeline-b$b-rep$rep.csv"
  done
  for mode in thread-pool tbb; do
    line=$("$pools" "$mode" 1000000 "$cores")
    echo "  $line" >&2
    echo "noop,$mode,$cores,$rep,$(field tasks_per_s "$line"),0,0" >> "$csv"
  done
done

"$python" scripts/bench/summarize_pool_sizing.py "$out" "$cores" | tee "$out/sizing.md"
