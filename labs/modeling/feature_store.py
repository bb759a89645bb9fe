"""A feature store's offline layout: features keyed by entity *and time*, read point-in-time.

A feature store keeps, for each entity (here a customer), the value of each feature
*as of* each moment it changed: ``customer_features(customer_id, feature_ts,
orders_to_date, spend_to_date)`` gains a row at every order. Training examples
(``labels``: a customer and a moment, with what happened next) must see the features
as they were at that moment, never later: a *point-in-time* (as-of) join. Joining the
latest value instead lets the future leak into training, and the model learns from
information it will not have when it predicts.

    >>> from labs.data import ecommerce
    >>> from labs.engines import duckdb
    >>> shop = ecommerce.tables(scale=0.05, seed=1)
    >>> con = duckdb()
    >>> build_order_features(con, shop["orders"]), build_session_labels(con, shop["clickstream"])
    (918, 637)
    >>> report = leakage(con)
    >>> report.loc[report["join"] == "point in time", "rows_using_future"].item()
    0
"""
from __future__ import annotations

import pandas as pd

from labs.modeling._db import scalar

FEATURE_COLUMNS = ("customer_id", "feature_ts", "orders_to_date", "spend_to_date")
LABEL_COLUMNS = ("session_id", "customer_id", "label_ts", "purchased")

# For each session, the customer's features as of the session's first event.
POINT_IN_TIME_SQL = """
SELECT l.session_id, l.customer_id, l.label_ts, f.feature_ts, f.orders_to_date, f.spend_to_date, l.purchased
FROM labels l
ASOF LEFT JOIN customer_features f
  ON f.customer_id = l.customer_id AND f.feature_ts <= l.label_ts
"""

# The tempting shortcut: each customer's latest features, whenever they were computed.
LATEST_SQL = """
SELECT l.session_id, l.customer_id, l.label_ts, f.feature_ts, f.orders_to_date, f.spend_to_date, l.purchased
FROM labels l
LEFT JOIN (SELECT * FROM customer_features
           QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY feature_ts DESC) = 1) f
  ON f.customer_id = l.customer_id
"""


def _source(con, value, name: str) -> str:
    if isinstance(value, pd.DataFrame):
        con.register(name, value)
        return name
    return f"read_parquet('{value}')"


def build_order_features(con, orders) -> int:
    """Create ``customer_features``: running order count and spend after each non-cancelled order.

    ``orders`` is a Parquet path or a pandas frame (order_id, customer_id, order_ts,
    status, total_amount). Returns the number of feature rows.
    """
    source = _source(con, orders, "__orders")
    con.execute(f"""
        CREATE OR REPLACE TABLE customer_features AS
        SELECT customer_id, order_ts AS feature_ts,
               count(*) OVER w AS orders_to_date,
               round(sum(total_amount) OVER w, 2) AS spend_to_date
        FROM {source}
        WHERE status <> 'cancelled'
        WINDOW w AS (PARTITION BY customer_id ORDER BY order_ts, order_id
                     ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
        ORDER BY customer_id, feature_ts
    """)
    if isinstance(orders, pd.DataFrame):
        con.unregister("__orders")
    return scalar(con, "SELECT count(*) FROM customer_features")


def build_session_labels(con, clickstream) -> int:
    """Create ``labels``: one row per signed-in session, stamped at its first event, with
    ``purchased`` true when the session ended in a purchase. Returns the number of labels."""
    source = _source(con, clickstream, "__clicks")
    con.execute(f"""
        CREATE OR REPLACE TABLE labels AS
        SELECT session_id, any_value(customer_id) AS customer_id, min(event_time) AS label_ts,
               bool_or(event_type = 'purchase') AS purchased
        FROM {source}
        WHERE customer_id IS NOT NULL
        GROUP BY session_id
        ORDER BY session_id
    """)
    if isinstance(clickstream, pd.DataFrame):
        con.unregister("__clicks")
    return scalar(con, "SELECT count(*) FROM labels")


def training_set(con, point_in_time: bool = True) -> pd.DataFrame:
    """Labels with features joined point-in-time (or, with ``False``, naively latest)."""
    sql = POINT_IN_TIME_SQL if point_in_time else LATEST_SQL
    return con.sql(sql + " ORDER BY l.session_id").df()


def leakage(con) -> pd.DataFrame:
    """How much the future leaks into each join.

    Columns: join, rows, rows_using_future (features computed after the label time),
    and the mean ``orders_to_date`` of sessions that purchased and of those that did not:
    a leaky join makes the feature look more predictive than it can be.
    """
    rows = []
    for name, pit in (("point in time", True), ("latest", False)):
        frame = training_set(con, pit)
        future = (frame["feature_ts"] > frame["label_ts"]).sum()
        orders = frame["orders_to_date"].fillna(0)
        rows.append({"join": name, "rows": len(frame), "rows_using_future": int(future),
                     "orders_to_date_if_purchased": round(orders[frame["purchased"]].mean(), 2),
                     "orders_to_date_if_not": round(orders[~frame["purchased"]].mean(), 2)})
    return pd.DataFrame(rows)
