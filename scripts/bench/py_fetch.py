"""The classic downloader script: ThreadPoolExecutor + urllib, saving each body to a file.
An anchor for fetch-vs-anchors.sh.   usage: py_fetch.py LIST OUT_DIR THREADS"""
import os
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor


def fetch(args):
    url, out_dir = args
    with urllib.request.urlopen(url) as r:
        data = r.read()
    with open(os.path.join(out_dir, url.rsplit("/", 1)[-1]), "wb") as f:
        f.write(data)


def main():
    list_file, out_dir, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    os.makedirs(out_dir, exist_ok=True)
    urls = [line.strip() for line in open(list_file) if line.strip()]
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(fetch, [(u, out_dir) for u in urls]))


if __name__ == "__main__":
    main()
