"""Both apps split into 3 shards must give what one run gives, byte for byte, each item done once.

usage: /usr/bin/python3 shards_test.py plain|mpirun|slurm|resume --work DIR --fetch EXE [--thumbs EXE]
                                       --server TEST_SERVER --cluster SLURM_CLUSTER_SCRIPT
  plain   three processes with --shard 0/3, 1/3, 2/3 at once
  mpirun  mpirun -np 3 --oversubscribe with --shard auto
  slurm   sbatch --array=0-2, then srun -n 3, with --shard auto, on a single-node cluster this test
          starts and stops
  resume  a shard of each app killed mid-run and started again finishes its part and touches
          nothing of the others'; a re-run of a conc-thumbs shard removes its own temporaries and leaves
          the others' and a user's file
Exit 0 when everything holds, 1 with the reasons otherwise, 77 (skipped) only for slurm when not root.
Everything runs on 127.0.0.1; every process this test starts is stopped by its PID, also on failure.
"""
import argparse
import hashlib
import json
import os
import random
import re
import select
import shutil
import signal
import socket
import subprocess
import tarfile
import sys
import time
import urllib.request
from pathlib import Path

SHARDS = 3
failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print(f"FAIL: {what}", file=sys.stderr, flush=True)
    return condition


def wait_for(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    raise RuntimeError(f"timed out after {seconds} s waiting for {what}")


def stop(process):
    """Ends a process this test started (and its process group), by PID."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


class Server:
    def __init__(self, script, files=None):
        command = ["/usr/bin/python3", script, "--port", "0"] + (["--files", str(files)] if files else [])
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, start_new_session=True)
        ready, _, _ = select.select([self.process.stdout], [], [], 30)
        line = self.process.stdout.readline() if ready else ""
        match = re.match(r"listening on (\d+)", line)
        if not match:
            stop(self.process)
            raise RuntimeError(f"the test server did not start: {line!r}")
        self.base = f"http://127.0.0.1:{match.group(1)}"

    def get(self, path):
        with urllib.request.urlopen(self.base + path, timeout=30) as r:
            return r.read()

    def hits(self, path):
        return int(self.get("/hits" + path))


def write_list(server, folder):
    """URLs whose names repeat (so shards must agree on .1, .2), an out= name in a subfolder, a 404
    and a malformed line. Returns the list and the paths of the URLs that must succeed."""
    lines, paths = [], []
    for k in range(36):
        path = f"/file/d{k}/p{k % 9}.bin"
        lines.append(f"{server.base}{path}?size={1000 + 37 * k}&seed={k}")
        paths.append(path)
    lines.append(f"{server.base}/file/named/src.bin?size=777&seed=99")
    lines.append("  out=sub/dir/named.bin")
    paths.append("/file/named/src.bin")
    lines.append(f"{server.base}/status/404")
    lines.append("this is not a url")
    folder.mkdir(parents=True, exist_ok=True)
    listing = folder / "urls.txt"
    listing.write_text("\n".join(lines) + "\n")
    return listing, paths


def write_photos(folder):
    """Small JPEGs and PNGs in nested folders, and one file that claims to be a JPEG and is not."""
    from PIL import Image
    rng = random.Random(5)
    for k in range(24):
        sub = folder / ["", "a", "a/b", "c"][k % 4]
        sub.mkdir(parents=True, exist_ok=True)
        image = Image.new("RGB", (60 + 7 * k, 40 + 5 * k), tuple(rng.randrange(256) for _ in range(3)))
        for _ in range(8):
            x, y = rng.randrange(image.width - 10), rng.randrange(image.height - 10)
            image.paste(tuple(rng.randrange(256) for _ in range(3)), (x, y, x + 10, y + 10))
        image.save(sub / (f"img{k}.png" if k % 3 == 0 else f"img{k}.jpg"), quality=90)
    (folder / "c" / "broken.jpg").write_bytes(b"this is not a JPEG")


def tree(root, skip_prefix):
    """Relative path -> bytes of every file below root, except the per-run files."""
    return {str(p.relative_to(root)): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file() and not p.name.startswith(skip_prefix)}


def summary_counts(text, words):
    found = {}
    for word in words:
        match = re.search(r"(\d+) " + word, text)
        found[word] = int(match.group(1)) if match else None
    return found


class Setup:
    def __init__(self, args):
        self.args = args
        self.work = Path(args.work).resolve() / args.mode
        shutil.rmtree(self.work, ignore_errors=True)
        self.work.mkdir(parents=True)
        self.photos = self.work / "photos"
        if args.thumbs:
            write_photos(self.photos)

    def reference(self, server, listing):
        """One run of each app over everything: what the shards together must give."""
        ref = self.work / "reference"
        fetch = subprocess.run([self.args.fetch, "--no-progress", "-o", ref / "fetch", listing],
                               capture_output=True, text=True, timeout=120)
        check(fetch.returncode == 1, f"reference conc-fetch exits 1 (a 404, a malformed line): {fetch.returncode}")
        self.fetch_counts = summary_counts(fetch.stderr, ["downloaded", "failed"])
        thumbs = None
        if self.args.thumbs:
            thumbs = subprocess.run([self.args.thumbs, "--no-progress", "-v", "-s", "48", "-o", ref / "thumbs",
                                     self.photos], capture_output=True, text=True, timeout=120)
            check(thumbs.returncode == 1, f"reference conc-thumbs exits 1 (a broken JPEG): {thumbs.returncode}")
            self.thumbs_counts = summary_counts(thumbs.stderr, ["made", "failed"])
            self.made = sorted(re.findall(r"^made (\S+) ->", thumbs.stdout, re.M))
            check(len(self.made) == 24, f"the reference made 24 thumbnails: {len(self.made)}")
        return ref

    def shard_script(self, listing, out):
        """What one shard runs, whatever launched it: both apps, each with --shard $SHARD."""
        logs = out / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        script = out / "shard.sh"
        thumbs = ""
        if self.args.thumbs:
            thumbs = (f'"{self.args.thumbs}" --no-progress -v --shard "$SHARD" -s 48 -o "{out}/thumbs" "{self.photos}" '
                      f'>"{logs}/thumbs-$$.out" 2>"{logs}/thumbs-$$.err"\n'
                      f'echo $? >"{logs}/thumbs-$$.rc"\n')
        script.write_text("#!/bin/sh\n"
                          f'"{self.args.fetch}" --no-progress --shard "$SHARD" -o "{out}/fetch" "{listing}" '
                          f'>"{logs}/fetch-$$.out" 2>"{logs}/fetch-$$.err"\n'
                          f'echo $? >"{logs}/fetch-$$.rc"\n' + thumbs + "exit 0\n")
        script.chmod(0o755)
        return script

    def verify(self, server, ref, out, paths, runs_before=1):
        """The union of the shards' outputs is the reference's; every URL and image was done once
        (each URL was requested by runs_before earlier runs, the reference's included)."""
        logs = out / "logs"
        for log in logs.glob("*.err"):
            text = log.read_text(errors="replace")
            check("Sanitizer" not in text and "runtime error:" not in text, f"{log.name}: no sanitizer report")
        fetch_errs = "".join(p.read_text() for p in sorted(logs.glob("fetch-*.err")))
        tags = sorted(re.findall(r"^(shard-\d+-of-\d+): \d+ downloaded", fetch_errs, re.M))
        check(tags == [f"shard-{i:04d}-of-{SHARDS:04d}" for i in range(SHARDS)],
              f"conc-fetch ran once as each of the {SHARDS} shards: {tags}")
        codes = sorted(int(p.read_text()) for p in logs.glob("fetch-*.rc"))
        check(len(codes) == SHARDS and set(codes) <= {0, 1}, f"every conc-fetch shard exits 0 or 1: {codes}")
        check(tree(out / "fetch", ".conc-fetch") == tree(ref / "fetch", ".conc-fetch"),
              "the shards' downloads are the reference's, byte for byte (names with the same .1, .2)")
        shard_lines = []
        for i in range(SHARDS):
            manifest = out / "fetch" / f".conc-fetch.shard-{i:04d}-of-{SHARDS:04d}.jsonl"
            if check(manifest.is_file(), f"{manifest.name} exists"):
                shard_lines += manifest.read_text().splitlines()
        ref_lines = (ref / "fetch" / ".conc-fetch.jsonl").read_text().splitlines()
        check(sorted(shard_lines) == sorted(ref_lines), "the shards' manifests hold the reference's lines, once each")
        for path in paths:
            hits = server.hits(path)
            check(hits == runs_before + 1, f"{path} was requested once by the shards: {hits - runs_before}")
        summary = subprocess.run([self.args.fetch, "--summary", out / "fetch"], capture_output=True, text=True,
                                 timeout=60)
        check(summary.returncode == 1, f"conc-fetch --summary exits 1 as one run did: {summary.returncode}")
        check(summary_counts(summary.stdout, ["downloaded", "failed"]) == self.fetch_counts,
              f"conc-fetch --summary counts as one run: {summary.stdout.strip()} vs {self.fetch_counts}")
        if not self.args.thumbs:
            return
        thumbs_out = "".join(p.read_text() for p in sorted(logs.glob("thumbs-*.out")))
        thumbs_err = "".join(p.read_text() for p in sorted(logs.glob("thumbs-*.err")))
        tags = sorted(re.findall(r"^(shard-\d+-of-\d+): \d+ made", thumbs_err, re.M))
        check(tags == [f"shard-{i:04d}-of-{SHARDS:04d}" for i in range(SHARDS)],
              f"conc-thumbs ran once as each of the {SHARDS} shards: {tags}")
        made = sorted(re.findall(r"^made (\S+) ->", thumbs_out, re.M))
        check(made == self.made, f"every thumbnail was made exactly once over the shards ({len(made)} made lines)")
        check(tree(out / "thumbs", ".conc-thumbs") == tree(ref / "thumbs", ".conc-thumbs"),
              "the shards' thumbnails are the reference's, byte for byte")
        summary = subprocess.run([self.args.thumbs, "--summary", out / "thumbs"], capture_output=True, text=True,
                                 timeout=60)
        check(summary.returncode == 1, f"conc-thumbs --summary exits 1 as one run did: {summary.returncode}")
        check(summary_counts(summary.stdout, ["made", "failed"]) == self.thumbs_counts,
              f"conc-thumbs --summary counts as one run: {summary.stdout.strip()} vs {self.thumbs_counts}")


def run_plain(setup, server, listing, paths):
    ref = setup.reference(server, listing)
    out = setup.work / "shards"
    script = setup.shard_script(listing, out)
    shards = [subprocess.Popen([script], env={**os.environ, "SHARD": f"{i}/{SHARDS}"}, start_new_session=True)
              for i in range(SHARDS)]
    try:
        for p in shards:
            p.wait(timeout=300)
    finally:
        for p in shards:
            stop(p)
    setup.verify(server, ref, out, paths)
    # A run of the whole input after the shards trusts what they recorded.
    whole = subprocess.run([setup.args.fetch, "--no-progress", "-o", out / "fetch", listing], capture_output=True,
                           text=True, timeout=120)
    check(summary_counts(whole.stderr, ["downloaded", "skipped"]) == {"downloaded": 0, "skipped": len(paths)},
          f"a run of the whole list after the shards downloads nothing: {whole.stderr.strip()}")
    check(all(server.hits(path) == 2 for path in paths), "nor requests anything again")
    if setup.args.thumbs:
        whole = subprocess.run([setup.args.thumbs, "--no-progress", "-s", "48", "-o", out / "thumbs", setup.photos],
                               capture_output=True, text=True, timeout=300)
        check(summary_counts(whole.stderr, ["made", "skipped"]) == {"made": 0, "skipped": 24},
              f"conc-thumbs after the shards makes nothing again: {whole.stderr.strip()}")
        # The gallery's own renditions (2x, viewer) are what the shards did not make.
        whole = subprocess.run([setup.args.thumbs, "--no-progress", "--gallery", "-s", "48", "-o", out / "thumbs",
                                setup.photos], capture_output=True, text=True, timeout=300)
        check(summary_counts(whole.stderr, ["made", "skipped"]) == {"made": 24, "skipped": 0},
              f"conc-thumbs --gallery after the shards makes the gallery's renditions: {whole.stderr.strip()}")
        check((out / "thumbs" / "index.html").is_file() and (out / "thumbs" / "96x96").is_dir(),
              "and writes the gallery")
    # --shard-by host: every URL is on 127.0.0.1, so one shard takes them all and the others none.
    by_host = setup.work / "by-host"
    done = []
    for i in range(SHARDS):
        r = subprocess.run([setup.args.fetch, "--no-progress", "--shard", f"{i}/{SHARDS}", "--shard-by", "host",
                            "-o", by_host, listing], capture_output=True, text=True, timeout=120)
        done.append(summary_counts(r.stderr, ["downloaded"])["downloaded"])
    check(sorted(done) == [0, 0, len(paths)], f"--shard-by host puts one host's URLs in one shard: {done}")
    # --shard auto outside any launcher: exit 2 with one clear line.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OMPI_", "PMI_", "PMIX_", "SLURM_", "JOB_COMPLETION_INDEX"))}
    r = subprocess.run([setup.args.fetch, "--shard", "auto", "-o", setup.work / "none", listing], env=env,
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 2 and "no launcher found" in r.stderr, f"--shard auto with no launcher: {r.returncode}")
    if setup.args.thumbs:
        check_thumbnail_tars(setup, server)


def check_thumbnail_tars(setup, server):
    """conc-fetch --thumbnail --output-format webdataset as 3 shards: each shard writes its own tars
    and stats, and every image is in exactly one tar."""
    photos = sorted(p.name for p in setup.photos.glob("img*"))  # the test server serves one folder's files
    listing = setup.work / "photos.txt"
    listing.write_text("".join(f"{server.base}/static/{p}\n" for p in photos))
    out = setup.work / "tars"
    made = {}
    for i in range(SHARDS):
        r = subprocess.run([setup.args.fetch, "--no-progress", "--shard", f"{i}/{SHARDS}", "--thumbnail", "32",
                            "--output-format", "webdataset", "--samples-per-tar", "3", "-o", out, listing],
                           capture_output=True, text=True, timeout=300)
        check(r.returncode == 0, f"thumbnail shard {i} exits 0: {r.returncode} {r.stderr.strip()}")
        tag = f"shard-{i:04d}-of-{SHARDS:04d}"
        made[tag] = summary_counts(r.stderr, ["thumbnailed"])["thumbnailed"]
        check((out / f"stats.{tag}.json").is_file(), f"shard {i} writes stats.{tag}.json")
    check(not (out / "stats.json").exists(), "no shard writes the unsharded stats.json")
    keys, in_folder = [], {}
    for tar in sorted(out.glob("**/*.tar")):
        with tarfile.open(tar) as t:
            found = [Path(m.name).stem for m in t.getmembers() if m.name.endswith(".json")]
        keys += found
        in_folder[tar.parent.name] = in_folder.get(tar.parent.name, 0) + len(found)
    check(sorted(keys) == sorted(set(keys)) and len(keys) == len(photos),
          f"every image is in one tar of one shard: {len(keys)} samples, {len(set(keys))} distinct, {len(photos)} images")
    check(in_folder == {tag: n for tag, n in made.items() if n}, f"each shard's tars, in its own folder, hold what it "
          f"thumbnailed: {in_folder} against {made}")
    # A second run of each shard finds its samples recorded, its tars where the records say.
    for i in range(SHARDS):
        r = subprocess.run([setup.args.fetch, "--no-progress", "--shard", f"{i}/{SHARDS}", "--thumbnail", "32",
                            "--output-format", "webdataset", "--samples-per-tar", "3", "-o", out, listing],
                           capture_output=True, text=True, timeout=300)
        tag = f"shard-{i:04d}-of-{SHARDS:04d}"
        check(summary_counts(r.stderr, ["thumbnailed", "skipped"]) == {"thumbnailed": 0, "skipped": made[tag]},
              f"shard {i} run again redoes nothing: {r.stderr.strip()}")


def run_mpirun(setup, server, listing, paths):
    if not check(shutil.which("mpirun") is not None, "mpirun is installed (Debian's openmpi-bin)"):
        return
    ref = setup.reference(server, listing)
    out = setup.work / "shards"
    script = setup.shard_script(listing, out)
    # Without orte_abort_on_non_zero_status=0 a shard that exits 1 (a failed URL) aborts the others.
    command = ["mpirun", "--oversubscribe", "-np", str(SHARDS), "--mca", "orte_abort_on_non_zero_status", "0",
               "--mca", "btl", "self,vader", "--mca", "oob_tcp_if_include", "lo", script]
    if os.geteuid() == 0:
        command.insert(1, "--allow-run-as-root")
    p = subprocess.Popen(command, env={**os.environ, "SHARD": "auto"}, start_new_session=True)
    try:
        p.wait(timeout=300)
    finally:
        stop(p)
    check(p.returncode == 0, f"mpirun exits 0: {p.returncode}")
    setup.verify(server, ref, out, paths)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_slurm(setup, server, listing, paths):
    if os.geteuid() != 0:
        print("skipped: the Slurm test starts slurmd, which needs root", file=sys.stderr)
        sys.exit(77)
    ref = setup.reference(server, listing)
    out = setup.work / "shards"
    script = setup.shard_script(listing, out)
    cluster = setup.work / "cluster"
    env = {**os.environ, "SLURMCTLD_PORT": str(free_port()), "SLURMD_PORT": str(free_port()),
           "SLURM_CONF": str(cluster / "etc" / "slurm.conf"), "SHARD": "auto"}
    started = time.monotonic()
    try:
        r = subprocess.run(["bash", setup.args.cluster, "start", cluster], env=env, capture_output=True, text=True,
                           timeout=120)
        if not check(r.returncode == 0, f"the Slurm cluster starts: {r.stdout}{r.stderr}"):
            return
        print(f"cluster up in {time.monotonic() - started:.1f} s", flush=True)
        r = subprocess.run(["sbatch", "--parsable", f"--array=0-{SHARDS - 1}", "-t", "5", "-o",
                            out / "logs" / "slurm-%A_%a.out", script], env=env, capture_output=True, text=True,
                           timeout=60)
        if not check(r.returncode == 0, f"sbatch accepts the array: {r.stderr}"):
            return
        job = r.stdout.strip().split(";")[0]

        def job_gone():
            q = subprocess.run(["squeue", "-h", "-j", job], env=env, capture_output=True, text=True, timeout=30)
            return q.returncode == 0 and q.stdout.strip() == "" or "Invalid job id" in q.stderr

        wait_for(job_gone, 180, f"array job {job} to finish")
        print(f"array done {time.monotonic() - started:.1f} s after the cluster's start", flush=True)
        setup.verify(server, ref, out, paths)
        # srun -n 3: the shards from SLURM_PROCID and SLURM_NTASKS (-O: 3 tasks on fewer cores).
        out = setup.work / "srun"
        script = setup.shard_script(listing, out)
        r = subprocess.run(["timeout", "-k", "5", "120", "srun", "-O", "-n", str(SHARDS), script], env=env,
                           capture_output=True, text=True, timeout=180)
        check(r.returncode == 0, f"srun -n {SHARDS} ends normally: {r.returncode} {r.stderr}")
        setup.verify(server, ref, out, paths, runs_before=2)
    finally:
        if failures:  # what the jobs and the daemons said, for whoever reads the failure
            for log in sorted((out / "logs").glob("slurm-*.out")) + sorted((cluster / "log").glob("*.log")):
                print(f"--- {log}\n{log.read_text(errors='replace')[-3000:]}", file=sys.stderr)
        r = subprocess.run(["bash", setup.args.cluster, "stop", cluster], env=env, capture_output=True, text=True,
                           timeout=120)
        check(r.returncode == 0, f"the Slurm cluster stops: {r.stdout}{r.stderr}")


def file_states(folder, skip):
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).digest())
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name not in skip}


def run_resume(setup, server, listing, paths):
    fetch = setup.args.fetch
    gate = "/gate/k/g.bin"
    # The server holds back the second part; conc-fetch writes a large body in blocks of 256 KiB, so
    # 600,000 bytes received put at least 300,000 in the part file.
    size, half, on_disk = 800_000, 600_000, 300_000
    with open(listing, "a") as f:
        f.write(f"{server.base}{gate}?size={size}&seed=7&half={half}\n")
    out = setup.work / "fetch"
    shards = [subprocess.Popen([fetch, "--no-progress", "--shard", f"{i}/{SHARDS}", "-o", out, listing],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
              for i in range(SHARDS)]
    try:
        # The shard with the gated URL stays; the others finish.
        wait_for(lambda: sum(p.poll() is not None for p in shards) == SHARDS - 1, 120, "all shards but one to end")
        blocked = next(i for i, p in enumerate(shards) if p.poll() is None)
        manifest = out / f".conc-fetch.shard-{blocked:04d}-of-{SHARDS:04d}.jsonl"
        others_done = sum(len((out / f".conc-fetch.shard-{i:04d}-of-{SHARDS:04d}.jsonl").read_text().splitlines())
                          for i in range(SHARDS) if i != blocked)
        # All its other URLs recorded (the list's 39 entries but the gate), and part of the gated body on disk.
        wait_for(lambda: manifest.is_file() and others_done + len(manifest.read_text().splitlines()) == 39, 60,
                 "the blocked shard to finish its other URLs")
        part = out / "g.bin.part"
        wait_for(lambda: part.is_file() and part.stat().st_size >= on_disk, 60, "part of g.bin")
        # One run of a shard at a time; a run of the whole list waits for every shard.
        again = subprocess.run([fetch, "--no-progress", "--shard", f"{blocked}/{SHARDS}", "-o", out, listing],
                               capture_output=True, text=True, timeout=60)
        check(again.returncode == 2 and "in use by another conc-fetch run of shard" in again.stderr,
              f"a second run of the same shard exits 2: {again.returncode} {again.stderr.strip()}")
        whole = subprocess.run([fetch, "--no-progress", "-o", out, listing], capture_output=True, text=True,
                               timeout=60)
        check(whole.returncode == 2 and "in use" in whole.stderr,
              f"a run of the whole list beside a shard exits 2: {whole.returncode} {whole.stderr.strip()}")
        os.killpg(shards[blocked].pid, signal.SIGKILL)
        shards[blocked].wait(timeout=30)
    finally:
        for p in shards:
            stop(p)
    mine = {f".conc-fetch.shard-{blocked:04d}-of-{SHARDS:04d}.jsonl",
            f".conc-fetch.shard-{blocked:04d}-of-{SHARDS:04d}.lock", ".conc-fetch.lock", "g.bin.part", "g.bin.part.json",
            "g.bin"}
    before = file_states(out, mine)
    done_urls = [json.loads(line)["url"] for p in out.glob(".conc-fetch.shard-*.jsonl")
                 for line in p.read_text().splitlines()]
    hits_before = {path: server.hits(path) for path in paths}
    check(server.hits(gate) == 1, "g.bin was requested once before the kill")
    server.get("/open/k")
    time.sleep(0.05)
    rerun = subprocess.run([fetch, "--no-progress", "--shard", f"{blocked}/{SHARDS}", "-o", out, listing],
                           capture_output=True, text=True, timeout=120)
    check(rerun.returncode in (0, 1), f"the restarted shard ends normally: {rerun.returncode} {rerun.stderr}")
    check(re.search(r": 1 downloaded", rerun.stderr) is not None,
          f"the restarted shard downloads only what it had left (g.bin): {rerun.stderr.strip()}")
    after = file_states(out, mine)
    check(after == before, "the restart touched none of the other shards' files or manifests: "
          f"{sorted(set(after.items()) ^ set(before.items()))}")
    for path in paths:
        url_done = any(path in url for url in done_urls)
        if url_done:
            check(server.hits(path) == hits_before[path], f"{path}, done before the kill, was not requested again")
    check(server.hits(gate) == 2, "g.bin was resumed with one more request")
    digest = server.get(f"/digest?size={size}&seed=7").decode()
    check((out / "g.bin").is_file() and hashlib.sha256((out / "g.bin").read_bytes()).hexdigest() == digest,
          "g.bin is whole after the resume")
    summary = subprocess.run([fetch, "--summary", out], capture_output=True, text=True, timeout=60)
    check(summary_counts(summary.stdout, ["downloaded", "failed"]) == {"downloaded": len(paths) + 1, "failed": 2},
          f"--summary after the resume: {summary.stdout.strip()}")

    if not setup.args.thumbs:
        return
    resume_thumbs_shard(setup)
    thumbs_out = setup.work / "thumbs"
    for i in range(SHARDS):
        subprocess.run([setup.args.thumbs, "--no-progress", "--shard", f"{i}/{SHARDS}", "-s", "48", "-o",
                        thumbs_out, setup.photos], capture_output=True, timeout=300)
    # A temporary of one thumbnail of each shard, as a killed run leaves them: named with the token its
    # state file records, beside the thumbnail. And a user's file that looks like an older temporary.
    planted = {}
    for i in range(SHARDS):
        report = json.loads((thumbs_out / f".conc-thumbs.report.shard-{i:04d}-of-{SHARDS:04d}.json").read_text())
        output = Path(next(f["output"] for f in report["files"] if f["status"] == "ok"))
        state = thumbs_out / f".conc-thumbs.shard-{i:04d}-of-{SHARDS:04d}.json"
        token = json.loads(state.read_text().splitlines()[0])["token"]
        planted[i] = output.parent / f".conc-{token}-zzzzzzzz.tmp"
        planted[i].write_bytes(b"half a thumbnail")
    users = planted[1].parent / "notes.tmp-zzzzzz"
    users.write_bytes(b"a user's file")
    others = {f".conc-thumbs.shard-{i:04d}-of-{SHARDS:04d}.json" for i in range(SHARDS) if i != 1}
    state_before = {name: (thumbs_out / name).stat().st_mtime_ns for name in others}
    r = subprocess.run([setup.args.thumbs, "--no-progress", "--shard", f"1/{SHARDS}", "-s", "48", "-o", thumbs_out,
                        setup.photos], capture_output=True, text=True, timeout=300)
    check("shard-0001-of-0003: 0 made" in r.stderr, f"a re-run of a finished shard makes nothing: {r.stderr.strip()}")
    check(not planted[1].exists(), "the shard removed its own temporary")
    check(planted[0].exists() and planted[2].exists(), "the shard left the other shards' temporaries alone")
    check(users.exists(), "the shard left a user's file alone, whatever its name")
    check({name: (thumbs_out / name).stat().st_mtime_ns for name in others} == state_before,
          "the shard left the other shards' state files alone")


def resume_thumbs_shard(setup):
    """A conc-thumbs shard killed mid-run and started again makes the rest of its part only."""
    from PIL import Image
    photos = setup.work / "big-photos"
    photos.mkdir()
    image = Image.new("RGB", (2400, 1800))
    for x, colour in enumerate([(200, 30, 30), (30, 200, 30), (30, 30, 200), (220, 220, 40)]):
        image.paste(colour, (600 * x, 0, 600 * x + 600, 1800))
    image.save(photos / "IMG_0.jpg", quality=92)
    for k in range(1, 60):
        shutil.copyfile(photos / "IMG_0.jpg", photos / f"IMG_{k}.jpg")
    out = setup.work / "thumbs-killed"
    # A box as large as the photos: each is decoded and encoded whole (tens of ms), so that the run is
    # still going when its second thumbnail is seen; a smaller box decodes at a fraction of the size.
    command = [setup.args.thumbs, "--no-progress", "--engine", "serial", "-s", "2400", "-o", out, photos]
    for i in (0, 2):
        subprocess.run(command + ["--shard", f"{i}/{SHARDS}"], capture_output=True, timeout=120)
    others = file_states(out, set())
    state = out / f".conc-thumbs.shard-0001-of-{SHARDS:04d}.json"
    p = subprocess.Popen(command + ["--shard", f"1/{SHARDS}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    try:
        # The state file's first line is the options; one more line per thumbnail made.
        wait_for(lambda: state.is_file() and len(state.read_text().splitlines()) >= 3, 60, "two thumbnails of shard 1")
        os.killpg(p.pid, signal.SIGKILL)
        p.wait(timeout=30)
    finally:
        stop(p)
    made_before = len(state.read_text().splitlines()) - 1
    r = subprocess.run(command + ["--shard", f"1/{SHARDS}"], capture_output=True, text=True, timeout=120)
    counts = summary_counts(r.stderr, ["made", "skipped", "failed"])
    print(f"conc-thumbs shard 1 killed after {made_before} thumbnails; the restart: {counts}", flush=True)
    check(r.returncode == 0 and counts["skipped"] is not None and counts["skipped"] >= made_before and
          counts["made"] >= 1, f"the restarted shard made only what the killed one had not: {r.stderr.strip()}")
    check(file_states(out, set()).items() >= others.items(), "the restart touched none of the other shards' files")
    summary = subprocess.run([setup.args.thumbs, "--summary", out], capture_output=True, text=True, timeout=60)
    check(summary.returncode == 0 and summary_counts(summary.stdout, ["made", "skipped", "failed"]) ==
          {"made": 60 - counts["skipped"], "skipped": counts["skipped"], "failed": 0},
          f"--summary after the restart: {summary.stdout.strip()}")
    thumbnails = [p for p in out.rglob("*") if p.is_file() and not p.name.startswith(".")]
    check(len(thumbnails) == 60, f"60 thumbnails, no temporary left: {len(thumbnails)}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["plain", "mpirun", "slurm", "resume"])
    parser.add_argument("--work", required=True)
    parser.add_argument("--fetch", required=True)
    parser.add_argument("--thumbs")
    parser.add_argument("--server", required=True)
    parser.add_argument("--cluster", required=True)
    args = parser.parse_args()
    setup = Setup(args)
    server = Server(args.server, setup.photos if args.thumbs else None)
    try:
        listing, paths = write_list(server, setup.work)
        {"plain": run_plain, "mpirun": run_mpirun, "slurm": run_slurm, "resume": run_resume}[args.mode](
            setup, server, listing, paths)
    except Exception as e:  # a timeout or a missing file is a failure with its reason
        check(False, f"{type(e).__name__}: {e}")
    finally:
        stop(server.process)
    if failures:
        print(f"{len(failures)} checks failed", file=sys.stderr)
        return 1
    print(f"{args.mode}: every check held")
    return 0


if __name__ == "__main__":
    sys.exit(main())
