"""The shop's customers and orders as a Data Vault: hubs, links and satellites with hash keys.

Kimball's dimensional model is shaped for the questions (a star per process, conformed
dimensions, an SCD type per attribute). Data Vault 2.0 is shaped for the sources and
their history, and stars are built on top of it:

- a **hub** holds one row per business key: ``hub_customer(customer_hk, customer_id,
  load_ts, record_source)``;
- a **link** holds one row per relationship between hubs: ``link_order_customer``;
- a **satellite** holds a hub's descriptive attributes, one row per change:
  ``sat_customer(customer_hk, effective_ts, hash_diff, <attributes>, load_ts, record_source)``.

Keys are hashes of business keys (``md5`` of the normalised text), so every table loads
in parallel and in any order, with no lookup of a sequence. Loads only insert: a
satellite row is added when its ``hash_diff`` (a hash of the attributes) differs from
the row before it in time, so a replayed delivery adds nothing and a late one slots in.
``dimension`` rebuilds the type-2 customer dimension from hub and satellite.

    >>> from labs.data import ecommerce
    >>> from labs.engines import duckdb
    >>> from labs.modeling import scd, star
    >>> con = duckdb()
    >>> star.load_sources(con, ecommerce.tables(scale=0.02, seed=1))
    >>> counts = build(con)
    >>> counts["hub_customer"] == counts["sat_customer"]
    True
    >>> batch = scd.change_batches(con.sql("select * from src_customers").df(), n_batches=1)[0]
    >>> first = load_customer_batch(con, batch)
    >>> first["sat_customer"] > 0, load_customer_batch(con, batch)["sat_customer"]
    (True, 0)
"""
from __future__ import annotations

import pandas as pd

from labs.modeling._db import scalar
from labs.modeling.scd import TRACKED

VAULT_TABLES = ("hub_customer", "hub_order", "link_order_customer", "sat_customer")


def hash_key(*columns: str) -> str:
    """SQL for a Data Vault hash key: md5 of the trimmed, upper-cased values joined by '||' (NULL as '')."""
    parts = ", ".join(f"coalesce(upper(trim(CAST({c} AS VARCHAR))), '')" for c in columns)
    return f"md5(concat_ws('||', {parts}))"


_HASH_DIFF = hash_key(*TRACKED)


def build(con, record_source: str = "shop") -> dict[str, int]:
    """Create the vault from the ``src_*`` tables (the first extract); return {table: rows}."""
    source = record_source.replace("'", "''")
    con.execute(f"""
        CREATE OR REPLACE TABLE hub_customer AS
        SELECT {hash_key('customer_id')} AS customer_hk, customer_id,
               CAST(signup_date AS TIMESTAMPTZ) AS load_ts, '{source}' AS record_source
        FROM src_customers
    """)
    con.execute(f"""
        CREATE OR REPLACE TABLE hub_order AS
        SELECT {hash_key('order_id')} AS order_hk, order_id, order_ts AS load_ts, '{source}' AS record_source
        FROM src_orders
    """)
    con.execute(f"""
        CREATE OR REPLACE TABLE link_order_customer AS
        SELECT {hash_key('order_id', 'customer_id')} AS order_customer_hk,
               {hash_key('order_id')} AS order_hk, {hash_key('customer_id')} AS customer_hk,
               order_ts AS load_ts, '{source}' AS record_source
        FROM src_orders
    """)
    con.execute(f"""
        CREATE OR REPLACE TABLE sat_customer AS
        SELECT {hash_key('customer_id')} AS customer_hk, CAST(signup_date AS TIMESTAMPTZ) AS effective_ts,
               {_HASH_DIFF} AS hash_diff, {', '.join(TRACKED)},
               CAST(signup_date AS TIMESTAMPTZ) AS load_ts, '{source}' AS record_source
        FROM src_customers
    """)
    return counts(con)


def load_customer_batch(con, batch: pd.DataFrame, record_source: str = "changes") -> dict[str, int]:
    """Insert-only load of a change batch: new hubs, and satellite rows that change something.

    Returns the rows inserted per table. A row whose attributes equal those of the
    satellite row just before it in time (or that is already there) inserts nothing.
    """
    missing = [c for c in ("customer_id", *TRACKED, "effective_ts") if c not in batch.columns]
    if missing:
        raise ValueError(f"batch is missing column(s) {', '.join(missing)}.")
    source = record_source.replace("'", "''")
    con.register("__batch", batch)
    try:
        hubs = con.execute(f"""
            INSERT INTO hub_customer
            SELECT DISTINCT {hash_key('b.customer_id')}, b.customer_id, b.effective_ts, '{source}'
            FROM __batch b
            WHERE {hash_key('b.customer_id')} NOT IN (SELECT customer_hk FROM hub_customer)
        """).fetchall()[0][0]
        sats = con.execute(f"""
            INSERT INTO sat_customer
            WITH incoming AS (
                SELECT {hash_key('customer_id')} AS customer_hk, effective_ts, {_HASH_DIFF} AS hash_diff,
                       {', '.join(TRACKED)}
                FROM __batch),
            before AS (
                SELECT i.customer_hk, i.effective_ts, arg_max(s.hash_diff, s.effective_ts) AS previous
                FROM incoming i JOIN sat_customer s
                  ON s.customer_hk = i.customer_hk AND s.effective_ts <= i.effective_ts
                GROUP BY ALL)
            SELECT i.*, now() AS load_ts, '{source}' AS record_source
            FROM incoming i LEFT JOIN before b USING (customer_hk, effective_ts)
            WHERE b.previous IS DISTINCT FROM i.hash_diff
        """).fetchall()[0][0]
    finally:
        con.unregister("__batch")
    return {"hub_customer": int(hubs), "sat_customer": int(sats)}


def counts(con) -> dict[str, int]:
    return {t: scalar(con, f"SELECT count(*) FROM {t}") for t in VAULT_TABLES}


def dimension(con) -> pd.DataFrame:
    """The type-2 customer dimension, rebuilt from hub and satellite (an information mart).

    Columns: customer_id, the tracked attributes, valid_from, valid_to, is_current; sorted.
    """
    return con.sql(f"""
        SELECT h.customer_id, {', '.join('s.' + c for c in TRACKED)},
               s.effective_ts AS valid_from,
               lead(s.effective_ts) OVER w AS valid_to,
               lead(s.effective_ts) OVER w IS NULL AS is_current
        FROM sat_customer s JOIN hub_customer h USING (customer_hk)
        WINDOW w AS (PARTITION BY s.customer_hk ORDER BY s.effective_ts)
        ORDER BY h.customer_id, valid_from
    """).df()
