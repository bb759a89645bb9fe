"""Exercises of 02-data-modeling: grain, star joins, SCD type 2, tenancy leaks, point-in-time features.

Expected answers are built on first use from the kit's generated data and the lab code
in ``labs.modeling``; nothing runs at import time.

    >>> [ex.id for ex in EXERCISES]
    ['fact_orders', 'as_was_revenue_sql', 'scd2_merge', 'scd_types', 'scd2_rows_estimate',
     'leaky_queries', 'lakehouse_choice', 'point_in_time_sql']
"""
from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from grader.checkers import sql as sqlc
from grader.kinds import Choice, Design, Function, Mistake, Number, Requirement, Sql, Table

NOTEBOOK = "02-data-modeling"
COVERS = ("Q1.5", "Q2.1", "Q2.2", "Q2.4", "A1", "A11")  # the question ids the exercises prepare for


# -- shared fixtures (built once per process, on first use) ------------------------------
@functools.lru_cache(maxsize=None)
def data_paths() -> dict:
    from labs.data import ensure

    return ensure("ecommerce", progress=False)


@functools.lru_cache(maxsize=None)
def star_with_history() -> dict[str, pd.DataFrame]:
    """The star schema after the notebook's three customer change batches (as the lab builds it)."""
    from labs.engines import duckdb
    from labs.modeling import scd, star

    con = duckdb()
    star.load_sources(con, data_paths())
    star.build_star(con, wide=False)
    customers = con.sql("SELECT * FROM src_customers").df()
    for batch in scd.change_batches(customers):
        scd.scd2_merge_sql(con, batch)
    star.build_fact(con)
    return {table: con.sql(f"SELECT * FROM {table}").df() for table in star.STAR_TABLES}


# -- 1. fact table at order grain ----------------------------------------------------------
FACT_ORDERS_COLUMNS = ["order_id", "date_key", "customer_id", "channel", "status",
                       "n_lines", "units", "amount", "payment_method"]

FACT_ORDERS_SQL = """SELECT o.order_id,
       CAST(strftime(o.order_date, '%Y%m%d') AS INTEGER) AS date_key,
       o.customer_id, o.channel, o.status,
       i.n_lines, i.units, i.amount,
       p.method AS payment_method
FROM src_orders o
JOIN (SELECT order_id, count(*) AS n_lines, sum(quantity) AS units,
             sum(quantity * unit_price) AS amount
      FROM src_order_items GROUP BY order_id) i ON i.order_id = o.order_id
LEFT JOIN (SELECT order_id, method FROM src_payments
           WHERE status <> 'failed') p ON p.order_id = o.order_id"""


def _fact_orders_expected() -> pd.DataFrame:
    # pandas on purpose: a second engine checks the learner's DuckDB answer
    paths = data_paths()
    orders = pd.read_parquet(paths["orders"])
    items = pd.read_parquet(paths["order_items"])
    payments = pd.read_parquet(paths["payments"])
    lines = (items.assign(amount=items["quantity"] * items["unit_price"])
             .groupby("order_id")
             .agg(n_lines=("line_no", "size"), units=("quantity", "sum"), amount=("amount", "sum")))
    settled = payments[payments["status"] != "failed"].set_index("order_id")["method"].rename("payment_method")
    out = orders.join(lines, on="order_id").join(settled, on="order_id")
    out["date_key"] = pd.to_datetime(out["order_date"]).dt.strftime("%Y%m%d").astype(np.int64)
    # None, not NaN, so a diagnosis reads "expected None" for an order with no settled payment
    out["payment_method"] = out["payment_method"].astype(object).where(out["payment_method"].notna(), None)
    return out[FACT_ORDERS_COLUMNS]


@functools.lru_cache(maxsize=None)
def _sources():
    """The source tables in DuckDB, for building the known wrong answers of exercise 1."""
    from labs.engines import duckdb
    from labs.modeling import star

    con = duckdb()
    star.load_sources(con, data_paths())
    return con


def _fact_orders_variant(old: str, new: str):
    """A known wrong fact_orders: the reference query with one part replaced (built on first use)."""
    assert old in FACT_ORDERS_SQL
    return lambda: _sources().sql(FACT_ORDERS_SQL.replace(old, new)).df()


_LINES_JOIN = """JOIN (SELECT order_id, count(*) AS n_lines, sum(quantity) AS units,
             sum(quantity * unit_price) AS amount
      FROM src_order_items GROUP BY order_id) i ON i.order_id = o.order_id"""
_PAYMENT_JOIN = """LEFT JOIN (SELECT order_id, method FROM src_payments
           WHERE status <> 'failed') p ON p.order_id = o.order_id"""

FACT_ORDERS_MISTAKES = (
    Mistake(says="Every payment attempt was joined: an order with a failed attempt and then a captured one appears "
                 "twice. Join only the settled payment (status captured or refunded).",
            table=_fact_orders_variant(_PAYMENT_JOIN, "JOIN src_payments p ON p.order_id = o.order_id")),
    Mistake(says="Orders with no settled payment yet (the pending ones) are missing: an inner join drops them. LEFT "
                 "JOIN the settled payment, so their payment_method is NULL.",
            table=_fact_orders_variant(_PAYMENT_JOIN, "JOIN src_payments p ON p.order_id = o.order_id "
                                                      "AND p.status <> 'failed'")),
    Mistake(says="The lines were joined to the payments before summing, so each line counts once per payment "
                 "attempt. Sum the lines per order first, then join the one settled payment.",
            table=lambda: _sources().sql("""SELECT o.order_id, CAST(strftime(o.order_date, '%Y%m%d') AS INTEGER) AS date_key,
       o.customer_id, o.channel, o.status, count(*) AS n_lines, sum(i.quantity) AS units,
       sum(i.quantity * i.unit_price) AS amount, max(p.method) AS payment_method
FROM src_orders o JOIN src_order_items i ON i.order_id = o.order_id
LEFT JOIN src_payments p ON p.order_id = o.order_id
GROUP BY ALL""").df()),
)


# -- 2. as-was revenue over the star -------------------------------------------------------
AS_WAS_SQL = """SELECT d.year, d.quarter, c.segment, round(sum(f.amount), 2) AS revenue
FROM fact_sales f
JOIN dim_customer c ON c.customer_sk = f.customer_sk
JOIN dim_date d     ON d.date_key = f.date_key
WHERE f.status = 'completed'
GROUP BY d.year, d.quarter, c.segment"""

AS_WAS_MISTAKES = (
    Mistake(says="Did you filter is_current? It keeps only the sales made under each customer's current version "
                 "and drops every sale made before a change; fact_sales.customer_sk already points at the version "
                 "valid when the order was placed, so join on it alone.",
            sql=AS_WAS_SQL.replace("c.customer_sk = f.customer_sk", "c.customer_sk = f.customer_sk AND c.is_current")),
    Mistake(says="Your revenue follows each customer's segment of today (an as-is report); the question asks for the "
                 "segment at order time, which the version that fact_sales.customer_sk points at already holds.",
            sql="""SELECT d.year, d.quarter, now.segment, round(sum(f.amount), 2) AS revenue
FROM fact_sales f
JOIN dim_customer c   ON c.customer_sk = f.customer_sk
JOIN dim_customer now ON now.customer_id = c.customer_id AND now.is_current
JOIN dim_date d       ON d.date_key = f.date_key
WHERE f.status = 'completed'
GROUP BY ALL"""),
    Mistake(says="Some totals are one cent below the expected ones: round the sum to the cent (round(x, 2)) "
                 "instead of cutting it (floor).",
            sql=AS_WAS_SQL.replace("round(sum(f.amount), 2)", "floor(sum(f.amount) * 100) / 100")),
)


# -- 3. the type-2 merge ---------------------------------------------------------------------
def scd2_merge_reference(dim: pd.DataFrame, batch: pd.DataFrame) -> pd.DataFrame:
    from labs.modeling.scd import scd2_merge_pandas

    return scd2_merge_pandas(dim, batch)


# What nb.solution("scd2_merge") shows, and the notebook's solution cell (a test keeps the two equal).
SCD2_SOLUTION = '''def scd2_merge(dim, batch):
    dim = dim.copy()
    current = dim.loc[dim["is_current"], ["customer_sk", "customer_id", *TRACKED]]
    both = batch.merge(current, on="customer_id", how="left", suffixes=("", "_old"))
    is_new = both["customer_sk"].isna().to_numpy()
    differs = np.zeros(len(both), dtype=bool)
    for c in TRACKED:
        new, old = both[c], both[c + "_old"]
        # NULL-safe: in pandas None != None is True, so two missing values count as equal
        differs |= ((new != old) & ~(new.isna() & old.isna())).to_numpy()
    changes = both[is_new | differs].sort_values("customer_id")
    # close the current version of customers that changed
    ends = dict(zip(changes["customer_sk"].dropna().astype("int64"),
                    changes.loc[changes["customer_sk"].notna(), "effective_ts"]))
    hit = dim["customer_sk"].isin(list(ends))
    if hit.any():
        dim.loc[hit, "valid_to"] = dim.loc[hit, "customer_sk"].map(ends)
        dim.loc[hit, "is_current"] = False
    if changes.empty:
        return dim
    # open new versions with fresh surrogate keys
    first = (int(dim["customer_sk"].max()) if len(dim) else 0) + 1
    new = changes[["customer_id", *TRACKED]].assign(
        customer_sk=range(first, first + len(changes)),
        valid_from=changes["effective_ts"],
        valid_to=pd.Series(pd.NaT, index=changes.index, dtype=dim["valid_to"].dtype),
        is_current=True)
    return pd.concat([dim, new[dim.columns]], ignore_index=True)'''


@functools.lru_cache(maxsize=None)
def scd_fixture():
    """A small dimension and three batches: fast enough to run inside every check.

    Besides the generated changes, four customers no batch touches carry the cases a merge
    must get right and random changes rarely produce (see ``_edge_cases``).
    """
    from labs.modeling import scd

    customers, batches = _with_edge_cases(*_scd_generated())
    return scd.initial_dimension(customers), tuple(batches)


@functools.lru_cache(maxsize=None)
def _scd_generated():
    from labs.modeling import scd

    customers = pd.read_parquet(data_paths()["customers"]).head(200)  # the first 200: enough, and quick
    return customers, tuple(scd.change_batches(customers, change_share=0.1, unchanged_share=0.05,
                                               new_customers=2, seed=5))


@functools.lru_cache(maxsize=None)
def edge_customers() -> tuple[int, int, int, int]:
    """Four customers, signed up before 2024, that no generated batch touches."""
    customers, batches = _scd_generated()
    touched = set().union(*(set(b["customer_id"]) for b in batches))
    early = customers.loc[pd.to_datetime(customers["signup_date"]) < pd.Timestamp("2024-01-01"), "customer_id"]
    return tuple(int(i) for i in sorted(set(early) - touched)[:4])


def _with_edge_cases(customers: pd.DataFrame, batches):
    """NULLs in tracked columns and a change back to an earlier value, added to the batches.

    - customer A has no e-mail (NULL) and is sent again unchanged in batches 1 and 2;
    - customer B has no address, is sent again unchanged in batch 1, and gets one in batch 3;
    - customer C's e-mail is removed (becomes NULL) in batch 2 and sent again in batch 3;
    - customer D changes segment in batch 1 and back to the first one in batch 3.
    """
    from labs.modeling.scd import SEGMENTS, TRACKED

    a, b, c, d = edge_customers()
    customers = customers.copy()
    customers.loc[customers["customer_id"] == a, "email"] = None
    customers.loc[customers["customer_id"] == b, "address"] = None
    state = customers.set_index("customer_id")[list(TRACKED)].astype(object)
    first_segment = state.loc[d, "segment"]
    other = next(x for x in SEGMENTS if x != first_segment)
    plan = {0: [(a, {}), (b, {}), (d, {"segment": other})],
            1: [(a, {}), (c, {"email": None})],
            2: [(b, {"address": "7 Quay Street"}), (c, {}), (d, {"segment": first_segment})]}
    out = []
    for k, batch in enumerate(batches):
        rows = []
        for cid, values in plan[k]:
            for column, value in values.items():
                state.loc[cid, column] = value
            when = pd.Timestamp("2024-04-01", tz="UTC") + pd.DateOffset(months=3 * k) + pd.Timedelta(days=9, hours=cid)
            rows.append({"customer_id": cid, **state.loc[cid].to_dict(), "effective_ts": when})
        extra = pd.DataFrame(rows).astype({"customer_id": "int64", **{col: object for col in TRACKED}})
        extra["effective_ts"] = extra["effective_ts"].astype(batch["effective_ts"].dtype)
        out.append(pd.concat([batch, extra[batch.columns]], ignore_index=True)
                   .sort_values("customer_id", ignore_index=True))
    return customers, out


@functools.lru_cache(maxsize=None)
def _edge_advice() -> dict[int, tuple[str, str]]:
    """Per edge customer: (the sentence for too many versions, the sentence for too few)."""
    a, b, c, d = edge_customers()
    null_safe = ("in pandas NULL != NULL is True, so compare NULL-safely: two missing values are equal "
                 "(both isna()), a missing value and a present one differ.")
    return {
        a: (f"Customer {a} was sent again unchanged with a NULL email, and your merge opened new versions for "
            f"it: {null_safe}", ""),
        b: (f"Customer {b} was sent again unchanged with a NULL address, and your merge opened a new version for "
            f"it: {null_safe}",
            f"Customer {b}'s address went from NULL to a value, a real change, and your merge kept no new version "
            f"for it: {null_safe}"),
        c: (f"Customer {c}'s email became NULL and was then sent again unchanged; your merge opened a version too "
            f"many: {null_safe}",
            f"Customer {c}'s email became NULL, a real change (a NULL counts as a value), and your merge kept no "
            "new version for it."),
        d: ("", f"Customer {d} changed segment and later back to the first one; your merge missed the change back. "
                "Compare each batch row with the customer's current version only, not with every version."),
    }


def _ts(value):
    if value is None or pd.isna(value):
        return None
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.isoformat()


def canonical_versions(frame: pd.DataFrame) -> list:
    """Versions as plain rows, without surrogate keys (their values are free), in a fixed order."""
    from labs.modeling.scd import TRACKED

    rows = [[int(r["customer_id"]), *[None if pd.isna(r[c]) else str(r[c]) for c in TRACKED],
             _ts(r["valid_from"]), _ts(r["valid_to"]), bool(r["is_current"])]
            for r in frame.to_dict("records")]
    return sorted(rows, key=lambda r: (r[0], r[5] or "", r[6] or "~"))


def _moments(batches) -> list[tuple[int, pd.Timestamp]]:
    """Point-in-time probes: one second before and exactly at every change of the first customers."""
    moments = []
    for batch in batches:
        for row in batch.head(6).itertuples(index=False):
            moments += [(int(row.customer_id), row.effective_ts - pd.Timedelta(seconds=1)),
                        (int(row.customer_id), row.effective_ts)]
    return moments


def _lookup(dim: pd.DataFrame, customer_id: int, when: pd.Timestamp):
    """The tracked values of the versions valid at ``when`` (validity columns already UTC timestamps)."""
    from labs.modeling.scd import TRACKED

    rows = dim[dim["customer_id"] == customer_id]
    valid = rows[(rows["valid_from"] <= when) & (rows["valid_to"].isna() | (when < rows["valid_to"]))]
    return [[str(v) for v in r] for r in valid[list(TRACKED)].itertuples(index=False)]


def observe_scd2(fn) -> dict:
    """Run a learner's scd2_merge on the fixture and record what a reviewer would look at.

    Runs in the grader's forked child (the learner's code is bounded in time there);
    returns JSON-safe observations that ``judge_scd2`` compares with the reference's.
    """
    from labs.modeling.scd import DIM_COLUMNS, scd2_problems

    dim, batches = scd_fixture()
    seen: dict = {}
    arg_dim, arg_batch = dim.copy(), batches[0].copy()
    first = fn(arg_dim, arg_batch)
    seen["inputs_unchanged"] = bool(arg_dim.equals(dim) and arg_batch.equals(batches[0]))
    if not isinstance(first, pd.DataFrame):
        seen["returned"] = type(first).__name__
        return seen
    seen["columns"] = sorted(str(c) for c in first.columns)
    if set(seen["columns"]) != set(DIM_COLUMNS):
        return seen
    again = fn(first.copy(), batches[0].copy())
    seen["idempotent"] = [len(first), len(again) if isinstance(again, pd.DataFrame) else None,
                          isinstance(again, pd.DataFrame) and canonical_versions(first) == canonical_versions(again)]
    state = dim.copy()
    for batch in batches:
        state = fn(state.copy(), batch.copy())
        if not isinstance(state, pd.DataFrame):
            seen["returned"] = type(state).__name__
            return seen
    try:  # naive or tz-aware, ns or us: compare instants, not representations
        state = state.assign(valid_from=pd.to_datetime(state["valid_from"], utc=True),
                             valid_to=pd.to_datetime(state["valid_to"], utc=True))
    except (TypeError, ValueError):
        seen["returned"] = "a DataFrame whose valid_from/valid_to are not timestamps"
        return seen
    seen["problems"] = scd2_problems(state)
    seen["point_in_time"] = [[cid, _ts(when), _lookup(state, cid, when)] for cid, when in _moments(batches)]
    seen["history"] = canonical_versions(state)
    return seen


@functools.lru_cache(maxsize=None)
def _scd2_expected() -> dict:
    return observe_scd2(scd2_merge_reference)


_ADVICE = {
    "more than one current": "when a customer changes, close the old version (is_current false, valid_to = effective_ts).",
    "no current": "every customer keeps exactly one current version.",
    "no valid_to": "a closed version ends at the change's effective_ts.",
    "current version(s) have a valid_to": "the current version stays open: valid_to is missing (NaT).",
    "end before": "valid_to comes after valid_from.",
    "gap": "the old version must end exactly when the new one starts: valid_to = the change's effective_ts, "
           "not a day or a second earlier.",
    "overlap": "the old version must end exactly when the new one starts: valid_to = the change's effective_ts.",
    "surrogate key": "number new versions after the largest existing customer_sk.",
}


def _edge_problem(yours: list, expected: list) -> str | None:
    """The targeted sentence when only the edge customers (NULLs, a change back) have the wrong version count."""
    def counts(history):
        return pd.Series([row[0] for row in history]).value_counts().to_dict() if history else {}

    have, want = counts(yours), counts(expected)
    wrong = sorted(cid for cid in set(have) | set(want) if have.get(cid, 0) != want.get(cid, 0))
    advice = _edge_advice()
    if not wrong or not set(wrong) <= set(advice):
        return None
    cid = wrong[0]
    too_many, too_few = advice[cid]
    return (too_many if have.get(cid, 0) > want.get(cid, 0) else too_few) or None


def judge_scd2(seen: dict):
    from labs.modeling.scd import DIM_COLUMNS

    if "returned" in seen:
        return f"scd2_merge should return a pandas DataFrame of the dimension; it returned {seen['returned']}."
    if set(seen["columns"]) != set(DIM_COLUMNS):
        extra = sorted(set(seen["columns"]) - set(DIM_COLUMNS))
        lacking = [c for c in DIM_COLUMNS if c not in seen["columns"]]
        parts = ([f"lacks {', '.join(lacking)}"] if lacking else []) + ([f"has extra {', '.join(extra)}"] if extra else [])
        return (f"Return the dimension with exactly its columns ({', '.join(DIM_COLUMNS)}); "
                f"yours {' and '.join(parts)}.")
    if seen["problems"]:
        first = seen["problems"][0]
        advice = next((a for key, a in _ADVICE.items() if key in first), "")
        return f"After the three batches, {first} Fix: {advice}".strip()
    want = _scd2_expected()
    edge = _edge_problem(seen["history"], want["history"])
    if edge:
        return edge
    for (cid, when, yours), (_, _, expected) in zip(seen["point_in_time"], want["point_in_time"]):
        if yours != expected:
            shown = "no version" if not yours else ", ".join(yours[0])
            return (f"As of {when}, customer {cid} should be ({', '.join(expected[0]) if expected else 'no version'}); "
                    f"your dimension gives ({shown}). A new version starts at the change's effective_ts "
                    "and the old one stays, closed, for lookups before it.")
    before, after, same = seen["idempotent"]
    if not same:
        return (f"Applying the first batch a second time changed the dimension ({before} rows became {after}): "
                "a batch row equal to the customer's current version must not create a new version.")
    yours, expected = seen["history"], want["history"]
    if yours != expected:
        if len(yours) != len(expected):
            return (f"After the three batches your dimension has {len(yours)} versions; expected {len(expected)}. "
                    "Only a real change (or a new customer) adds a version.")
        wrong = next(y for y, e in zip(yours, expected) if y != e)
        return f"After the three batches a version differs from the expected history, e.g. {wrong}."
    if not seen["inputs_unchanged"]:
        return ("Your function changed the DataFrame passed to it; work on a copy (dim = dim.copy()) so the "
                "caller's dimension is not altered behind their back.")
    return None


class _Named(pd.DataFrame):
    """A DataFrame that messages show by name: "scd2_merge(empty dimension, empty batch)", not its repr."""
    _metadata = ["label"]

    def __repr__(self):
        return self.label


def _named(frame: pd.DataFrame, label: str) -> _Named:
    named = _Named(frame)
    named.label = label
    return named


def _empty_dim() -> pd.DataFrame:
    from labs.modeling.scd import TRACKED

    return pd.DataFrame({"customer_sk": pd.Series(dtype="int64"), "customer_id": pd.Series(dtype="int64"),
                         **{c: pd.Series(dtype=object) for c in TRACKED},
                         "valid_from": pd.Series(dtype="datetime64[ns, UTC]"),
                         "valid_to": pd.Series(dtype="datetime64[ns, UTC]"),
                         "is_current": pd.Series(dtype=bool)})


def _empty_batch() -> pd.DataFrame:
    from labs.modeling.scd import TRACKED

    return pd.DataFrame({"customer_id": pd.Series(dtype="int64"), **{c: pd.Series(dtype=object) for c in TRACKED},
                         "effective_ts": pd.Series(dtype="datetime64[ns, UTC]")})


# -- 6. tenancy leaks ------------------------------------------------------------------------
LEAK_SNIPPETS = {
    "A": "SELECT o.order_id, c.name, o.amount\nFROM orders o JOIN customers c ON c.customer_id = o.customer_id\n"
         "WHERE o.tenant_id = 2",
    "B": "SELECT o.order_id, c.name, o.amount\nFROM orders o JOIN customers c\n"
         "  ON c.tenant_id = o.tenant_id AND c.customer_id = o.customer_id\nWHERE o.tenant_id = 2",
    "C": "SELECT order_id, amount FROM orders\nWHERE tenant_id = 2 AND status = 'completed' OR status = 'returned'",
    "D": "SELECT order_id, amount FROM my_orders\nWHERE status IN ('completed', 'returned')",
    "E": "SELECT c.segment, count(*) AS n FROM customers c\nWHERE c.tenant_id = 2\n"
         "  AND c.customer_id IN (SELECT customer_id FROM orders WHERE amount > 500)\nGROUP BY c.segment",
}


# -- 8. point-in-time features ---------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def feature_fixtures() -> dict[str, pd.DataFrame]:
    from labs.engines import duckdb
    from labs.modeling import feature_store

    con = duckdb()
    feature_store.build_order_features(con, data_paths()["orders"])
    feature_store.build_session_labels(con, data_paths()["clickstream"])
    labels = con.sql("SELECT * FROM labels").df()
    features = con.sql("SELECT * FROM customer_features").df()
    return {"labels": _with_ties(labels, features), "customer_features": features}


def _with_ties(labels: pd.DataFrame, features: pd.DataFrame) -> pd.DataFrame:
    """Two more sessions that start at the very instant of an order, so <= and < give different rows.

    The real data has no label_ts equal to a feature_ts; the first tie is at a customer's first
    order (a strict < finds no feature row at all), the second at their third.
    """
    busy = features.groupby("customer_id").size()
    who = int(busy[busy >= 3].index[0])
    stamps = features.loc[features["customer_id"] == who, "feature_ts"].sort_values().tolist()
    first = int(labels["session_id"].max()) + 1
    ties = pd.DataFrame({"session_id": [first, first + 1], "customer_id": [who, who],
                         "label_ts": [stamps[0], stamps[2]], "purchased": [True, False]})
    ties = ties.astype({c: labels[c].dtype for c in ties.columns})
    return pd.concat([labels, ties], ignore_index=True)


POINT_IN_TIME_SQL = """SELECT l.session_id, l.customer_id, l.label_ts,
       f.orders_to_date, f.spend_to_date, l.purchased
FROM labels l
ASOF LEFT JOIN customer_features f
  ON f.customer_id = l.customer_id AND f.feature_ts <= l.label_ts"""

_LATEST_FEATURES_SQL = """SELECT l.session_id, l.customer_id, l.label_ts, f.orders_to_date, f.spend_to_date, l.purchased
FROM labels l LEFT JOIN (SELECT * FROM customer_features
    QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY feature_ts DESC) = 1) f
ON f.customer_id = l.customer_id"""

POINT_IN_TIME_MISTAKES = (
    Mistake(says="A feature row stamped exactly at label_ts was already known at that moment: the prompt asks for "
                 "feature_ts <= label_ts, and your query skips it (< instead of <=?).",
            sql=POINT_IN_TIME_SQL.replace("f.feature_ts <= l.label_ts", "f.feature_ts < l.label_ts")),
    Mistake(says="Your query attaches each customer's latest features, whenever they were computed: labels see "
                 "orders from after label_ts (the future leaks in). Take the latest feature row at or before each "
                 "label's own time.",
            sql=_LATEST_FEATURES_SQL),
    Mistake(says="Your query takes the first feature row at or after label_ts, which is the future: the "
                 "condition is f.feature_ts <= l.label_ts, the latest row before (or at) the label.",
            sql=POINT_IN_TIME_SQL.replace("f.feature_ts <= l.label_ts", "f.feature_ts >= l.label_ts")),
    Mistake(says="Sessions of customers with no order yet are missing: keep every label (a LEFT join) with NULL "
                 "features.",
            sql=POINT_IN_TIME_SQL.replace("ASOF LEFT JOIN", "ASOF JOIN")),
    Mistake(says="A customer with no order before label_ts has no feature row: leave the features NULL (unknown), "
                 "not 0.",
            sql=POINT_IN_TIME_SQL.replace("f.orders_to_date, f.spend_to_date",
                                          "coalesce(f.orders_to_date, 0) AS orders_to_date, "
                                          "coalesce(f.spend_to_date, 0) AS spend_to_date")),
)


# ---------------------------------------------------------------------------------------------
SCD_TYPES = ("type 0", "type 1", "type 2", "type 3", "type 4", "type 6")
# Per attribute: the type(s) that meet its requirement, and why.
SCD_NEEDS = {
    "signup_channel": ("type 0", "the first value must survive whatever the source sends later: type 0 keeps the "
                                 "original."),
    "email": ("type 1", "no history is wanted and a correction must show everywhere at once: overwrite (type 1)."),
    "address": (("type 2", "type 6"), "revenue by the region a customer lived in when ordering needs a version per "
                                      "change with validity dates (type 2, or type 6, which contains it)."),
    "segment_reorg": ("type 3", "one before/after comparison, side by side on the same row and without adding rows, "
                                "is a previous_ column (type 3); type 6 (or 2) adds a version row for every customer "
                                "the reorganisation touches."),
    "loyalty_score": ("type 4", "a score that changes daily for millions of customers would multiply type-2 rows; "
                                "keep its history in a separate table or mini-dimension (type 4)."),
}
SCD_STAGES = tuple(SCD_NEEDS)

EXERCISES = [
    Table(
        id="fact_orders",
        prompt="Build fact_orders at order grain from src_orders, src_order_items and src_payments: "
               + ", ".join(FACT_ORDERS_COLUMNS) + ".",
        expected_fn=_fact_orders_expected,
        key=("order_id",),
        mistakes=FACT_ORDERS_MISTAKES,
        hints=(
            "Declare the grain first: one row per order. Every join must keep exactly one row per order_id.",
            "Aggregate the order lines to one row per order before joining them to the orders; and keep only "
            "the settled payment (status captured or refunded): failed attempts are extra rows per order.",
            "Pending orders have no settled payment yet: a LEFT JOIN keeps them, with a NULL payment_method.",
        ),
        solution="fact_orders = con.sql('''\n" + FACT_ORDERS_SQL + "\n''').df()",
        explanation="The grain decides which joins are safe. Order lines are many per order, so they are summed "
                    "first; payments are many per order too (a declined card, then a captured one), so only the "
                    "settled one joins. An inner join to payments would silently drop pending orders, and joining "
                    "lines and payments together before summing multiplies the amounts.",
        covers=("Q1.5",),
    ),
    Sql(
        id="as_was_revenue_sql",
        prompt="Over the star schema (fact_sales, dim_customer, dim_date), write SQL for the revenue of completed "
               "orders per year, quarter and the segment the customer had WHEN ORDERING: columns year, quarter "
               "(1 to 4, as in dim_date), segment, revenue (to the cent).",
        fixtures=star_with_history,
        reference=AS_WAS_SQL,
        rules=(sqlc.USES_JOIN, sqlc.NO_SELECT_STAR),
        decimals={"revenue": 2},
        mistakes=AS_WAS_MISTAKES,
        hints=(
            "fact_sales.customer_sk already points at the customer version that was valid when the order was placed.",
            "Join dim_customer on customer_sk (not on customer_id, and without filtering is_current) and dim_date on "
            "date_key, which has year and quarter columns.",
            "Filter f.status = 'completed', group by d.year, d.quarter and c.segment, and round(sum(f.amount), 2).",
        ),
        solution=AS_WAS_SQL,
        explanation="A type-2 dimension gives each version its own surrogate key, and the fact stores the key valid at "
                    "order time, so a plain key join reports history as it was. Adding is_current drops every sale "
                    "made under an old version; going through customer_id to the current row restates history with "
                    "today's segments (an as-is report, also useful, but a different question).",
        covers=("Q2.2", "Q1.5"),
    ),
    Function(
        id="scd2_merge",
        prompt="Write scd2_merge(dim, batch): apply one change batch to a type-2 customer dimension and return the "
               "new dimension (a DataFrame with the same columns). A NULL counts as a value: NULL against NULL is no "
               "change, NULL against a value is one.",
        reference=scd2_merge_reference,
        cases=((_named(_empty_dim(), "empty dimension"), _named(_empty_batch(), "empty batch")),),
        probes=(("three batches, replayed and looked up as of given times", observe_scd2, judge_scd2),),
        timeout_s=20.0,
        call_name="scd2_merge",
        hints=(
            "Compare each batch row with the customer's CURRENT version only. Three outcomes: unknown customer "
            "(insert), some tracked column differs (close the old version, insert a new one), nothing differs "
            "(do nothing).",
            "Merge the batch with the current rows on customer_id (how='left'). A NaN customer_sk means a new "
            "customer; compare the tracked columns pairwise, NULL-safely: in pandas None != None is True, so treat "
            "two missing values as equal.",
            "Close: valid_to = effective_ts and is_current = False on the old row. Open: a new row with "
            "customer_sk = max + 1, 2, ..., valid_from = effective_ts, valid_to = NaT, is_current = True. "
            "Work on dim.copy().",
        ),
        solution=SCD2_SOLUTION,
        explanation="Change detection is what makes the merge idempotent: a replayed batch finds every row equal to "
                    "the current version and does nothing. Closing the old version at exactly the new version's "
                    "valid_from keeps the half-open intervals [valid_from, valid_to) contiguous, so every "
                    "point-in-time lookup finds exactly one version.",
        covers=("Q2.2",),
    ),
    Design(
        id="scd_types",
        prompt="For each customer attribute, choose the SCD type that meets its requirement (" + ", ".join(SCD_TYPES) + ").",
        stages=SCD_STAGES,
        catalogue={stage: SCD_TYPES for stage in SCD_STAGES},
        requirements=tuple(Requirement.stage_is(stage, allowed, why) for stage, (allowed, why) in SCD_NEEDS.items()),
        hints=(
            "Ask of each attribute: is history needed at all? If yes, all of it or only the previous value?",
            "Type 0 never changes, 1 overwrites, 2 versions rows, 3 keeps one previous value in a column, 4 moves "
            "fast-changing history out of the main dimension, 6 is type 2 rows plus a current_ column: it meets a "
            "requirement only where adding version rows is allowed.",
        ),
        solution="scd_types = {'signup_channel': 'type 0', 'email': 'type 1', 'address': 'type 2', "
                 "'segment_reorg': 'type 3', 'loyalty_score': 'type 4'}",
        explanation="The type follows from the question the data must answer and from how fast the attribute changes: "
                    "keep nothing, keep today, keep everything, keep one step, or keep everything elsewhere. Type 6 "
                    "contains type 2, so it serves wherever versions are wanted (address) and fails wherever the "
                    "dimension must not grow (the reorganisation).",
        covers=("Q2.2",),
    ),
    Number(
        id="scd2_rows_estimate",
        prompt="A type-2 customer dimension starts with 2,000,000 customers. Each month 3% of them change a tracked "
               "attribute (once). How many rows does it hold after 36 months (ignore new customers)?",
        value=2_000_000 * (1 + 0.03 * 36),
        rel_tol=0.02,
        unit="rows",
        mistakes=(
            (2_000_000 * 1.03 ** 36, "Type 2 adds one row per change; it does not compound: 3% of the 2,000,000 "
                                     "customers is 60,000 new rows every month, not 3% of a growing table."),
            (2_000_000 * 0.03 * 36, "That counts the new versions only: the 2,000,000 first versions stay in the "
                                    "table too."),
            (2_000_000, "A type-2 dimension keeps the old version when a customer changes: each change adds a row."),
            (2_000_000 * (1 + 0.03 * 12), "That is one year of changes; the question asks for 36 months."),
        ),
        hints=("Every change adds exactly one row; the rows already there stay.",
               "Rows = customers + changes per month x months."),
        solution="scd2_rows_estimate = 2_000_000 + 2_000_000 * 0.03 * 36  # 4,160,000",
        explanation="Type 2 grows linearly with the number of changes, not by compounding: 60,000 new versions a month "
                    "for 36 months double the table. That growth is the reason fast-changing attributes move to a "
                    "mini-dimension (type 4).",
        covers=("Q2.2",),
    ),
    Choice(
        id="leaky_queries",
        prompt="Shared tables, tenant-local ids. Which of the snippets A-E, run for tenant 2, let other tenants' data "
               "into the result? Choose every one that leaks.",
        options={
            "A": "Leaks: the join matches customer_id alone, and ids are tenant-local, so every tenant's customer "
                 "with that number joins tenant 2's order.",
            "B": "Safe: tenant_id is part of the join on both sides, and the filter pins tenant 2.",
            "C": "Leaks: AND binds tighter than OR, so every tenant's returned orders pass the second condition.",
            "D": "Safe: the view filters on the session's tenant; the extra condition can only narrow it.",
            "E": "Leaks: the subquery reads every tenant's orders, so tenant 2's counts depend on other tenants' "
                 "order amounts (nothing foreign is shown, yet the numbers are wrong).",
        },
        correct=("A", "C", "E"),
        multiple=True,
        hints=("Read every join and every subquery: does each table reference carry the tenant?",
               "Mind operator precedence: how does SQL read a AND b OR c?",
               "A leak is not only a foreign row shown: a count that changes with other tenants' data leaks too."),
        solution="leaky_queries = {'A', 'C', 'E'}",
        explanation="With a shared schema the tenant predicate must reach every table reference, including joins and "
                    "subqueries. Composite keys (tenant_id first) and views or row-level security policies driven by "
                    "the session's tenant make the safe path the default one.",
        covers=("Q2.4",),
    ),
    Choice(
        id="lakehouse_choice",
        prompt="A team keeps raw Parquet in object storage and wants atomic commits, schema enforcement, time travel "
               "and MERGE (for SCD2) on those files, without copying them into a warehouse. What do they add?",
        options={
            "A": "An open table format with a transaction log (Delta Lake, Apache Iceberg, Apache Hudi) over the "
                 "same files: that is what turns a lake into a lakehouse.",
            "B": "Register the folders as tables in a catalogue (Hive Metastore, AWS Glue): a catalogue maps a "
                 "name to a location and a schema, but records no commits, so readers still see half-written jobs "
                 "and there is no MERGE.",
            "C": "Turn on object versioning in the bucket (S3 versioning) for time travel: it keeps old copies of "
                 "each object one by one, not a consistent snapshot of the table, and gives no atomic commit across "
                 "files.",
            "D": "Compact the small files every night (OPTIMIZE): compaction is maintenance a table format runs "
                 "through its log; on plain files, rewriting them gives no atomic commits and readers can catch it "
                 "half done.",
            "E": "A nightly copy into a warehouse: that is a lake plus a warehouse, two copies and a pipeline "
                 "between them, not a lakehouse.",
        },
        correct=("A",),
        hints=("Which component can make a set of file changes appear all at once, or not at all?",
               "A catalogue names tables, bucket versioning keeps copies of single objects, compaction rewrites "
               "files: none of them says which files make up version N. Look for the option that records every "
               "commit in a log next to the data files."),
        solution="lakehouse_choice = 'A'",
        explanation="A table format records every commit in a log next to the data files: readers see whole "
                    "snapshots (ACID, time travel), writers can MERGE and evolve schemas, and any engine that speaks "
                    "the format can query the same files. Catalogues, bucket versioning and compaction are useful "
                    "around it, but none of them defines what a commit is.",
        covers=("A1", "A11"),
    ),
    Sql(
        id="point_in_time_sql",
        prompt="Build the training set: for each row of labels (session_id, customer_id, label_ts, purchased), the "
               "customer's orders_to_date and spend_to_date from customer_features as they were at label_ts: the "
               "latest row with feature_ts <= label_ts (a row stamped at the very instant counts as known), NULL "
               "if none. Columns: session_id, customer_id, label_ts, orders_to_date, spend_to_date, purchased.",
        fixtures=feature_fixtures,
        reference=POINT_IN_TIME_SQL,
        mistakes=POINT_IN_TIME_MISTAKES,
        hints=(
            "For each label you want ONE feature row: the last one at or before label_ts, for the same customer.",
            "DuckDB has a join made for this: ASOF JOIN ... ON f.customer_id = l.customer_id AND f.feature_ts <= l.label_ts.",
            "Sessions before a customer's first order must stay, with NULL features: use ASOF LEFT JOIN.",
        ),
        solution=POINT_IN_TIME_SQL,
        explanation="A training row may only see what was known at its own time. Joining each customer's latest "
                    "features lets later orders, including the very purchase being predicted, leak into training; "
                    "the model then looks better offline than it can be online. The boundary is inclusive here, as "
                    "in Feast's point-in-time join: a value written at the label's instant was known then. When a "
                    "feature's timestamp is the time of the event rather than the time the value became available, "
                    "join on the availability time instead.",
        covers=("Q2.1",),
    ),
]
