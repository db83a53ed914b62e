"""Reads conc-fetch --output-format webdataset tars with Python's own tarfile and checks each sample.

usage: /usr/bin/python3 tests/fetch/check_thumbnail_tars.py TAR...
Each tar must hold, in order, KEY.<ext>, KEY.txt when the sample has a caption, then KEY.json per
sample (regular files only); each JSON must name its key, its caption (if any) must be KEY.txt's, and
its width and height must be the image's own (decoded with Pillow). Prints
one line per sample: "TAR KEY URL WIDTH HEIGHT". Exits 1 with one line per problem otherwise.
"""
import io
import json
import os
import sys
import tarfile

from PIL import Image


def samples_of(members):
    """Consecutive members grouped by key: [(key, {ext: member})], in order."""
    groups = []
    for m in members:
        key, _, ext = m.name.partition(".")
        if not groups or groups[-1][0] != key:
            groups.append((key, {}))
        groups[-1][1][ext] = m
    return groups


def check(tar_path, problems):
    name = os.path.basename(tar_path)
    with tarfile.open(tar_path, mode="r:") as tar:
        for key, parts in samples_of(tar.getmembers()):
            images = [e for e in parts if e not in ("json", "txt")]
            if len(images) != 1 or "json" not in parts or not all(m.isfile() for m in parts.values()):
                problems.append(f"{name}: members {sorted(parts)} of {key} are not KEY.ext, [KEY.txt,] KEY.json")
                continue
            facts = json.loads(tar.extractfile(parts["json"]).read())
            with Image.open(io.BytesIO(tar.extractfile(parts[images[0]]).read())) as picture:
                picture.load()
                size = picture.size
            if facts.get("key") != key:
                problems.append(f"{name}: {key}.json names key {facts.get('key')!r}")
            if "txt" in parts and tar.extractfile(parts["txt"]).read().decode() != facts.get("caption"):
                problems.append(f"{name}: {key}.txt is not the caption of {key}.json")
            if size != (facts.get("width"), facts.get("height")):
                problems.append(f"{name}: {key}.{images[0]} is {size[0]}x{size[1]}, its JSON says "
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
