"""Distributed against centralised: what a second core buys, what limits it, and what it costs.

- ``threads_timing``: one aggregate on DuckDB at 1 and 2 threads (the same engine, the same data);
- ``serial_share`` and ``amdahl``: Amdahl's law, speedup(p) = 1 / (s + (1 - s) / p), fitted from
  the measured 2-thread speedup and carried to machines the laptop does not have;
- ``memory_limit_timing``: the same job on one node inside a memory budget it does not fit in,
  spilling to disk (or refused when spilling is impossible);
- ``task_overhead``: Spark's cost per task, the coordination a cluster pays for every partition.

    >>> round(amdahl(0.1, 2), 3), round(amdahl(0.1, 10**6), 2)   # 10% serial: never more than 10x
    (1.818, 10.0)
    >>> round(serial_share(speedup=1.6, p=2), 2)
    0.25
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from labs import engines
from labs._check import fraction, number, whole
from labs.timing import best_of

AGGREGATE = "SELECT k, count(*) AS n, sum(v) AS total FROM facts GROUP BY k"


def amdahl(serial: float, p) -> float:
    """Speedup on ``p`` workers of a job whose share ``serial`` cannot be parallelised."""
    serial, p = fraction(serial, "serial"), number(p, "p", at_least=1)
    return 1.0 / (serial + (1.0 - serial) / p)


def serial_share(speedup: float, p: int = 2) -> float:
    """The serial share that Amdahl's law gives for a measured ``speedup`` on ``p`` workers (clipped to 0..1)."""
    speedup, p = number(speedup, "speedup", above=0), whole(p, "p", at_least=2)
    s = (p / speedup - 1.0) / (p - 1.0)
    return min(max(s, 0.0), 1.0)


def _facts(con, rows: int) -> None:
    con.execute(f"CREATE OR REPLACE TABLE facts AS SELECT range % 1000 AS k, range AS v "
                f"FROM range({whole(rows, 'rows', at_least=1)})")


def threads_timing(rows: int = 20_000_000, threads=(1, 2), repeat: int = 3) -> pd.DataFrame:
    """Best-of-``repeat`` seconds of one GROUP BY at each thread count, and the speedup over 1 thread."""
    con = engines.duckdb()
    _facts(con, rows)
    out = []
    for t in threads:
        con.execute(f"SET threads = {whole(t, 'threads', at_least=1)}")
        out.append({"threads": t, "seconds": best_of(lambda: con.sql(AGGREGATE).fetchall(), repeat=repeat)})
    frame = pd.DataFrame(out)
    frame["speedup"] = frame["seconds"].iloc[0] / frame["seconds"]
    return frame


def memory_limit_timing(rows: int = 2_000_000, limit_mb: int = 30, repeat: int = 2) -> pd.DataFrame:
    """One GROUP BY with a group per row (a hash table far bigger than ``limit_mb``) on one node:
    with ample memory, inside the limit with a disk to spill to, and inside it with no disk."""
    limit_mb = whole(limit_mb, "limit_mb", at_least=8)
    out, want = [], None
    with tempfile.TemporaryDirectory() as scratch:
        facts = Path(scratch) / "facts.parquet"  # the data stays on disk; only the hash table needs memory
        engines.duckdb().execute(f"COPY (SELECT range AS k, range % 1000 AS v FROM range({whole(rows, 'rows', at_least=1)})) "
                                 f"TO '{facts}' (FORMAT parquet)")
        query = f"SELECT count(*), sum(total) FROM (SELECT k, sum(v) AS total FROM '{facts}' GROUP BY k)"
        for label, limit, spill in (("ample memory", "4GB", "ample"), (f"{limit_mb} MB, may spill to disk",
                                    f"{limit_mb}MB", "spill"), (f"{limit_mb} MB, no disk to spill to", f"{limit_mb}MB", "")):
            con = engines.duckdb()
            # the spill folder is fixed before the first query: DuckDB will not move it afterwards
            con.execute(f"SET temp_directory = '{Path(scratch) / spill if spill else ''}'")
            con.execute("SET threads = 1")  # one worker: the whole budget is the node's
            con.execute(f"SET memory_limit = '{limit}'")
            try:
                seconds = best_of(lambda: con.sql(query).fetchall(), repeat=repeat, warmup=0)
                result = con.sql(query).fetchall()
                want = want or result
                out.append({"run": label, "finished": True, "same_result": result == want, "seconds": seconds, "error": ""})
            except Exception as exc:  # DuckDB's OutOfMemoryException: the budget is a hard wall
                out.append({"run": label, "finished": False, "same_result": False, "seconds": float("nan"),
                            "error": type(exc).__name__})
            con.close()
    return pd.DataFrame(out)


def task_overhead(spark, partitions=(2, 64), rows: int = 200_000, repeat: int = 3) -> pd.DataFrame:
    """Seconds of one small Spark group-by with more and more shuffle partitions (tasks).

    Adaptive execution would merge the small partitions back together, which is exactly what
    hides this cost in practice: it is turned off here, and restored afterwards.
    """
    from pyspark.sql import functions as F

    keep = {k: spark.conf.get(k) for k in ("spark.sql.shuffle.partitions", "spark.sql.adaptive.enabled")}
    frame = spark.range(whole(rows, "rows", at_least=1)).select((F.col("id") % 1000).alias("k"), "id")
    out = []
    try:
        spark.conf.set("spark.sql.adaptive.enabled", "false")
        for n in partitions:
            spark.conf.set("spark.sql.shuffle.partitions", str(whole(n, "partitions", at_least=1)))
            job = frame.groupBy("k").agg(F.sum("id").alias("total"))
            out.append({"shuffle_partitions": n, "seconds": best_of(lambda: job.collect(), repeat=repeat)})
    finally:
        for k, v in keep.items():
            spark.conf.set(k, v)
    frame = pd.DataFrame(out)
    frame["ms_per_extra_task"] = ((frame["seconds"] - frame["seconds"].iloc[0]) * 1e3
                                  / (frame["shuffle_partitions"] - frame["shuffle_partitions"].iloc[0]).replace(0, pd.NA))
    return frame
