"""Turns bench-results/pool-sizing/ into the Markdown of docs/BENCHMARKS.md and a plot of
Auto's threads over time (threads-over-time.png)."""
import csv
import glob
import os
import statistics
import sys
from collections import defaultdict

import machine


def main():
    out, cores = sys.argv[1], int(sys.argv[2])
    rates = defaultdict(list)   # (b, sizing, threads) -> tasks/s per rep
    peaks = defaultdict(list)
    means = defaultdict(list)
    with open(os.path.join(out, "runs.csv"), newline="") as f:
        for row in csv.DictReader(f):
            key = (row["b"], row["sizing"], int(row["threads"]))
            rates[key].append(float(row["tasks_per_s"]))
            peaks[key].append(int(row["peak_threads"]))
            means[key].append(float(row["mean_threads"]))

    print(f"Machine: {machine.describe()}. Tasks: 200 us of CPU, then a sleep making the blocking "
          f"coefficient b; medians of {len(next(iter(rates.values())))} interleaved runs.\n")
    print("| workload | rule cores/(1-b) | best Fixed (threads: tasks/s) | Auto tasks/s | Auto / best | "
          "Auto mean threads | Auto peak threads |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for b in ("0.5", "0.9", "0.99", "0"):
        fixed = {t: statistics.median(r) for (bb, s, t), r in rates.items() if bb == b and s == "fixed"}
        auto = rates.get((b, "auto", 0))
        if not fixed or not auto:
            continue
        best = max(fixed, key=fixed.get)
        auto_rate = statistics.median(auto)
        rule = max(1, round(cores / (1 - float(b))))
        name = "CPU-bound (b = 0)" if b == "0" else f"b = {b}"
        print(f"| {name} | {rule} | {best}: {fixed[best]:,.0f} | {auto_rate:,.0f} | {auto_rate / fixed[best]:.2f} | "
              f"{statistics.median(means[(b, 'auto', 0)]):.1f} | {max(peaks[(b, 'auto', 0)])} |")
    print()
    print("Every Fixed size, tasks/s (median):\n")
    for b in ("0.5", "0.9", "0.99", "0"):
        fixed = sorted((t, statistics.median(r)) for (bb, s, t), r in rates.items() if bb == b and s == "fixed")
        print(f"- b = {b}: " + ", ".join(f"{t} threads {r:,.0f}" for t, r in fixed))
    noop = {mode: statistics.median(r) for (b, mode, t), r in rates.items() if b == "noop"}
    if "thread-pool" in noop and "tbb" in noop:
        print(f"\n1,000,000 no-op tasks, {cores} threads: conc::ThreadPool {noop['thread-pool']:,.0f}/s, "
              f"oneTBB task_group {noop['tbb']:,.0f}/s (oneTBB is {noop['tbb'] / noop['thread-pool']:.2f}x).")
    plot(out)


def plot(out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for b in ("0.5", "0.9", "0.99", "0"):
        files = sorted(glob.glob(os.path.join(out, f"timeline-b{b}-rep*.csv")))
        if not files:
            continue
        t, threads = [], []
        with open(files[0]) as f:
            for line in f:
                s, n, _ = line.strip().split(",")
                t.append(float(s))
                threads.append(int(n))
        ax.step(t, threads, where="post", label="CPU-bound" if b == "0" else f"b = {b}")
    ax.set_xlabel("seconds")
    ax.set_ylabel("threads (Sizing::Auto)")
    ax.set_yscale("log", base=2)
    ax.legend()
    ax.set_title("ThreadPool Auto: threads over time, first repetition")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "threads-over-time.png"), dpi=110)


if __name__ == "__main__":
    main()
