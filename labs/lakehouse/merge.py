"""A slowly changing dimension of type 2, kept in a Delta table with one ``MERGE`` per batch.

Each customer has one current row (``is_current``, ``valid_to`` NULL) and closed rows for the
versions before it. A batch of changes is staged against the current rows first: a change that
differs from its current row gives two source rows, one keyed to close that row and one with a
NULL key that can never match, so it is inserted as the new version; a new customer gives only
the insert; a change equal to the current row gives nothing. Because the staging compares with
the target, running the same batch again stages nothing and changes nothing: the upsert is
idempotent, which a retried pipeline needs.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "customers"
    >>> create_customers(path, n=20)
    0
    >>> changes = example_changes(path)
    >>> first = scd2_merge(path, changes)
    >>> first["closed"], first["opened"], first["new_keys"], first["unchanged"]
    (3, 4, 1, 1)
    >>> again = scd2_merge(path, changes)
    >>> again["closed"], again["opened"], again["version"] == first["version"]
    (0, 0, True)
    >>> len(current(path))
    21
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyarrow as pa

from labs import engines
from labs._check import whole
from labs.lakehouse._delta import new_table_path, open_table, quiet, read, table_path

KEY = "customer_id"
ATTRIBUTES = ("city", "tier")
CITIES = ("Berlin", "Lyon", "Leeds", "Utrecht", "Krakow", "Malmo")
TIERS = ("bronze", "silver", "gold")
LOADED = dt.date(2026, 1, 1)

SCHEMA = pa.schema([(KEY, pa.int64()), ("city", pa.string()), ("tier", pa.string()),
                    ("valid_from", pa.date32()), ("valid_to", pa.date32()), ("is_current", pa.bool_())])

# The MERGE's source: a row to close each changed current row (merge_key = its key) and a row to
# insert each new version (merge_key NULL, so it never matches and falls to the insert branch).
STAGE_SQL = """
WITH cur AS (SELECT * FROM target WHERE is_current),
     changed AS (
       SELECT c.* FROM changes c LEFT JOIN cur t USING (customer_id)
       WHERE t.customer_id IS NULL
          OR ((t.city, t.tier) IS DISTINCT FROM (c.city, c.tier) AND c.changed_at > t.valid_from))
SELECT customer_id AS merge_key, customer_id, city, tier, changed_at
FROM changed WHERE customer_id IN (SELECT customer_id FROM cur)
UNION ALL
SELECT NULL AS merge_key, customer_id, city, tier, changed_at FROM changed
"""


def create_customers(path, n: int = 50, seed: int = 3) -> int:
    """A new dimension of ``n`` seeded customers, all current since 2026-01-01; returns its version (0)."""
    from deltalake import write_deltalake

    n, seed = whole(n, "n", at_least=1), whole(seed, "seed", at_least=0)
    path = new_table_path(path)
    rng = np.random.default_rng(seed)
    rows = pa.table({KEY: np.arange(1, n + 1, dtype="int64"), "city": rng.choice(CITIES, n).tolist(),
                     "tier": rng.choice(TIERS, n).tolist(), "valid_from": [LOADED] * n,
                     "valid_to": pa.nulls(n, pa.date32()), "is_current": [True] * n}, schema=SCHEMA)
    with quiet():
        write_deltalake(str(path), rows)
        return open_table(path).version()


def example_changes(path, changed_at: dt.date = dt.date(2026, 3, 1)) -> pd.DataFrame:
    """Five changes against the table at ``path`` (customers 1-4 must exist): customers 1 and 2
    move city, 3 changes tier, 4 repeats its current values (so it must change nothing), 10001 is new.
    """
    cur = current(path).set_index(KEY)
    missing = [k for k in (1, 2, 3, 4) if k not in cur.index]
    if missing:
        raise ValueError(f"the dimension has no current row for customer {missing[0]}; create it with n >= 4.")
    return pd.DataFrame({
        KEY: pd.array([1, 2, 3, 4, 10_001], dtype="int64"),
        "city": ["Lisbon", "Porto", cur.loc[3, "city"], cur.loc[4, "city"], "Madrid"],
        "tier": [cur.loc[1, "tier"], cur.loc[2, "tier"], "platinum", cur.loc[4, "tier"], "bronze"],
        "changed_at": [changed_at] * 5,
    })


def _check_changes(changes) -> pd.DataFrame:
    if not isinstance(changes, pd.DataFrame):
        raise TypeError(f"changes must be a pandas DataFrame, not {type(changes).__name__}.")
    need = [KEY, *ATTRIBUTES, "changed_at"]
    missing = [c for c in need if c not in changes.columns]
    if missing:
        raise ValueError(f"changes lacks the column(s) {', '.join(missing)}; it needs {', '.join(need)}.")
    if changes[KEY].isna().any() or changes["changed_at"].isna().any():
        raise ValueError(f"changes has a NULL {KEY} or changed_at; every change needs both.")
    repeated = changes[KEY][changes[KEY].duplicated()].unique()
    if len(repeated):
        # a MERGE cannot apply two versions of one key in a batch in order: split the batch instead
        raise ValueError(f"changes has more than one row for {KEY} {int(repeated[0])}; "
                         f"send one change per key per batch, oldest batch first.")
    frame = changes[need].copy()
    frame[KEY] = frame[KEY].astype("int64")
    frame["changed_at"] = pd.to_datetime(frame["changed_at"]).dt.date
    return frame


def stage(path, changes: pd.DataFrame) -> pd.DataFrame:
    """The MERGE's source rows for ``changes`` (``STAGE_SQL`` run in DuckDB against the table)."""
    path = table_path(path)
    changes = _check_changes(changes)
    con = engines.duckdb()
    try:
        con.register("target", read(path))
        con.register("changes", pa.Table.from_pandas(changes, preserve_index=False))
        return con.sql(STAGE_SQL + " ORDER BY customer_id, merge_key NULLS LAST").df()
    finally:
        con.close()


def scd2_merge(path, changes: pd.DataFrame) -> dict:
    """Apply ``changes`` (customer_id, city, tier, changed_at) as an SCD2 MERGE; returns what it did.

    ``closed``: current rows given a ``valid_to``; ``opened``: rows inserted as current (of which
    ``new_keys`` for customers not seen before); ``unchanged``: changes equal to the current row,
    or older than it. A batch that stages nothing commits nothing.
    """
    path = table_path(path)
    changes = _check_changes(changes)
    staged = stage(path, changes)
    before = open_table(path).version()
    closing = int(staged["merge_key"].notna().sum())
    opening = int(staged["merge_key"].isna().sum())
    result = {"version_before": before, "version": before, "closed": 0, "opened": 0,
              "new_keys": opening - closing, "unchanged": len(changes) - opening}
    if staged.empty:
        return result
    source = pa.Table.from_pandas(staged, preserve_index=False).cast(pa.schema([
        ("merge_key", pa.int64()), (KEY, pa.int64()), ("city", pa.string()), ("tier", pa.string()),
        ("changed_at", pa.date32())]))
    with quiet():
        metrics = (open_table(path)
                   .merge(source=source, predicate="t.customer_id = s.merge_key AND t.is_current",
                          source_alias="s", target_alias="t")
                   .when_matched_update(updates={"is_current": "false", "valid_to": "s.changed_at"})
                   .when_not_matched_insert(updates={KEY: "s.customer_id", "city": "s.city", "tier": "s.tier",
                                                     "valid_from": "s.changed_at", "is_current": "true"})
                   .execute())
    result.update(version=open_table(path).version(), closed=int(metrics["num_target_rows_updated"]),
                  opened=int(metrics["num_target_rows_inserted"]))
    return result


def naive_scd2_merge(path, changes: pd.DataFrame) -> dict:
    """The same MERGE without staging against the target: every change is sent both to close and to insert.

    The close branch only fires when an attribute differs, but the insert branch cannot see the
    target, so a repeated change (or the whole batch run again) inserts a second current row.
    """
    path = table_path(path)
    changes = _check_changes(changes)
    keyed = changes.assign(merge_key=changes[KEY])
    unkeyed = changes.assign(merge_key=pd.array([pd.NA] * len(changes), dtype="Int64"))
    source = pa.Table.from_pandas(pd.concat([keyed, unkeyed], ignore_index=True), preserve_index=False)
    before = open_table(path).version()
    with quiet():
        metrics = (open_table(path)
                   .merge(source=source, predicate="t.customer_id = s.merge_key AND t.is_current",
                          source_alias="s", target_alias="t")
                   .when_matched_update(updates={"is_current": "false", "valid_to": "s.changed_at"},
                                        predicate="t.city <> s.city OR t.tier <> s.tier")
                   .when_not_matched_insert(updates={KEY: "s.customer_id", "city": "s.city", "tier": "s.tier",
                                                     "valid_from": "s.changed_at", "is_current": "true"})
                   .execute())
    return {"version_before": before, "version": open_table(path).version(),
            "closed": int(metrics["num_target_rows_updated"]), "opened": int(metrics["num_target_rows_inserted"])}


def duplicate_current(path) -> int:
    """Customers with more than one current row: zero in a healthy SCD2 dimension."""
    counts = current(path)[KEY].value_counts()
    return int((counts > 1).sum())


def dimension(path) -> pd.DataFrame:
    """Every row of the dimension, by customer and validity."""
    frame = read(table_path(path)).to_pandas()
    return frame.sort_values([KEY, "valid_from"]).reset_index(drop=True)


def current(path) -> pd.DataFrame:
    """The current row of each customer, by customer_id."""
    frame = dimension(path)
    return frame[frame["is_current"]].reset_index(drop=True)
