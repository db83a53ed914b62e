"""img2dataset's architecture in one script: a ThreadPool of urllib downloads feeding a
multiprocessing Pool of OpenCV workers (decode, resize, encode JPEG). At most 2 x THREADS bodies are
downloaded and not yet thumbnailed (a download waits for a slot before it starts), so memory stays
bounded. An anchor for pipeline.sh and dataset.sh; run with Debian's python3, which has python3-opencv.

Files (pipeline.sh): each thumbnail, fit inside the box, goes to OUT_DIR/NAME.jpg (NAME: the URL's
last segment without its extension).
usage: py_img2dataset.py LIST OUT_DIR WxH QUALITY THREADS PROCESSES
Prints "ok N failed M" on stderr; exit status 1 when any URL failed.

A dataset (dataset.sh), as img2dataset builds one: a TSV with a header row (url, caption, more
columns), downloads whose X-Robots-Tag says noai, noimageai, noindex or noimageindex dropped (its
is_disallowed()), img2dataset's "border" resize (the longer side to SIZE, then padded to SIZExSIZE in
white), and WebDataset tars written by the main process: KEY.jpg, KEY.txt (the caption), KEY.json
(key, url, caption, the saved columns, status, sizes), KEY being the row's line in the TSV (as
conc-fetch names it, so that the two arms' samples can be compared); then OUT/stats.json with
img2dataset's counts.
usage: py_img2dataset.py --dataset TSV OUT_DIR SIZE QUALITY THREADS PROCESSES CAPTION_COL SAVE_COLS
       [HOST_SUFFIX]
SAVE_COLS: comma-separated. HOST_SUFFIX: host names ending so are looked up as 127.0.0.1 (as
conc-fetch's --resolve), e.g. .localhost.
"""
import csv
import io
import json
import os
import socket
import sys
import tarfile
import threading
import time
import urllib.request
from collections import Counter
from multiprocessing import Pool
from multiprocessing.pool import ThreadPool

import cv2
import numpy as np


# Bodies downloaded and not yet thumbnailed; a download waits for a free slot before it starts.
in_flight = None


def download(url):
    in_flight.acquire()
    try:
        with urllib.request.urlopen(url, timeout=60) as r:
            return url, r.read(), None
    except Exception as e:  # one URL's failure is reported, the run goes on
        in_flight.release()
        return url, None, f"{url}: {e}"


def thumbnail(job):
    url, body, out_dir, width, height, quality = job
    try:
        image = cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            return f"{url}: not an image OpenCV decodes"
        h, w = image.shape[:2]
        scale = min(width / w, height / h)
        if scale < 1:
            size = (max(1, round(w * scale)), max(1, round(h * scale)))
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            return f"{url}: cannot encode"
        name = os.path.splitext(url.rsplit("/", 1)[-1])[0] + ".jpg"
        path = os.path.join(out_dir, name)
        temp = path + ".tmp"
        with open(temp, "wb") as f:
            f.write(encoded.tobytes())
        os.replace(temp, path)
        return None
    except Exception as e:
        return f"{url}: {e}"


def main():
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    list_file, out_dir, box, quality, threads, processes = sys.argv[1:]
    width, height = (int(v) for v in box.lower().split("x"))
    quality, threads, processes = int(quality), int(threads), int(processes)
    os.makedirs(out_dir, exist_ok=True)
    with open(list_file) as f:
        urls = [line.strip() for line in f if line.strip()]

    global in_flight
    in_flight = threading.BoundedSemaphore(2 * threads)
    failures = []
    ok = 0
    lock = threading.Lock()

    def done(error):
        nonlocal ok
        with lock:
            if error is None:
                ok += 1
            else:
                failures.append(error)
        in_flight.release()

    def failed(exc):
        done(f"worker: {exc}")

    with Pool(processes) as cpu, ThreadPool(threads) as io:
        for url, body, error in io.imap_unordered(download, urls):
            if error is not None:
                with lock:
                    failures.append(error)
                continue
            cpu.apply_async(thumbnail, ((url, body, out_dir, width, height, quality),),
                            callback=done, error_callback=failed)
        cpu.close()
        cpu.join()

    for line in failures:
        print(line, file=sys.stderr)
    print(f"ok {ok} failed {len(failures)}", file=sys.stderr)
    sys.exit(1 if failures else 0)


# ---- a dataset, as img2dataset builds one ---------------------------------------------------

USER_AGENT = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:72.0) Gecko/20100101 Firefox/72.0"
DISALLOWED = {"noai", "noimageai", "noindex", "noimageindex"}


def is_disallowed(headers):
    """img2dataset's rule: a directive for every agent (no "agent:" before it) that is disallowed."""
    for value in headers.get_all("X-Robots-Tag") or []:
        parts = value.split(":", 1)
        directives = [d.strip().lower() for d in parts[-1].split(",")]
        if len(parts) == 1 and any(d in DISALLOWED for d in directives):
            return True
    return False


def dataset_download(row):
    key, url = row[0], row[1]
    in_flight.acquire()
    try:
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        with urllib.request.urlopen(request, timeout=60) as r:
            if is_disallowed(r.headers):
                in_flight.release()
                return row, None, "opted_out", "Use of image disallowed by X-Robots-Tag directive"
            return row, r.read(), None, None
    except Exception as e:  # one URL's failure is counted, the run goes on
        in_flight.release()
        return row, None, "failed_to_download", str(e)


def border_resize(job):
    """img2dataset's Resizer with resize_mode border: (key, jpeg, width, height, original w, h) or an error."""
    key, body, size, quality = job
    try:
        image = cv2.imdecode(np.frombuffer(body, np.uint8), cv2.IMREAD_UNCHANGED)
        if image is None:
            return key, None, "Image decoding error"
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        if image.ndim == 3 and image.shape[2] == 4:  # alpha matting on white, as img2dataset
            alpha = image[:, :, 3:4].astype(np.float32) / 255
            image = np.rint((alpha * image[:, :, :3] + (1 - alpha) * 255).clip(0, 255)).astype(np.uint8)
        original_height, original_width = image.shape[:2]
        scale = size / max(original_width, original_height)
        width, height = max(1, round(original_width * scale)), max(1, round(original_height * scale))
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LANCZOS4
        image = cv2.resize(image, (width, height), interpolation=interpolation)
        top, left = (size - height) // 2, (size - width) // 2
        image = cv2.copyMakeBorder(image, top, size - height - top, left, size - width - left, cv2.BORDER_CONSTANT,
                                   value=(255, 255, 255))
        ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if not ok:
            return key, None, "cannot encode"
        return key, (encoded.tobytes(), size, size, original_width, original_height), None
    except Exception as e:
        return key, None, str(e)


class TarWriter:
    """WebDataset tars of SAMPLES samples each, written as img2dataset's writer does (tarfile)."""

    def __init__(self, out_dir, samples):
        self.out_dir, self.samples, self.index, self.count, self.tar = out_dir, samples, 0, 0, None

    def add(self, key, members):
        if self.tar is None:
            self.tar = tarfile.open(os.path.join(self.out_dir, f"{self.index:05d}.tar"), "w")
        for ext, data in members:
            info = tarfile.TarInfo(f"{key}.{ext}")
            info.size, info.mtime = len(data), time.time()
            self.tar.addfile(info, io.BytesIO(data))
        self.count += 1
        if self.count == self.samples:
            self.close()

    def close(self):
        if self.tar is not None:
            self.tar.close()
            self.tar, self.count, self.index = None, 0, self.index + 1


def resolve_to_loopback(suffix):
    """Host names ending with suffix are looked up as 127.0.0.1, as conc-fetch's --resolve."""
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        return real("127.0.0.1" if isinstance(host, str) and host.endswith(suffix) else host, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo


def dataset_main(args):
    if len(args) not in (8, 9):
        sys.exit(__doc__)
    tsv, out_dir, size, quality, threads, processes, caption_col, save_cols = args[:8]
    if len(args) == 9:
        resolve_to_loopback(args[8])
    size, quality, threads, processes = int(size), int(quality), int(threads), int(processes)
    save_cols = [c for c in save_cols.split(",") if c]
    os.makedirs(out_dir, exist_ok=True)
    with open(tsv, newline="") as f:
        reader = csv.reader(f, delimiter="\t")
        header = next(reader)
        rows = []
        for row in reader:
            # The key is the row's line, as conc-fetch's (the reader's line count after the row).
            line = reader.line_num - row_lines(row) + 1
            fields = dict(zip(header, row))
            rows.append((f"{line:09d}", fields["url"], fields))

    global in_flight
    in_flight = threading.BoundedSemaphore(2 * threads)
    start = time.time()
    counts = Counter()
    status_dict = Counter()
    lock = threading.Lock()
    writer = TarWriter(out_dir, 10000)
    meta = {}

    def sample_json(key, status, error, sizes):
        url, fields = meta[key]
        j = {c: fields.get(c) for c in save_cols}
        j.update({"key": key, "url": url, "caption": fields.get(caption_col), "status": status,
                  "error_message": error})
        if sizes:
            j.update(dict(zip(("width", "height", "original_width", "original_height"), sizes)))
        return j

    def done(result):
        key, made, error = result
        with lock:
            if made is None:
                counts["failed_to_resize"] += 1
                status_dict[error] += 1
            else:
                counts["successes"] += 1
                status_dict["success"] += 1
                encoded, *sizes = made
                j = sample_json(key, "success", None, sizes)
                writer.add(key, [("jpg", encoded), ("txt", (j["caption"] or "").encode()),
                                 ("json", json.dumps(j).encode())])
            del meta[key]
        in_flight.release()

    def failed(exc):
        with lock:
            counts["failed_to_resize"] += 1
            status_dict[f"worker: {exc}"] += 1
        in_flight.release()

    with Pool(processes) as cpu, ThreadPool(threads) as io_pool:
        for row, body, status, error in io_pool.imap_unordered(dataset_download, rows):
            key = row[0]
            if body is None:
                with lock:
                    counts[status] += 1
                    status_dict[error] += 1
                continue
            with lock:
                meta[key] = (row[1], row[2])
            cpu.apply_async(border_resize, ((key, body, size, quality),), callback=done, error_callback=failed)
        cpu.close()
        cpu.join()
    writer.close()
    stats = {"count": len(rows), "successes": counts["successes"],
             "failed_to_download": counts["failed_to_download"], "failed_to_resize": counts["failed_to_resize"],
             "opted_out": counts["opted_out"], "duration": time.time() - start,
             "status_dict": dict(status_dict.most_common(20))}
    with open(os.path.join(out_dir, "stats.json"), "w") as f:
        json.dump(stats, f, indent=2)
    print(f"ok {counts['successes']} failed {len(rows) - counts['successes']}", file=sys.stderr)


def row_lines(row):
    """How many lines a parsed row spans (its fields' newlines, plus its own)."""
    return 1 + sum(field.count("\n") for field in row)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--dataset":
        dataset_main(sys.argv[2:])
    else:
        main()
