"""An album's worth of photos for the gallery's tests and benchmarks, made from the sample photos in
data/photos: COUNT JPEGs (default 200), landscapes and portraits of 1200 to 2400 pixels, each a
different crop so that no two are the same picture; the first 30 in three albums (subfolders) of
10, the rest at the top. Run with Debian's python3, which has python3-pil.

usage: /usr/bin/python3 scripts/make-album-photos.py OUT_DIR [COUNT]
"""
import pathlib
import sys

from PIL import Image

ALBUMS = ["Beach", "Garden walk", "Rain"]
PER_ALBUM = 10
SIZES = [(2400, 1600), (1600, 2400), (2000, 1500), (1200, 1800), (1800, 1200), (1500, 1500)]


def make_photos(samples, photos, count):
    sources = sorted(p for p in samples.iterdir() if p.suffix.lower() in (".jpg", ".png"))
    opened = [Image.open(p).convert("RGB") for p in sources]
    for i in range(count):
        album = ALBUMS[i // PER_ALBUM] if i < len(ALBUMS) * PER_ALBUM else None
        folder = photos / album if album else photos
        folder.mkdir(parents=True, exist_ok=True)
        image = opened[i % len(opened)]
        width, height = SIZES[(i // len(opened)) % len(SIZES)]
        # A crop of the sample with the target's shape, shifted a little for each photo.
        scale = min(image.width / width, image.height / height)
        crop_w, crop_h = int(width * scale * 0.9), int(height * scale * 0.9)
        x = (i * 37) % max(1, image.width - crop_w)
        y = (i * 23) % max(1, image.height - crop_h)
        picture = image.crop((x, y, x + crop_w, y + crop_h)).resize((width, height), Image.BILINEAR)
        picture.save(folder / f"IMG_{1000 + i}.jpg", quality=88)


if __name__ == "__main__":
    make_photos(pathlib.Path(__file__).resolve().parent.parent / "data" / "photos", pathlib.Path(sys.argv[1]),
                int(sys.argv[2]) if len(sys.argv) > 2 else 200)
