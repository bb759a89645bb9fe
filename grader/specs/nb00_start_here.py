"""Exercises of 00-start-here: one of each common kind, to learn how checks work.

    >>> [ex.id for ex in EXERCISES]
    ['orders_per_status', 'monthly_revenue_sql', 'size_bucket', 'engine_choice',
     'engine_for_the_job', 'bytes_read_share']
"""
from __future__ import annotations

import pandas as pd

from grader.kinds import Choice, Function, Mistake, Number, Sql, Table

NOTEBOOK = "00-start-here"
COVERS = ("Q5.4", "Q7.2")  # the question ids the exercises prepare for


def _orders() -> pd.DataFrame:
    from labs.data import ensure

    return pd.read_parquet(ensure("ecommerce")["orders"])


def _customers_per_status() -> pd.DataFrame:
    return _orders().groupby("status")["customer_id"].nunique().rename("n_orders").reset_index()


def _monthly_revenue_share() -> float:
    """The share of orders.parquet's bytes that the monthly revenue question reads."""
    from labs.data import ensure
    from labs.parquet_facts import share_read

    return share_read(ensure("ecommerce")["orders"], MONTHLY_COLUMNS)


def _uncompressed_share() -> float:
    import pyarrow.parquet as pq
    from labs.data import ensure

    meta = pq.ParquetFile(ensure("ecommerce")["orders"]).metadata
    sizes = {meta.row_group(0).column(i).path_in_schema: sum(meta.row_group(g).column(i).total_uncompressed_size
                                                             for g in range(meta.num_row_groups))
             for i in range(meta.num_columns)}
    return sum(sizes[c] for c in MONTHLY_COLUMNS) / sum(sizes.values())


MONTHLY_COLUMNS = ("order_ts", "status", "total_amount")


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
        mistakes=(Mistake(table=_customers_per_status,
                          says="These are distinct customers per status: a customer with two orders counts once. "
                               "Count the orders (count(*)) instead."),),
        hints=("Group the orders by their status and count the rows of each group.",
               "In DuckDB: SELECT status, count(*) AS n_orders FROM read_parquet(...) GROUP BY status"),
        solution='orders_per_status = con.sql(f"""\n    SELECT status, count(*) AS n_orders\n    FROM read_parquet(\'{paths[\'orders\']}\')\n    GROUP BY status\n""").df()',
        explanation="A GROUP BY gives one row per status; count(*) counts the orders in each. Row order does not matter here.",
    ),
    Sql(
        id="monthly_revenue_sql",
        prompt="Write SQL for revenue per month of completed orders: columns month (a date, or a timestamp at the "
               "first instant of the month) and revenue.",
        fixtures=_small_orders,
        reference="SELECT date_trunc('month', order_ts)::DATE AS month, sum(total_amount) AS revenue "
                  "FROM orders WHERE status = 'completed' GROUP BY 1",
        hints=("Only completed orders count as revenue: filter them first.",
               "date_trunc('month', order_ts) maps every timestamp to the first instant of its month.",
               "Cast the month to DATE and group by it; sum total_amount."),
        solution="SELECT date_trunc('month', order_ts)::DATE AS month, sum(total_amount) AS revenue\nFROM orders\nWHERE status = 'completed'\nGROUP BY 1",
        explanation="Filtering before grouping keeps cancelled orders out of revenue; truncating the timestamp to the month is the grouping key. "
                    "In Spark SQL the same month is trunc(order_ts, 'MM'): wrap the query in grader.spark_sql(...) and it is judged on Spark.",
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
    Choice(
        id="engine_for_the_job",
        prompt="Which statements about Hadoop MapReduce, Spark and Flink are right? Choose every right one.",
        options={
            "A": "Fraud alerts within a second of each card swipe, with per-card state kept over hours: Flink, "
                 "which processes each event as it arrives and checkpoints its state.",
            "B": "A nightly join of 20 TB of lake tables: Spark, which plans the whole job as one DAG and keeps "
                 "intermediate data in memory, spilling to local disk only when it must.",
            "C": "A new pipeline should be written as MapReduce jobs because writing every step to HDFS makes them "
                 "the most reliable: not so, Spark recomputes lost partitions from lineage and checkpoints where "
                 "needed; MapReduce only makes sense where it already runs.",
            "D": "Spark Structured Streaming gives sub-millisecond latency per record: not so, it runs micro-batches "
                 "(typically a few hundred milliseconds at best); per-record latency is Flink's strength.",
            "E": "A chain of MapReduce jobs pays disk I/O between every pair: map output goes to local disk, and each "
                 "job's output is written to HDFS (replicated) before the next job reads it.",
        },
        correct=("A", "B", "E"),
        multiple=True,
        hints=("Ask for each job: how fresh must the answer be, and how big is the data?",
               "MapReduce materialises between stages; Spark keeps a DAG in memory; Flink runs operators per event."),
        solution="{'A', 'B', 'E'}",
        explanation="Latency decides between Flink (per event) and Spark (batch and micro-batch); MapReduce's disk "
                    "between stages makes it slow for multi-stage work, so it survives only where it is installed.",
        covers=("Q5.4",),
    ),
    Number(
        id="bytes_read_share",
        prompt="From orders.parquet's footer, what share of its column bytes on disk does the monthly revenue "
               "question read (columns order_ts, status, total_amount)? A fraction between 0 and 1.",
        value=_monthly_revenue_share,
        abs_tol=0.005,
        mistakes=((3 / 8, "That is the share of columns (3 of 8), not of bytes: columns differ a lot in size."),
                  (lambda: 1 - _monthly_revenue_share(), "That is the share the query skips, not the share it reads."),
                  (_uncompressed_share, "That counts uncompressed bytes; a reader fetches the compressed bytes "
                                        "on disk (total_compressed_size).")),
        hints=("pyarrow.parquet.ParquetFile(path).metadata.row_group(g).column(i) has path_in_schema and "
               "total_compressed_size.",
               "Sum total_compressed_size of the three columns over every row group, then divide by the sum over "
               "every column."),
        solution="from labs.parquet_facts import column_bytes\nsizes = column_bytes(paths['orders'])\n"
                 "bytes_read_share = sum(sizes[c] for c in ('order_ts', 'status', 'total_amount')) / sum(sizes.values())",
        explanation="A columnar file stores each column apart, so a query pays for the columns it names, in "
                    "proportion to their compressed size: here the timestamp column dominates.",
        covers=("Q7.2",),
    ),
]


def _raises_value_error(fn) -> bool:
    try:
        fn(-1)
    except ValueError:
        return True
    return False
