"""How the storage lab's measurements move with size: row store against column store, the graph
walk against a breadth-first search, formats, small files, and what notebook 04's checks cost.

    python benchmarks/bench_04_storage.py [--repeat 3]

Prints, as figures and ratios (no assertions):

- SQLite / DuckDB time per operation (lookup, single-row update, aggregate) at three table sizes:
  the row store's lead on small operations holds as the table grows, the column store's on scans widens;
- the recursive CTE (DuckDB, SQLite) against networkx for k = 1..6 hops on graphs of two sizes;
- write seconds and bytes per Parquet codec, and the query time over 1 to 1,000 files;
- the seconds a learner waits under each of notebook 04's check cells.
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from grader.notebook import evaluate, load_exercises
from labs.storage import formats, graph, orders, workloads
from labs.timing import best_of, median_time


def bench_oltp_olap(repeat: int) -> None:
    print("row store (SQLite) / column store (DuckDB): time per operation, 300 operations")
    print(f"  {'rows':>9} {'lookup':>9} {'update':>9} {'aggregate':>10}")
    for n in (20_000, 200_000, 1_000_000):
        ratio = workloads.compare(n=n, ops=300, repeat=repeat)["SQLite / DuckDB"]
        scan = ratio[[w for w in ratio.index if w.startswith("aggregate")][0]]
        print(f"  {n:9,} {ratio['point lookup by key']:9.3f} {ratio['single-row update']:9.3f} {scan:10.1f}")


def bench_graph(repeat: int) -> None:
    print("\nk-hop walk: recursive CTE time / networkx time (start: an ordinary account)")
    print(f"  {'accounts':>9} {'k':>2} {'reached':>8} {'DuckDB':>8} {'SQLite':>8}")
    for n in (5_000, 50_000):
        edges = graph.follows(n, seed=1)
        con, db, g = graph.to_duckdb(edges), graph.to_sqlite(edges), graph.to_networkx(edges)
        start = int(n * 0.8)
        for k in range(1, 7):
            nx_s = best_of(lambda: graph.k_hop_nx(g, start, k), repeat)
            duck = best_of(lambda: graph.k_hop_sql(con, start, k), repeat) / nx_s
            lite = best_of(lambda: graph.k_hop_sql(db, start, k), repeat) / nx_s
            print(f"  {n:9,} {k:2} {len(graph.k_hop_nx(g, start, k)):8,} {duck:8.1f} {lite:8.1f}")


def bench_formats(repeat: int) -> None:
    frame = orders.orders(200_000, seed=1)
    folder = Path(tempfile.mkdtemp(prefix="bench-formats-"))
    print("\nParquet codecs on 200,000 orders: write seconds and bytes")
    for name, (codec, level) in formats.PARQUET.items():
        seconds, path = median_time(lambda: formats.write_parquet(frame, folder / f"{name}.parquet", codec, level), repeat)
        print(f"  {name:8} {seconds:7.3f} s  {path.stat().st_size:12,} bytes")
    print("\nthe day-revenue query over the same rows in many files")
    table = formats.small_files(frame, folder / "small", counts=(1, 10, 100, 1000), repeat=repeat)
    print(table[["files", "bytes on disk", "seconds", "time vs one file"]].to_string(index=False))


def bench_checks(repeat: int) -> None:
    print("\nnotebook 04 checks (what a learner waits for under the check cell)")
    from grader.specs import nb04_storage_oltp_olap as spec
    from labs.lakehouse.time_travel import as_of

    exercises = load_exercises("04-storage-oltp-olap")
    answers = {
        "replica_lag_sql": spec.REPLICA_LAG_SQL,
        "wide_column_design": {"partition_key": ["sensor_id", "hour"], "clustering": [["reading_ts", "desc"]]},
        "friends_of_friends_sql": spec.FRIENDS_SQL,
        "row_groups_to_read": spec.row_groups_reference,
        "orders_before_delete": as_of(spec.time_travel_table(), 2),
        "scd2_merge_sql": spec.SCD2_SQL,
    }
    for ex_id, answer in answers.items():
        seconds, verdict = median_time(lambda: evaluate(exercises[ex_id], answer), repeat)
        print(f"  {ex_id:28} {seconds:7.3f} s  ({verdict.status.value})")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the median or best is shown)")
    args = parser.parse_args(argv)
    bench_oltp_olap(args.repeat)
    bench_graph(args.repeat)
    bench_formats(args.repeat)
    bench_checks(args.repeat)


if __name__ == "__main__":
    main()
