"""Engine start-up costs: what a learner waits for before the first result.

    python benchmarks/bench_engines.py

Prints figures; asserts nothing (timings on shared machines are noisy). Each Spark
measurement runs in a fresh process so that "cold" really is cold.
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import time

SPARK_COLD = """
import time
t0 = time.perf_counter()
from labs import engines
spark = engines.spark()
t1 = time.perf_counter()
df = spark.range(100_000)
df.groupBy((df.id % 10).alias("k")).count().collect()
t2 = time.perf_counter()
df.groupBy((df.id % 7).alias("k")).count().collect()
t3 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2)
"""

CONNECT_CLIENT = """
import os, time
t0 = time.perf_counter()
from labs import engines
spark = engines.spark()
df = spark.range(100_000)
df.groupBy((df.id % 10).alias("k")).count().collect()
print(time.perf_counter() - t0)
"""


def _run(code: str, env=None) -> list[float]:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return [float(x) for x in out.stdout.split()]


def duckdb_connect(n: int = 20) -> float:
    from labs import engines

    times = []
    for _ in range(n):
        t = time.perf_counter()
        con = engines.duckdb()
        con.execute("select 1").fetchall()
        times.append(time.perf_counter() - t)
        con.close()
    return statistics.median(times)


def main() -> None:
    import os

    from labs.connect_server import ConnectServer

    print("engine start-up (seconds)")
    print(f"  duckdb connect + first query (median of 20): {duckdb_connect() * 1000:8.1f} ms")
    session, first, second = _run(SPARK_COLD)
    print(f"  spark local: session cold start            : {session:8.1f} s")
    print(f"  spark local: first job                     : {first:8.1f} s")
    print(f"  spark local: second job                    : {second:8.2f} s")
    t = time.perf_counter()
    with ConnectServer() as server:
        up = time.perf_counter() - t
        env = {**os.environ, "SPARK_REMOTE": server.url}
        cold = _run(CONNECT_CLIENT, env)[0]
        warm = _run(CONNECT_CLIENT, env)[0]
    print(f"  spark connect: server up                   : {up:8.1f} s")
    print(f"  spark connect: new client + job (cold srv) : {cold:8.1f} s")
    print(f"  spark connect: new client + job (warm srv) : {warm:8.1f} s")
    print(f"  ratio local session+first job / connect warm client: {(session + first) / warm:5.1f}x")


if __name__ == "__main__":
    main()
