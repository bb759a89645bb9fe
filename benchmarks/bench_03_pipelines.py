"""Benchmarks for notebook 03 (ETL/ELT pipelines): figures to track, no assertions.

1. ETL (Spark transform, then load) against ELT (load raw into DuckDB, transform in SQL) for the
   same mart, at several sizes of the e-commerce data, warm runs only.
2. Upsert strategies in DuckDB (MERGE, INSERT OR REPLACE, delete + insert, append) applying a
   batch to a table of 1 million rows, at several batch sizes.
3. The metadata pipeline's cost of logging: one run that counts rows after each step against
   the plain write it ends with.
4. The price of publishing atomically: a plain overwrite of a partitioned Parquet table against
   write-audit-publish (a new version folder, an audit that reads it back, a pointer swap).

    python benchmarks/bench_03_pipelines.py            # everything
    python benchmarks/bench_03_pipelines.py upserts    # one part: etl_elt, upserts, metadata, publish
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from labs import engines
from labs.data import ensure
from labs.pipelines import etl_vs_elt, incremental
from labs.pipelines import metadata_pipeline as mp
from labs.pipelines.publish import AuditFailed, VersionedTable
from labs.timing import median_seconds

REPEAT = 3  # runs per figure, the median kept: Spark jobs take seconds each


def bench_etl_elt(scales=(0.25, 1.0, 4.0)) -> pd.DataFrame:
    spark = engines.spark()
    rows = []
    for scale in scales:
        data = ensure("ecommerce", scale=scale, progress=False)
        etl_vs_elt.run_etl(spark, engines.duckdb(), data)  # warm-up: JVM code paths, file listing caches
        etl = median_seconds(lambda: etl_vs_elt.run_etl(spark, engines.duckdb(), data), REPEAT)
        elt = median_seconds(lambda: etl_vs_elt.run_elt(engines.duckdb(), data), REPEAT)
        lines = len(pd.read_parquet(data["order_items"], columns=["order_id"]))
        rows.append({"scale": scale, "order lines": lines, "ETL Spark s": round(etl, 3),
                     "ELT DuckDB s": round(elt, 3), "ETL/ELT": round(etl / elt, 1)})
    return pd.DataFrame(rows)


def _orders(n: int, start: int = 1, hour: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(start)
    return pd.DataFrame({
        "order_id": np.arange(start, start + n, dtype=np.int64),
        "status": rng.choice(["placed", "paid", "shipped", "completed"], n),
        "amount": rng.uniform(5, 300, n).round(2),
        "updated_at": pd.Timestamp("2024-03-01") + pd.to_timedelta(hour, unit="h"),
    })


def bench_upserts(table_rows: int = 1_000_000, batch_sizes=(1_000, 10_000, 100_000)) -> pd.DataFrame:
    base = _orders(table_rows)
    rows = []
    for batch_size in batch_sizes:
        # half the batch updates existing orders, half inserts new ones
        updates = _orders(batch_size // 2, start=table_rows // 2, hour=1)
        inserts = _orders(batch_size - batch_size // 2, start=table_rows + 1, hour=1)
        batch = pd.concat([updates, inserts], ignore_index=True)
        row = {"batch rows": batch_size}
        for strategy in incremental.STRATEGIES:
            def run():
                con = engines.duckdb()
                incremental.create_target(con, "orders", strategy=strategy)
                con.register("__base", base)
                con.execute("INSERT INTO orders SELECT * FROM __base")
                started = time.perf_counter()
                incremental.upsert(con, "orders", batch, strategy=strategy)
                return time.perf_counter() - started
            row[f"{strategy} ms"] = round(1000 * sorted(run() for _ in range(3))[1], 1)  # the median of 3
        rows.append(row)
    return pd.DataFrame(rows)


def bench_metadata_logging() -> pd.DataFrame:
    spark = engines.spark()
    data = ensure("ecommerce", progress=False)
    out = Path(tempfile.mkdtemp(prefix="bench03-"))
    meta = {
        "name": "bench",
        "source": {"type": "parquet", "path": str(data["clickstream"]), "schema": _columns(spark, data["clickstream"])},
        "transforms": [{"op": "filter", "condition": "event_type IS NOT NULL"},
                       {"op": "dedupe", "keys": ["event_id"]}],
        "destination": {"type": "parquet", "path": str(out / "pipeline")},
    }
    mp.run_pipeline(spark, meta)  # warm-up
    with_counts = median_seconds(lambda: mp.run_pipeline(spark, meta), REPEAT)
    plain = median_seconds(lambda: (spark.read.parquet(str(data["clickstream"])).filter("event_type IS NOT NULL")
                                    .dropDuplicates(["event_id"]).write.mode("overwrite").parquet(str(out / "plain"))),
                           REPEAT)
    return pd.DataFrame([{"rows": spark.read.parquet(str(data["clickstream"])).count(),
                          "pipeline with step counts s": round(with_counts, 2),
                          "plain write s": round(plain, 2), "overhead": f"{with_counts / plain - 1:.0%}"}])


def _columns(spark, path) -> list[str]:
    return spark.read.parquet(str(path)).columns


def bench_publish(scales=(1.0, 4.0)) -> pd.DataFrame:
    spark = engines.spark()
    rows = []
    for scale in scales:
        data = ensure("ecommerce", scale=scale, progress=False)
        orders = spark.read.parquet(str(data["orders"])).selectExpr("*", "date_format(order_date, 'yyyy-MM') AS month")
        n = orders.count()
        out = Path(tempfile.mkdtemp(prefix="bench03-publish-"))
        table = VersionedTable(out / "versioned")

        def audit(folder):
            if spark.read.parquet(str(folder)).count() != n:
                raise AuditFailed("rows lost")

        plain = median_seconds(lambda: orders.write.mode("overwrite").partitionBy("month").parquet(str(out / "plain")),
                               REPEAT)
        versioned = median_seconds(lambda: (table.publish(lambda f: orders.write.partitionBy("month").parquet(str(f))),
                                            table.vacuum(keep=2)), REPEAT)
        audited = median_seconds(lambda: (table.publish(lambda f: orders.write.partitionBy("month").parquet(str(f)), audit),
                                          table.vacuum(keep=2)), REPEAT)
        rows.append({"scale": scale, "rows": n, "plain overwrite s": round(plain, 2),
                     "pointer swap / plain": round(versioned / plain, 2),
                     "with audit / plain": round(audited / plain, 2)})
    return pd.DataFrame(rows)


PARTS = {"etl_elt": bench_etl_elt, "upserts": bench_upserts, "metadata": bench_metadata_logging,
         "publish": bench_publish}


def main(argv: list[str]) -> None:
    chosen = argv or list(PARTS)
    unknown = [p for p in chosen if p not in PARTS]
    if unknown:
        raise SystemExit(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    for part in chosen:
        print(f"\n== {part} ==")
        print(PARTS[part]().to_string(index=False))


if __name__ == "__main__":
    main(sys.argv[1:])
