"""Makes the sample photos in data/photos/ from Debian's mate-backgrounds package (run with
Debian's python3, which has python3-pil; needs apt-get download and dpkg-deb).

Real photographs, GPL-2+ like the package, scaled to at most 1600 pixels (a few MB in all): landscapes
at the top, a subfolder, a portrait stored sideways with an EXIF orientation tag (as phones do) and
a PNG with transparency. Each file's author and licence go into data/photos/README.

usage: /usr/bin/python3 scripts/make-sample-photos.py [OUT_DIR]     (default: data/photos)
"""
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

from PIL import Image, ImageDraw

PACKAGE = "mate-backgrounds"
NATURE = "usr/share/backgrounds/mate/nature"
AUTHORS = {
    "Aqua.jpg": "Charles Barbin",
    "LadyBird.jpg": "Charles Barbin",
    "YellowFlower.jpg": "Charles Barbin",
    "Garden.jpg": "Charles Barbin",
    "TwoWings.jpg": "Charles Barbin, Hylke Bons",
    "Dune.jpg": "Marco Cogoni, Hylke Bons",
    "Storm.jpg": "Sergey Nazarov",
    "Wood.jpg": "Jean-François Fortin Tam",
    "GreenMeadow.jpg": "Timothy Schellhase, Lapo Calamandrei",
    "RainDrops.jpg": "\"blackcombwhistler07\"",
    "Blinds.jpg": "Lennart Poettering, Andrea Cimitan",
}
TOP = ["Aqua.jpg", "LadyBird.jpg", "Dune.jpg", "Storm.jpg", "Wood.jpg"]
SUBFOLDER = ("garden walk", ["Garden.jpg", "GreenMeadow.jpg", "RainDrops.jpg", "Blinds.jpg"])
LONG_SIDE = 1600


def scaled(image, long_side=LONG_SIDE):
    image = image.convert("RGB")
    image.thumbnail((long_side, long_side), Image.LANCZOS)
    return image


def main():
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "data/photos")
    credits = []
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["apt-get", "download", PACKAGE], cwd=tmp, check=True, capture_output=True)
        deb = next(pathlib.Path(tmp).glob(f"{PACKAGE}_*.deb"))
        subprocess.run(["dpkg-deb", "-x", str(deb), f"{tmp}/x"], check=True)
        source = pathlib.Path(tmp) / "x" / NATURE
        shutil.rmtree(out, ignore_errors=True)
        (out / SUBFOLDER[0]).mkdir(parents=True)

        def credit(made, original, how):
            credits.append(f"{made}: {how} {NATURE}/{original} from {deb.name}, (c) {AUTHORS[original]}, GPL-2+")

        for name in TOP:
            scaled(Image.open(source / name)).save(out / name, quality=85)
            credit(name, name, "scaled down from")
        for name in SUBFOLDER[1]:
            scaled(Image.open(source / name)).save(out / SUBFOLDER[0] / name, quality=85)
            credit(f"{SUBFOLDER[0]}/{name}", name, "scaled down from")

        # A portrait as a phone stores it: pixels sideways, EXIF orientation 6 (rotate 90 CW to view).
        wings = Image.open(source / "TwoWings.jpg").convert("RGB")
        w, h = wings.size
        portrait = scaled(wings.crop(((w - h * 2 // 3) // 2, 0, (w + h * 2 // 3) // 2, h)), 1200)
        exif = Image.Exif()
        exif[0x0112] = 6
        portrait.transpose(Image.Transpose.ROTATE_90).save(out / "portrait-sideways.jpg", quality=85, exif=exif)
        credit("portrait-sideways.jpg", "TwoWings.jpg", "a portrait crop, stored sideways with EXIF orientation 6, of")

        # A PNG with transparency: the flower cut out in a soft-edged circle.
        flower = scaled(Image.open(source / "YellowFlower.jpg"), 700)
        side = min(flower.size)
        flower = flower.crop(((flower.width - side) // 2, (flower.height - side) // 2,
                              (flower.width + side) // 2, (flower.height + side) // 2))
        mask = Image.new("L", flower.size, 0)
        ImageDraw.Draw(mask).ellipse((8, 8, side - 8, side - 8), fill=255)
        flower.putalpha(mask)
        flower.save(out / "flower-cutout.png", optimize=True)
        credit("flower-cutout.png", "YellowFlower.jpg", "a circular cut-out with transparency of")

    with open(out / "README", "w") as f:
        f.write("Sample photos for the conc-thumbs demo, made by scripts/make-sample-photos.py from Debian's\n"
                f"{PACKAGE} package (see /usr/share/doc/{PACKAGE}/copyright there). Each file is licensed\n"
                "under the GNU General Public License, version 2 or later, like the package:\n\n")
        for line in credits:
            f.write(line + "\n")
    print(f"{len(credits)} photos in {out}")


if __name__ == "__main__":
    main()
