"""Incremental loads with a high-water mark, and upserts that can run twice.

An incremental load copies only what changed since the last run. The source marks
changes with a timestamp (``updated_at``); the loader remembers the largest one it
has loaded, the *high-water mark*, and next time asks for ``updated_at > mark``.

Three things make that correct rather than merely fast:

1. **The mark comes from the data, not from the clock.** It is the largest
   ``updated_at`` actually loaded, so clock skew between machines loses nothing.
2. **The mark and the data commit together**, in one transaction: a crash between
   "rows written" and "mark moved" leaves both as they were.
3. **Rows can commit late.** A long transaction writes ``updated_at = 10:00`` but
   commits at 10:20; a loader that ran at 10:05 already moved past 10:00 and never
   sees the row. Looking back (``updated_at > mark - lookback``) catches it, and
   re-reading rows is harmless only because the write is an idempotent upsert.

    >>> from labs.pipelines.sources import order_versions
    >>> report = simulate(order_versions(n_orders=80, seed=3), lookback="0min")
    >>> report.missed > 0  # late commits fell behind the mark
    True
    >>> simulate(order_versions(n_orders=80, seed=3), lookback="1h").missed
    0

A look-back at least as long as the longest commit delay is guaranteed to catch every late
row: when a row becomes visible, the mark (taken from rows committed earlier) is still below
the row's commit time, so ``mark - lookback`` is below its ``updated_at``. A shorter one catches a late row only when no run fell inside its delay, which is
luck; ``missed_versions`` counts the versions lost that way even when a newer version
later hides the loss in the final table.

Upsert strategies (``STRATEGIES``) all keep the latest version of each key and never
let an older version overwrite a newer one, except ``append``, which is here to show
why a plain INSERT is not idempotent.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from labs import engines
from labs.pipelines.fingerprint import content_hash

STRATEGIES = ("merge", "insert_or_replace", "delete_insert", "append")
SQLITE_TIME = "%Y-%m-%d %H:%M:%S"  # text that sorts like time, so SQLite compares it correctly
ORDER_COLUMNS = {"order_id": "BIGINT", "status": "VARCHAR", "amount": "DOUBLE", "updated_at": "TIMESTAMP"}


def _check_strategy(strategy: str) -> str:
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}; got {strategy!r}.")
    return strategy


# --- the source: an OLTP table in SQLite --------------------------------------------------
class SourceDB:
    """An operational ``orders`` table in SQLite that versions are committed into over time.

        >>> from labs.pipelines.sources import order_versions
        >>> src = SourceDB(order_versions(n_orders=5, seed=1))
        >>> src.advance(pd.Timestamp("2024-03-31")); len(src.snapshot())
        5
    """

    def __init__(self, versions: pd.DataFrame):
        self.versions = versions.sort_values(["visible_at", "updated_at"], kind="stable").reset_index(drop=True)
        self.db = engines.sqlite()
        self.db.execute("CREATE TABLE orders (order_id INTEGER PRIMARY KEY, status TEXT, amount REAL, updated_at TEXT)")
        self._applied = 0
        self.now = None

    def advance(self, until) -> None:
        """Commit every version visible at ``until`` (and not committed yet)."""
        until = pd.Timestamp(until)
        todo = self.versions.iloc[self._applied:]
        todo = todo[todo["visible_at"] <= until]
        rows = [(int(r.order_id), r.status, float(r.amount), r.updated_at.strftime(SQLITE_TIME))
                for r in todo.itertuples()]
        self.db.executemany(
            "INSERT INTO orders VALUES (?, ?, ?, ?) ON CONFLICT (order_id) DO UPDATE SET "
            "status = excluded.status, amount = excluded.amount, updated_at = excluded.updated_at", rows)
        self.db.commit()
        self._applied += len(rows)
        self.now = until

    def changed_since(self, since) -> pd.DataFrame:
        """Rows with ``updated_at > since`` (every row when ``since`` is None)."""
        sql, args = "SELECT order_id, status, amount, updated_at FROM orders", ()
        if since is not None:
            sql, args = sql + " WHERE updated_at > ?", (pd.Timestamp(since).strftime(SQLITE_TIME),)
        frame = pd.read_sql_query(sql + " ORDER BY updated_at, order_id", self.db, params=args)
        return frame.assign(updated_at=pd.to_datetime(frame["updated_at"], format=SQLITE_TIME))

    def snapshot(self) -> pd.DataFrame:
        return self.changed_since(None)

    @property
    def last_visible(self) -> pd.Timestamp:
        return self.versions["visible_at"].max()


# --- the target: a DuckDB table plus a state table for the mark ---------------------------
def create_target(con, table: str, columns: dict = ORDER_COLUMNS, key: str = "order_id",
                  strategy: str = "merge") -> None:
    """Create ``table`` if missing; with a primary key, except for ``append`` (duplicates allowed)."""
    pk = f", PRIMARY KEY ({key})" if _check_strategy(strategy) != "append" else ""
    cols = ", ".join(f"{name} {sql_type}" for name, sql_type in columns.items())
    con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({cols}{pk})")


def latest_per_key_sql(batch: str, key: str, version: str) -> str:
    """The batch with one row per key: its latest version.

    A batch can hold two versions of one key (an order paid, then shipped, between two
    runs). Without this step the engine picks whichever row it meets first: DuckDB does
    not complain about a MERGE or an INSERT ... ON CONFLICT that matches a key twice.
    """
    return f"SELECT * FROM {batch} QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY {version} DESC) = 1"


def upsert(con, target: str, batch: pd.DataFrame, key: str = "order_id", version: str = "updated_at",
           strategy: str = "merge") -> None:
    """Apply ``batch`` to ``target``: the latest version of each key wins, whatever the arrival order.

    Runs inside the caller's transaction if one is open. ``>=`` (not ``>``) lets a second
    change within the same second through; replaying a version already there rewrites the
    same values, which is harmless.
    """
    _check_strategy(strategy)
    con.register("__batch", batch)
    try:
        if strategy == "append":
            con.execute(f"INSERT INTO {target} SELECT * FROM __batch")
            return
        latest = latest_per_key_sql("__batch", key, version)
        if strategy == "merge":
            con.execute(f"""
                MERGE INTO {target} AS t USING ({latest}) AS s ON t.{key} = s.{key}
                WHEN MATCHED AND s.{version} >= t.{version} THEN UPDATE
                WHEN NOT MATCHED THEN INSERT""")
        elif strategy == "insert_or_replace":
            con.execute(f"""
                INSERT OR REPLACE INTO {target}
                SELECT s.* FROM ({latest}) AS s LEFT JOIN {target} AS t ON t.{key} = s.{key}
                WHERE t.{key} IS NULL OR s.{version} >= t.{version}""")
        else:  # delete_insert: the portable two-statement form, atomic only inside a transaction
            con.execute(f"CREATE OR REPLACE TEMP TABLE __latest AS {latest}")
            con.execute(f"DELETE FROM {target} AS t USING __latest AS s "
                        f"WHERE t.{key} = s.{key} AND s.{version} >= t.{version}")
            con.execute(f"INSERT INTO {target} SELECT s.* FROM __latest AS s "
                        f"WHERE NOT EXISTS (SELECT 1 FROM {target} AS t WHERE t.{key} = s.{key})")
            con.execute("DROP TABLE __latest")
    finally:
        con.unregister("__batch")


class SimulatedCrash(RuntimeError):
    """Raised on purpose between the upsert and the commit, to show that nothing half-happens."""


@dataclass
class LoadResult:
    pulled: int
    mark_before: pd.Timestamp | None
    mark_after: pd.Timestamp | None


class IncrementalLoader:
    """Copy changed rows from a ``SourceDB`` into a DuckDB table, keeping a high-water mark.

    The mark lives in the table ``etl_state`` of the same DuckDB database, and moves in
    the same transaction as the data.
    """

    def __init__(self, source: SourceDB, con=None, *, table: str = "orders", key: str = "order_id",
                 lookback="0min", strategy: str = "merge", name: str = "orders_incremental"):
        self.source, self.table, self.key, self.name = source, table, key, name
        self.lookback = pd.Timedelta(lookback)
        if self.lookback < pd.Timedelta(0):
            raise ValueError(f"lookback must not be negative; got {lookback!r}.")
        self.strategy = _check_strategy(strategy)
        self.con = con if con is not None else engines.duckdb()
        create_target(self.con, table, key=key, strategy=strategy)
        self.con.execute("CREATE TABLE IF NOT EXISTS etl_state (pipeline VARCHAR PRIMARY KEY, mark TIMESTAMP)")

    def mark(self) -> pd.Timestamp | None:
        rows = self.con.execute("SELECT mark FROM etl_state WHERE pipeline = ?", [self.name]).fetchall()
        return pd.Timestamp(rows[0][0]) if rows else None

    def run(self, crash_before_commit: bool = False) -> LoadResult:
        before = self.mark()
        since = None if before is None else before - self.lookback
        batch = self.source.changed_since(since)
        # the mark never moves back, even when the look-back re-reads only older rows
        after = before if batch.empty else max(filter(None, [before, batch["updated_at"].max()]))
        self.con.execute("BEGIN TRANSACTION")
        try:
            if not batch.empty:
                upsert(self.con, self.table, batch, self.key, "updated_at", self.strategy)
            if crash_before_commit:
                raise SimulatedCrash("the loader died after writing rows, before committing")
            if after is not None:
                self.con.execute("INSERT OR REPLACE INTO etl_state VALUES (?, ?)", [self.name, after.to_pydatetime()])
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        return LoadResult(len(batch), before, after)


# --- a whole day of loads ------------------------------------------------------------------
@dataclass
class SimulationReport:
    lookback: pd.Timedelta
    strategy: str
    runs: int
    rows_pulled: int
    source_rows: int
    target_rows: int
    missed: int        # source rows whose latest version is not in the target
    duplicates: int    # target rows beyond one per key
    missed_versions: int  # versions that were the current row at some run but were never loaded
    source_hash: str
    target_hash: str

    @property
    def identical(self) -> bool:
        return self.source_hash == self.target_hash


def simulate(versions: pd.DataFrame, lookback="0min", strategy: str = "merge", every="1h",
             final_runs: int = 0) -> SimulationReport:
    """Commit ``versions`` into a source over time and load them every ``every``; compare at the end.

    The loader runs on a fixed schedule until the last version is visible, then
    ``final_runs`` more times (a late row needs a run after it commits to be seen).
    """
    source = SourceDB(versions)
    loader = IncrementalLoader(source, lookback=lookback, strategy=strategy)
    step = pd.Timedelta(every)
    if step <= pd.Timedelta(0):
        raise ValueError(f"every must be a positive duration; got {every!r}.")
    t = versions["updated_at"].min().floor(step) + step
    runs = pulled = 0
    stop = source.last_visible + step * final_runs
    seen, loaded = set(), set()  # (order_id, updated_at): current at some run, and pulled by some run
    while True:
        source.advance(t)
        seen |= _versions_of(source.snapshot())
        before = loader.mark()
        pulled += loader.run().pulled
        loaded |= _versions_of(source.changed_since(None if before is None else before - loader.lookback))
        runs += 1
        if t > stop:
            break
        t += step
    con, truth = loader.con, source.snapshot()
    con.register("__source", truth)
    missed = con.execute(f"SELECT count(*) FROM __source s ANTI JOIN {loader.table} t "
                         "USING (order_id, status, amount, updated_at)").fetchall()[0][0]
    con.unregister("__source")
    target = con.sql(f"SELECT * FROM {loader.table}").df()
    duplicates = len(target) - target["order_id"].nunique()
    return SimulationReport(pd.Timedelta(lookback), strategy, runs, pulled, len(truth), len(target),
                            missed, duplicates, len(seen - loaded), content_hash(truth), content_hash(target))


def _versions_of(rows: pd.DataFrame) -> set:
    return set(zip(rows["order_id"], rows["updated_at"]))
