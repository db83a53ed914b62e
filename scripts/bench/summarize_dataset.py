"""Markdown report of scripts/bench/dataset.sh's runs.

usage: summarize_dataset.py CSV ROWS CONCURRENCY LOAD_BEFORE LOAD_AFTER
CSV rows: workload,arm,rep,rows,samples,problems,keys_equal,wall_s,cpu_s,max_rss_kb.
"""
import csv
import os
import statistics
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from machine import describe, spread  # noqa: E402

ARMS = [("conc", "conc-fetch --thumbnail --fit border (webdataset)"),
        ("python", "Python, img2dataset's architecture")]
TARGET = 3.0
# img2dataset's own figures (its dataset_examples): samples a second, on a 16-core machine with 2 Gbps.
PUBLISHED = [("laion400m", 1300, 16), ("cc3m", 850, 16)]


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    path, rows, concurrency, load_before, load_after = sys.argv[1:]
    cores = os.cpu_count()
    runs = defaultdict(dict)
    with open(path) as f:
        for row in csv.DictReader(f):
            runs[(row["workload"], row["arm"])][int(row["rep"])] = row
    print(f"{describe()}; load average {load_before} before, {load_after} after (the machine is shared).")
    print(f"{rows} rows of a TSV on 200 hosts, each answered after 100 ms by nginx on 127.0.0.1; "
          f"{concurrency} downloads at a time, one thumbnail process per core; 256x256 border, JPEG quality 85.\n")
    print("| | runs | wall s, median (min-max) | images/s | images/s per core | CPU s | peak RSS MiB | samples |")
    print("|---|---|---|---|---|---|---|---|")
    rates = {}
    for arm, label in ARMS:
        done = runs.get(("dataset", arm), {})
        if not done:
            continue
        walls = [float(r["wall_s"]) for r in done.values()]
        rate = [int(r["samples"]) / float(r["wall_s"]) for r in done.values()]
        rates[arm] = {rep: int(r["samples"]) / float(r["wall_s"]) for rep, r in done.items()}
        print(f"| {label} | {len(done)} | {spread(walls)} | {spread(rate, '{:.0f}')} | "
              f"{spread([x / cores for x in rate], '{:.0f}')} | {spread([float(r['cpu_s']) for r in done.values()])} | "
              f"{spread([int(r['max_rss_kb']) / 1024 for r in done.values()], '{:.0f}')} | "
              f"{spread([int(r['samples']) for r in done.values()], '{:.0f}')} |")
    print()
    for name, rate, machine_cores in PUBLISHED:
        print(f"- img2dataset's published throughput, {name}: {rate} samples/s on a {machine_cores}-core machine "
              f"with 2 Gbps, {rate / machine_cores:.0f} per core")
    if "conc" in rates and "python" in rates:
        paired = [rates["conc"][rep] / rates["python"][rep] for rep in rates["conc"] if rep in rates["python"]]
        if paired:
            met = "met" if statistics.median(paired) >= TARGET else "NOT met"
            print(f"- conc-fetch against Python, img2dataset's architecture: {spread(paired)}x the images/s, paired by "
                  f"repetition (target >= {TARGET:.1f}x: {met})")
        equal = [r["keys_equal"] for r in runs[("dataset", "conc")].values()]
        print(f"- the same samples kept by both arms: {equal.count('yes')} of {len(equal)} repetitions")
        problems = sum(int(r["problems"]) for arm, _ in ARMS for r in runs.get(("dataset", arm), {}).values())
        print(f"- samples without their 256x256 image, caption or JSON: {problems}")
    memory = {w: runs.get((w, "conc"), {}) for w in ("rows-1k", f"rows-{rows}")}
    if all(memory.values()):
        print("\n### Memory against list length (conc-fetch)\n")
        print("| rows | runs | wall s | peak RSS MiB |")
        print("|---|---|---|---|")
        rss = {}
        for workload, done in memory.items():
            rss[workload] = statistics.median(int(r["max_rss_kb"]) / 1024 for r in done.values())
            print(f"| {next(iter(done.values()))['rows']} | {len(done)} | "
                  f"{spread([float(r['wall_s']) for r in done.values()])} | "
                  f"{spread([int(r['max_rss_kb']) / 1024 for r in done.values()], '{:.1f}')} |")
        print(f"\nPeak RSS of the {rows}-row run over the 1,000-row run: {rss[f'rows-{rows}'] / rss['rows-1k']:.2f}x "
              "(flat is 1.0).")


if __name__ == "__main__":
    main()
