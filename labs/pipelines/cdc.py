"""Change data capture: a snapshot at a log position, then the change stream from that position.

An ``updated_at`` column shows that a row changed, but not a row that was deleted, and not the
versions in between two loads. Log-based CDC (Debezium reading PostgreSQL's write-ahead log or
MySQL's binlog, for example) reads the database's own log instead: every committed change, in
commit order, each with its log sequence number (LSN). A new copy of a table starts in two steps:

1. **the snapshot**: every row, read in one transaction, together with the log position that
   transaction saw;
2. **the stream**: every change committed *after* that position, applied in LSN order. An
   insert or an update carries the new row; a delete carries only the key (on Kafka a
   *tombstone*, a key with no value, then lets log compaction forget the key).

The handoff is exact only when the stream starts at the snapshot's position. Starting earlier
delivers changes the snapshot already holds (harmless for an idempotent upsert, counted twice
by anything that appends); starting later loses the changes in between, for good.

Here the source is SQLite, whose triggers append each change to a ``changes`` table with an
increasing LSN, as a database writes its log; the copy is a DuckDB table.

    >>> src = LoggedSource()
    >>> src.random_changes(80, seed=1)
    >>> rows, lsn = src.snapshot()
    >>> src.random_changes(30, seed=2)           # the source keeps changing meanwhile
    >>> handoff(src, rows, lsn, start_after=lsn).identical
    True
    >>> late = handoff(src, rows, lsn, start_after=src.position())
    >>> late.lost, late.identical
    (30, False)
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import pandas as pd

from labs import engines

STATUSES = ("placed", "paid", "shipped", "completed")
COLUMNS = ("order_id", "status", "amount")
ORDERS = ("lsn", "shuffled")


class LoggedSource:
    """An ``orders`` table in SQLite whose every committed change is logged with an LSN."""

    def __init__(self):
        self.db = engines.sqlite()
        self.db.executescript("""
            CREATE TABLE orders (order_id INTEGER PRIMARY KEY, status TEXT NOT NULL, amount REAL NOT NULL);
            CREATE TABLE changes (lsn INTEGER PRIMARY KEY AUTOINCREMENT, op TEXT NOT NULL,
                                  order_id INTEGER NOT NULL, status TEXT, amount REAL);
            CREATE TRIGGER log_insert AFTER INSERT ON orders BEGIN
                INSERT INTO changes (op, order_id, status, amount) VALUES ('c', NEW.order_id, NEW.status, NEW.amount);
            END;
            CREATE TRIGGER log_update AFTER UPDATE ON orders BEGIN
                INSERT INTO changes (op, order_id, status, amount) VALUES ('u', NEW.order_id, NEW.status, NEW.amount);
            END;
            CREATE TRIGGER log_delete AFTER DELETE ON orders BEGIN  -- a delete logs the key only
                INSERT INTO changes (op, order_id, status, amount) VALUES ('d', OLD.order_id, NULL, NULL);
            END;
        """)
        self._next_id = 1

    def random_changes(self, n: int, seed: int = 0) -> None:
        """Commit ``n`` random changes, one transaction each: new orders, status moves, deletions."""
        rng = random.Random(seed)
        for _ in range(n):
            ids = [r[0] for r in self.db.execute("SELECT order_id FROM orders ORDER BY order_id").fetchall()]
            roll = rng.random()
            if not ids or roll < 0.35:
                self.db.execute("INSERT INTO orders VALUES (?, 'placed', ?)", (self._next_id, round(rng.uniform(5, 300), 2)))
                self._next_id += 1
            elif roll < 0.85:
                key = rng.choice(ids)
                status = self.db.execute("SELECT status FROM orders WHERE order_id = ?", (key,)).fetchall()[0][0]
                following = STATUSES[min(STATUSES.index(status) + 1, len(STATUSES) - 1)]
                self.db.execute("UPDATE orders SET status = ? WHERE order_id = ?", (following, key))
            else:
                self.db.execute("DELETE FROM orders WHERE order_id = ?", (rng.choice(ids),))
            self.db.commit()

    def position(self) -> int:
        """The LSN of the last committed change (0 before any)."""
        return self.db.execute("SELECT coalesce(max(lsn), 0) FROM changes").fetchall()[0][0]

    def snapshot(self) -> tuple[pd.DataFrame, int]:
        """Every row and the log position they reflect, read in one transaction (so they agree)."""
        self.db.execute("BEGIN")
        try:
            rows = self.table()
            lsn = self.position()
        finally:
            self.db.execute("COMMIT")
        return rows, lsn

    def table(self) -> pd.DataFrame:
        return pd.read_sql_query("SELECT order_id, status, amount FROM orders ORDER BY order_id", self.db)

    def changes_after(self, lsn: int) -> pd.DataFrame:
        """The change stream from just after ``lsn``, in log order."""
        return pd.read_sql_query("SELECT lsn, op, order_id, status, amount FROM changes WHERE lsn > ? ORDER BY lsn",
                                 self.db, params=(lsn,))


class Replica:
    """A copy of the orders table in DuckDB, built from a snapshot and kept current by the stream."""

    def __init__(self, con=None):
        self.con = con if con is not None else engines.duckdb()
        self.con.execute("CREATE OR REPLACE TABLE orders (order_id BIGINT PRIMARY KEY, status VARCHAR, amount DOUBLE)")

    def load_snapshot(self, rows: pd.DataFrame) -> None:
        self.con.register("__snapshot", rows[list(COLUMNS)])
        try:
            self.con.execute("INSERT INTO orders SELECT * FROM __snapshot")
        finally:
            self.con.unregister("__snapshot")

    def apply(self, changes: pd.DataFrame, tombstones: bool = True) -> None:
        """Apply changes one by one, in the order given: upsert the row, or delete the key.

        ``tombstones=False`` is the classic bug of a consumer that only knows rows with values:
        deletes are skipped, so deleted rows live on in the copy.
        """
        for change in changes.itertuples(index=False):
            if change.op == "d":
                if tombstones:
                    self.con.execute("DELETE FROM orders WHERE order_id = ?", [int(change.order_id)])
            else:
                self.con.execute("INSERT OR REPLACE INTO orders VALUES (?, ?, ?)",
                                 [int(change.order_id), change.status, float(change.amount)])

    def table(self) -> pd.DataFrame:
        return self.con.sql("SELECT order_id, status, amount FROM orders ORDER BY order_id").df()


def rows_that_differ(a: pd.DataFrame, b: pd.DataFrame, key: str = "order_id") -> int:
    """Keys present in one table only, or present in both with other values."""
    both = a.merge(b, on=key, how="outer", suffixes=("_a", "_b"), indicator=True)
    one_side = both["_merge"] != "both"
    values = [c for c in a.columns if c != key]
    changed = pd.Series(False, index=both.index)
    for c in values:
        changed |= both[f"{c}_a"].ne(both[f"{c}_b"]) & ~(both[f"{c}_a"].isna() & both[f"{c}_b"].isna())
    return int((one_side | (changed & ~one_side)).sum())


@dataclass
class HandoffReport:
    snapshot_lsn: int
    start_after: int
    applied: int        # changes the copy applied
    replayed: int       # of those, changes the snapshot already held
    lost: int           # changes committed after the snapshot that the copy never saw
    rows_wrong: int     # rows of the copy that differ from the source at the end
    deleted_alive: int  # rows deleted at the source that the copy still has

    @property
    def identical(self) -> bool:
        return self.rows_wrong == 0


def handoff(source: LoggedSource, rows: pd.DataFrame, snapshot_lsn: int, start_after: int,
            order: str = "lsn", tombstones: bool = True, seed: int = 0) -> HandoffReport:
    """Build a copy from the snapshot ``rows`` (taken at ``snapshot_lsn``), then stream from ``start_after``.

    ``order="shuffled"`` applies the right changes in a wrong order, as a consumer does that
    reads a topic partitioned by something other than the row's key.
    """
    if order not in ORDERS:
        raise ValueError(f"order must be one of {', '.join(ORDERS)}; got {order!r}.")
    if start_after < 0:
        raise ValueError(f"start_after must be a log position (0 or more); got {start_after}.")
    stream = source.changes_after(start_after)
    if order == "shuffled":
        stream = stream.sample(frac=1, random_state=seed)
    copy = Replica()
    copy.load_snapshot(rows)
    copy.apply(stream, tombstones=tombstones)
    truth, mine = source.table(), copy.table()
    deleted = set(source.changes_after(0).query("op == 'd'")["order_id"]) - set(truth["order_id"])
    return HandoffReport(
        snapshot_lsn=snapshot_lsn,
        start_after=start_after,
        applied=len(stream),
        replayed=int((stream["lsn"] <= snapshot_lsn).sum()),
        lost=max(0, start_after - snapshot_lsn),
        rows_wrong=rows_that_differ(truth, mine),
        deleted_alive=len(deleted & set(mine["order_id"])),
    )
