"""A seeded orders table, and the same rows in a row store (SQLite) and a column store (DuckDB).

    >>> frame = orders(1000, seed=7)
    >>> db = to_sqlite(frame)
    >>> db.execute("select count(*) from orders").fetchall()
    [(1000,)]
    >>> to_duckdb(frame).sql("select count(*) from orders").fetchall()
    [(1000,)]
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from labs import engines
from labs._check import whole

STATUSES = ("placed", "paid", "shipped", "delivered", "cancelled")
COUNTRIES = ("DE", "FR", "GB", "NL", "PL", "ES", "IT", "SE")
START = pd.Timestamp("2024-01-01")
COLUMNS = ["order_id", "customer_id", "status", "country", "amount", "order_ts"]


def orders(n: int = 200_000, seed: int = 1, customers: int | None = None) -> pd.DataFrame:
    """``n`` orders over 2024, one every ~2.6 minutes per 200k: ids 1..n in time order."""
    n = whole(n, "n", at_least=1)
    seed = whole(seed, "seed", at_least=0)
    customers = whole(customers if customers is not None else max(1, n // 10), "customers", at_least=1)
    rng = np.random.default_rng(seed)
    seconds = np.sort(rng.integers(0, 366 * 86_400, size=n))
    return pd.DataFrame({
        "order_id": np.arange(1, n + 1, dtype="int64"),
        "customer_id": rng.integers(1, customers + 1, size=n).astype("int64"),
        "status": rng.choice(STATUSES, size=n, p=(0.1, 0.15, 0.2, 0.5, 0.05)),
        "country": rng.choice(COUNTRIES, size=n),
        "amount": np.round(rng.lognormal(3.5, 0.8, size=n), 2),
        "order_ts": START + pd.to_timedelta(seconds, unit="s"),
    })


def to_sqlite(frame: pd.DataFrame, database=":memory:"):
    """The rows in SQLite: an INTEGER PRIMARY KEY is the table's own B-tree key (the rowid)."""
    db = engines.sqlite(database)
    db.execute("DROP TABLE IF EXISTS orders")
    db.execute("CREATE TABLE orders (order_id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, status TEXT, "
               "country TEXT, amount REAL, order_ts TEXT)")
    rows = frame[COLUMNS].assign(order_ts=frame["order_ts"].dt.strftime("%Y-%m-%d %H:%M:%S"))
    db.executemany("INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?)", rows.itertuples(index=False, name=None))
    db.execute("CREATE INDEX orders_customer ON orders (customer_id)")
    db.commit()
    return db


def to_duckdb(frame: pd.DataFrame, database=":memory:"):
    """The rows in DuckDB, column by column; the primary key gives it an ART index for lookups."""
    con = engines.duckdb(database)
    con.execute("DROP TABLE IF EXISTS orders")
    con.execute("CREATE TABLE orders (order_id BIGINT PRIMARY KEY, customer_id BIGINT NOT NULL, status VARCHAR, "
                "country VARCHAR, amount DOUBLE, order_ts TIMESTAMP)")
    con.register("orders_frame", frame[COLUMNS])
    con.execute("INSERT INTO orders SELECT * FROM orders_frame")
    con.unregister("orders_frame")
    return con
