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
    "W5": "W5: 2,000 x 16 KiB over HTTPS from one host, each delayed 50 ms, HTTP/1.1",
    "W5-h2": "W5 over HTTP/2",
    "W6": "W6: the same 2,000 files over 500 hosts (spread: host after host), HTTP/1.1, conc-fetch --per-host 2",
    "W6-h2": "W6 over HTTP/2",
    "W7": "W7: 500 files, one per host, verified against the system's CA bundle (+ the private CA)",
    "W8": "W8: 500 hosts x 4 files listed host by host, conc-fetch --per-host 2",
}
TLS = ("W5", "W5-h2", "W6", "W6-h2", "W7", "W8")


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
    cpus = {}
    conns = {}
    for w in ("W1", "W2", "W3", "W4") + TLS:
        keys = [k for k in order if k[0] == w]
        if not keys:
            continue
        tls = w in TLS
        print(f"### {TITLES[w]}\n")
        if tls:
            print("| tool | concurrency | seconds: median (min – max) | CPU seconds | CPU µs / file | max RSS (MB) | "
                  "connections | TLS sessions resumed | runs |")
            print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        else:
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
            cpus[k] = cpu
            if tls:
                c = statistics.median(int(r["connections"]) for r in rows)
                resumed = statistics.median(int(r["resumed"]) for r in rows)
                conns[k] = c
                print(f"| {k[1]} | {k[2]} | {s:.2f} ({min(secs):.2f} – {max(secs):.2f}) | {cpu:.2f} | "
                      f"{cpu / files * 1e6:,.0f} | {rss:.0f} | {c:,.0f} | {resumed:,.0f} | {len(rows)} |")
            else:
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

    def present(w):
        return any(k[0] == w for k in order)

    def vs(w, other, c):
        """conc-fetch on w at 128 against `other` at c: their seconds / ours, and the CPU of both."""
        def cell(e):
            mine, theirs = (w, f"conc-fetch {e}", "128"), (w, other, str(c))
            if mine not in med or theirs not in med:
                return "–"
            return (f"{med[theirs] / med[mine]:.2f}x the speed; CPU {cpus[mine]:.2f} s vs {cpus[theirs]:.2f} s "
                    f"({cpus[mine] / cpus[theirs]:.2f}x)")
        return cell

    def auto_vs_best(w):
        def cell(e):
            fixed = {c: med[(w, f"conc-fetch {e}", str(c))] for c in (8, 32, 128, 256, 512)
                     if (w, f"conc-fetch {e}", str(c)) in med}
            auto = (w, f"conc-fetch {e}", "auto")
            if auto not in med or not fixed:
                return "–"
            best_c, best = min(fixed.items(), key=lambda kv: kv[1])
            text = f"{100 * best / med[auto]:.0f}% of -j {best_c}'s speed ({med[auto]:.2f} s vs {best:.2f} s)"
            if auto in conns and (w, f"conc-fetch {e}", str(best_c)) in conns:
                text += f"; {conns[auto]:,.0f} connections vs {conns[(w, f'conc-fetch {e}', str(best_c))]:,.0f}"
            return text
        return cell

    if present("W1"):
        ab = get("W1", "ApacheBench (ab -k)", 128)

        def w1_ab(e):
            s = get("W1", f"conc-fetch {e}", 128)
            return f"{100 * ab / s:.1f}% ({s:.2f} s vs ab {ab:.2f} s)" if s and ab else "–"

        row("W1 at 128: >= 97% of ApacheBench's rate", w1_ab)
        row("W1 at 128: >= 1.0x curl's speed, CPU per file no more than curl's", vs("W1", "curl --parallel", 128))
        row("W1 -j auto: >= 90% of the best fixed -j's speed", auto_vs_best("W1"))
        curl50 = get("W1", "curl --parallel", 50)

        def w1_curl50(e):
            auto = get("W1", f"conc-fetch {e}", "auto")
            return f"{curl50 / auto:.2f}x" if auto and curl50 else "–"

        row("W1 -j auto >= 2x curl --parallel at its default 50", w1_curl50)
    for w, x, c in (("W2", 1.0, 16), ("W3", 1.0, 1)):
        if not present(w):
            continue
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
        if present(w):
            row(f"{w}: peak RSS under 64 MB", lambda e, w=w: f"{rss(w, e):.0f} MB" if rss(w, e) else "–")
    if present("W7"):
        row("W7 at 128: wall <= aria2c's and CPU <= aria2c's", vs("W7", "aria2c", 128))
    for w in ("W5", "W5-h2", "W6", "W6-h2"):
        if present(w):
            # Over HTTP/2 the faster of curl's two ways: new connections at once, or waiting to multiplex.
            curls = [t for t in ("curl --parallel", "curl --parallel (multiplexing)") if (w, t, "128") in med]
            best = min(curls, key=lambda t: med[(w, t, "128")]) if curls else "curl --parallel"
            row(f"{w} at 128: >= 1.2x curl's speed and CPU <= curl's" + (f" ({best})" if len(curls) > 1 else ""),
                vs(w, best, 128))

    def w8(e):
        k = ("W8", f"conc-fetch {e}", "128")
        if k not in med:
            return "–"
        hosts = int(runs[k][0]["files"]) // 4
        text = f"{conns[k]:,.0f} connections (hosts x 2: {2 * hosts:,})"
        b = ("W8", f"conc-fetch (before) {e}", "128")
        if b in med:
            text += f"; {med[b] / med[k]:.2f}x the speed before ({med[b]:.2f} s -> {med[k]:.2f} s)"
        return text

    if present("W8"):
        row("W8 at 128: connections <= hosts x --per-host; >= 1.5x the speed before (FETCH_BEFORE)", w8)
    for w in ("W5", "W5-h2", "W6", "W6-h2"):
        if (w, "conc-fetch threads", "auto") in med:
            row(f"{w} -j auto: >= 90% of the best fixed -j's speed"
                + (", connections <= 1.5x that -j's" if w.startswith("W5") else ""), auto_vs_best(w))
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
