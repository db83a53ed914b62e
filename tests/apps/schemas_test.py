"""Every JSON file the tools write names its kind and version ("schema": "conc-KIND/N") and holds what
docs/schemas/KIND.schema.json says: real outputs of real runs, validated with python3-jsonschema.

Usage: schemas_test.py --work DIR --schemas DIR --fetch EXE --server SCRIPT [--thumbs EXE --photos DIR]
"""
import argparse
import json
import re
import select
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import jsonschema

failures = []


def check(ok, what):
    print(("ok: " if ok else "FAIL: ") + what, flush=True)
    if not ok:
        failures.append(what)
    return ok


class Schemas:
    def __init__(self, folder):
        self.folder = Path(folder)
        self.used = set()

    def validate(self, kind, instance, where):
        """The instance names the kind's schema (the version it carries picks the file) and holds to it."""
        schema = json.loads((self.folder / f"{kind}.schema.json").read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        self.used.add(kind)
        try:
            jsonschema.validate(instance, schema, cls=jsonschema.Draft202012Validator)
            return True
        except jsonschema.ValidationError as e:
            check(False, f"{where} holds to {kind}: {e.message} at {list(e.absolute_path)}")
            return False


def run(command, **kwargs):
    return subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=300, **kwargs)


def thumbs_outputs(args, schemas, work):
    photos = work / "photos"
    photos.mkdir(parents=True)
    for name in ["Aqua.jpg", "Dune.jpg"]:
        shutil.copy(Path(args.photos) / name, photos / name)
    shutil.copy(Path(args.photos) / "Aqua.jpg", photos / "caf\udce9.jpg")  # a Latin-1 name
    (photos / "bad.jpg").write_bytes(b"not an image")
    out = work / "thumbs"
    report = work / "report.json"
    for attempt in (1, 2):  # made, then up to date
        r = run([args.thumbs, "--no-progress", "--gallery", "-s", "96", "--report", report, "-o", out, photos])
        check(r.returncode == 1, f"conc-thumbs run {attempt} exits 1 (one bad source): {r.stderr.strip()}")
        data = json.loads(report.read_text())
        if schemas.validate("conc-thumbs-report", data, f"the report of run {attempt}"):
            check(data["schema"] == "conc-thumbs-report/1", "the report names its schema")
            statuses = sorted(f["status"] for f in data["files"])
            wanted = ["failed", "ok", "ok", "ok"] if attempt == 1 else ["failed", "skipped", "skipped", "skipped"]
            check(statuses == wanted, f"the report of run {attempt} has every source: {statuses}")
    lines = (out / ".conc-thumbs.json").read_text().splitlines()
    check(len(lines) >= 2, "the state file has its header and thumbnail lines")
    for n, line in enumerate(lines, 1):
        schemas.validate("conc-thumbs-state", json.loads(line), f"state file line {n}")
    check(json.loads(lines[0]).get("schema") == "conc-thumbs-state/1", "the state file's first line names its schema")
    facts = json.loads((out / ".conc-gallery.json").read_text())
    schemas.validate("conc-thumbs-gallery", facts, "the gallery's memory")
    check(any("\\xE9" in key for key in facts["tiles"]), "the Latin-1 name is in the gallery's memory by the name rule")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", required=True)
    parser.add_argument("--schemas", required=True)
    parser.add_argument("--fetch", required=True)
    parser.add_argument("--server", required=True)
    parser.add_argument("--thumbs")
    parser.add_argument("--photos")
    args = parser.parse_args()
    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    schemas = Schemas(args.schemas)
    if args.thumbs:
        thumbs_outputs(args, schemas, work / "thumbs-run")
    on_disk = {p.name[: -len(".schema.json")] for p in Path(args.schemas).glob("*.schema.json")}
    expected = on_disk if args.thumbs else {k for k in on_disk if not k.startswith("conc-thumbs")}
    check(schemas.used == expected, f"every schema in docs/schemas was checked against a real output: "
          f"unchecked {sorted(expected - schemas.used)}")
    print(f"{len(failures)} checks failed" if failures else "all checks passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
