"""Turns scripts/bench/scaling.sh's CSV into a Markdown report and two plots.

usage: summarize_scaling.py CSV OUTDIR CORES PHOTOS AUTO_THREADS_FILE
"""
import csv
import datetime
import os
import statistics
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import machine  # noqa: E402

THUMB_TOOLS = ("conc-thumbs", "vipsthumbnail")
FETCH_TOOLS = ("conc-fetch", "curl --parallel", "aria2c")


def load(path):
    runs = defaultdict(list)
    for row in csv.DictReader(open(path, newline="")):
        runs[(row["tool"], row["engine"], row["jobs"])].append(row)
    return runs


def stats(rows, field):
    values = [float(r[field]) for r in rows]
    return statistics.median(values), min(values), max(values)


def series(runs, tools):
    """{(tool, engine): [(jobs, rows)]} for numeric job counts, sorted by jobs."""
    out = defaultdict(list)
    for (tool, engine, jobs), rows in runs.items():
        if tool in tools and jobs.isdigit():
            out[(tool, engine)].append((int(jobs), rows))
    return {k: sorted(v, key=lambda p: p[0]) for k, v in sorted(out.items())}


def scaling_table(title, unit, lines):
    """lines: {(tool, engine): [(jobs, rows)]}; speedup and efficiency against the same line at -j 1."""
    print(f"### {title}\n")
    print(f"| tool | engine | jobs | seconds: median (min – max) | {unit}/s | speedup vs -j 1 | efficiency | "
          "CPU s | peak RSS (MB) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    speedups = {}
    for (tool, engine), points in lines.items():
        base = dict(points).get(1)
        base_rate = stats(base, "items_per_s")[0] if base else None
        for jobs, rows in points:
            wall, lo, hi = stats(rows, "wall_s")
            rate = stats(rows, "items_per_s")[0]
            cpu = stats(rows, "cpu_s")[0]
            rss = max(int(r["max_rss_kb"]) for r in rows) / 1024
            if base_rate:
                s = rate / base_rate
                speedups.setdefault((tool, engine), []).append((jobs, s))
                sp, eff = f"{s:.2f}x", f"{100 * s / jobs:.0f}%"
            else:
                sp = eff = "–"
            print(f"| {tool} | {engine} | {jobs} | {wall:.2f} ({lo:.2f} – {hi:.2f}) | {rate:,.1f} | {sp} | {eff} | "
                  f"{cpu:.2f} | {rss:.0f} |")
    print()
    return speedups


def amdahl_serial_fraction(points, cores):
    """Least-squares f in 1/S(n) = f + (1 - f)/n over 2 <= n <= cores (more workers than cores
    measure the machine, not the program)."""
    xs, ys = [], []
    for n, s in points:
        if 2 <= n <= cores:
            xs.append(1 - 1 / n)
            ys.append(1 / s - 1 / n)
    if not xs:
        return None
    return sum(x * y for x, y in zip(xs, ys)) / sum(x * x for x in xs)


def main():
    path, outdir, cores, photos, auto_file = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
    runs = load(path)
    reps = max(len(v) for v in runs.values())
    print(f"Machine: {machine.describe()}; {datetime.date.today().isoformat()}; medians of {reps} "
          "interleaved repetitions.\n")

    # ---- thumbnails
    lines = series(runs, THUMB_TOOLS)
    serial = runs.get(("conc-thumbs", "serial", "1"))
    print(f"Thumbnails: {photos} photos (Debian's wallpapers and 12-megapixel derivatives), box 256, JPEG q85.\n")
    speedups = scaling_table("Thumbnails", "images", lines)
    if serial:
        wall = stats(serial, "wall_s")[0]
        print(f"The serial engine (no pool at all): {wall:.2f} s, {stats(serial, 'items_per_s')[0]:.1f} images/s.\n")
    print("Serial fraction fitted by Amdahl's law, 1/S(n) = f + (1 - f)/n, over 2 .. "
          f"{cores} workers (the cores):\n")
    print("| tool | engine | serial fraction f | speedup limit 1/f |")
    print("|---|---|---:|---:|")
    for key, points in speedups.items():
        f = amdahl_serial_fraction(points, cores)
        if f is None:
            continue
        limit = f"{1 / f:.0f}x" if f > 0.001 else "none measurable"
        print(f"| {key[0]} | {key[1]} | {f:.3f} | {limit} |")
    print()

    fig, ax = plt.subplots(figsize=(7, 4.5))
    most = max((n for pts in speedups.values() for n, _ in pts), default=1)
    ax.plot([1, most], [1, most], "k--", linewidth=1, label="ideal (speedup = workers)")
    ax.axvline(cores, color="grey", linewidth=0.8, linestyle=":", label=f"{cores} cores")
    for (tool, engine), pts in speedups.items():
        ax.plot([n for n, _ in pts], [s for _, s in pts], marker="o", label=f"{tool} ({engine})")
    ax.set_xlabel("workers (-j)")
    ax.set_ylabel("speedup vs 1 worker")
    ax.set_title(f"Thumbnailing {photos} photos: speedup ({machine.describe()})", fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(outdir, "thumbs-speedup.png"), dpi=110)

    # ---- downloads
    lines = series(runs, FETCH_TOOLS)
    print("Downloads: 16 KiB files, each delayed 50 ms by nginx on 127.0.0.1 (20 files per transfer slot, "
          "100 to 2,000), to /dev/shm; all on one host, so conc-fetch gets --per-host equal to -j.\n")
    scaling_table("Downloads", "files", lines)
    print("| -j auto | seconds: median (min – max) | files/s |")
    print("|---|---:|---:|")
    for engine in ("threads", "multi"):
        rows = runs.get(("conc-fetch", engine, "auto"))
        if rows:
            wall, lo, hi = stats(rows, "wall_s")
            print(f"| conc-fetch {engine} | {wall:.2f} ({lo:.2f} – {hi:.2f}) | {stats(rows, 'items_per_s')[0]:,.0f} |")
    print()

    # The sizing rule: blocking coefficient from the one-thread run (wall time not spent on CPU).
    one = runs.get(("conc-fetch", "threads", "1"))
    threads = lines.get(("conc-fetch", "threads"), [])
    predicted = None
    if one and threads:
        b = statistics.median(1 - float(r["cpu_s"]) / float(r["wall_s"]) for r in one)
        predicted = cores / (1 - b)
        best_jobs, best_rows = max(threads, key=lambda p: stats(p[1], "items_per_s")[0])
        auto = [int(x) for x in open(auto_file).read().split()] if os.path.exists(auto_file) else []
        print("The sizing rule, threads = cores / (1 - blocking coefficient):\n")
        print("| blocking coefficient (measured at -j 1) | threads the rule predicts | best fixed -j measured | "
              "threads -j auto started |")
        print("|---:|---:|---:|---:|")
        auto_text = f"{statistics.median(auto):.0f}" if auto else "–"
        print(f"| {b:.4f} | {predicted:.0f} | {best_jobs} ({stats(best_rows, 'items_per_s')[0]:,.0f} files/s) | "
              f"{auto_text} |")
        print("\nThe best fixed -j is the best of the counts tried; -j auto stops at 512 threads.\n")

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for (tool, engine), pts in lines.items():
        label = tool if tool != "conc-fetch" else f"conc-fetch ({engine})"
        ax.plot([n for n, _ in pts], [stats(r, "items_per_s")[0] for _, r in pts], marker="o", label=label)
    auto_threads = [int(x) for x in open(auto_file).read().split()] if os.path.exists(auto_file) else []
    for engine, where in (("threads", statistics.median(auto_threads) if auto_threads else None), ("multi", 512)):
        rows = runs.get(("conc-fetch", engine, "auto"))
        if rows and where:
            ax.plot([where], [stats(rows, "items_per_s")[0]], marker="*", markersize=12, linestyle="none",
                    label=f"conc-fetch ({engine}) -j auto")
    ideal = [(n, n / 0.050) for n in sorted({n for pts in lines.values() for n, _ in pts})]
    ax.plot([n for n, _ in ideal], [r for _, r in ideal], "k--", linewidth=1, label="ideal (jobs / 50 ms)")
    if predicted:
        ax.axvline(predicted, color="grey", linestyle=":", linewidth=1,
                   label=f"cores / (1 - b) = {predicted:.0f}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("concurrent transfers (-j)")
    ax.set_ylabel("files / s")
    ax.set_title(f"Downloading 16 KiB files delayed 50 ms: throughput ({machine.describe()})", fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(os.path.join(outdir, "fetch-throughput.png"), dpi=110)


if __name__ == "__main__":
    main()
