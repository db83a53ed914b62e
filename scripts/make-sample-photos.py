"""Makes the sample photos in data/photos/ (run with Debian's python3, which has python3-pil).

The images are drawn here (fractals and gradients), so they carry no one's copyright. They
cover what a photo folder holds: landscape and portrait JPEGs (the portrait one stored sideways
with an EXIF orientation tag, as phones do), greyscale, a PNG with transparency, a TIFF scan
and a WebP, in nested folders.

usage: /usr/bin/python3 scripts/make-sample-photos.py [OUT_DIR]     (default: data/photos)
"""
import os
import sys

from PIL import Image, ImageDraw, ImageOps


def fractal(size, extent, low, high):
    grey = Image.effect_mandelbrot(size, extent, 256)
    return ImageOps.colorize(grey, low, high)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "data/photos"
    os.makedirs(os.path.join(out, "trip", "day 2"), exist_ok=True)
    os.makedirs(os.path.join(out, "scans"), exist_ok=True)

    landscape = fractal((1600, 1200), (-2.2, -1.2, 1.0, 1.2), "#102040", "#f0c060")
    landscape.save(os.path.join(out, "trip", "IMG_0001.JPG"), quality=80)

    # A portrait photo as a phone stores it: pixels sideways, EXIF orientation 6 (rotate 90 CW).
    portrait = fractal((1200, 1600), (-0.75, 0.05, -0.70, 0.12), "#200010", "#80f0a0")
    stored = portrait.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    stored.save(os.path.join(out, "trip", "day 2", "IMG_0002.JPG"), quality=80, exif=exif)

    grey = Image.effect_mandelbrot((1024, 768), (-1.0, -0.4, -0.5, 0.0), 200)
    grey.save(os.path.join(out, "trip", "day 2", "mono.jpg"), quality=80)

    logo = Image.new("RGBA", (800, 800), (0, 0, 0, 0))
    draw = ImageDraw.Draw(logo)
    draw.ellipse((100, 100, 700, 700), fill=(30, 120, 220, 255))
    draw.ellipse((250, 250, 550, 550), fill=(250, 250, 250, 160))
    logo.save(os.path.join(out, "logo.png"))

    scan = ImageOps.grayscale(fractal((1240, 1754), (-1.5, -1.0, 0.5, 1.0), "#000000", "#ffffff"))
    scan.save(os.path.join(out, "scans", "page-1.tiff"), compression="tiff_lzw")

    fractal((1280, 720), (-0.2, 0.6, 0.2, 1.0), "#002020", "#ffe0f0").save(os.path.join(out, "banner.webp"), quality=80)

    with open(os.path.join(out, "README.txt"), "w") as f:
        f.write("Sample photos for the conc-thumbs demo, drawn by scripts/make-sample-photos.py "
                "(fractals and shapes; public domain).\n")


if __name__ == "__main__":
    main()
