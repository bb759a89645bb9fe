"""Slowly changing dimensions on the shop's customers: change batches and types 0 to 3 (and 4/6).

A customer moves, changes segment or fixes an e-mail address a few times in their life;
the *type* of a slowly changing dimension (SCD) says what the warehouse keeps:

====  ======================================================  ==================================
type  on a change                                             keeps
====  ======================================================  ==================================
0     nothing: the original value stays                       the first value only
1     overwrite the row                                       today's value only
2     close the current row, add a new version (new key)     every version, with validity dates
3     move the old value to a ``previous_`` column            today's value and one before it
4     current row in the dimension, versions in a history     both, the dimension stays small
      table (or fast-changing columns in a mini-dimension)
5     type 4's mini-dimension, its current key kept on the    fast history, and today's profile
      main dimension as a type-1 outrigger (4 + 1)            without a join through the fact
6     type 2 rows plus a stored ``current_`` column,          as-was and as-is on every row
      overwritten on every version of the customer (1+2+3)
7     the fact carries both the version key and the durable   as-was by one key, as-is by the
      business key (2 + 1 side by side)                       other, no window needed
====  ======================================================  ==================================

Books number the hybrids differently (type 4 is a mini-dimension in Kimball's, a history
table in others); say what the type does, not only its number.

The type-2 dimension here has the columns ``DIM_COLUMNS``: a surrogate key per version
(``customer_sk``), the business key (``customer_id``), the tracked attributes
(``TRACKED``), and the half-open validity interval ``[valid_from, valid_to)`` with
``valid_to`` missing (NaT/NULL) on the current version.

    >>> from labs.data import ecommerce
    >>> customers = ecommerce.tables(scale=0.05, seed=1)["customers"]
    >>> dim = initial_dimension(customers)
    >>> batches = change_batches(customers, seed=3)
    >>> [len(b) for b in batches]
    [9, 10, 10]
    >>> from labs.engines import duckdb
    >>> con = duckdb()
    >>> _ = con.register("dim_df", dim)
    >>> _ = con.execute("create table dim_customer as select * from dim_df")
    >>> scd2_merge_sql(con, batches[0])
    {'expired': 5, 'inserted': 7, 'late': 0}
    >>> scd2_merge_sql(con, batches[0])  # the same batch again changes nothing
    {'expired': 0, 'inserted': 0, 'late': 0}
    >>> scd2_problems(con.sql("select * from dim_customer").df())
    []
    >>> frame = dim
    >>> for batch in batches:
    ...     frame = scd2_merge_pandas(frame, batch)
    >>> scd2_problems(frame), len(frame) > len(dim)
    ([], True)
"""
from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

TRACKED = ("address", "city", "segment", "email")
DIM_COLUMNS = ("customer_sk", "customer_id", *TRACKED, "valid_from", "valid_to", "is_current")
BATCH_COLUMNS = ("customer_id", *TRACKED, "effective_ts")
SEGMENTS = ("consumer", "small_business", "enterprise")
# What a change batch row does to a customer, and how often.
CHANGE_KINDS = {"move": 0.4, "segment": 0.3, "email": 0.3}
# Surrogate keys are the warehouse's own numbers: they start far from the source ids, so a
# join that mixes the two up (customer_sk = customer_id) finds nothing instead of looking right.
SK_START = 100_001


def initial_dimension(customers: pd.DataFrame) -> pd.DataFrame:
    """The type-2 dimension before any change: one current version per customer.

    Each version is valid from the sign-up date (midnight UTC); surrogate keys count
    from ``SK_START`` in customer-id order.
    """
    _require(customers, ("customer_id", *TRACKED, "signup_date"), "customers")
    frame = customers.sort_values("customer_id", ignore_index=True)
    return pd.DataFrame({
        "customer_sk": np.arange(SK_START, SK_START + len(frame), dtype=np.int64),
        "customer_id": frame["customer_id"].astype(np.int64),
        **{c: frame[c].astype(object) for c in TRACKED},
        "valid_from": pd.to_datetime(frame["signup_date"]).dt.tz_localize("UTC"),
        "valid_to": pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]"),
        "is_current": np.ones(len(frame), dtype=bool),
    })


def change_batches(customers: pd.DataFrame, n_batches: int = 3, start: str = "2024-04-01",
                   months: int = 3, change_share: float = 0.06, unchanged_share: float = 0.02,
                   new_customers: int = 2, seed: int = 7) -> list[pd.DataFrame]:
    """Deterministic change batches for ``customers``: a list of frames (``BATCH_COLUMNS``).

    Batch k holds the changes effective during the k-th window of ``months`` months
    from ``start``, one row per customer (sorted by customer_id):

    - ``change_share`` of the customers who signed up before the window change one
      thing: they move (address and city), change segment, or change e-mail;
    - ``unchanged_share`` are sent again with the values they already have (full
      extracts do that; a merge must not create versions for them);
    - ``new_customers`` appear for the first time, with ids after the largest one.

    Values are drawn against the state after the previous batch, so every change is a
    real change and a customer may change in several batches.
    """
    _require(customers, ("customer_id", *TRACKED, "signup_date"), "customers")
    n_batches = _whole(n_batches, "n_batches", 1)
    months = _whole(months, "months", 1)
    new_customers = _whole(new_customers, "new_customers", 0)
    for name, share in (("change_share", change_share), ("unchanged_share", unchanged_share)):
        if not isinstance(share, numbers.Real) or isinstance(share, bool) or not 0 <= share <= 1:
            raise ValueError(f"{name} must be a fraction between 0 and 1, not {share!r}.")
    if change_share + unchanged_share > 1:
        raise ValueError("change_share + unchanged_share must be at most 1.")
    rng = np.random.Generator(np.random.PCG64([seed, 2002]))

    state = customers.set_index("customer_id")[list(TRACKED)].astype(object).sort_index()
    signup = pd.to_datetime(customers.set_index("customer_id")["signup_date"]).dt.tz_localize("UTC").copy()
    cities = sorted(customers["city"].unique())
    streets = [a.split(" ", 1)[1] for a in customers["address"]]
    domains = sorted({e.split("@", 1)[1] for e in customers["email"]})
    next_id = int(customers["customer_id"].max()) + 1
    window_start = pd.Timestamp(start, tz="UTC")

    batches = []
    for _ in range(n_batches):
        window_end = window_start + pd.DateOffset(months=months)
        eligible = np.array(sorted(signup.index[signup < window_start]))
        n_change = int(round(change_share * len(eligible)))
        n_same = int(round(unchanged_share * len(eligible)))
        chosen = rng.choice(eligible, size=n_change + n_same, replace=False)
        rows = state.loc[chosen].copy()
        kinds = rng.choice(list(CHANGE_KINDS), size=n_change, p=list(CHANGE_KINDS.values()))
        for cid, kind in zip(chosen[:n_change], kinds):
            rows.loc[cid] = _changed(rows.loc[cid], kind, rng, cities, streets, domains)
        for _ in range(new_customers):
            like = state.iloc[int(rng.integers(len(state)))]
            rows.loc[next_id] = [f"{rng.integers(1, 400)} {rng.choice(streets)}", like["city"], like["segment"],
                                 f"customer{next_id}@{rng.choice(domains)}"]
            signup.loc[next_id] = window_start  # a later batch may change them too
            next_id += 1
        span = int((window_end - window_start).total_seconds())
        seconds = rng.integers(0, span, size=len(rows))
        rows["effective_ts"] = window_start + pd.to_timedelta(seconds, unit="s")
        batch = rows.rename_axis("customer_id").reset_index().sort_values("customer_id", ignore_index=True)
        batch["customer_id"] = batch["customer_id"].astype(np.int64)
        batch["effective_ts"] = batch["effective_ts"].astype("datetime64[ns, UTC]")
        batches.append(batch[list(BATCH_COLUMNS)])
        # the next batch draws from the state after this one
        for row in batch.itertuples(index=False):
            state.loc[row.customer_id] = [getattr(row, c) for c in TRACKED]
        window_start = window_end
    return batches


def _changed(row: pd.Series, kind: str, rng, cities, streets, domains) -> pd.Series:
    row = row.copy()
    if kind == "move":
        row["address"] = f"{rng.integers(1, 400)} {rng.choice(streets)}"
        row["city"] = rng.choice([c for c in cities if c != row["city"]])
    elif kind == "segment":
        row["segment"] = rng.choice([s for s in SEGMENTS if s != row["segment"]])
    else:
        local = row["email"].split("@", 1)[0]
        row["email"] = f"{local}@{rng.choice([d for d in domains if d != row['email'].split('@', 1)[1]])}"
    return row


# -- type 2 in SQL -------------------------------------------------------------------
def scd2_merge_sql(con, batch: pd.DataFrame, table: str = "dim_customer") -> dict[str, int]:
    """Apply a change batch to the type-2 dimension ``table`` in DuckDB; return counts.

    One transaction. A row dated at or after the customer's current version is compared
    with it (``IS DISTINCT FROM`` treats NULL as a value: NULL to NULL is no change, NULL
    to a value is one); a real change closes the current version and opens a new one, and
    an unknown customer gets a first version. A row equal to the current version changes
    nothing, which makes the merge idempotent: re-running a batch is safe.

    A *late* row, dated before the customer's current version began, belongs inside the
    history: it splits the version that was valid at its ``effective_ts`` (that version now
    ends there, and a closed version with the late values runs to where the old one ended).
    Facts of that interval then point at the wrong version: ``star.repoint_facts`` moves
    them. Counts: ``expired`` current versions closed, ``inserted`` versions added by
    in-order rows, ``late`` versions split.
    """
    _require(batch, BATCH_COLUMNS, "batch")
    con.register("__batch", batch)
    try:
        con.execute("BEGIN TRANSACTION")
        # Which batch rows are real changes: decided once, before anything is updated.
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE __changes AS
            SELECT b.*, d.customer_sk AS old_sk
            FROM __batch b
            LEFT JOIN {table} d ON d.customer_id = b.customer_id AND d.is_current
            WHERE d.customer_sk IS NULL OR (b.effective_ts >= d.valid_from AND ({_differs("b", "d")}))
        """)
        # Late rows: the version valid at effective_ts (or, before the first version, none).
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE __late AS
            SELECT b.*, v.customer_sk AS old_sk,
                   coalesce(v.valid_to, (SELECT min(f.valid_from) FROM {table} f
                                         WHERE f.customer_id = b.customer_id)) AS ends
            FROM __batch b
            JOIN {table} cur ON cur.customer_id = b.customer_id AND cur.is_current
                            AND b.effective_ts < cur.valid_from
            LEFT JOIN {table} v ON v.customer_id = b.customer_id AND v.valid_from <= b.effective_ts
                               AND b.effective_ts < v.valid_to
            WHERE v.customer_sk IS NULL OR {_differs("b", "v")}
        """)
        expired = con.execute(f"""
            UPDATE {table} AS d SET valid_to = c.effective_ts, is_current = FALSE
            FROM __changes c WHERE d.customer_sk = c.old_sk
        """).fetchall()[0][0]
        inserted = con.execute(f"""
            INSERT INTO {table}
            SELECT (SELECT coalesce(max(customer_sk), {SK_START - 1}) FROM {table})
                       + row_number() OVER (ORDER BY customer_id) AS customer_sk,
                   customer_id, {', '.join(TRACKED)},
                   effective_ts AS valid_from, NULL AS valid_to, TRUE AS is_current
            FROM __changes
        """).fetchall()[0][0]
        con.execute(f"UPDATE {table} AS d SET valid_to = l.effective_ts FROM __late l WHERE d.customer_sk = l.old_sk")
        late = con.execute(f"""
            INSERT INTO {table}
            SELECT (SELECT max(customer_sk) FROM {table}) + row_number() OVER (ORDER BY customer_id) AS customer_sk,
                   customer_id, {', '.join(TRACKED)},
                   effective_ts AS valid_from, ends AS valid_to, FALSE AS is_current
            FROM __late
        """).fetchall()[0][0]
        con.execute("DROP TABLE __changes")
        con.execute("DROP TABLE __late")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("__batch")
    return {"expired": int(expired), "inserted": int(inserted), "late": int(late)}


def _differs(new: str, old: str) -> str:
    """SQL that is true when any tracked column differs, NULL counting as a value."""
    return " OR ".join(f"{new}.{c} IS DISTINCT FROM {old}.{c}" for c in TRACKED)


# -- type 2 in pandas ------------------------------------------------------------------
def scd2_merge_pandas(dim: pd.DataFrame, batch: pd.DataFrame) -> pd.DataFrame:
    """The same merge as ``scd2_merge_sql`` for in-order batches, in pandas: a new frame.

    Change detection is NULL-safe: in pandas ``None != None`` is True, so two missing
    values are treated as equal explicitly, and a missing value against a present one is
    a change. The caller's frames are not modified.
    """
    _require(dim, DIM_COLUMNS, "dim")
    _require(batch, BATCH_COLUMNS, "batch")
    dim = dim.copy()
    current = dim.loc[dim["is_current"].astype(bool), ["customer_sk", "customer_id", *TRACKED]]
    both = batch.merge(current, on="customer_id", how="left", suffixes=("", "_old"))
    is_new = both["customer_sk"].isna().to_numpy()
    differs = np.zeros(len(both), dtype=bool)
    for column in TRACKED:
        new, old = both[column], both[f"{column}_old"]
        differs |= ((new != old) & ~(new.isna() & old.isna())).to_numpy()
    changes = both[is_new | differs].sort_values("customer_id")
    # close the current version of every customer that really changed
    closing = changes.dropna(subset=["customer_sk"])
    ends = dict(zip(closing["customer_sk"].astype("int64"), closing["effective_ts"]))
    hit = dim["customer_sk"].isin(list(ends))
    if hit.any():
        dim.loc[hit, "valid_to"] = dim.loc[hit, "customer_sk"].map(ends)
        dim.loc[hit, "is_current"] = False
    if changes.empty:
        return dim[list(DIM_COLUMNS)]
    # and open a new one, with a fresh surrogate key
    first = (int(dim["customer_sk"].max()) if len(dim) else SK_START - 1) + 1
    new_rows = pd.DataFrame({
        "customer_sk": np.arange(first, first + len(changes), dtype=np.int64),
        "customer_id": changes["customer_id"].to_numpy(),
        **{column: changes[column].to_numpy() for column in TRACKED},
        "valid_from": changes["effective_ts"].to_numpy(),
        "valid_to": pd.Series(pd.NaT, index=range(len(changes)), dtype=dim["valid_to"].dtype),
        "is_current": np.ones(len(changes), dtype=bool),
    })
    return pd.concat([dim, new_rows], ignore_index=True)[list(DIM_COLUMNS)]


# -- types 1 and 3 in pandas ------------------------------------------------------------
def scd1_overwrite(current: pd.DataFrame, batch: pd.DataFrame) -> pd.DataFrame:
    """Type 1: one row per customer, tracked values overwritten; new customers appended."""
    _require(current, ("customer_id", *TRACKED), "current")
    _require(batch, BATCH_COLUMNS, "batch")
    updated = current.set_index("customer_id").copy()
    incoming = batch.set_index("customer_id")[list(TRACKED)]
    updated = incoming.combine_first(updated)  # batch values win, other customers stay
    return updated[list(current.columns.drop("customer_id"))].reset_index()


def scd3_update(current: pd.DataFrame, batch: pd.DataFrame, column: str = "segment") -> pd.DataFrame:
    """Type 3 on one column: ``<column>``, ``previous_<column>`` and ``<column>_changed_at``.

    Only a real change shifts the current value into ``previous_``; the value before
    that is lost, which is the point of type 3 (one step of history, side by side).
    """
    if column not in TRACKED:
        raise ValueError(f"column must be one of {', '.join(TRACKED)}, not {column!r}.")
    previous, changed_at = f"previous_{column}", f"{column}_changed_at"
    _require(current, ("customer_id", column), "current")
    frame = current.set_index("customer_id").copy()
    if previous not in frame:
        frame[previous] = None
        frame[changed_at] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
    incoming = batch.set_index("customer_id")
    known = incoming.index.intersection(frame.index)
    moved = known[frame.loc[known, column].to_numpy() != incoming.loc[known, column].to_numpy()]
    frame.loc[moved, previous] = frame.loc[moved, column]
    frame.loc[moved, column] = incoming.loc[moved, column]
    frame.loc[moved, changed_at] = incoming.loc[moved, "effective_ts"]
    return frame.reset_index()


# -- reading and checking a type-2 dimension --------------------------------------------
def as_of(dim: pd.DataFrame, when) -> pd.DataFrame:
    """The versions valid at ``when``: at most one row per customer (a point-in-time view)."""
    when = pd.Timestamp(when)
    when = when.tz_localize("UTC") if when.tzinfo is None else when
    valid = (dim["valid_from"] <= when) & (dim["valid_to"].isna() | (when < dim["valid_to"]))
    return dim[valid].sort_values("customer_id", ignore_index=True)


def history(dim: pd.DataFrame, customer_id: int) -> pd.DataFrame:
    """Every version of one customer, oldest first."""
    return dim[dim["customer_id"] == customer_id].sort_values("valid_from", ignore_index=True)


def scd2_problems(dim: pd.DataFrame, limit: int = 3) -> list[str]:
    """What is wrong with a type-2 dimension, one sentence per kind of problem ([] if fine).

    Checks: one current version per customer; valid_to missing exactly on current
    versions; each interval non-empty; each version starting exactly where the previous
    one ended (no gap, no overlap); surrogate keys unique.
    """
    missing = [c for c in DIM_COLUMNS if c not in dim.columns]
    if missing:
        return [f"the dimension has no column(s) {', '.join(missing)}."]
    problems = []
    current = dim.groupby("customer_id")["is_current"].sum()
    if (current > 1).any():
        ids = current.index[current > 1]
        problems.append(f"{len(ids)} customer(s) have more than one current version (e.g. customer {_ids(ids, limit)}).")
    if (current == 0).any():
        ids = current.index[current == 0]
        problems.append(f"{len(ids)} customer(s) have no current version (e.g. customer {_ids(ids, limit)}).")
    is_current = dim["is_current"].astype(bool)
    open_old = dim.loc[~is_current & dim["valid_to"].isna(), "customer_id"]
    closed_now = dim.loc[is_current & dim["valid_to"].notna(), "customer_id"]
    if len(open_old):
        problems.append(f"{len(open_old)} old version(s) have no valid_to (e.g. customer {_ids(open_old, limit)}).")
    if len(closed_now):
        problems.append(f"{len(closed_now)} current version(s) have a valid_to (e.g. customer {_ids(closed_now, limit)}).")
    empty = dim.loc[dim["valid_to"].notna() & (dim["valid_to"] <= dim["valid_from"]), "customer_id"]
    if len(empty):
        problems.append(f"{len(empty)} version(s) end before they start (e.g. customer {_ids(empty, limit)}).")
    ordered = dim.sort_values(["customer_id", "valid_from"])
    prev_to = ordered.groupby("customer_id")["valid_to"].shift(1)
    follows = ordered["customer_id"].duplicated()
    gap = follows & prev_to.notna() & (ordered["valid_from"] > prev_to)
    overlap = follows & (prev_to.isna() | (ordered["valid_from"] < prev_to))
    if gap.any():
        problems.append(f"{int(gap.sum())} version(s) start after the previous one ended, leaving a gap "
                        f"(e.g. customer {_ids(ordered.loc[gap, 'customer_id'], limit)}).")
    if overlap.any():
        problems.append(f"{int(overlap.sum())} version(s) start before the previous one ended, so versions overlap "
                        f"(e.g. customer {_ids(ordered.loc[overlap, 'customer_id'], limit)}).")
    if dim["customer_sk"].duplicated().any():
        problems.append(f"{int(dim['customer_sk'].duplicated().sum())} surrogate key(s) repeat: every version needs its own customer_sk.")
    return problems


def _ids(ids, limit: int) -> str:
    return ", ".join(str(int(i)) for i in sorted(set(ids))[:limit])


def _require(frame, columns, name: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame, not {type(frame).__name__}.")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} is missing column(s) {', '.join(missing)}; it needs {', '.join(columns)}.")


def _whole(value, name: str, minimum: int) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, not {value!r}.")
    return int(value)
