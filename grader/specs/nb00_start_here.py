"""Exercises of 00-start-here: one of each common kind, to learn how checks work."""
from __future__ import annotations

import pandas as pd

from grader.kinds import Choice, Function, Sql, Table


def _orders() -> pd.DataFrame:
    from labs.data import ensure

    return pd.read_parquet(ensure("ecommerce")["orders"])


def _orders_per_status() -> pd.DataFrame:
    # built with pandas on purpose: a second engine checks the learner's DuckDB answer
    counts = _orders().groupby("status").size().rename("n_orders").reset_index()
    return counts


def _small_orders() -> dict:
    """A tiny fixture: the SQL check runs the learner's query on these rows."""
    return {"orders": pd.DataFrame({
        "order_id": [1, 2, 3, 4, 5, 6],
        "order_ts": pd.to_datetime(["2024-01-05 10:00", "2024-01-20 12:30", "2024-02-01 00:00",
                                    "2024-02-29 23:59", "2024-03-15 08:00", "2024-03-31 18:00"]),
        "status": ["completed", "cancelled", "completed", "completed", "shipped", "completed"],
        "total_amount": [120.0, 80.0, 35.5, 64.5, 10.0, 15.25],
    })}


def size_bucket_reference(amount: float) -> str:
    if amount < 0:
        raise ValueError("amount cannot be negative")
    if amount < 50:
        return "small"
    if amount < 200:
        return "medium"
    return "large"


EXERCISES = [
    Table(
        id="orders_per_status",
        prompt="Count the orders per status with DuckDB: columns status, n_orders.",
        expected_fn=_orders_per_status,
        hints=("Group the orders by their status and count the rows of each group.",
               "In DuckDB: SELECT status, count(*) AS n_orders FROM read_parquet(...) GROUP BY status"),
        solution='orders_per_status = con.sql(f"""\n    SELECT status, count(*) AS n_orders\n    FROM read_parquet(\'{paths[\'orders\']}\')\n    GROUP BY status\n""").df()',
        explanation="A GROUP BY gives one row per status; count(*) counts the orders in each. Row order does not matter here.",
    ),
    Sql(
        id="monthly_revenue_sql",
        prompt="Write SQL for revenue per month of completed orders: columns month (a date, first day of the month) and revenue.",
        fixtures=_small_orders,
        reference="SELECT date_trunc('month', order_ts)::DATE AS month, sum(total_amount) AS revenue "
                  "FROM orders WHERE status = 'completed' GROUP BY 1",
        hints=("Only completed orders count as revenue: filter them first.",
               "date_trunc('month', order_ts) maps every timestamp to the first instant of its month.",
               "Cast the month to DATE and group by it; sum total_amount."),
        solution="SELECT date_trunc('month', order_ts)::DATE AS month, sum(total_amount) AS revenue\nFROM orders\nWHERE status = 'completed'\nGROUP BY 1",
        explanation="Filtering before grouping keeps cancelled orders out of revenue; truncating the timestamp to the month is the grouping key.",
        covers=("Q7.2",),
    ),
    Function(
        id="size_bucket",
        prompt="Write size_bucket(amount): 'small' under 50, 'medium' under 200, else 'large'; raise ValueError for a negative amount.",
        reference=size_bucket_reference,
        cases=((10.0,), (49.99,), (50.0,), (199.99,), (200.0,), (1000.0,)),
        generate=lambda rng: (round(rng.uniform(0, 500), 2),),
        probes=(("negative amount",
                 lambda fn: _raises_value_error(fn),
                 lambda raised: None if raised else "size_bucket(-1) should raise ValueError."),),
        hints=("Check the boundaries: is 50 small or medium?", "Test the lowest bucket first, then the next."),
        solution="def size_bucket(amount):\n    if amount < 0:\n        raise ValueError('amount cannot be negative')\n    if amount < 50:\n        return 'small'\n    if amount < 200:\n        return 'medium'\n    return 'large'",
        explanation="Boundaries belong to the upper bucket (50 is medium), which '<' comparisons give in order.",
    ),
    Choice(
        id="engine_choice",
        prompt="Which engine fits a 5 GB Parquet file you want to explore on your laptop this afternoon?",
        options={
            "A": "A Spark cluster: worth it when data outgrows one machine, not for 5 GB.",
            "B": "DuckDB: an in-process columnar engine that scans 5 GB of Parquet in seconds on a laptop.",
            "C": "SQLite: a row store built for transactions; analytical scans of 5 GB are slow.",
            "D": "pandas: it must load everything into memory first, often 5-10x the file size.",
        },
        correct=("B",),
        hints=("Which engine is columnar and runs inside your Python process?",),
        solution="B",
        explanation="DuckDB reads only the columns a query needs and runs vectorised on all cores; Spark's start-up and shuffle costs pay off only past one machine.",
        covers=("Q5.4",),
    ),
]


def _raises_value_error(fn) -> bool:
    try:
        fn(-1)
    except ValueError:
        return True
    return False
