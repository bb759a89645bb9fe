"""OLTP against OLAP work on the same orders: SQLite (rows in a B-tree) and DuckDB (columns).

Each workload is a function of a connection, so both engines run the very same SQL:

- ``point_lookups``: fetch whole orders by primary key, one statement each (a web request);
- ``single_updates``: change one order's status per transaction (a checkout);
- ``revenue_by_country``: scan two columns of every row and aggregate (a dashboard).

``compare`` times all three on both engines; ``writer_conflicts`` shows how each engine lets two
writers in at once (SQLite locks the whole database; DuckDB checks rows at commit).

    >>> from labs.storage import orders
    >>> frame = orders.orders(500, seed=3)
    >>> db, con = orders.to_sqlite(frame), orders.to_duckdb(frame)
    >>> point_lookups(db, [1, 2]) == point_lookups(con, [1, 2])
    True
    >>> revenue_by_country(db) == revenue_by_country(con)
    True
"""
from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from labs import engines, timing
from labs._check import whole
from labs.storage import orders as _orders

LOOKUP = "SELECT * FROM orders WHERE order_id = ?"
UPDATE = "UPDATE orders SET status = ? WHERE order_id = ?"
AGGREGATE = ("SELECT country, count(*) AS orders, round(sum(amount), 2) AS revenue FROM orders "
             "WHERE status <> 'cancelled' GROUP BY country ORDER BY country")


def point_lookups(con, ids) -> int:
    """How many of ``ids`` were found, one query per id."""
    found = 0
    for order_id in ids:
        found += len(con.execute(LOOKUP, [int(order_id)]).fetchall())
    return found


def single_updates(con, ids, status: str = "shipped") -> int:
    """One short transaction per id, each committed before the next: how OLTP writes arrive."""
    for order_id in ids:
        con.execute("BEGIN")
        con.execute(UPDATE, [status, int(order_id)])
        con.execute("COMMIT")
    return len(ids)


def revenue_by_country(con) -> list[tuple]:
    return [tuple(row) for row in con.execute(AGGREGATE).fetchall()]


def compare(n: int = 200_000, ops: int = 500, seed: int = 1, repeat: int = 3) -> pd.DataFrame:
    """Median seconds per operation of each workload on each engine, and the SQLite/DuckDB ratio.

    SQLite runs in autocommit off (isolation_level=None) so each ``BEGIN``/``COMMIT`` is ours.
    """
    n, ops = whole(n, "n", at_least=1), whole(ops, "ops", at_least=1)
    frame = _orders.orders(n, seed=seed)
    db = _orders.to_sqlite(frame)
    db.isolation_level = None
    con = _orders.to_duckdb(frame)
    ids = np.random.default_rng(seed).integers(1, n + 1, size=ops).tolist()
    rows = []
    for name, engine in (("SQLite (row store)", db), ("DuckDB (column store)", con)):
        lookup = timing.median_seconds(lambda: point_lookups(engine, ids), repeat=repeat, warmup=1) / ops
        update = timing.median_seconds(lambda: single_updates(engine, ids), repeat=repeat, warmup=1) / ops
        scan = timing.median_seconds(lambda: revenue_by_country(engine), repeat=repeat, warmup=1)
        rows += [(name, "point lookup by key", lookup), (name, "single-row update", update),
                 (name, f"aggregate over {n:,} rows", scan)]
    table = pd.DataFrame(rows, columns=["engine", "workload", "seconds"])
    wide = table.pivot(index="workload", columns="engine", values="seconds")
    wide["SQLite / DuckDB"] = wide["SQLite (row store)"] / wide["DuckDB (column store)"]
    return wide[["SQLite (row store)", "DuckDB (column store)", "SQLite / DuckDB"]]


def writer_conflicts(folder: str | Path | None = None) -> pd.DataFrame:
    """Two writers at once on each engine: what the second one gets.

    SQLite: writer A holds a write transaction; writer B, told not to wait, is refused at once,
    even for another row (the lock is the whole database). DuckDB: two transactions in one
    process may both write; only two changes to the same row conflict, at the second update.
    """
    folder = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="writers-"))
    frame = _orders.orders(100, seed=1)
    path = folder / "oltp.sqlite"
    _orders.to_sqlite(frame, path).close()
    rows = []
    for same_row in (False, True):
        a = sqlite3.connect(path, isolation_level=None, timeout=0)
        b = sqlite3.connect(path, isolation_level=None, timeout=0)
        a.execute("BEGIN IMMEDIATE")
        a.execute(UPDATE, ["paid", 1])
        rows.append(("SQLite", same_row, _second_writer(b, 1 if same_row else 2, "BEGIN IMMEDIATE")))
        a.execute("ROLLBACK")
        a.close(), b.close()
    con = _orders.to_duckdb(frame)
    for same_row in (False, True):
        a, b = con.cursor(), con.cursor()
        a.execute("BEGIN")
        a.execute(UPDATE, ["paid", 1])
        rows.append(("DuckDB", same_row, _second_writer(b, 1 if same_row else 2, "BEGIN")))
        a.execute("COMMIT")
    return pd.DataFrame(rows, columns=["engine", "same row", "second writer gets"])


def _second_writer(con, order_id: int, begin: str) -> str:
    try:
        con.execute(begin)
        con.execute(UPDATE, ["shipped", order_id])
        con.execute("COMMIT")
        return "committed"
    except Exception as exc:  # the engines' own error classes differ; the message is the lesson
        try:
            con.execute("ROLLBACK")
        except Exception:
            pass
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:70]}"
