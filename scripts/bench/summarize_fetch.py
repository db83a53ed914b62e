"""Turns bench-results/fetch-vs-anchors.csv into the Markdown of docs/BENCHMARKS.md."""
import csv
import statistics
import sys
from collections import defaultdict

import machine

TITLES = {
    "W1": "W1: 2,000 x 16 KiB, each delayed 50 ms (ideal at 128 concurrent: 0.78 s)",
    "W2": "W2: 200 x 1 MiB",
    "W3": "W3: one 1 GiB file",
    "W4": "W4: 100,000 x 1 KiB (memory)",
}


def main():
    runs = defaultdict(list)
    order = []
    with open(sys.argv[1], newline="") as f:
        for row in csv.DictReader(f):
            key = (row["workload"], row["tool"], row["concurrency"])
            if key not in runs:
                order.append(key)
            runs[key].append(row)
    print(f"Machine: {machine.describe()}. Server: nginx (1 worker) on 127.0.0.1; downloads to /dev/shm.\n")
    med = {}
    for w in ("W1", "W2", "W3", "W4"):
        keys = [k for k in order if k[0] == w]
        if not keys:
            continue
        print(f"### {TITLES[w]}\n")
        print("| tool | concurrency | seconds: median (min – max) | MB/s | CPU µs / file | max RSS (MB) | runs |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for k in keys:
            rows = runs[k]
            secs = [float(r["seconds"]) for r in rows]
            s = statistics.median(secs)
            cpu = statistics.median(float(r["cpu_seconds"]) for r in rows)
            files = int(rows[0]["files"])
            mb = int(rows[0]["bytes"]) / 1e6
            rss = max(int(r["max_rss_kb"]) for r in rows) / 1024
            med[k] = s
            print(f"| {k[1]} | {k[2]} | {s:.2f} ({min(secs):.2f} – {max(secs):.2f}) | {mb / s:,.0f} | "
                  f"{cpu / files * 1e6:,.0f} | {rss:.0f} | {len(rows)} |")
        print()

    def get(w, tool, c):
        return med.get((w, tool, str(c)))

    print("### Against the targets\n")
    print("| target | measured |")
    print("|---|---|")
    c128 = get("W1", "conc-fetch", 128)
    if c128:
        print(f"| W1 at 128: >= 95% of the ideal rate (0.78 s) | {100 * 0.78 / c128:.0f}% ({c128:.2f} s) |")
    fixed = {c: get("W1", "conc-fetch", c) for c in (8, 32, 128, 512)}
    fixed = {c: v for c, v in fixed.items() if v}
    auto = get("W1", "conc-fetch -j auto", "auto")
    if auto and fixed:
        best_c, best = min(fixed.items(), key=lambda kv: kv[1])
        print(f"| W1 -j auto within 15% of the best fixed -j (-j {best_c}: {best:.2f} s) | {auto:.2f} s "
              f"({100 * (auto / best - 1):+.0f}%) |")
        curl50 = get("W1", "curl --parallel", 50)
        if curl50:
            print(f"| W1 -j auto >= 2x curl --parallel at its default 50 | {curl50 / auto:.2f}x |")
    for w, x in (("W2", 1.3), ("W3", 1.7)):
        c = get(w, "conc-fetch", 16 if w == "W2" else 1)
        cu = get(w, "curl --parallel", 16 if w == "W2" else 1)
        if c and cu:
            print(f"| {w} >= {x}x curl's MB/s | {cu / c:.2f}x |")
    print()


if __name__ == "__main__":
    main()
