"""The README's picture of a gallery: its top page in headless Chromium on a laptop (1280 x 800,
light colours) and on a phone (390 x 844 CSS pixels at 2 device pixels each, dark colours), side by
side in one PNG.

Usage: /usr/bin/python3 scripts/gallery-screenshot.py OUT/index.html docs/img/gallery.png
(scripts/setup.sh installs chromium, chromium-driver, python3-selenium and python3-pil.)
"""
import base64
import io
import pathlib
import shutil
import sys
import tempfile

from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait


def shot(driver, url, width, height, scale, dark):
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": scale, "mobile": scale > 1})
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
        "features": [{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]})
    driver.get(url)
    WebDriverWait(driver, 60).until(lambda d: d.execute_script(
        "return [...document.images].filter(i => i.getBoundingClientRect().top < innerHeight)"
        ".every(i => i.complete && i.naturalWidth > 0)"))
    png = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})["data"]
    return Image.open(io.BytesIO(base64.b64decode(png))).convert("RGB")


def main():
    page, out = pathlib.Path(sys.argv[1]).resolve(), pathlib.Path(sys.argv[2])
    with tempfile.TemporaryDirectory() as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium")
        for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
                     f"--user-data-dir={profile}"):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
        try:
            laptop = shot(driver, page.as_uri(), 1280, 800, 1, False)
            phone = shot(driver, page.as_uri(), 390, 844, 2, True)
        finally:
            driver.quit()
    phone = phone.resize((round(phone.width * 720 / phone.height), 720), Image.LANCZOS)
    margin = 40
    picture = Image.new("RGB", (laptop.width + phone.width + 3 * margin, laptop.height + 2 * margin), (208, 210, 214))
    picture.paste(laptop, (margin, margin))
    picture.paste(phone, (laptop.width + 2 * margin, margin + (laptop.height - phone.height) // 2))
    # Three quarters of the size: as large as a README shows it, and a third of the bytes.
    picture = picture.resize((picture.width * 3 // 4, picture.height * 3 // 4), Image.LANCZOS)
    picture.save(out, optimize=True)
    print(f"{out}: {picture.width} x {picture.height}")


if __name__ == "__main__":
    main()
