"""Serving one question three ways (D9): a pre-aggregated table, DuckDB over the raw rows, SQLite.

The question a product page asks: "what has customer c spent?", once per page view. It can be
answered from the raw orders each time (DuckDB scans them in columns; SQLite walks an index on
``customer_id``), or from a table computed ahead of time with one row per customer (a primary-key
lookup). ``lookup_latency`` times many lookups of random customers in each and checks that every
store gives the same answers.

    >>> from labs.architecture.events import make_events
    >>> stores = build_stores(make_events(2_000, seed=4))
    >>> answers = {name: ask(c) for name, ask in stores.items() for c in [7]}
    >>> len(set(round(v, 2) for v in answers.values()))
    1
"""
from __future__ import annotations

import random
import time

import pandas as pd

from labs import engines
from labs._check import whole


def build_stores(events: pd.DataFrame) -> dict:
    """One function per store, each answering ``spent(customer_id) -> float`` (paid orders only)."""
    paid = events[events["status"] == "paid"][["event_id", "customer_id", "amount"]]
    duck = engines.duckdb()
    duck.register("orders_view", paid)
    duck.execute("CREATE TABLE orders AS SELECT * FROM orders_view")
    duck.execute("CREATE TABLE spent AS SELECT customer_id, sum(amount) AS spent FROM orders GROUP BY customer_id")
    lite = engines.sqlite()
    lite.execute("CREATE TABLE orders (event_id INTEGER PRIMARY KEY, customer_id INTEGER, amount REAL)")
    lite.executemany("INSERT INTO orders VALUES (?, ?, ?)", paid.itertuples(index=False, name=None))
    lite.execute("CREATE INDEX orders_by_customer ON orders (customer_id)")
    lite.execute("CREATE TABLE spent (customer_id INTEGER PRIMARY KEY, spent REAL)")
    lite.execute("INSERT INTO spent SELECT customer_id, sum(amount) FROM orders GROUP BY customer_id")
    lite.commit()

    def one(rows) -> float:
        return float(rows[0][0] or 0.0) if rows else 0.0

    return {
        "SQLite, pre-aggregated (primary key)": lambda c: one(lite.execute(
            "SELECT spent FROM spent WHERE customer_id = ?", (c,)).fetchall()),
        "SQLite, raw rows (index)": lambda c: one(lite.execute(
            "SELECT sum(amount) FROM orders WHERE customer_id = ?", (c,)).fetchall()),
        "DuckDB, pre-aggregated": lambda c: one(duck.execute(
            "SELECT spent FROM spent WHERE customer_id = ?", [c]).fetchall()),
        "DuckDB, raw rows (scan)": lambda c: one(duck.execute(
            "SELECT sum(amount) FROM orders WHERE customer_id = ?", [c]).fetchall()),
    }


def lookup_latency(stores: dict, customers: int, lookups: int = 300, seed: int = 0) -> pd.DataFrame:
    """Median and 99th percentile microseconds per lookup in each store, and whether all agree."""
    rng = random.Random(whole(seed, "seed"))
    asks = [rng.randint(1, whole(customers, "customers", at_least=1)) for _ in range(whole(lookups, "lookups", at_least=1))]
    answers, rows = {}, []
    for name, ask in stores.items():
        ask(asks[0])  # the first call pays for caches and statement preparation
        times, got = [], []
        for c in asks:
            started = time.perf_counter()
            got.append(round(ask(c), 2))
            times.append((time.perf_counter() - started) * 1e6)
        answers[name] = got
        s = pd.Series(times)
        rows.append({"store": name, "median_us": s.median(), "p99_us": s.quantile(0.99)})
    frame = pd.DataFrame(rows)
    first = next(iter(answers.values()))
    frame["same_answers"] = [a == first for a in answers.values()]
    return frame
