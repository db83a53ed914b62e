#!/usr/bin/env bash
# Tasks with big inputs (64 KiB, 1 MiB, 8 MiB) that the worker reads whole (zlib's adler32),
# 2 workers, measured side by side in one run: the checksum alone on one thread (the ceiling),
# conc::ProcessPool with the bytes in the payload and with a SharedBuffer, Python's
# multiprocessing.Pool with bytes and with multiprocessing.shared_memory. Every configuration runs REPS times, interleaved; medians.
# Output: bench-results/shared-memory.csv and a Markdown table on stdout.
#
# Usage: scripts/bench/shared-memory.sh [REPS] [WORKERS]      (defaults: 5, 2)
set -euo pipefail
cd "$(dirname "$0")/../.."

reps=${1:-5}
workers=${2:-2}
python=/usr/bin/python3

bash scripts/setup.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release --target conc-bench-shm >/dev/null
bench=build/release/bench/conc-bench-shm

mkdir -p bench-results
csv=bench-results/shared-memory.csv
echo "name,size,rep,tasks,seconds,tasks_per_s" > "$csv"

field() { sed -E "s/.* $1=([0-9.]+).*/\1/" <<<"$2"; }
run() {  # rep command...
  local rep=$1 line
  shift
  line=$("$@" 2>/dev/null | tail -1)
  echo "  $line" >&2
  echo "\"${line%% tasks=*}\",$(field size "$line"),$rep,$(field tasks "$line"),$(field seconds "$line"),$(field tasks_per_s "$line")" >> "$csv"
}

# About 200 MiB of input per run at each size (at least 40 tasks, at most 2000).
tasks_for() { local n=$((200 * 1048576 / $1)); ((n > 2000)) && n=2000; ((n < 40)) && n=40; echo "$n"; }

echo "machine: $(nproc) cores; $workers workers" >&2
for rep in $(seq 1 "$reps"); do
  echo "repetition $rep/$reps" >&2
  for size in 65536 1048576 8388608; do
    n=$(tasks_for "$size")
    run "$rep" "$bench" in-process "$size" "$n"
    run "$rep" "$bench" bytes "$size" "$n" "$workers"
    run "$rep" "$bench" shared "$size" "$n" "$workers"
    run "$rep" "$python" scripts/bench/py_shared_memory.py bytes "$size" "$n" "$workers"
    run "$rep" "$python" scripts/bench/py_shared_memory.py shared "$size" "$n" "$workers"
  done
done

"$python" - "$csv" "$workers" <<'PY'
import csv, statistics, sys
from collections import defaultdict
sys.path.insert(0, "scripts/bench")
import machine
runs = defaultdict(list)
for row in csv.DictReader(open(sys.argv[1])):
    runs[(row["name"], int(row["size"]))].append(float(row["tasks_per_s"]))
med = {k: statistics.median(v) for k, v in runs.items()}
workers = int(sys.argv[2])
names = ["conc::ProcessPool(bytes in the payload)", "conc::ProcessPool(SharedBuffer)",
         "multiprocessing.Pool(bytes)", "multiprocessing.Pool(shared_memory)"]
print(f"Machine: {machine.describe()}; medians of {len(next(iter(runs.values())))} interleaved runs, tasks/s.\n")
ceiling_name = "adler32 in-process, 1 thread"
print("| input | " + " | ".join(names) + " | SharedBuffer / bytes | SharedBuffer / Python shared_memory | "
      "checksum ceiling, all workers |")
print("|---|" + "---:|" * (len(names) + 3))
for size in sorted({s for _, s in med}):
    cells = [f"{med.get((n, size), float('nan')):,.0f}" for n in names]
    shared, copied, py = (med.get((names[i], size), float("nan")) for i in (1, 0, 3))
    label = f"{size // 1024} KiB" if size < 1048576 else f"{size // 1048576} MiB"
    ceiling = med.get((ceiling_name, size), float("nan")) * workers
    print(f"| {label} | " + " | ".join(cells) + f" | {shared / copied:.2f} | {shared / py:.2f} | {ceiling:,.0f} |")
PY
