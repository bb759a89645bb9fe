"""How long a check takes, per answer kind, on answers of 100,000 rows.

    python benchmarks/bench_checks.py [--rows 100000] [--repeat 15]

Prints the median (and 90th percentile) of:

- ``check()``: what a learner waits for under a check cell (prepare and judge in one process);
- ``export``: the learner's kernel preparing and writing the answer in batch grading;
- ``judge``: the grader reading and judging that exported answer.

Target: a table or SQL answer of 1e5 rows checked in 50 ms or less. Figures, not assertions.

The DuckDB relation is lazy, as a learner's usually is: its ``check()`` time includes running
the learner's query (here a sort of 1e5 rows, about a third of the time). The SQL exercise
loads its fixtures once; each check then runs the learner's query on a cursor.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from grader.kinds import Choice, Function, Number, Sql, Table
from grader.notebook import Notebook, evaluate, judge_exported
from labs.timing import samples


def orders(rows: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "order_id": np.arange(rows, dtype=np.int64),
        "customer_id": rng.integers(0, rows // 10 + 1, rows),
        "status": rng.choice(["completed", "cancelled", "shipped"], rows),
        "order_ts": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 365 * 86400, rows), unit="s"),
        "total_amount": rng.gamma(2.0, 40.0, rows).round(2),
    })


def bucket(amount):
    if amount < 0:
        raise ValueError("negative")
    return "small" if amount < 50 else "medium" if amount < 200 else "large"


def cases(rows: int):
    """(label, exercise, answer): a right answer of each kind, as a learner would give it."""
    import duckdb

    frame = orders(rows)
    con = duckdb.connect()
    # the learner's data lives in DuckDB, as it does in the labs (read from Parquet into a table)
    con.register("orders_df", frame)
    con.execute("CREATE TABLE orders AS SELECT * FROM orders_df")
    # the learner's answer comes out of DuckDB in another row order, with its own dtypes
    table_answer = con.sql("SELECT * FROM orders ORDER BY total_amount DESC").df()
    duck_relation = con.sql("SELECT * FROM orders ORDER BY customer_id")  # lazy: each check runs it
    reference = "SELECT order_id, status, total_amount * 1.2 AS gross FROM orders WHERE status <> 'cancelled'"
    learner_sql = ("SELECT order_id, status, total_amount + total_amount * 0.2 AS gross FROM orders "
                   "WHERE status IN ('completed', 'shipped')")
    return [
        (f"table (pandas, {rows:,} rows)", Table(id="t", expected_fn=lambda: frame), table_answer),
        (f"table (DuckDB relation, {rows:,} rows)", Table(id="t2", expected_fn=lambda: frame), duck_relation),
        (f"sql ({rows:,}-row fixture)", Sql(id="s", fixtures=lambda: {"orders": frame}, reference=reference),
         learner_sql),
        ("function (26 cases)", Function(id="f", reference=bucket, cases=((10.0,), (50.0,), (199.99,), (200.0,), (1e3,), (0.0,)),
                                         generate=lambda rng: (round(rng.uniform(0, 500), 2),)), bucket),
        ("number", Number(id="n", value=42.0, rel_tol=0.01), 42.1),
        ("choice", Choice(id="c", options={"A": "a", "B": "b"}, correct=("B",)), "B"),
    ]


def timed(fn, repeat: int) -> list[float]:
    """Milliseconds of each of ``repeat`` calls: the median and the 90th percentile are shown."""
    return [seconds * 1000 for seconds in samples(fn, repeat)[0]]


def summary(times: list[float]) -> str:
    p90 = sorted(times)[max(0, int(round(0.9 * len(times))) - 1)]
    return f"{statistics.median(times):8.1f} {p90:8.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    os.environ["KIT_STATE_DIR"] = tempfile.mkdtemp()  # no progress file of yours is touched

    print(f"check latency in ms, median and p90 of {args.repeat} runs (expected answers built once, beforehand)")
    print(f"{'answer kind':38} {'check()':>17} {'export':>17} {'judge':>17}")
    nb = Notebook.__new__(Notebook)  # an exporter without a spec module: only _export is used
    for label, ex, answer in cases(args.rows):
        ex.expected()
        assert evaluate(ex, answer).correct, f"{label}: the benchmark's answer should be right"
        check = timed(lambda: evaluate(ex, answer), args.repeat)
        root = Path(tempfile.mkdtemp())
        export = timed(lambda: nb._export(ex, answer, root), args.repeat)
        assert judge_exported(ex, root / ex.id).correct
        judge = timed(lambda: judge_exported(ex, root / ex.id), args.repeat)
        print(f"{label:38} {summary(check)} {summary(export)} {summary(judge)}")
    print("target: table and SQL answers of 1e5 rows checked in <= 50 ms (median).")


if __name__ == "__main__":
    main()
