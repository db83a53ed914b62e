"""The web-sized images and the TSV of scripts/bench/dataset.sh, made from the photo corpus.

usage: dataset_corpus.py PHOTOS_DIR WWW_DIR DISTINCT    (the images, made once)
       dataset_corpus.py --list WWW_DIR ROWS BASE_FORMAT OUT.tsv
The images: DISTINCT files in WWW_DIR/img, each a photo of PHOTOS_DIR resized so that its longer side is
300 to 1,200 px, as JPEG (60%), WebP (20%) or PNG (20%), each 15 to 200 KB; WWW_DIR/cut holds the first
half of some PNG and WebP ones (truncated bodies that every decoder refuses), WWW_DIR/page.html a page.
The list: a TSV (url, caption, NSFW, LICENSE) of ROWS rows, each URL its own (BASE_FORMAT has {host},
{kind}, {row} and {name}), on 200 host names; 3% answer 404, 1% a truncated image, 1% HTML, 2% carry
X-Robots-Tag: noai, the rest an image. Run with Debian's python3 (python3-opencv).
"""
import os
import random
import sys

import cv2

KINDS = [("missing", 0.03), ("cut", 0.01), ("html", 0.01), ("noai", 0.02)]


def encode_within(image, ext, low=15 * 1024, high=200 * 1024):
    """The image encoded in 15-200 KB: the quality (JPEG, WebP) or the size (PNG) adjusted."""
    if ext == "png":
        while True:
            ok, data = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, 9])
            if len(data) <= high or max(image.shape[:2]) <= 300:
                return data.tobytes()
            image = cv2.resize(image, None, fx=0.85, fy=0.85, interpolation=cv2.INTER_AREA)
    flag = cv2.IMWRITE_JPEG_QUALITY if ext == "jpg" else cv2.IMWRITE_WEBP_QUALITY
    quality = 85
    for _ in range(12):
        ok, data = cv2.imencode("." + ext, image, [flag, quality])
        if len(data) > high and quality > 30:
            quality -= 10
        elif len(data) < low and quality < 98:
            quality = min(98, quality + 5)
        else:
            break
    return data.tobytes()


def make_images(photos_dir, www, distinct):
    photos = sorted(os.path.join(photos_dir, f) for f in os.listdir(photos_dir))
    rng = random.Random(23)
    os.makedirs(os.path.join(www, "img"), exist_ok=True)
    os.makedirs(os.path.join(www, "cut"), exist_ok=True)
    for i in range(distinct):
        photo = cv2.imread(photos[i % len(photos)], cv2.IMREAD_COLOR)
        longer = rng.randint(300, 1200)
        scale = longer / max(photo.shape[:2])
        image = cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        ext = "jpg" if i % 5 < 3 else ("webp" if i % 5 == 3 else "png")
        data = encode_within(image, ext)
        name = f"{i:04d}.{ext}"
        with open(os.path.join(www, "img", name), "wb") as f:
            f.write(data)
        if ext != "jpg":
            with open(os.path.join(www, "cut", name), "wb") as f:
                f.write(data[: len(data) // 2])
    with open(os.path.join(www, "page.html"), "w") as f:
        f.write("<!doctype html><title>Not an image</title><p>This page moved.</p>\n")


def make_list(www, rows, base, out):
    images = sorted(os.listdir(os.path.join(www, "img")))
    cut = sorted(os.listdir(os.path.join(www, "cut")))
    rng = random.Random(29)
    with open(out, "w") as f:
        f.write("url\tcaption\tNSFW\tLICENSE\n")
        for row in range(rows):
            pick = rng.random()
            kind = "img"
            for name, share in KINDS:
                if pick < share:
                    kind = name
                    break
                pick -= share
            name = (cut if kind == "cut" else images)[row % len(cut if kind == "cut" else images)]
            url = base.format(host=row % 200, kind=kind, row=row, name=name)
            caption = f"photo {row}, a view ({rng.choice(['daylight', 'dusk', 'night'])})"
            f.write(f"{url}\t{caption}\t{rng.choice(['UNLIKELY', 'UNSURE', 'NSFW'])}\t"
                    f"{rng.choice(['cc-by', 'cc0', '?'])}\n")


def main():
    if len(sys.argv) == 4:
        make_images(sys.argv[1], sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 6 and sys.argv[1] == "--list":
        make_list(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
