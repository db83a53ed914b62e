"""Markdown report of scripts/bench/pipeline.sh's runs.

usage: summarize_pipeline.py CSV PHOTOS MEGAPIXELS CONCURRENCY LOAD_BEFORE LOAD_AFTER
CSV rows: workload,arm,step,rep,items,wall_s,cpu_s,max_rss_kb. An arm's run is the sum of its
steps in one repetition (the two-step arm: download, then thumbnail); its peak RSS is the largest
of its steps'.
"""
import csv
import os
import statistics
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from machine import describe, spread  # noqa: E402

ARMS = [
    ("fetch-thumbnail", "conc-fetch --thumbnail (one run)"),
    ("two-step", "conc-fetch, then conc-thumbs"),
    ("python", "Python, img2dataset's architecture"),
]
TARGETS = {"two-step": 1.5, "python": 2.0}


def load(path):
    """{(workload, arm): {rep: {"steps": {step: row}}}}"""
    runs = defaultdict(lambda: defaultdict(dict))
    with open(path) as f:
        for row in csv.DictReader(f):
            runs[(row["workload"], row["arm"])][int(row["rep"])][row["step"]] = row
    return runs


def complete_runs(steps_by_rep, needed):
    """One dict per repetition that has every needed step: wall, cpu, rss, items, per-step walls."""
    out = {}
    for rep, steps in steps_by_rep.items():
        if not needed <= steps.keys():
            continue
        out[rep] = {
            "wall": sum(float(steps[s]["wall_s"]) for s in needed),
            "cpu": sum(float(steps[s]["cpu_s"]) for s in needed),
            "rss": max(int(steps[s]["max_rss_kb"]) for s in needed),
            "items": int(next(iter(steps.values()))["items"]),
            "steps": {s: float(steps[s]["wall_s"]) for s in needed},
        }
    return out


def main():
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    path, photos, megapixels, concurrency, load_before, load_after = sys.argv[1:]
    runs = load(path)
    needed = {"fetch-thumbnail": {"all"}, "two-step": {"fetch", "thumbs"}, "python": {"all"}}

    print("### Download and thumbnail: one run against two steps and img2dataset's architecture\n")
    print(f"{describe()}; load average {load_before} before, {load_after} after (the machine is shared).")
    print(f"{photos} photos ({megapixels} megapixels) from nginx on 127.0.0.1, each answered after 200 ms; "
          f"{concurrency} downloads at a time, one thumbnail process per core, 256x256 JPEG quality 85.\n")
    print("| | runs | wall s, median (min-max) | images/s | CPU s | peak RSS MiB |")
    print("|---|---|---|---|---|---|")
    photo_runs = {}
    for arm, label in ARMS:
        done = complete_runs(runs.get(("photos", arm), {}), needed[arm])
        if not done:
            continue
        photo_runs[arm] = done
        walls = [r["wall"] for r in done.values()]
        rates = [r["items"] / r["wall"] for r in done.values()]
        cpus = [r["cpu"] for r in done.values()]
        rss = [r["rss"] / 1024 for r in done.values()]
        print(f"| {label} | {len(done)} | {spread(walls)} | {spread(rates, '{:.1f}')} | "
              f"{spread(cpus)} | {spread(rss, '{:.0f}')} |")
    if "two-step" in photo_runs:
        steps = photo_runs["two-step"].values()
        fetch = statistics.median(r["steps"]["fetch"] for r in steps)
        thumbs = statistics.median(r["steps"]["thumbs"] for r in steps)
        print(f"\nThe two steps, medians: download {fetch:.2f} s, thumbnails {thumbs:.2f} s.")

    # Ratios of paired runs (the same repetition ran the arms one after the other).
    def paired(slow, fast):
        reps = sorted(photo_runs[slow].keys() & photo_runs[fast].keys())
        return [photo_runs[slow][r]["wall"] / photo_runs[fast][r]["wall"] for r in reps]

    lines = []
    if "fetch-thumbnail" in photo_runs:
        for other in ("two-step", "python"):
            if other in photo_runs:
                ratios = paired(other, "fetch-thumbnail")
                if ratios:
                    verdict = "met" if statistics.median(ratios) >= TARGETS[other] else "NOT met"
                    lines.append(f"- conc-fetch --thumbnail against {dict(ARMS)[other]}: "
                                 f"{spread(ratios, '{:.2f}x')} faster, paired by repetition "
                                 f"(target >= {TARGETS[other]}x: {verdict})")
    if "two-step" in photo_runs and "python" in photo_runs:
        ratios = paired("python", "two-step")
        if ratios:
            lines.append(f"- the two-step run against the Python script: {spread(ratios, '{:.2f}x')} faster, "
                         "paired by repetition")
    if lines:
        print()
        print("\n".join(lines))

    small = {w: complete_runs(runs.get((w, "fetch-thumbnail"), {}), {"all"}) for w in ("small-1k", "small-10k")}
    if all(small.values()):
        print("\n### Memory against list length (conc-fetch --thumbnail, 64x64 JPEGs served at once)\n")
        print("| URLs | runs | wall s | images/s | peak RSS MiB |")
        print("|---|---|---|---|---|")
        for w, n in (("small-1k", "1,000"), ("small-10k", "10,000")):
            done = small[w].values()
            print(f"| {n} | {len(done)} | {spread([r['wall'] for r in done])} | "
                  f"{spread([r['items'] / r['wall'] for r in done], '{:.0f}')} | "
                  f"{spread([r['rss'] / 1024 for r in done], '{:.1f}')} |")
        ratio = statistics.median(r["rss"] for r in small["small-10k"].values()) / statistics.median(
            r["rss"] for r in small["small-1k"].values())
        print(f"\nPeak RSS of the 10,000-URL run over the 1,000-URL run: {ratio:.2f}x (flat is 1.0).")


if __name__ == "__main__":
    main()
