"""Python's process pools on the same work as conc-bench-pools process-pool: N echo tasks with a
100-byte payload each way, 2 workers by default. One measurement per run; prints one line like
conc-bench-pools does.

usage: py_pool_overhead.py pool|executor N WORKERS CHUNKSIZE
"""
import sys
import time
import multiprocessing
from concurrent.futures import ProcessPoolExecutor


def echo(s):
    return s


def main():
    kind, n, workers, chunksize = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    inputs = [(str(i) + "x" * 100)[:100] for i in range(n)]
    if kind == "pool":
        with multiprocessing.Pool(workers) as pool:
            pool.map(echo, ["warm-up"] * (workers * 4))
            start = time.perf_counter()
            out = pool.map(echo, inputs, chunksize=chunksize)
            elapsed = time.perf_counter() - start
        name = f"multiprocessing.Pool.map(chunksize={chunksize})"
    elif kind == "executor":
        with ProcessPoolExecutor(workers) as pool:
            list(pool.map(echo, ["warm-up"] * (workers * 4)))
            start = time.perf_counter()
            out = list(pool.map(echo, inputs, chunksize=chunksize))
            elapsed = time.perf_counter() - start
        name = f"ProcessPoolExecutor.map(chunksize={chunksize})"
    else:
        raise SystemExit(f"unknown kind {kind}")
    if out != inputs:
        raise SystemExit("wrong results")
    print(f"{name} tasks={n} seconds={elapsed:.6f} tasks_per_s={n / elapsed:.0f}")


if __name__ == "__main__":
    main()
