"""Choosing an engine: Hadoop MapReduce, Spark, Flink or one node's DuckDB, on what decides.

``ENGINES`` is the comparison as data: how each keeps state, the latency it reaches, the data
size it suits against one machine's memory, and what it costs to operate. ``same_aggregate``
runs one GROUP BY on DuckDB and on Spark at several sizes, on data each engine generates itself
(``range``), so the timing is the engine's and not the cost of moving data into it.

    >>> sorted(ENGINES["engine"])
    ['DuckDB (one node)', 'Flink', 'Hadoop MapReduce', 'Spark']
    >>> duckdb_aggregate(1_000)[:2]
    [(0, 10, 27), (1, 10, 30)]
"""
from __future__ import annotations

import pandas as pd

from labs import engines
from labs._check import whole
from labs.timing import best_of

ENGINES = pd.DataFrame([
    {"engine": "Hadoop MapReduce", "model": "map, shuffle through disk, reduce; a chain of jobs",
     "state": "none between jobs: every step lands in HDFS", "latency": "minutes to hours",
     "data vs memory": "any size; disk-bound", "operations": "a YARN/HDFS cluster; legacy, rarely chosen new"},
    {"engine": "Spark", "model": "a DAG of stages, data in memory, spilling when it must; micro-batch streams",
     "state": "checkpointed state stores for streams", "latency": "seconds (micro-batch) to minutes",
     "data vs memory": "beyond one node's memory: GB to PB", "operations": "a cluster or a managed service"},
    {"engine": "Flink", "model": "long-running operators, one event at a time",
     "state": "large keyed state, checkpointed; event time and watermarks first-class", "latency": "milliseconds",
     "data vs memory": "unbounded streams; state on disk (RocksDB)", "operations": "an always-on cluster"},
    {"engine": "DuckDB (one node)", "model": "vectorised, columnar, in-process",
     "state": "a file or memory; no streaming state", "latency": "milliseconds to seconds",
     "data vs memory": "fits one machine's disk; spills beyond memory", "operations": "none: a library"},
])


def _sql(rows: int) -> str:
    return (f"SELECT range % 100 AS k, count(*) AS n, sum(range % 7) AS total FROM range({whole(rows, 'rows', at_least=1)}) "
            "GROUP BY k ORDER BY k")


def duckdb_aggregate(rows: int, con=None) -> list[tuple]:
    """The aggregate on DuckDB: per key (id % 100), the count and the sum of id % 7."""
    con = con or engines.duckdb()
    return [tuple(int(x) for x in row) for row in con.sql(_sql(rows)).fetchall()]


def spark_aggregate(spark, rows: int) -> list[tuple]:
    """The same aggregate on Spark."""
    from pyspark.sql import functions as F

    frame = spark.range(whole(rows, "rows", at_least=1))
    out = (frame.groupBy((F.col("id") % 100).alias("k"))
           .agg(F.count("*").alias("n"), F.sum(F.col("id") % 7).alias("total")).orderBy("k"))
    return [tuple(int(x) for x in row) for row in out.collect()]


def same_aggregate(spark, sizes=(10_000, 1_000_000, 10_000_000), repeat: int = 3) -> pd.DataFrame:
    """Best-of-``repeat`` seconds on each engine at each size, whether they agree, and the ratio."""
    con = engines.duckdb()
    rows = []
    for n in sizes:
        agree = duckdb_aggregate(n, con) == spark_aggregate(spark, n)  # also warms Spark up for this size
        rows.append({"rows": n, "same_result": agree,
                     "duckdb_s": best_of(lambda: duckdb_aggregate(n, con), repeat=repeat),
                     "spark_s": best_of(lambda: spark_aggregate(spark, n), repeat=repeat, warmup=0)})
    frame = pd.DataFrame(rows)
    frame["spark_over_duckdb"] = frame["spark_s"] / frame["duckdb_s"]
    return frame
