"""Every JSON file the tools write names its kind and version ("schema": "conc-KIND/N") and holds what
docs/schemas/KIND.schema.json says: real outputs of real runs, validated with python3-jsonschema.

Usage: schemas_test.py --work DIR --schemas DIR --fetch EXE --server SCRIPT [--fetch-thumbnails]
                       [--thumbs EXE --photos DIR]
--fetch-thumbnails: conc-fetch was built with --thumbnail (then its samples and stats are checked too).
conc-fetch's outputs come from runs against tests/fetch/test_server.py on 127.0.0.1, stopped by its PID
whatever happens.
"""
import argparse
import csv
import io
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tarfile
from pathlib import Path

import jsonschema
from PIL import Image

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


class Server:
    """tests/fetch/test_server.py on a free port of 127.0.0.1, serving the files of `files`."""

    def __init__(self, script, files):
        self.process = subprocess.Popen(["/usr/bin/python3", script, "--port", "0", "--files", str(files)],
                                        stdout=subprocess.PIPE, text=True, start_new_session=True)
        ready, _, _ = select.select([self.process.stdout], [], [], 60)
        line = self.process.stdout.readline() if ready else ""
        match = re.match(r"listening on (\d+)", line)
        if not match:
            self.stop()
            raise RuntimeError(f"the test server did not start: {line!r}")
        self.base = f"http://127.0.0.1:{match.group(1)}"

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def manifest_lines(schemas, manifest, where):
    """Every line of a manifest, each validated; the last line of each URL, by URL."""
    last = {}
    lines = manifest.read_text().splitlines()
    check(len(lines) > 0, f"{where} has lines")
    for n, line in enumerate(lines, 1):
        j = json.loads(line)
        schemas.validate("conc-fetch-manifest", j, f"{where} line {n}")
        last[j["url"]] = j
    return last


def write_images(folder):
    """Small pictures the test server serves as /static/NAME, and a body that is not an image."""
    folder.mkdir(parents=True)
    Image.new("RGB", (80, 60), (200, 40, 40)).save(folder / "red.jpg", quality=90)
    Image.new("RGB", (50, 90), (40, 200, 40)).save(folder / "green.png")
    Image.new("RGB", (8, 8), (40, 40, 200)).save(folder / "tiny.png")
    (folder / "not-an-image.jpg").write_bytes(b"plain text, not a picture\n" * 20)


def fetch_plain(args, schemas, server, work):
    """A URL list: a file, a 404, a line that is no URL, and a body cut short that leaves NAME.part and
    NAME.part.json with --retries 0, finished from the part by the next run."""
    work.mkdir(parents=True)
    listing = work / "urls.txt"
    cut = f"{server.base}/v/cut/cut.bin?size=300000&seed=2&cut=100000"
    listing.write_text(f"{server.base}/file/whole.bin?size=5000&seed=1\n{server.base}/status/404\n"
                       f"this is not a url\n{cut}\n")
    out = work / "out"
    command = [args.fetch, "--no-progress", "--retries", "0", "-o", out, listing]
    r = run(command)
    check(r.returncode == 1, f"conc-fetch's first list run exits 1 (a 404, a bad line, a cut body): {r.stderr.strip()}")
    part = out / "cut.bin.part.json"
    if check(part.exists(), "the cut body left cut.bin.part.json"):
        validators = json.loads(part.read_text())
        if schemas.validate("conc-fetch-part", validators, "cut.bin.part.json"):
            check(validators["schema"] == "conc-fetch-part/1", "the part's validators name their schema")
            check("etag" in validators and "length" in validators, f"the validators hold the ETag and length: {validators}")
    r = run(command)
    check(r.returncode == 1, f"conc-fetch's second list run exits 1 (the 404 and the bad line again): {r.stderr.strip()}")
    check(not part.exists(), "the part's validators are gone once the file is whole")
    last = manifest_lines(schemas, out / ".conc-fetch.jsonl", "the list's manifest")
    check(all(j.get("schema") == "conc-fetch-manifest/1" for j in last.values()), "every manifest line names its schema")
    check(last.get(f"{server.base}/status/404", {}).get("status") == "failed", "the 404 has a failed line")
    check(last.get("this is not a url", {}).get("status") == "failed", "the bad line has a failed line")
    check(last.get(cut, {}).get("resume_check") == "ETag", f"the cut body was finished from its part: {last.get(cut)}")


def fetch_webdataset(args, schemas, server, work):
    """A CSV table to WebDataset tars with captions and saved columns: KEY.json read out of the tar with
    Python's tarfile; the manifest holds ok, failed, opted-out and filtered lines; stats.json."""
    work.mkdir(parents=True)
    rows = [
        ("/static/red.jpg", "a red, \"square\" one", "cc-by", "0.25"),
        ("/static/green.png", "green,\ntwo lines", "cc0", ""),
        ("/static/red.jpg?robots=noai", "opted out", "cc-by", "1"),
        ("/static/tiny.png", "too small", "cc0", "2"),
        ("/static/not-an-image.jpg", "not a picture", "cc0", "3"),
        ("/status/404", "gone", "cc0", "4"),
    ]
    text = io.StringIO()
    table = csv.writer(text, lineterminator="\n")
    table.writerow(["url", "caption", "licence", "score"])
    for path, caption, licence, score in rows:
        table.writerow([server.base + path, caption, licence, score])
    listing = work / "images.csv"
    listing.write_text(text.getvalue())
    out = work / "out"
    r = run([args.fetch, "--no-progress", "--retries", "0", "--thumbnail", "32", "--min-image-size", "16",
             "--output-format", "webdataset", "--caption-col", "caption", "--save-columns", "licence,score",
             "-o", out, listing])
    check(r.returncode == 1, f"the WebDataset run exits 1 (a 404, a body that is no image): {r.stderr.strip()}")
    samples = {}
    for tar_path in sorted(out.glob("*.tar")):
        with tarfile.open(tar_path, mode="r:") as tar:
            for member in tar.getmembers():
                if member.name.endswith(".json"):
                    sample = json.loads(tar.extractfile(member).read())
                    schemas.validate("conc-fetch-sample", sample, f"{tar_path.name}:{member.name}")
                    samples[sample.get("url")] = sample
    by_url = {server.base + path: (caption, licence, score) for path, caption, licence, score in rows}
    check(sorted(samples) == sorted(server.base + p for p in ("/static/red.jpg", "/static/green.png")),
          f"the tars hold the two images kept: {sorted(samples)}")
    for url, sample in samples.items():
        caption, licence, score = by_url[url]
        check(sample.get("schema") == "conc-fetch-sample/1", f"{sample.get('key')}.json names its schema")
        check((sample.get("caption"), sample.get("licence"), sample.get("score")) == (caption, licence, score),
              f"{sample.get('key')}.json has the row's caption and saved columns: {sample}")
    last = manifest_lines(schemas, out / ".conc-fetch.jsonl", "the WebDataset run's manifest")
    statuses = sorted(j["status"] for j in last.values())
    check(statuses == ["failed", "failed", "filtered", "ok", "ok", "opted-out"],
          f"the manifest has every row's outcome: {statuses}")
    stats = json.loads((out / "stats.json").read_text())
    if schemas.validate("conc-fetch-stats", stats, "stats.json"):
        check(stats["schema"] == "conc-fetch-stats/1", "stats.json names its schema")
        check((stats["count"], stats["successes"], stats["opted_out"], stats["filtered"]) == (6, 2, 1, 1),
              f"stats.json counts img2dataset's way: {stats}")
    r = run([args.fetch, "--no-progress", "--save-columns", "schema", "-o", work / "refused", listing])
    check(r.returncode == 2 and "'schema' is a field conc-fetch writes itself" in r.stderr,
          f"--save-columns refuses a column named schema: {r.returncode} {r.stderr.strip()}")


def fetch_files(args, schemas, server, work):
    """A JSON Lines table to thumbnail files: NAME.json beside each thumbnail, its saved columns keeping
    their JSON types (null for a row without the column)."""
    work.mkdir(parents=True)
    rows = [{"url": f"{server.base}/static/red.jpg", "text": "red", "score": 0.5, "tags": ["a", "b"]},
            {"url": f"{server.base}/static/green.png", "text": "green"}]
    listing = work / "images.jsonl"
    listing.write_text("".join(json.dumps(row) + "\n" for row in rows))
    out = work / "out"
    r = run([args.fetch, "--no-progress", "--retries", "0", "--thumbnail", "32", "--caption-col", "text",
             "--save-columns", "score,tags", "-o", out, listing])
    check(r.returncode == 0, f"the files run exits 0: {r.stderr.strip()}")
    beside = {}
    for name in ("red", "green"):
        path = out / f"{name}.json"
        if check(path.exists(), f"{name}.json is beside {name}'s thumbnail"):
            beside[name] = json.loads(path.read_text())
            schemas.validate("conc-fetch-sample", beside[name], f"{name}.json")
    check(all(j.get("schema") == "conc-fetch-sample/1" for j in beside.values()), "NAME.json names its schema")
    red, green = beside.get("red", {}), beside.get("green", {})
    check((red.get("score"), red.get("tags"), green.get("score")) == (0.5, ["a", "b"], None),
          f"the saved columns keep their JSON types: {red}, {green}")
    manifest_lines(schemas, out / ".conc-fetch.jsonl", "the files run's manifest")
    stats = json.loads((out / "stats.json").read_text())
    if schemas.validate("conc-fetch-stats", stats, "the files run's stats.json"):
        check(stats["output"] == "files" and stats["successes"] == 2, f"the files run's stats.json: {stats}")


def fetch_outputs(args, schemas, work):
    images = work / "images"
    write_images(images)
    server = Server(args.server, images)
    try:
        fetch_plain(args, schemas, server, work / "plain")
        if args.fetch_thumbnails:
            fetch_webdataset(args, schemas, server, work / "webdataset")
            fetch_files(args, schemas, server, work / "files")
    finally:
        server.stop()


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
    parser.add_argument("--fetch-thumbnails", action="store_true")
    parser.add_argument("--thumbs")
    parser.add_argument("--photos")
    args = parser.parse_args()
    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    schemas = Schemas(args.schemas)
    fetch_outputs(args, schemas, work / "fetch-run")
    if args.thumbs:
        thumbs_outputs(args, schemas, work / "thumbs-run")
    on_disk = {p.name[: -len(".schema.json")] for p in Path(args.schemas).glob("*.schema.json")}
    # Without the imaging library (the TSan build) there are no thumbnails: no samples, no stats.
    unbuilt = set() if args.thumbs else {k for k in on_disk if k.startswith("conc-thumbs")}
    if not args.fetch_thumbnails:
        unbuilt |= {"conc-fetch-sample", "conc-fetch-stats"}
    expected = on_disk - unbuilt
    check(schemas.used == expected, f"every schema in docs/schemas was checked against a real output: "
          f"unchecked {sorted(expected - schemas.used)}")
    print(f"{len(failures)} checks failed" if failures else "all checks passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
