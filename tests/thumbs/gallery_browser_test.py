"""End-to-end: conc-thumbs --gallery on a 3-level tree with awkward names, opened in headless
Chromium (Debian's chromium and chromium-driver, driven by python3-selenium). Every page reached
from index.html must show all its images loaded, every link must name an existing file, and every
folder's page must be reachable; a screenshot of each page is kept as a test artefact.

Usage: /usr/bin/python3 gallery_browser_test.py CONC_THUMBS ARTEFACT_DIR
A missing Chromium, driver or Selenium fails the test: scripts/setup.sh installs them.
"""
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

def missing(why):
    print(f"FAIL: {why} (scripts/setup.sh installs chromium, chromium-driver and python3-selenium)")
    sys.exit(1)


try:
    from PIL import Image
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError as e:
    missing(f"cannot import {e.name}")

CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")
if not CHROMIUM or not DRIVER:
    missing("chromium or chromedriver is not installed")

SOURCES = [
    "top #1.jpg",
    "100% sure?.png",
    "a b/it's \"quoted\".jpg",
    "a b/portrait.jpg",
    "a b/été 日本/x&y <z>.jpg",
    "a b/été 日本/#deep?/last one.png",
]
FAILED = "a b/broken.jpg"


def make_tree(photos):
    for i, name in enumerate(SOURCES):
        path = photos / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith(".png"):
            image = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
            for x in range(60, 240):
                for y in range(40, 160):
                    image.putpixel((x, y), (40 * i % 256, 120, 200, 255))
            image.save(path)
        else:
            size = (200, 300) if "portrait" in name else (320, 240)
            Image.new("RGB", size, (30 * i % 256, 90, 160)).save(path, quality=90)
    (photos / FAILED).write_bytes((photos / SOURCES[0]).read_bytes()[:300])


def path_of(url):
    parsed = urllib.parse.urlparse(url)
    assert parsed.scheme == "file", f"link leaves file:// ({url})"
    return pathlib.Path(urllib.parse.unquote(parsed.path))


def main():
    thumbs, artefacts = sys.argv[1], pathlib.Path(sys.argv[2])
    shutil.rmtree(artefacts, ignore_errors=True)
    artefacts.mkdir(parents=True)
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        photos, web = work / "photos", work / "web"
        make_tree(photos)
        run = subprocess.run([thumbs, "--gallery", "--title", "Awkward <names>", "--no-progress", "-s", "128",
                              "-o", str(web), str(photos)], capture_output=True, text=True, timeout=300)
        if run.returncode != 1 or FAILED not in run.stderr:
            sys.exit(f"conc-thumbs exited {run.returncode} (expected 1, for {FAILED}): {run.stderr}")

        expected_pages = {web / "index.html"}
        for name in SOURCES + [FAILED]:
            folder = pathlib.PurePosixPath(name).parent
            while str(folder) != ".":
                expected_pages.add(web / folder / "index.html")
                folder = folder.parent

        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1280,2000",
                     f"--user-data-dir={work / 'profile'}"):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(DRIVER), options=options)
        try:
            driver.set_page_load_timeout(60)
            seen, queue, images = set(), [web / "index.html"], 0
            while queue:
                page = queue.pop()
                if page in seen:
                    continue
                seen.add(page)
                driver.get(page.as_uri())
                driver.execute_script("window.scrollTo(0, document.body.scrollHeight)")
                WebDriverWait(driver, 60).until(
                    lambda d: d.execute_script("return [...document.images].every(i => i.complete)"))
                for src, width in driver.execute_script(
                        "return [...document.images].map(i => [i.currentSrc, i.naturalWidth])"):
                    images += 1
                    if width <= 0:
                        failures.append(f"{page}: image {src} did not load")
                for href in driver.execute_script("return [...document.links].map(a => a.href)"):
                    target = path_of(href)
                    if not target.exists():
                        failures.append(f"{page}: link {href} names no file")
                    elif target.name == "index.html":
                        queue.append(target)
                shot = artefacts / (str(page.parent.relative_to(web)).replace("/", "_").replace(".", "root") + ".png")
                driver.save_screenshot(str(shot))
            if seen != expected_pages:
                failures.append(f"pages reached {sorted(map(str, seen))}, expected {sorted(map(str, expected_pages))}")
            if images != len(SOURCES):
                failures.append(f"{images} images on the pages, expected {len(SOURCES)}")
        finally:
            driver.quit()
    for f in failures:
        print("FAIL:", f)
    print(f"screenshots in {artefacts}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
