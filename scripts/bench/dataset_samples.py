"""The samples of a WebDataset folder, as scripts/bench/dataset.sh checks each arm's.

usage: dataset_samples.py OUT_DIR KEYS_FILE
Reads every OUT_DIR/*.tar with tarfile, checks that each sample has its image as a JPEG (KEY.jpg,
decoded by OpenCV: SIZExSIZE, the first sample's size; both arms encode every thumbnail as JPEG, so
that they do the same work), KEY.txt and KEY.json naming its key, writes the sorted keys to
KEYS_FILE and prints "SAMPLES PROBLEMS". Run with Debian's python3 (python3-opencv).
"""
import glob
import json
import os
import sys
import tarfile
from collections import defaultdict

import cv2
import numpy as np


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    out_dir, keys_file = sys.argv[1:]
    samples = defaultdict(dict)
    for path in sorted(glob.glob(os.path.join(out_dir, "*.tar"))):
        with tarfile.open(path) as tar:
            for member in tar.getmembers():
                key, _, ext = member.name.partition(".")
                samples[key][ext] = tar.extractfile(member).read()
    problems = 0
    size = None
    for key, parts in samples.items():
        image = parts.get("jpg")
        meta = json.loads(parts["json"]) if "json" in parts else {}
        if image is None or "txt" not in parts or meta.get("key") != key:
            problems += 1
            continue
        decoded = cv2.imdecode(np.frombuffer(image, np.uint8), cv2.IMREAD_COLOR)
        shape = None if decoded is None else decoded.shape[:2]
        size = size or shape
        if shape is None or shape != size:
            problems += 1
    with open(keys_file, "w") as f:
        f.write("".join(k + "\n" for k in sorted(samples)))
    print(len(samples), problems)


if __name__ == "__main__":
    main()
