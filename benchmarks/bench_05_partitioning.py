"""Partitioning lab costs: keys moved by a rebalance, files and time saved by pruning, the
price of small files, and scatter-gather against one database.

    python benchmarks/bench_05_partitioning.py [--rows 1000000] [--no-spark]

1. Keys moved going from N to N+1 nodes, hash-mod-N against the reference consistent-hash
   ring (64 virtual nodes), rendezvous hashing, jump hashing and 16,384 fixed slots, and the
   busiest node's load: counted, not timed. Then the lookup cost of each, timed, as a ratio.
2. The same transactions as one Parquet file, one folder per month and one per day: a
   one-week query with the bare partition filter and with a filter on ``ts``, and a full
   scan, on DuckDB (median of 5 runs) and, unless ``--no-spark``, on Spark.
3. A group-by over one DuckDB file against the same rows in 4 shards, scattered in
   parallel and one shard after another.

Prints figures and ratios; asserts nothing (timings on shared machines are noisy).
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from labs.timing import median_seconds

WEEK = "txn_date BETWEEN DATE '2024-03-01' AND DATE '2024-03-07'"
WEEK_TS = "ts >= TIMESTAMPTZ '2024-03-01 00:00:00+00' AND ts < TIMESTAMPTZ '2024-03-08 00:00:00+00'"
WEEK_TS_SPARK = "ts >= '2024-03-01' AND ts < '2024-03-08'"


def moved_keys() -> None:
    from grader.specs.nb05_sharding_partitioning import ReferenceRing
    from labs.partitioning import hashing, slots

    keys = [f"user:{i}" for i in range(20_000)]
    schemes = {"mod-N": hashing.ModN, "ring": lambda nodes: ReferenceRing(nodes, 64),
               "rendezvous": hashing.Rendezvous, "jump": hashing.JumpHash}
    rows = []
    for n in (2, 4, 8, 16):
        before, after = [f"n{i}" for i in range(n)], [f"n{i}" for i in range(n + 1)]
        row = {"nodes": f"{n} -> {n + 1}", "ideal 1/(N+1)": 1 / (n + 1)}
        for name, make in schemes.items():
            new = make(after)
            row[f"moved, {name}"] = hashing.moved_fraction(keys, make(before), new)
            row[f"busiest/mean, {name}"] = hashing.spread(hashing.loads(keys, new, nodes=after))
        old_slots = slots.SlotMap(before)
        new_slots, _ = old_slots.with_node(after[-1])
        row["moved, slots"] = hashing.moved_fraction(keys, old_slots, new_slots)
        row["busiest/mean, slots"] = hashing.spread(hashing.loads(keys, new_slots, nodes=after))
        rows.append(row)
    frame = pd.DataFrame(rows).set_index("nodes").round(3)
    print("\n1. Rebalancing: share of 20,000 keys that move when one node joins")
    print(frame[[c for c in frame.columns if c.startswith(("ideal", "moved"))]].to_string())
    print("   and the busiest node's load / mean after the join")
    print(frame[[c for c in frame.columns if c.startswith("busiest")]].to_string())

    sample, nodes = keys[:2_000], [f"n{i}" for i in range(16)]
    placements = {name: make(nodes) for name, make in schemes.items()}
    placements["slots"] = slots.SlotMap(nodes)
    cost = {name: median_seconds(lambda p=p: [p.node_for(k) for k in sample], 3, warmup=1) for name, p in placements.items()}
    base = cost["mod-N"]
    print("   lookup cost on 16 nodes, relative to mod-N: "
          + ", ".join(f"{name} {seconds / base:.1f}x" for name, seconds in cost.items()))


def pruning_costs(rows: int, folder: Path, spark_too: bool) -> None:
    from labs.data import transactions
    from labs.engines import duckdb
    from labs.partitioning import pruning

    con = duckdb()
    query = transactions.sql(rows, seed=42, parallel=False)
    start = time.perf_counter()
    con.execute(f"CREATE TABLE t AS SELECT *, strftime(txn_date, '%Y-%m') AS txn_month FROM ({query})")
    single = folder / "single.parquet"
    con.execute(f"COPY (SELECT * FROM t ORDER BY txn_id) TO '{single}' (FORMAT parquet, COMPRESSION zstd)")
    layouts = {"one file": single,
               "by month": pruning.write_partitioned(con, "SELECT * FROM t", folder / "by_month", "txn_month"),
               "by day": pruning.write_partitioned(con, "SELECT * FROM t", folder / "by_day", "txn_date")}
    print(f"\n2. Pruning: {rows:,} rows written three ways in {time.perf_counter() - start:.1f} s")

    table = []
    for name, path in layouts.items():
        source = (f"read_parquet('{path}')" if name == "one file"
                  else f"read_parquet('{path}/**/*.parquet', hive_partitioning = true)")
        view = f"v_{name.replace(' ', '_')}"
        con.execute(f"CREATE VIEW {view} AS SELECT * FROM {source}")
        week = f"txn_month = '2024-03' AND {WEEK}" if name == "by month" else WEEK
        entry = {"layout": name, "files": 1 if name == "one file" else len(pruning.parquet_files(path))}
        for label, where in (("week, partition filter", week), ("week, filter on ts", WEEK_TS), ("full scan", "true")):
            sql = f"SELECT count(*), sum(amount) FROM {view} WHERE {where}"
            entry[f"{label} ms"] = 1000 * median_seconds(lambda: con.execute(sql).fetchall(), 5, warmup=1)
        table.append(entry)
    frame = pd.DataFrame(table).set_index("layout")
    frame["ts / partition filter"] = frame["week, filter on ts ms"] / frame["week, partition filter ms"]
    print("DuckDB, median of 5 runs:")
    print(frame.round(2).to_string())

    if spark_too:
        from labs.engines import spark

        session = spark()
        session.sql("SELECT 1").collect()
        pruning.spark_read(session, layouts["by day"]).createOrReplaceTempView("bench_by_day")
        spark_rows = {}
        for label, where in (("partition filter", WEEK), ("filter on ts", WEEK_TS_SPARK), ("full scan", "true")):
            sql = f"SELECT count(*), sum(amount) FROM bench_by_day WHERE {where}"
            spark_rows[label] = 1000 * median_seconds(lambda: session.sql(sql).collect(), 3, warmup=1)
        print("Spark, by day, median of 3 runs (ms): "
              + ", ".join(f"{k} {v:,.0f}" for k, v in spark_rows.items())
              + f"; ts / partition filter = {spark_rows['filter on ts'] / spark_rows['partition filter']:.1f}x")


def scatter_gather(rows: int, folder: Path) -> None:
    from labs.engines import duckdb
    from labs.partitioning import shards

    start = time.perf_counter()
    store = shards.build(folder / "shards", n_shards=4, n_rows=rows)
    whole = folder / "one.duckdb"
    con = duckdb(whole)
    con.execute(f"CREATE TABLE txns AS {store.source_sql()}")
    con.close()
    print(f"\n3. Scatter-gather: {rows:,} rows in 4 shards and in one file, written in "
          f"{time.perf_counter() - start:.1f} s")
    partial = ("SELECT status, currency, count(*) AS n, sum(amount) AS total "
               "FROM txns GROUP BY status, currency")

    def one_database():
        c = duckdb(whole, read_only=True)
        try:
            return c.execute(partial).fetchall()
        finally:
            c.close()

    def gather(parallel):
        merged = pd.concat(store.scatter(partial, parallel=parallel)).groupby(["status", "currency"]).sum()
        return merged

    figures = {"one database": median_seconds(one_database, 5, warmup=1),
               "4 shards, in parallel": median_seconds(lambda: gather(True), 5, warmup=1),
               "4 shards, one by one": median_seconds(lambda: gather(False), 5, warmup=1)}
    base = figures["one database"]
    for name, seconds in figures.items():
        print(f"  {name:<24} {1000 * seconds:8.1f} ms   {seconds / base:5.2f}x one database")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="transactions to generate (default 1,000,000)")
    parser.add_argument("--no-spark", action="store_true", help="skip the Spark timings")
    args = parser.parse_args()
    moved_keys()
    with tempfile.TemporaryDirectory(prefix="bench-05-") as tmp:
        pruning_costs(args.rows, Path(tmp), not args.no_spark)
        scatter_gather(args.rows, Path(tmp))


if __name__ == "__main__":
    main()
