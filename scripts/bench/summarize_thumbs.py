"""Turns bench-results/thumbs-vs-anchors.csv into the Markdown of docs/BENCHMARKS.md."""
import csv
import statistics
import sys
from collections import defaultdict

import machine


def main():
    path, jobs, n_mixed, n_jpeg, mp, n_progressive, n_tagged = sys.argv[1:8]
    mad_path = sys.argv[8] if len(sys.argv) > 8 else None
    seconds = defaultdict(list)
    rss = defaultdict(list)
    cpu = defaultdict(list)
    images = {}
    memory = {}
    order = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["corpus"] == "memory":
                memory[row["tool"]] = int(row["max_rss_kb"])
                continue
            key = (row["corpus"], row["tool"], row["jobs"])
            if key not in seconds:
                order.append(key)
            seconds[key].append(float(row["seconds"]))
            rss[key].append(int(row["max_rss_kb"]))
            cpu[key].append(float(row["cpu_seconds"]))
            images[key] = int(row["images"])

    def rate(key):
        return images[key] / statistics.median(seconds[key])

    print(f"Machine: {machine.describe()}. Corpus: {n_mixed} images ({n_jpeg} JPEG, the rest PNG), "
          f"{mp} megapixels. Box 256x256, quality 85, JPEG output, parallelism {jobs}.\n")
    for corpus, title in (("mixed", "Mixed corpus (JPEG + PNG)"), ("jpeg", "JPEGs only"),
                          ("tagged", f"The {n_tagged} 12-megapixel JPEGs tagged Adobe RGB (every pixel converted)"),
                          ("progressive", f"The corpus's {n_progressive} progressive JPEGs"),
                          ("preview", "Camera JPEGs whose preview serves a 160 box (each 20 times), -s 160"),
                          ("raw", "Camera RAW files (each 20 times)")):
        if not any(key[0] == corpus for key in order):
            continue
        print(f"### {title}\n")
        print("| tool | jobs | images/s (median) | seconds: median (min – max) | CPU s (median) | max RSS (MB) | runs |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for key in order:
            if key[0] != corpus:
                continue
            s = seconds[key]
            print(f"| {key[1]} | {key[2]} | {rate(key):.1f} | {statistics.median(s):.2f} ({min(s):.2f} – {max(s):.2f}) "
                  f"| {statistics.median(cpu[key]):.2f} | {max(rss[key]) / 1024:.0f} | {len(s)} |")
        print()

    def r(corpus, tool, j=jobs):
        return rate((corpus, tool, j))

    print("### Against the targets\n")
    print("| target | measured |")
    print("|---|---|")
    if any(key[0] == "mixed" for key in order):
        mixed_targets(r, cpu, jobs)
    camera_targets(r, order, mad_path)
    for kind, label in (("12mp", "12-megapixel JPEGs"), ("orig", "the wallpapers (up to 5640x3172, JPEG and PNG)"),
                        ("progressive", "the progressive JPEGs (up to 5120x2880, 14.7 megapixels)")):
        if kind in memory:
            print(f"| peak RSS per worker <= 120 MB, {label} | {memory[kind] / 1024:.0f} MB |")
    print()


def mixed_targets(r, cpu, jobs):
    conc = r("mixed", "conc-thumbs")
    print(f"| >= 1.6x vipsthumbnail on the mixed corpus | {conc / r('mixed', 'vipsthumbnail'):.2f}x |")
    print(f"| >= 1.3x the Pillow Pool script on the mixed corpus | {conc / r('mixed', 'pillow-pool'):.2f}x |")

    def cpu_cost(corpus):
        srgb = statistics.median(cpu[(corpus, "conc-thumbs-serial", "1")])
        keep = statistics.median(cpu[(corpus, "conc-thumbs-serial-colour-keep", "1")])
        return 100 * (srgb / keep - 1)

    print(f"| colour management costs <= 5% on the mixed corpus: CPU time, serial, sRGB vs --colour keep | "
          f"{cpu_cost('mixed'):+.1f}% |")
    print(f"| (the same by wall time at -j {jobs}) | {100 * (r('mixed', 'conc-thumbs-colour-keep') / conc - 1):+.1f}% |")
    print(f"| (CPU time on Adobe RGB-tagged 12-megapixel JPEGs, every pixel converted) | {cpu_cost('tagged'):+.1f}% |")
    print(f"| progressive JPEGs: conc-thumbs (DC scan only) >= 2x djpeg -scale 1/8 decode-only | "
          f"{r('progressive', 'conc-thumbs') / r('progressive', 'djpeg-1/8-decode-only'):.2f}x |")
    print(f"| (ImageMagick mogrify, for reference) | {conc / r('mixed', 'imagemagick-mogrify'):.2f}x |")
    print(f"| JPEGs: >= 95% of djpeg -scale 1/4 decode-only | "
          f"{100 * r('jpeg', 'conc-thumbs') / r('jpeg', 'djpeg-1/4-decode-only'):.0f}% |")
    print(f"| 1 -> {jobs} workers: speedup >= 1.85x | {conc / r('mixed', 'conc-thumbs', '1'):.2f}x |")


def camera_targets(r, order, mad_path):
    if any(key[0] == "preview" for key in order):
        print(f"| --embedded-preview >= 10x vipsthumbnail at -s 160 on camera JPEGs with a preview | "
              f"{r('preview', 'conc-thumbs-embedded-preview') / r('preview', 'vipsthumbnail-160'):.2f}x |")
    if mad_path:
        with open(mad_path, newline="") as f:
            mads = [float(row["mad"]) for row in csv.DictReader(f)]
        if mads:
            within = sum(1 for m in mads if 0 <= m <= 6)
            print(f"| every preview's thumbnail within MAD 6 of the full decode's | {within} of {len(mads)} "
                  f"(largest {max(mads):.1f}) |")
    if any(key[0] == "raw" for key in order):
        print(f"| RAW: >= 2x dcraw -e then vipsthumbnail | "
              f"{r('raw', 'conc-thumbs') / r('raw', 'dcraw-e+vipsthumbnail'):.2f}x |")
        print(f"| RAW: within 20% of exiftool -b -PreviewImage then vipsthumbnail | "
              f"{r('raw', 'conc-thumbs') / r('raw', 'exiftool-preview+vipsthumbnail'):.2f}x |")


if __name__ == "__main__":
    main()
