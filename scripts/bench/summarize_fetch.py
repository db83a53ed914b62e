"""Turns bench-results/fetch-vs-anchors.csv into the Markdown of docs/BENCHMARKS.md."""
import csv
import statistics
import sys
from collections import defaultdict

import machine

TITLES = {
    "W1": "W1: 2,000 x 16 KiB, each delayed 50 ms (ApacheBench: the same requests, nothing saved)",
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
    print("| target | threads engine | multi engine |")
    print("|---|---|---|")
    engines = ("threads", "multi")

    def row(label, cell):
        print(f"| {label} | " + " | ".join(cell(e) for e in engines) + " |")

    ab = get("W1", "ApacheBench (ab -k)", 128)

    def w1_ab(e):
        s = get("W1", f"conc-fetch {e}", 128)
        return f"{100 * ab / s:.1f}% ({s:.2f} s vs ab {ab:.2f} s)" if s and ab else "–"

    row("W1 at 128: >= 97% of ApacheBench's rate", w1_ab)
    curl128 = [r for r in runs.get(("W1", "curl --parallel", "128"), [])]

    def w1_cpu(e):
        rows = runs.get(("W1", f"conc-fetch {e}", "128"), [])
        if not rows or not curl128:
            return "–"
        mine = statistics.median(float(r["cpu_seconds"]) for r in rows) / 2000 * 1e6
        theirs = statistics.median(float(r["cpu_seconds"]) for r in curl128) / 2000 * 1e6
        return f"{mine:.0f} µs vs curl {theirs:.0f} µs"

    row("W1 at 128: CPU per file no more than curl's", w1_cpu)

    def w1_auto(e):
        fixed = {c: get("W1", f"conc-fetch {e}", c) for c in (8, 32, 128, 256, 512)}
        fixed = {c: v for c, v in fixed.items() if v}
        auto = get("W1", f"conc-fetch {e}", "auto")
        if not (auto and fixed):
            return "–"
        best_c, best = min(fixed.items(), key=lambda kv: kv[1])
        return f"{auto:.2f} s vs -j {best_c} {best:.2f} s ({100 * (auto / best - 1):+.0f}%)"

    row("W1 -j auto within 15% of the best fixed -j", w1_auto)
    curl50 = get("W1", "curl --parallel", 50)

    def w1_curl50(e):
        auto = get("W1", f"conc-fetch {e}", "auto")
        return f"{curl50 / auto:.2f}x" if auto and curl50 else "–"

    row("W1 -j auto >= 2x curl --parallel at its default 50", w1_curl50)
    for w, x, c in (("W2", 1.0, 16), ("W3", 1.0, 1)):
        cu = get(w, "curl --parallel", c)

        def ratio(e, w=w, c=c, cu=cu):
            a = get(w, f"conc-fetch {e}", c)
            b = get(w, f"conc-fetch {e} --no-hash", c)
            if not (cu and a):
                return "–"
            return f"{cu / a:.2f}x (--no-hash {cu / b:.2f}x)" if b else f"{cu / a:.2f}x"

        row(f"{w} with the SHA-256 >= {x}x curl's MB/s (--no-hash >= 1.3x)", ratio)
    def rss(w, e):
        rows = runs.get((w, f"conc-fetch {e}", "128" if w != "W3" else "1"), [])
        return max(int(r["max_rss_kb"]) for r in rows) / 1024 if rows else None

    for w in ("W1", "W3", "W4"):
        row(f"{w}: peak RSS under 64 MB", lambda e, w=w: f"{rss(w, e):.0f} MB" if rss(w, e) else "–")
    befores = [k for k in order if "(before)" in k[1]]
    if befores:
        print("\n### The change, measured in the same run (FETCH_BEFORE)\n")
        print("| workload | tool | concurrency | before: s, CPU µs / file | now: s, CPU µs / file | speed-up (before s / now s) |")
        print("|---|---|---:|---:|---:|---:|")
        for k in befores:
            now = (k[0], k[1].replace("conc-fetch (before)", "conc-fetch"), k[2])
            if now not in runs:
                continue
            files = int(runs[k][0]["files"])
            cpu = lambda key: statistics.median(float(r["cpu_seconds"]) for r in runs[key]) / files * 1e6
            print(f"| {k[0]} | {now[1]} | {k[2]} | {med[k]:.2f} s, {cpu(k):,.0f} | {med[now]:.2f} s, {cpu(now):,.0f} | "
                  f"{med[k] / med[now]:.2f}x |")
    plain = get("W3", "plain libcurl (512 KiB buffer)", 1)
    cu = get("W3", "curl --parallel", 1)
    if plain and cu:
        print(f"\nThe ceiling of libcurl itself on W3 (one handle, 512 KiB buffer, fwrite): {cu / plain:.2f}x curl.")
    print()


if __name__ == "__main__":
    main()
