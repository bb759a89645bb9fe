"""A columnar replica fed by change data capture, and how far behind it runs.

The source is SQLite (the OLTP store). Triggers on its ``orders`` table append every insert,
update and delete, with the row's new values, to a ``changes`` log in the same transaction, so a
change is logged if and only if it commits (what a database's write-ahead log gives Debezium).
An applier polls the log every ``poll_ms`` and applies at most ``batch_limit`` changes to a
DuckDB copy (the OLAP store): the latest image of each order in the batch replaces the old row.

Time is simulated (milliseconds on a clock the writer sets), so lags are exact and repeatable.

    >>> run = simulate(writes_per_s=50, poll_ms=500, batch_limit=1000, duration_ms=3000, seed=1)
    >>> run.matches_source()
    True
    >>> bool(0 < run.changes["lag_ms"].max() <= 500)
    True
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from labs import engines
from labs._check import number, whole

_SOURCE = """
CREATE TABLE clock (now_ms INTEGER NOT NULL);
INSERT INTO clock VALUES (0);
CREATE TABLE orders (order_id INTEGER PRIMARY KEY, status TEXT NOT NULL, amount REAL NOT NULL);
CREATE TABLE changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, op TEXT NOT NULL, order_id INTEGER NOT NULL,
                      status TEXT, amount REAL, committed_at INTEGER NOT NULL);
CREATE TRIGGER orders_ins AFTER INSERT ON orders BEGIN
  INSERT INTO changes (op, order_id, status, amount, committed_at)
  VALUES ('insert', NEW.order_id, NEW.status, NEW.amount, (SELECT now_ms FROM clock));
END;
CREATE TRIGGER orders_upd AFTER UPDATE ON orders BEGIN
  INSERT INTO changes (op, order_id, status, amount, committed_at)
  VALUES ('update', NEW.order_id, NEW.status, NEW.amount, (SELECT now_ms FROM clock));
END;
CREATE TRIGGER orders_del AFTER DELETE ON orders BEGIN
  INSERT INTO changes (op, order_id, status, amount, committed_at)
  VALUES ('delete', OLD.order_id, NULL, NULL, (SELECT now_ms FROM clock));
END;
"""

_APPLY = """
DELETE FROM orders WHERE order_id IN (SELECT order_id FROM batch);
INSERT INTO orders
SELECT order_id, status, amount FROM batch
QUALIFY row_number() OVER (PARTITION BY order_id ORDER BY seq DESC) = 1 AND op <> 'delete';
"""


@dataclass
class ReplicaRun:
    source: object          # the SQLite connection
    replica: object         # the DuckDB connection
    changes: pd.DataFrame   # seq, op, order_id, committed_at, applied_at, lag_ms (NaN: not applied yet)
    applies: pd.DataFrame   # batch, applied_at, changes, last_seq

    def matches_source(self) -> bool:
        """Once the log is drained, is the replica row for row the source?"""
        want = sorted(self.source.execute("SELECT order_id, status, amount FROM orders").fetchall())
        got = sorted(tuple(r) for r in self.replica.execute("SELECT order_id, status, amount FROM orders").fetchall())
        return want == got

    def summary(self) -> dict:
        lag = self.changes["lag_ms"]
        return {"changes": len(lag), "applied": int(lag.notna().sum()), "p50_lag_ms": float(lag.median()),
                "max_lag_ms": float(lag.max()), "backlog_at_end": int(lag.isna().sum())}


def simulate(writes_per_s: float = 200, poll_ms: int = 1000, batch_limit: int = 500, duration_ms: int = 10_000,
             seed: int = 1, drain: bool = True) -> ReplicaRun:
    """Writes arrive at random (a Poisson stream) for ``duration_ms``; the applier polls every
    ``poll_ms``. With ``drain`` it keeps polling after the writes stop until the log is empty."""
    writes_per_s = number(writes_per_s, "writes_per_s", above=0)
    poll_ms = whole(poll_ms, "poll_ms", at_least=1)
    batch_limit = whole(batch_limit, "batch_limit", at_least=1)
    duration_ms = whole(duration_ms, "duration_ms", at_least=1)
    rng = np.random.default_rng(whole(seed, "seed", at_least=0))
    n = int(rng.poisson(writes_per_s * duration_ms / 1000))
    times = np.sort(rng.integers(0, duration_ms, size=n))

    source = engines.sqlite()
    source.executescript(_SOURCE)
    replica = engines.duckdb()
    replica.execute("CREATE TABLE orders (order_id BIGINT PRIMARY KEY, status VARCHAR, amount DOUBLE)")
    statuses = ["paid", "shipped", "delivered", "cancelled"]
    next_id, applied_seq, applies = 1, 0, []
    polls = iter(range(poll_ms, 10 ** 12, poll_ms))
    poll_at = next(polls)
    for t in list(times) + [None]:
        while poll_at is not None and (t is None or poll_at <= t):
            applied_seq = _apply(source, replica, applied_seq, batch_limit, poll_at, applies)
            pending = source.execute("SELECT count(*) FROM changes WHERE seq > ?", [applied_seq]).fetchall()[0][0]
            poll_at = next(polls)
            if t is None and (not drain or pending == 0 or poll_at > duration_ms + 3_600_000):
                poll_at = None
        if t is None:
            break
        source.execute("UPDATE clock SET now_ms = ?", [int(t)])
        if next_id == 1 or rng.random() < 0.5:  # a new order
            source.execute("INSERT INTO orders VALUES (?, 'placed', ?)", [next_id, round(float(rng.uniform(5, 200)), 2)])
            next_id += 1
        elif rng.random() < 0.9:
            source.execute("UPDATE orders SET status = ? WHERE order_id = ?",
                           [statuses[int(rng.integers(len(statuses)))], int(rng.integers(1, next_id))])
        else:
            source.execute("DELETE FROM orders WHERE order_id = ?", [int(rng.integers(1, next_id))])
        source.commit()
    changes = pd.read_sql_query("SELECT seq, op, order_id, committed_at FROM changes ORDER BY seq", source)
    applies = pd.DataFrame(applies, columns=["batch", "applied_at", "changes", "last_seq"])
    changes["applied_at"] = _first_apply(changes["seq"], applies)
    changes["lag_ms"] = changes["applied_at"] - changes["committed_at"]
    return ReplicaRun(source, replica, changes, applies)


def _apply(source, replica, applied_seq: int, limit: int, now: int, applies: list) -> int:
    batch = pd.read_sql_query("SELECT seq, op, order_id, status, amount FROM changes WHERE seq > ? ORDER BY seq "
                              "LIMIT ?", source, params=[applied_seq, limit])
    if batch.empty:
        return applied_seq
    replica.register("batch", batch)
    replica.execute("BEGIN")
    replica.execute(_APPLY)
    replica.execute("COMMIT")
    replica.unregister("batch")
    last = int(batch["seq"].iloc[-1])
    applies.append((len(applies) + 1, now, len(batch), last))
    return last


def _first_apply(seqs: pd.Series, applies: pd.DataFrame) -> pd.Series:
    """The time of the first apply whose last_seq reached each change (NaN if none did)."""
    if applies.empty:
        return pd.Series(np.nan, index=seqs.index)
    pos = np.searchsorted(applies["last_seq"].to_numpy(), seqs.to_numpy(), side="left")
    at = applies["applied_at"].to_numpy(dtype=float)
    return pd.Series(np.where(pos < len(applies), at[np.minimum(pos, len(applies) - 1)], np.nan), index=seqs.index)


def lag_by_poll(polls=(100, 250, 500, 1000, 2000), writes_per_s: float = 200, batch_limit: int = 500,
                duration_ms: int = 10_000, seed: int = 1) -> pd.DataFrame:
    """The lag summary for each polling interval: the freshness an HTAP replica buys with polls."""
    rows = []
    for poll in polls:
        run = simulate(writes_per_s, poll, batch_limit, duration_ms, seed)
        rows.append({"poll_ms": poll, "batch_limit": batch_limit, "applies": len(run.applies), **run.summary(),
                     "replica_matches": run.matches_source()})
    return pd.DataFrame(rows)
