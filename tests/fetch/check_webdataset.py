"""Reads WebDataset tars with Python's own tarfile and checks them against the expected samples.

usage: /usr/bin/python3 tests/fetch/check_webdataset.py EXPECTED_DIR TAR...
EXPECTED_DIR holds KEY.<ext> and KEY.json for every sample. Each tar must hold, in order,
KEY.<ext> then KEY.json per sample (regular files, nothing else); each JSON must parse, equal the
expected JSON and name its key; each image must equal the expected bytes. Prints one line per tar:
"NAME KEY KEY ...". Exits 1 with one line per problem otherwise.
"""
import json
import os
import sys
import tarfile


def check(expected_dir, tar_path, problems):
    keys = []
    with tarfile.open(tar_path, mode="r:") as tar:
        members = tar.getmembers()
        if len(members) % 2 != 0:
            problems.append(f"{tar_path}: {len(members)} members, not image/json pairs")
            return keys
        for image, meta in zip(members[0::2], members[1::2]):
            key, _, ext = image.name.partition(".")
            if not image.isfile() or not meta.isfile():
                problems.append(f"{tar_path}: {image.name} or {meta.name} is not a regular file")
            if ext in ("", "json") or "/" in image.name or meta.name != key + ".json":
                problems.append(f"{tar_path}: members {image.name}, {meta.name} are not KEY.ext, KEY.json")
                continue
            keys.append(key)
            image_bytes = tar.extractfile(image).read()
            meta_bytes = tar.extractfile(meta).read()
            expected_image = os.path.join(expected_dir, image.name)
            if not os.path.exists(expected_image):
                problems.append(f"{tar_path}: unexpected member {image.name}")
                continue
            with open(expected_image, "rb") as f:
                if f.read() != image_bytes:
                    problems.append(f"{tar_path}: {image.name} differs from the sample's image")
            try:
                parsed = json.loads(meta_bytes)
            except ValueError as e:
                problems.append(f"{tar_path}: {meta.name} is not JSON: {e}")
                continue
            with open(os.path.join(expected_dir, meta.name), "rb") as f:
                if json.loads(f.read()) != parsed:
                    problems.append(f"{tar_path}: {meta.name} differs from the sample's JSON")
            if parsed.get("key") != key:
                problems.append(f"{tar_path}: {meta.name} names key {parsed.get('key')!r}")
    return keys


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    problems = []
    for tar_path in sys.argv[2:]:
        try:
            keys = check(sys.argv[1], tar_path, problems)
        except (OSError, tarfile.TarError) as e:
            problems.append(f"{tar_path}: {e}")
            continue
        print(os.path.basename(tar_path), *keys)
    for p in problems:
        print(p, file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
