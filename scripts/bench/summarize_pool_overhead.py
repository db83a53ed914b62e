"""Turns bench-results/pool-overhead.csv into the Markdown tables of docs/BENCHMARKS.md."""
import csv
import statistics
import sys
from collections import defaultdict

import machine


def main():
    path, workers = sys.argv[1], sys.argv[2]
    runs = defaultdict(list)
    groups = {}
    order = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            name = row["name"]
            if name not in runs:
                order.append(name)
            runs[name].append(float(row["tasks_per_s"]))
            groups[name] = row["group"]
    median = {name: statistics.median(rates) for name, rates in runs.items()}

    def table(group, title):
        names = [n for n in order if groups[n] == group]
        print(f"### {title}\n")
        print("| pool | tasks/s (median) | min – max | runs |")
        print("|---|---:|---:|---:|")
        for n in names:
            r = runs[n]
            print(f"| {n} | {median[n]:,.0f} | {min(r):,.0f} – {max(r):,.0f} | {len(r)} |")
        print()

    print(f"Machine: {machine.describe()}; {workers} threads/workers per pool.\n")
    table("thread", "No-op tasks through a thread pool")
    table("process", "Tiny tasks through a process pool (100-byte payload each way)")

    def ratio(a, b):
        return median[a] / median[b] if a in median and b in median else float("nan")

    pool_names = [n for n in order if n.startswith("multiprocessing.Pool.map")]
    best_python = max(pool_names + [n for n in order if n.startswith("ProcessPoolExecutor")],
                      key=lambda n: median[n], default=None)
    print("### Against the targets\n")
    print("| target | measured |")
    print("|---|---|")
    tp = ratio("conc::ThreadPool", "tbb::task_group")
    print(f"| ThreadPool within 2x of oneTBB task_group | ThreadPool runs at {tp:.2f}x of oneTBB's rate "
          f"({1 / tp:.2f}x slower) |")
    print(f"| ThreadPool vs std::async | {ratio('conc::ThreadPool', 'std::async'):.1f}x faster |")
    frame = ratio("conc::ProcessPool(frame)", "multiprocessing.Pool.map(chunksize=1)")
    print(f"| one task per frame >= 5x Pool.map(chunksize=1) | {frame:.1f}x |")
    if best_python:
        for mode in ("auto", "chunk=1000"):
            r = ratio(f"conc::ProcessPool({mode})", best_python)
            print(f"| batched ({mode}) faster than Python's best ({best_python}) | {r:.2f}x |")
    print()


if __name__ == "__main__":
    main()
