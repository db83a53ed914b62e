"""The gallery measured as a visitor's browser sees it: conc-thumbs --gallery on 200 photos (made from
data/photos at several sizes and orientations by scripts/make-album-photos.py: 170 in the top
folder, 30 in three albums), served by
python3 -m http.server on 127.0.0.1, and Lighthouse (npm, installed by scripts/setup.sh into
/opt/conc/lighthouse) driving Debian's Chromium headless with its mobile preset, on the top page and
on a photo's page. Each must score at least 95 for accessibility and best practices and 90 for
performance; the reports are kept as test artefacts.

Usage: /usr/bin/python3 gallery_lighthouse_test.py CONC_THUMBS SAMPLE_PHOTOS LIGHTHOUSE_DIR ARTEFACT_DIR
"""
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "scripts"))
try:
    album_photos = __import__("make-album-photos")
except ImportError as e:
    sys.exit(f"FAIL: cannot import {e.name} (scripts/setup.sh installs python3-pil)")

THRESHOLDS = {"accessibility": 95, "best-practices": 95, "performance": 90}
PHOTOS = 200
# The flags a closed network needs: no background requests, no component or sync updates.
CHROME_FLAGS = ("--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update "
                "--disable-sync --no-first-run --disable-default-apps --disable-extensions")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(root):
    """python3 -m http.server on a free port of 127.0.0.1, up when it answers (bounded wait)."""
    for _ in range(5):
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)],
                                  cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and server.poll() is None:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).close()
                return server, port
            except OSError:
                time.sleep(0.1)
        stop(server)
    sys.exit("FAIL: python3 -m http.server did not start on 127.0.0.1")


def stop(process):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def lighthouse(lighthouse_dir, url, report, profile):
    cli = lighthouse_dir / "node_modules" / "lighthouse" / "cli" / "index.js"
    run = subprocess.run(["node", str(cli), url, "--quiet", "--output=json", "--output=html",
                          f"--output-path={report}", "--only-categories=accessibility,best-practices,performance",
                          f"--chrome-flags={CHROME_FLAGS} --user-data-dir={profile}", "--max-wait-for-load=60000"],
                         env={**os.environ, "CHROME_PATH": shutil.which("chromium") or "/usr/bin/chromium"},
                         capture_output=True, text=True, timeout=240)
    result = pathlib.Path(f"{report}.report.json")
    if run.returncode != 0 or not result.exists():
        sys.exit(f"FAIL: lighthouse on {url} exited {run.returncode}: {run.stderr[-2000:]}")
    return json.loads(result.read_text())


def judge(name, result):
    """The lines that say what fell short, and a line of the scores."""
    failures = []
    scores = {}
    for category, least in THRESHOLDS.items():
        score = result["categories"][category]["score"]
        scores[category] = None if score is None else round(score * 100)
        if scores[category] is None or scores[category] < least:
            failures.append(f"{name}: {category} {scores[category]} < {least}")
            for ref in result["categories"][category]["auditRefs"]:
                audit = result["audits"][ref["id"]]
                if ref["weight"] > 0 and audit.get("score") is not None and audit["score"] < 0.9:
                    failures.append(f"  {ref['id']}: {audit['score']} {audit.get('displayValue', '')}")
    metrics = {m: result["audits"][m].get("displayValue", "") for m in
               ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift",
                "speed-index")}
    print(f"{name}: {scores} {metrics}")
    return failures


def main():
    thumbs, samples, lighthouse_dir, artefacts = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3]), \
        pathlib.Path(sys.argv[4])
    if not (lighthouse_dir / "node_modules" / "lighthouse" / "cli" / "index.js").exists():
        sys.exit(f"FAIL: no Lighthouse in {lighthouse_dir} (scripts/setup.sh installs it)")
    if not shutil.which("node") or not shutil.which("chromium"):
        sys.exit("FAIL: node or chromium is not installed (scripts/setup.sh installs them)")
    shutil.rmtree(artefacts, ignore_errors=True)
    artefacts.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        start = time.monotonic()
        album_photos.make_photos(samples, work / "photos", PHOTOS)
        made = time.monotonic()
        run = subprocess.run([thumbs, "--gallery", "--title", "Two hundred photos", "--no-progress", "-s", "256", "-o",
                              str(work / "web"), str(work / "photos")], capture_output=True, text=True, timeout=600)
        if run.returncode != 0:
            sys.exit(f"FAIL: conc-thumbs exited {run.returncode}: {run.stderr}")
        print(f"{PHOTOS} photos made in {made - start:.1f} s, the gallery in {time.monotonic() - made:.1f} s")
        server, port = start_server(work)
        failures = []
        try:
            for name, page in (("top page", "web/index.html"), ("photo page", "web/IMG_1100.jpg.html")):
                result = lighthouse(lighthouse_dir, f"http://127.0.0.1:{port}/{page}",
                                    artefacts / name.replace(" ", "-"), work / f"profile-{len(failures)}-{name[0]}")
                failures += judge(name, result)
        finally:
            stop(server)
    for line in failures:
        print("FAIL:", line)
    print(f"reports in {artefacts}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
