"""The conc-fetch test server: real HTTP on 127.0.0.1 with faults on demand.

usage: /usr/bin/python3 tests/fetch/test_server.py [--port N] [--files DIR] [--log FILE]
(port 0 or absent: a free port). Prints "listening on PORT" once it accepts connections. With --log,
every request is appended to FILE as it arrives, one JSON line: {"t": time.monotonic() (the
CLOCK_MONOTONIC that steady_clock reads), "path": the raw path and query, "range": its Range header or
null, "if_range": its If-Range or null}. Routes (bodies are deterministic: random.Random(seed).randbytes(size)):
  /file/NAME?size=N&seed=S[&delay_ms=D][&norange=1][&badrange=1]
                                                        a file; Range honoured unless norange (badrange:
                                                        answered with 206 from byte 0 whatever was asked)
  /digest?size=N&seed=S                                 the SHA-256 of that body, as hex
  /status/CODE[?retry_after=S]                          that status (with Retry-After)
  /flaky/KEY/N/NAME?size=..&seed=..[&code=503][&retry_after=S]   N failures, then the file
  /cut/KEY/NAME?size=N&seed=S&cut=M[&norange=1]         the first response of KEY stops after M bytes
  /trickle/NAME?size=N&seed=S&bps=B                     sends B bytes a second (Range honoured)
  /gate/KEY/NAME?size=N&seed=S&half=M                   sends up to byte M, then the rest once /open/KEY
                                                        was asked for (Range honoured)
  /open/KEY                                             opens gate KEY
  /loop                                                 redirects to itself
  /redirect/N/NAME?size=..&seed=..                      N redirects, then the file
  /to-file                                              redirects to file:///etc/passwd
  /huge                                                 claims 8 GiB, streams zeros
  /big-headers?kb=K                                     a small body after K KiB of response headers
  /hits/PATH                                            how often PATH was requested
  /headers                                              the request's headers, one "Name: value" a line
  /gzip/NAME?size=N&seed=S                              a file, compressed when the request accepts it
  /disposition/KEY?size=N&seed=S                        a file with the Content-Disposition named by KEY
  /static/NAME[?delay_ms=D][&robots=V]...               the file NAME of --files DIR, as it is (Range honoured),
                                                        with an X-Robots-Tag: V header for each robots=V
  /stall/KEY/NAME?size=N&seed=S&after=M                 the first response of KEY sends M bytes, then nothing
                                                        (the connection stays open); later ones the file
  /ranges/PATH                                          the Range header of each request of a /stall PATH
                                                        ("-" for none), one a line
  /basic/NAME?size=N&seed=S&user=U&password_sha256=H    the file for Basic authentication as U with a password
                                                        whose SHA-256 is H (so the URL does not hold it), 401 otherwise
  /garbled                                              a response whose status line is HTTP/1.7
  /v/KEY/NAME?size=N&seed=S[&grow=G][&cut=M][&etag=0][&lastmod=0][&ifrange=ignore][&range200=empty]
                                                        a file with versions: version V (0 at first, one more
                                                        per /bump/KEY) is size + V*G bytes of seed + 1000*V,
                                                        with the strong ETag "KEY-V" and a Last-Modified of its
                                                        own (etag=0, lastmod=0: without them). If-Range that
                                                        matches neither gets the whole file (ifrange=ignore:
                                                        never looked at); range200=empty answers a Range with
                                                        200 and no body; cut: the first response of KEY stops
                                                        after M bytes
  /bump/KEY                                             the next version of /v/KEY/...
"""
import argparse
import asyncio
import base64
import email.utils
import hashlib
import json
import os
import random
import sys
import time
from collections import Counter, defaultdict
from functools import lru_cache

from aiohttp import web

hits = Counter()
cut_done = set()
ranges = defaultdict(list)


@lru_cache(maxsize=64)
def body(size, seed):
    return random.Random(seed).randbytes(size)


def params(request):
    return int(request.query.get("size", "1024")), int(request.query.get("seed", "1"))


async def send_file(request, data, allow_range=True):
    size = len(data)
    rng = request.headers.get("Range")
    if allow_range and rng and rng.startswith("bytes="):
        start = int(rng[6:].split("-")[0] or 0)
        if start >= size:
            return web.Response(status=416, headers={"Content-Range": f"bytes */{size}"})
        return web.Response(status=206, body=data[start:],
                            headers={"Content-Range": f"bytes {start}-{size - 1}/{size}", "Accept-Ranges": "bytes"})
    headers = {"Accept-Ranges": "bytes"} if allow_range else {}
    return web.Response(body=data, headers=headers)


async def file(request):
    hits[request.path] += 1
    size, seed = params(request)
    delay = int(request.query.get("delay_ms", "0"))
    if delay:
        await asyncio.sleep(delay / 1000)
    data = body(size, seed)
    if request.query.get("badrange") == "1" and request.headers.get("Range"):
        return web.Response(status=206, body=data, headers={"Content-Range": f"bytes 0-{size - 1}/{size}"})
    return await send_file(request, data, request.query.get("norange") != "1")


async def digest(request):
    size, seed = params(request)
    return web.Response(text=hashlib.sha256(body(size, seed)).hexdigest())


async def status(request):
    hits[request.path] += 1
    headers = {}
    if "retry_after" in request.query:
        headers["Retry-After"] = request.query["retry_after"]
    return web.Response(status=int(request.match_info["code"]), text="error page\n", headers=headers)


async def flaky(request):
    hits[request.path] += 1
    if hits[request.path] <= int(request.match_info["n"]):
        headers = {"Retry-After": request.query["retry_after"]} if "retry_after" in request.query else {}
        return web.Response(status=int(request.query.get("code", "503")), text="try later\n", headers=headers)
    size, seed = params(request)
    return await send_file(request, body(size, seed))


async def cut(request):
    hits[request.path] += 1
    size, seed = params(request)
    data = body(size, seed)
    key = request.match_info["key"]
    allow_range = request.query.get("norange") != "1"
    if key in cut_done or request.headers.get("Range"):
        return await send_file(request, data, allow_range)
    cut_done.add(key)
    response = web.StreamResponse(headers={"Content-Length": str(size), **({"Accept-Ranges": "bytes"} if allow_range else {})})
    await response.prepare(request)
    await response.write(data[: int(request.query.get("cut", str(size // 2)))])
    request.transport.close()  # the connection drops before Content-Length is reached
    return response


async def streamed_from_range(request, size):
    """A prepared streaming response for a body of `size` bytes, from the byte a Range asks for."""
    start = 0
    rng = request.headers.get("Range")
    if rng and rng.startswith("bytes="):
        start = min(int(rng[6:].split("-")[0] or 0), size)
        response = web.StreamResponse(status=206, headers={
            "Content-Length": str(size - start), "Content-Range": f"bytes {start}-{size - 1}/{size}"})
    else:
        response = web.StreamResponse(headers={"Content-Length": str(size), "Accept-Ranges": "bytes"})
    await response.prepare(request)
    return start, response


async def trickle(request):
    hits[request.path] += 1
    size, seed = params(request)
    data = body(size, seed)
    bps = int(request.query.get("bps", "1000"))
    start, response = await streamed_from_range(request, size)
    step = max(1, bps // 10)
    for i in range(start, size, step):
        await response.write(data[i:i + step])
        await asyncio.sleep(0.1)
    return response


gates = {}


def gate_of(key):
    return gates.setdefault(key, asyncio.Event())


async def gate(request):
    hits[request.path] += 1
    size, seed = params(request)
    data = body(size, seed)
    half = int(request.query.get("half", str(size // 2)))
    start, response = await streamed_from_range(request, size)
    if start < half:
        await response.write(data[start:half])
    await gate_of(request.match_info["key"]).wait()
    await response.write(data[max(start, half):])
    return response


async def open_gate(request):
    gate_of(request.match_info["key"]).set()
    return web.Response(text="open\n")


async def loop(request):
    hits[request.path] += 1
    raise web.HTTPFound("/loop")


async def redirect(request):
    hits[request.path] += 1
    n = int(request.match_info["n"])
    if n > 0:
        raise web.HTTPFound(f"/redirect/{n - 1}/{request.match_info['name']}?{request.query_string}")
    size, seed = params(request)
    return await send_file(request, body(size, seed))


async def to_file(request):
    hits[request.path] += 1
    raise web.HTTPFound("file:///etc/passwd")


async def huge(request):
    hits[request.path] += 1
    response = web.StreamResponse(headers={"Content-Length": str(8 << 30)})
    await response.prepare(request)
    chunk = bytes(1 << 16)
    try:
        for _ in range((8 << 30) // len(chunk)):
            await response.write(chunk)
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    return response


async def headers(request):
    return web.Response(text="".join(f"{k}: {v}\n" for k, v in request.headers.items()))


async def big_headers(request):
    hits[request.path] += 1
    kb = int(request.query.get("kb", "380"))
    return web.Response(text="body\n", headers={f"X-Filler-{i}": "x" * 1000 for i in range(kb)})


async def gzipped(request):
    hits[request.path] += 1
    size, seed = params(request)
    response = web.Response(body=body(size, seed))
    response.enable_compression()
    return response


DISPOSITIONS = {
    "plain": 'attachment; filename="report 1.pdf"',
    "star": "attachment; filename=\"fallback.bin\"; filename*=UTF-8''r%C3%A9sum%C3%A9.txt",
    "evil": 'attachment; filename="../../evil.sh"',
    "clash": 'attachment; filename="report 1.pdf"',
    "notutf8": "attachment; filename*=UTF-8''caf%E9.txt",  # decodes to bytes that are not UTF-8
}


async def disposition(request):
    hits[request.path] += 1
    size, seed = params(request)
    response = await send_file(request, body(size, seed))
    response.headers["Content-Disposition"] = DISPOSITIONS[request.match_info["key"]]
    return response


files_dir = None


async def static(request):
    hits[request.path] += 1
    delay = int(request.query.get("delay_ms", "0"))
    if delay:
        await asyncio.sleep(delay / 1000)
    name = os.path.basename(request.match_info["name"])
    path = os.path.join(files_dir or "", name)
    if files_dir is None or not os.path.isfile(path):
        return web.Response(status=404, text="not found\n")
    with open(path, "rb") as f:
        data = f.read()
    response = await send_file(request, data)
    for tag in request.query.getall("robots", []):
        response.headers.add("X-Robots-Tag", tag)
    return response


async def stall(request):
    hits[request.path] += 1
    ranges[request.path].append(request.headers.get("Range", "-"))
    size, seed = params(request)
    data = body(size, seed)
    key = request.match_info["key"]
    if key in cut_done:
        return await send_file(request, data)
    cut_done.add(key)
    response = web.StreamResponse(headers={"Content-Length": str(size), "Accept-Ranges": "bytes"})
    await response.prepare(request)
    await response.write(data[: int(request.query.get("after", str(size // 2)))])
    await asyncio.sleep(3600)  # silent, the connection open: only a stall limit ends it
    return response


async def range_log(request):
    return web.Response(text="".join(f"{r}\n" for r in ranges["/" + request.match_info["path"]]))


def basic_credentials(header):
    """(user, password) of a Basic Authorization header, or None."""
    if not header or not header.startswith("Basic "):
        return None
    user, _, password = base64.b64decode(header[6:]).decode(errors="replace").partition(":")
    return user, password


async def basic(request):
    hits[request.path] += 1
    given = basic_credentials(request.headers.get("Authorization"))
    if (given is None or given[0] != request.query.get("user")
            or hashlib.sha256(given[1].encode()).hexdigest() != request.query.get("password_sha256")):
        return web.Response(status=401, text="who are you?\n", headers={"WWW-Authenticate": 'Basic realm="test"'})
    size, seed = params(request)
    return await send_file(request, body(size, seed))


async def garbled(request):
    hits[request.path] += 1
    request.transport.write(b"HTTP/1.7 200 OK\r\nContent-Length: 2\r\n\r\nok")
    request.transport.close()
    return web.Response()


versions = Counter()


async def versioned(request):
    hits[request.path] += 1
    key = request.match_info["key"]
    version = versions[key]
    q = request.query
    size, seed = params(request)
    size += version * int(q.get("grow", "0"))
    data = body(size, seed + 1000 * version)
    headers = {"Accept-Ranges": "bytes"}
    if q.get("etag") != "0":
        headers["ETag"] = f'"{key}-{version}"'
    if q.get("lastmod") != "0":
        headers["Last-Modified"] = email.utils.formatdate(1_700_000_000 + 3600 * version, usegmt=True)
    rng = request.headers.get("Range")
    if rng and rng.startswith("bytes="):
        if q.get("range200") == "empty":
            return web.Response(status=200, body=b"", headers=headers)
        if_range = request.headers.get("If-Range")
        current = if_range is None or q.get("ifrange") == "ignore" or if_range in (
            headers.get("ETag"), headers.get("Last-Modified"))
        if current:
            start = int(rng[6:].split("-")[0] or 0)
            if start >= size:
                return web.Response(status=416, headers={"Content-Range": f"bytes */{size}"})
            return web.Response(status=206, body=data[start:],
                                headers={**headers, "Content-Range": f"bytes {start}-{size - 1}/{size}"})
        return web.Response(body=data, headers=headers)
    if "cut" in q and key not in cut_done:
        cut_done.add(key)
        response = web.StreamResponse(headers={**headers, "Content-Length": str(size)})
        await response.prepare(request)
        await response.write(data[: int(q["cut"])])
        request.transport.close()  # the connection drops before Content-Length is reached
        return response
    return web.Response(body=data, headers=headers)


async def bump(request):
    versions[request.match_info["key"]] += 1
    return web.Response(text="version %d\n" % versions[request.match_info["key"]])


async def hit_count(request):
    return web.Response(text=str(hits["/" + request.match_info["path"]]))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--files", default=None)
    parser.add_argument("--log", default=None)
    args = parser.parse_args()
    global files_dir
    files_dir = args.files
    log = open(args.log, "a", buffering=1) if args.log else None

    @web.middleware
    async def log_request(request, handler):
        if log is not None:
            log.write(json.dumps({"t": time.monotonic(), "path": request.raw_path,
                                  "range": request.headers.get("Range"),
                                  "if_range": request.headers.get("If-Range")}) + "\n")
        return await handler(request)

    app = web.Application(middlewares=[log_request])
    app.add_routes([
        web.get("/file/{name:.*}", file), web.get("/digest", digest), web.get("/status/{code}", status),
        web.get("/flaky/{key}/{n}/{name:.*}", flaky), web.get("/cut/{key}/{name:.*}", cut),
        web.get("/trickle/{name:.*}", trickle), web.get("/gate/{key}/{name:.*}", gate),
        web.get("/open/{key}", open_gate), web.get("/loop", loop),
        web.get("/redirect/{n}/{name:.*}", redirect), web.get("/to-file", to_file),
        web.get("/huge", huge), web.get("/hits/{path:.*}", hit_count),
        web.get("/headers", headers), web.get("/big-headers", big_headers),
        web.get("/gzip/{name:.*}", gzipped), web.get("/disposition/{key}", disposition),
        web.get("/static/{name:.*}", static), web.get("/stall/{key}/{name:.*}", stall),
        web.get("/ranges/{path:.*}", range_log), web.get("/basic/{name:.*}", basic),
        web.get("/garbled", garbled), web.get("/v/{key}/{name:.*}", versioned),
        web.get("/bump/{key}", bump),
    ])

    async def serve():
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", args.port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        print(f"listening on {port}", flush=True)
        await asyncio.Event().wait()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
