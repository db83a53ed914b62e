"""Reads conc-fetch --output-format webdataset tars with Python's own tarfile and checks each sample.

usage: /usr/bin/python3 tests/fetch/check_thumbnail_tars.py TAR...
Each tar must hold, in order, KEY.<ext> then KEY.json per sample (regular files only); each JSON
must name its key, and its width and height must be the image's own (decoded with Pillow). Prints
one line per sample: "TAR KEY URL WIDTH HEIGHT". Exits 1 with one line per problem otherwise.
"""
import io
import json
import os
import sys
import tarfile

from PIL import Image


def check(tar_path, problems):
    name = os.path.basename(tar_path)
    with tarfile.open(tar_path, mode="r:") as tar:
        members = tar.getmembers()
        if len(members) % 2 != 0:
            problems.append(f"{name}: {len(members)} members, not image/json pairs")
            return
        for image, meta in zip(members[0::2], members[1::2]):
            key, _, ext = image.name.partition(".")
            if not image.isfile() or not meta.isfile() or meta.name != key + ".json" or ext in ("", "json"):
                problems.append(f"{name}: members {image.name}, {meta.name} are not KEY.ext, KEY.json")
                continue
            facts = json.loads(tar.extractfile(meta).read())
            with Image.open(io.BytesIO(tar.extractfile(image).read())) as picture:
                picture.load()
                size = picture.size
            if facts.get("key") != key:
                problems.append(f"{name}: {meta.name} names key {facts.get('key')!r}")
            if size != (facts.get("width"), facts.get("height")):
                problems.append(f"{name}: {image.name} is {size[0]}x{size[1]}, its JSON says "
                                f"{facts.get('width')}x{facts.get('height')}")
            print(name, key, facts.get("url"), size[0], size[1])


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    problems = []
    for tar_path in sys.argv[1:]:
        try:
            check(tar_path, problems)
        except (OSError, ValueError, tarfile.TarError) as e:
            problems.append(f"{tar_path}: {e}")
    for p in problems:
        print(p, file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
