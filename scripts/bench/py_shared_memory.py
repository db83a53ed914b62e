"""Python's multiprocessing on the same work as conc-bench-shm: N tasks that each read SIZE bytes
whole (zlib.adler32), with the bytes pickled into the task or handed over in a
multiprocessing.shared_memory block (made before timing, as the SharedBuffers are).

usage: py_shared_memory.py bytes|shared SIZE N WORKERS
"""
import multiprocessing
import sys
import time
import zlib
from multiprocessing import resource_tracker, shared_memory


def fill(size, seed):
    return bytes(((i * 31 + seed) & 0xFF) for i in range(256)) * (size // 256) + bytes(size % 256)


def crc_of_bytes(data):
    return zlib.adler32(data)


def crc_of_shared(name):
    block = shared_memory.SharedMemory(name=name)
    # Python 3.11 registers an attached block with the worker's resource tracker, which would
    # unlink it when the worker exits: the creator owns it.
    resource_tracker.unregister(block._name, "shared_memory")
    try:
        return zlib.adler32(block.buf)
    finally:
        block.close()


def main():
    mode, size, n, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    inputs = [fill(size, i % 256) for i in range(n)]
    expected = [zlib.adler32(x) for x in inputs]
    blocks = []
    with multiprocessing.Pool(workers) as pool:
        pool.map(crc_of_bytes, [b"warm-up"] * (workers * 4))
        if mode == "bytes":
            start = time.perf_counter()
            out = pool.map(crc_of_bytes, inputs, chunksize=1)
            elapsed = time.perf_counter() - start
            name = "multiprocessing.Pool(bytes)"
        elif mode == "shared":
            for x in inputs:
                block = shared_memory.SharedMemory(create=True, size=size)
                block.buf[:size] = x
                blocks.append(block)
            start = time.perf_counter()
            out = pool.map(crc_of_shared, [b.name for b in blocks], chunksize=1)
            elapsed = time.perf_counter() - start
            name = "multiprocessing.Pool(shared_memory)"
        else:
            raise SystemExit(f"unknown mode {mode}")
    for block in blocks:
        block.close()
        block.unlink()
    if out != expected:
        raise SystemExit("wrong results")
    print(f"{name} tasks={n} seconds={elapsed:.6f} tasks_per_s={n / elapsed:.0f} size={size}")


if __name__ == "__main__":
    main()
