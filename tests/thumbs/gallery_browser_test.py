"""End-to-end: conc-thumbs --gallery on a 3-level tree with awkward names, opened in headless
Chromium (Debian's chromium and chromium-driver, driven by python3-selenium), as a visitor would:

- every page reached from index.html (folder pages and photo pages) shows all its images loaded,
  every link names an existing file, and every folder's and photo's page is reachable;
- at a phone's width (390 CSS px, 3 device pixels each) the grid has two columns and every tile
  shows its 2x thumbnail; at 1280 px it has at least four columns; at widths from 390 to 2200 px
  every tile is as wide as its sizes attribute says;
- a photo's page goes through its whole folder by Next and back by Previous, by click and by the
  arrow keys, and Escape goes back to the folder; with JavaScript off the clicks still do;
- dark colours come with prefers-color-scheme: dark, and the keyboard focus is visible.
A screenshot of each folder page is kept as a test artefact.

Usage: /usr/bin/python3 gallery_browser_test.py CONC_THUMBS ARTEFACT_DIR
A missing Chromium, driver or Selenium fails the test: scripts/setup.sh installs them.
"""
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
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
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
] + [f"many/photo {i:02d}.jpg" for i in range(9)]
FAILED = "a b/broken.jpg"
SIZE = 256


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
            size = (400, 600) if "portrait" in name else (640, 480)
            Image.new("RGB", size, (30 * i % 256, 90, 160)).save(path, quality=90)
    (photos / FAILED).write_bytes((photos / SOURCES[0]).read_bytes()[:300])


def path_of(url):
    parsed = urllib.parse.urlparse(url)
    assert parsed.scheme == "file", f"link leaves file:// ({url})"
    return pathlib.Path(urllib.parse.unquote(parsed.path))


def browser(work, name, javascript=True):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1280,2000",
                 f"--user-data-dir={work / ('profile-' + name)}"):
        options.add_argument(flag)
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(60)
    return driver


def wait_images(driver):
    driver.execute_script("window.scrollTo(0, document.body.scrollHeight)")
    WebDriverWait(driver, 60).until(lambda d: d.execute_script("return [...document.images].every(i => i.complete)"))


def crawl(driver, web, artefacts, failures):
    """Every page reached from the top one: images loaded, links to existing files."""
    seen, queue, tiles = set(), [web / "index.html"], 0
    while queue:
        page = queue.pop()
        if page in seen:
            continue
        seen.add(page)
        driver.get(page.as_uri())
        wait_images(driver)
        for src, width in driver.execute_script("return [...document.images].map(i => [i.currentSrc, i.naturalWidth])"):
            if width <= 0:
                failures.append(f"{page}: image {src} did not load")
        tiles += driver.execute_script("return document.querySelectorAll('li[id] img').length")
        for href in driver.execute_script("return [...document.links].map(a => a.href)"):
            target = path_of(href)
            if not target.exists():
                failures.append(f"{page}: link {href} names no file")
            elif target.suffix == ".html":
                queue.append(target)
        if page.name == "index.html":
            shot = artefacts / (str(page.parent.relative_to(web)).replace("/", "_").replace(".", "root") + ".png")
            driver.save_screenshot(str(shot))
    return seen, tiles


def columns(driver):
    """The number of tiles in the first row of the page's last grid (its photos)."""
    return driver.execute_script("""
        const tiles = [...document.querySelectorAll('ul.grid')].pop().children;
        const top = tiles[0].getBoundingClientRect().top;
        return [...tiles].filter(t => Math.abs(t.getBoundingClientRect().top - top) < 1).length;""")


SIZES_VS_LAYOUT = """
    // The width the browser takes from each tile's sizes attribute, and the tile's width on screen.
    const probe = document.body.appendChild(document.createElement('div'));
    const result = [...document.querySelectorAll('li[id] img')].map(img => {
        const chosen = img.sizes.split(/, (?![^(]*\\))/).map(s => s.trim()).find(entry => {
            const at = entry.lastIndexOf(') ');
            return !entry.startsWith('(') || matchMedia(entry.slice(0, at + 1)).matches;
        });
        probe.style.width = chosen.startsWith('(') ? chosen.slice(chosen.lastIndexOf(') ') + 2) : chosen;
        return [probe.getBoundingClientRect().width, img.getBoundingClientRect().width];
    });
    probe.remove();
    return result;"""


def check_sizes(driver, page, failures):
    """At several widths, each tile is as wide as its sizes attribute says (less at most the scrollbar)."""
    for width in (390, 700, 900, 1100, 1400, 1700, 2200):
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False})
        driver.get(page)
        for said, shown in driver.execute_script(SIZES_VS_LAYOUT):
            if not -0.5 <= said - shown <= 16:
                failures.append(f"at {width} px a tile is {shown:.1f} px wide, its sizes attribute says {said:.1f}")
                break
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def check_layout(driver, web, failures):
    many = (web / "many" / "index.html").as_uri()
    # A phone: 390 CSS pixels, 3 device pixels each.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True})
    driver.get(many)
    wait_images(driver)
    if columns(driver) < 2:
        failures.append(f"at 390 px the grid has {columns(driver)} column(s), expected 2")
    double = f"/{2 * SIZE}x{2 * SIZE}/"
    for src, natural in driver.execute_script(
            "return [...document.querySelectorAll('li[id] img')].map(i => [i.currentSrc, i.naturalWidth])"):
        if double not in src or natural <= 0:
            failures.append(f"at 3 device pixels a tile shows {src}, not its 2x thumbnail")
        elif max(Image.open(path_of(src)).size) != 2 * SIZE:
            failures.append(f"the 2x thumbnail {src} is {Image.open(path_of(src)).size}")
    widths = driver.execute_script("return [...document.querySelectorAll('li[id] img')].map(i => "
                                   "[i.getBoundingClientRect().width, i.getBoundingClientRect().height])")
    if any(abs(w - h) > 1 for w, h in widths):
        failures.append(f"tiles are not square: {widths[:3]}")
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})
    driver.get(many)
    wait_images(driver)
    if columns(driver) < 4:
        failures.append(f"at 1280 px the grid has {columns(driver)} columns, expected at least 4")
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    check_sizes(driver, many, failures)


def tile_pages(driver, folder_page):
    driver.get(folder_page.as_uri())
    return [path_of(a.get_attribute("href")).name for a in driver.find_elements(By.CSS_SELECTOR, "li[id] a")]


def step(driver, how, key):
    """Goes to the previous or next photo (key "prev" or "next") by a click or a key; False when
    the page has no such link."""
    links = driver.find_elements(By.ID, key)
    if not links:
        return False
    before = driver.current_url
    if how == "click":
        links[0].click()
    else:
        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT if key == "next" else Keys.ARROW_LEFT)
    WebDriverWait(driver, 30).until(lambda d: d.current_url != before)
    return True


def check_viewer(driver, web, how, failures):
    """From the first tile through the whole folder by Next, and back by Previous."""
    folder_page = web / "many" / "index.html"
    tiles = tile_pages(driver, folder_page)
    driver.find_element(By.CSS_SELECTOR, "li[id] a").click()
    forward = [path_of(driver.current_url).name]
    while len(forward) <= len(tiles) and step(driver, how, "next"):
        forward.append(path_of(driver.current_url).name)
    back = [forward[-1]]
    while len(back) <= len(tiles) and step(driver, how, "prev"):
        back.insert(0, path_of(driver.current_url).name)
    if forward != tiles or back != tiles:
        failures.append(f"viewer by {how}: next went {forward}, previous {back}, the folder holds {tiles}")
    image = driver.find_element(By.CSS_SELECTOR, "img.view")
    if f"/{1600}x{1600}/" not in image.get_attribute("src"):
        failures.append(f"the viewer shows {image.get_attribute('src')}, not the 1600-px rendition")
    if how == "key":
        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
        WebDriverWait(driver, 30).until(lambda d: path_of(d.current_url).name == "index.html")
        if path_of(driver.current_url) != folder_page or not driver.current_url.endswith("#p1"):
            failures.append(f"Escape went to {driver.current_url}, not the folder at the photo's tile")


def check_dark_and_focus(driver, web, failures):
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia",
                           {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
    driver.get((web / "index.html").as_uri())
    background = driver.execute_script("return getComputedStyle(document.body).backgroundColor")
    rgb = [int(c) for c in background[background.index("(") + 1:background.index(")")].split(",")[:3]]
    if sum(rgb) > 3 * 64:
        failures.append(f"with prefers-color-scheme: dark the page's background is {background}")
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    driver.get((web / "index.html").as_uri())
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    outline = driver.execute_script("const s = getComputedStyle(document.activeElement); "
                                    "return [document.activeElement.tagName, s.outlineStyle, s.outlineWidth]")
    if outline[0] != "A" or outline[1] == "none" or outline[2] in ("0px", ""):
        failures.append(f"the first Tab focuses {outline[0]} with outline {outline[1]} {outline[2]}")


def attempt(failures, what, check, *args):
    """Runs one check; a page without what it looks for fails that check, and the others still run."""
    try:
        check(*args)
    except Exception as e:  # noqa: BLE001 - Selenium's errors say what was not found
        failures.append(f"{what}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")


def main():
    thumbs, artefacts = sys.argv[1], pathlib.Path(sys.argv[2])
    shutil.rmtree(artefacts, ignore_errors=True)
    artefacts.mkdir(parents=True)
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        photos, web = work / "photos", work / "web"
        make_tree(photos)
        run = subprocess.run([thumbs, "--gallery", "--title", "Awkward <names>", "--no-progress", "-s", str(SIZE),
                              "-o", str(web), str(photos)], capture_output=True, text=True, timeout=300)
        if run.returncode != 1 or FAILED not in run.stderr:
            sys.exit(f"conc-thumbs exited {run.returncode} (expected 1, for {FAILED}): {run.stderr}")

        expected_pages = {web / "index.html"}
        for name in SOURCES + [FAILED]:
            folder = pathlib.PurePosixPath(name).parent
            while str(folder) != ".":
                expected_pages.add(web / folder / "index.html")
                folder = folder.parent
        for name in SOURCES:
            expected_pages.add(web / (name + ".html"))

        driver = browser(work, "js")
        try:
            seen, tiles = crawl(driver, web, artefacts, failures)
            if seen != expected_pages:
                failures.append(f"pages reached {sorted(map(str, seen - expected_pages))} and not "
                                f"{sorted(map(str, expected_pages - seen))}")
            if tiles != len(SOURCES):
                failures.append(f"{tiles} photo tiles on the pages, expected {len(SOURCES)}")
            attempt(failures, "layout", check_layout, driver, web, failures)
            attempt(failures, "viewer by click", check_viewer, driver, web, "click", failures)
            attempt(failures, "viewer by key", check_viewer, driver, web, "key", failures)
            attempt(failures, "dark colours and focus", check_dark_and_focus, driver, web, failures)
        finally:
            driver.quit()
        driver = browser(work, "no-js", javascript=False)
        try:
            driver.get((web / "index.html").as_uri())
            if driver.find_elements(By.TAG_NAME, "noscript") or not driver.find_elements(By.CSS_SELECTOR, "li[id] a"):
                failures.append("without JavaScript the top page shows no tiles")
            attempt(failures, "viewer without JavaScript", check_viewer, driver, web, "click", failures)
        finally:
            driver.quit()
    for f in failures:
        print("FAIL:", f)
    print(f"screenshots in {artefacts}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
