"""Turns the shards part of scripts/bench/scaling.sh (shards.csv) into Markdown tables.

usage: summarize_shards.py SHARDS_CSV CORES
"""
import csv
import statistics
import sys
from collections import defaultdict


def main():
    path, cores = sys.argv[1], int(sys.argv[2])
    runs = defaultdict(list)
    for row in csv.DictReader(open(path, newline="")):
        runs[(row["tool"], row["engine"], row["jobs"])].append(row)
    reps = max(len(rows) for rows in runs.values())
    print(f"Shards of one job run at once on this {cores}-core machine (medians of {reps}, min – max).\n")
    print("| tool | workload | shards | seconds | items/s, all shards | items/s a shard | CPU s |")
    print("|---|---|---:|---|---:|---:|---:|")
    for (tool, engine, jobs), rows in runs.items():
        if engine.startswith("plan"):
            continue
        walls = [float(r["wall_s"]) for r in rows]
        wall = statistics.median(walls)
        items = int(rows[0]["items"])
        cpu = statistics.median(float(r["cpu_s"]) for r in rows)
        print(f"| {tool} | {engine} | {jobs} | {wall:.2f} ({min(walls):.2f} – {max(walls):.2f}) | "
              f"{items / wall:,.0f} | {items / wall / int(jobs):,.0f} | {cpu:.2f} |")
    plans = {}
    for (tool, engine, jobs), rows in runs.items():
        if engine.startswith("plan"):
            plans[int(engine.split()[1])] = (
                statistics.median(float(r["wall_s"]) for r in rows), statistics.median(float(r["cpu_s"]) for r in rows),
                statistics.median(int(r["max_rss_kb"]) for r in rows), statistics.median(int(r["items"]) for r in rows))
    if len(plans) >= 2:
        print("\nEvery shard plans the whole list (names for all of it), whatever its own share: one shard of "
              "1,000 (conc-fetch --shard 0/1000), the list of 1 KiB files.\n")
        print("| URLs listed | downloaded by the shard | seconds | CPU s | peak RSS (MiB) |")
        print("|---:|---:|---:|---:|---:|")
        for n, (wall, cpu, rss, got) in sorted(plans.items()):
            print(f"| {n:,} | {got:.0f} | {wall:.2f} | {cpu:.2f} | {rss / 1024:.0f} |")
        (n1, (w1, c1, r1, _)), (n2, (w2, c2, r2, _)) = sorted(plans.items())[:2]
        print(f"\nPer URL listed: {1e6 * (c2 - c1) / (n2 - n1):.2f} µs of CPU, {1e6 * (w2 - w1) / (n2 - n1):.2f} µs "
              f"of wall time and {(r2 - r1) * 1024 / (n2 - n1):.0f} bytes of peak memory (the slope between the two lists).")

if __name__ == "__main__":
    main()
