"""img2dataset's architecture in one script: a ThreadPool of urllib downloads feeding a
multiprocessing Pool of OpenCV workers (decode, resize to fit the box keeping the aspect ratio,
encode JPEG), which write each thumbnail to OUT_DIR/NAME.jpg (NAME: the URL's last segment
without its extension). At most 2 x THREADS bodies are downloaded and not yet thumbnailed (a
download waits for a slot before it starts), so memory stays bounded. An anchor for pipeline.sh; run with Debian's python3,
which has python3-opencv.

usage: py_img2dataset.py LIST OUT_DIR WxH QUALITY THREADS PROCESSES
Prints "ok N failed M" on stderr; exit status 1 when any URL failed.
"""
import os
import sys
import threading
import urllib.request
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


if __name__ == "__main__":
    main()
