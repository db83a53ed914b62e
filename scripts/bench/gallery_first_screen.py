"""The first screen of two albums as a phone opens them: each top page served by python3 -m
http.server on 127.0.0.1 and loaded by Lighthouse's mobile preset in Debian's headless Chromium
(the gallery test's runner, tests/thumbs/gallery_lighthouse_test.py). Prints one CSV line per page:
name, bytes downloaded on opening it (Lighthouse's total-byte-weight: the page and every request it
makes before any scroll), requests, and the performance, accessibility and best-practices scores.

usage: /usr/bin/python3 scripts/bench/gallery_first_screen.py ROOT LIGHTHOUSE_DIR NAME=PATH... (PATH below ROOT)
"""
import pathlib
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "tests" / "thumbs"))
import gallery_lighthouse_test as runner  # noqa: E402


def main():
    root, lighthouse_dir = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    server, port = runner.start_server(root)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            print("page,bytes,requests,performance,accessibility,best_practices")
            for named in sys.argv[3:]:
                name, path = named.split("=", 1)
                result = runner.lighthouse(lighthouse_dir, f"http://127.0.0.1:{port}/{path}",
                                           pathlib.Path(tmp) / name, pathlib.Path(tmp) / f"profile-{name}")
                audits, categories = result["audits"], result["categories"]
                requests = len(audits["network-requests"]["details"]["items"])
                scores = [round(100 * (categories[c]["score"] or 0))
                          for c in ("performance", "accessibility", "best-practices")]
                print(",".join(map(str, [name, int(audits["total-byte-weight"]["numericValue"]), requests, *scores])))
    finally:
        runner.stop(server)


if __name__ == "__main__":
    main()
