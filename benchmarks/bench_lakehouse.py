"""How fast the lakehouse lab runs: what notebook 04's Delta Lake cells wait for.

    python benchmarks/bench_lakehouse.py [--repeat 3] [--rows 2000]

Prints, as figures (no assertions), the median seconds of each lab call on a fresh table in a
temporary folder (writes, conflicts, time travel, schema, SCD2 MERGE, layout, erasure), and
the files and bytes a selective query reads before and after compaction and Z-order.
"""
from __future__ import annotations

import argparse
import itertools
import tempfile
from pathlib import Path

from deltalake import write_deltalake

from labs.lakehouse import concurrency, erasure, layout, merge, schema, table, time_travel
from labs.timing import median_time

_names = itertools.count()


def fresh(base: Path, rows: int) -> Path:
    path = base / f"orders-{next(_names)}"
    table.create_orders(path, n=rows)
    return path


def bench_calls(base: Path, repeat: int, rows: int) -> float:
    print(f"lab calls on an orders table of {rows:,} rows (median of {repeat})")
    orders = fresh(base, rows)
    three = fresh(base, rows)
    for i in range(2):  # two more files, so that a compaction has work to do
        write_deltalake(str(three), table.orders_frame(100, seed=i, first_id=10_000_000 + i * 100), mode="append")
    calls = {
        "create_orders (4 commits)": lambda: fresh(base, rows),
        "log_entries": lambda: table.log_entries(orders),
        "two_writers update/update": lambda: concurrency.two_writers(fresh(base, rows), "update", "update"),
        "serializable optimize/optimize": lambda: concurrency.serializable(three, "optimize", "optimize"),
        "conflict_matrix (49 races + serial runs)": lambda: concurrency.conflict_matrix(three),
        "as_of version 0": lambda: time_travel.as_of(orders, 0),
        "diff 1 -> 2": lambda: time_travel.diff(orders, 1, 2),
        "write_bad_schema": lambda: schema.write_bad_schema(orders),
        "evolve": lambda: schema.evolve(fresh(base, rows)),
        "scd2_merge twice (50 customers)": lambda: _scd2(base),
        "small_file_table (40 x 200 rows)": lambda: layout.small_file_table(base / f"small-{next(_names)}"),
        "erase + vacuum": lambda: erasure.erase(fresh(base, rows), "customer_id = 1"),
        "erase + vacuum + log clean-up": lambda: erasure.erase(fresh(base, rows), "customer_id = 1", clean_log=True),
    }
    total = 0.0
    for label, fn in calls.items():
        seconds, _ = median_time(fn, repeat)
        total += seconds
        print(f"  {label:42} {seconds:7.3f} s")
    return total


def _scd2(base: Path):
    path = base / f"customers-{next(_names)}"
    merge.create_customers(path)
    changes = merge.example_changes(path)
    return merge.scd2_merge(path, changes), merge.scd2_merge(path, changes)


def bench_layout(base: Path, repeat: int) -> float:
    print("\nlayout: 40 appends of 200 rows, then OPTIMIZE and ZORDER BY customer_id")
    path = base / "layout"
    layout.small_file_table(path)
    query = "customer_id = 17"
    total = 0.0
    for step, run in (("small files", lambda: None), ("compacted", lambda: layout.compact(path)),
                      ("z-ordered", lambda: layout.zorder(path, ["customer_id"]))):
        seconds, _ = median_time(run, 1)
        scan_seconds, scan = median_time(lambda: layout.files_read(path, query), repeat)
        total += seconds + scan_seconds
        files, size = table.files_and_bytes(path)
        print(f"  {step:12} {files:3} files {size:8,} B; {query}: {scan.files:3} files, {scan.bytes:8,} B read, "
              f"{scan.rows} rows  (rewrite {seconds:.3f} s, files_read {scan_seconds:.3f} s)")
    return total


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the median is shown)")
    parser.add_argument("--rows", type=int, default=2000, help="orders in each table")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        total = bench_calls(Path(scratch), args.repeat, args.rows) + bench_layout(Path(scratch), args.repeat)
    print(f"\nall of the above once: {total:.2f} s")


if __name__ == "__main__":
    main()
