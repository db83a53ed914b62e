"""The classic thumbnail script: walk a folder, Image.open, thumbnail(), save, spread over
multiprocessing.Pool. Used as an anchor by thumbs-vs-anchors.sh (run with Debian's python3,
which has python3-pil).

usage: pillow_thumbs.py INPUT_DIR OUTPUT_DIR SIZE QUALITY PROCESSES
Every thumbnail is written as JPEG (like the other tools in the benchmark).
"""
import os
import sys
from multiprocessing import Pool

from PIL import Image


def make(args):
    src, dst, size, quality = args
    with Image.open(src) as im:
        im.thumbnail((size, size))
        if im.mode not in ("RGB", "L"):
            im = im.convert("RGB")
        im.save(dst, "JPEG", quality=quality)


def main():
    src_dir, out_dir, size, quality, processes = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    os.makedirs(out_dir, exist_ok=True)
    jobs = []
    for root, _dirs, files in os.walk(src_dir):
        for name in files:
            jobs.append((os.path.join(root, name), os.path.join(out_dir, name + ".jpg"), size, quality))
    with Pool(processes) as pool:
        pool.map(make, jobs, chunksize=1)


if __name__ == "__main__":
    main()
