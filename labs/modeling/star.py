"""A star schema over the e-commerce data in DuckDB, and a wide table beside it.

The shop's own database is *normalised*: ``src_orders``, ``src_order_items``,
``src_customers``, ``src_products`` and ``src_payments`` hold every fact once, which is
what taking orders needs. Analysts ask other questions ("revenue by segment and
month"), so the warehouse reshapes the same data:

- ``fact_sales``: one row per order line (the *grain*), with the measures (quantity,
  unit_price, amount) and integer keys to the dimensions. ``order_id``, ``line_no``,
  ``channel`` and ``status`` stay in the fact as *degenerate dimensions*: attributes of
  the order with no table of their own.
- ``dim_customer`` (with type-2 history columns: valid_from, valid_to, is_current),
  ``dim_product`` and ``dim_date``: small tables of descriptive attributes. Surrogate
  keys count from 100001, so they never look like the source ids; ``dim_customer`` also
  holds the *unknown member* (key -1) that a fact points at when its customer has no
  version yet, instead of being dropped.
- ``sales_wide``: the fact with every attribute copied in, so queries need no join.

    >>> from labs.engines import duckdb
    >>> from labs.data import ecommerce
    >>> con = duckdb()
    >>> load_sources(con, ecommerce.tables(scale=0.02, seed=1))
    >>> counts = build_star(con)
    >>> counts["fact_sales"] == len(con.sql("select * from src_order_items"))
    True
    >>> same_answer(con)
    True
    >>> fact_check(con)["dropped"], fact_check(con)["on_unknown"]
    (0, 0)
"""
from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from labs._check import whole
from labs.modeling._db import scalar

SOURCES = ("customers", "products", "orders", "order_items", "payments")
STAR_TABLES = ("dim_date", "dim_customer", "dim_product", "fact_sales")
# Copies of the year get order ids this far apart, so they never collide.
ORDER_ID_STRIDE = 100_000_000
# The warehouse's own keys start here (see labs.modeling.scd.SK_START) ...
SK_START = 100_001
# ... and this one stands for "no such customer yet": facts are kept, and re-pointed later.
UNKNOWN_SK = -1

# One business question, asked three ways. The answers agree (see same_answer) as long as
# no customer has changed: the sources only know today's segment, the star the segment
# each customer had when ordering.
QUESTION = "Revenue of non-cancelled orders by customer segment, product category and month"

NORMALISED_SQL = """
SELECT c.segment, p.category, CAST(date_trunc('month', o.order_date) AS DATE) AS month,
       round(sum(i.quantity * i.unit_price), 2) AS revenue
FROM src_order_items i
JOIN src_orders o    ON o.order_id = i.order_id
JOIN src_customers c ON c.customer_id = o.customer_id
JOIN src_products p  ON p.product_id = i.product_id
WHERE o.status <> 'cancelled'
GROUP BY ALL
"""

STAR_SQL = """
SELECT c.segment, p.category, d.month, round(sum(f.amount), 2) AS revenue
FROM fact_sales f
JOIN dim_customer c ON c.customer_sk = f.customer_sk
JOIN dim_product p  ON p.product_sk = f.product_sk
JOIN dim_date d     ON d.date_key = f.date_key
WHERE f.status <> 'cancelled'
GROUP BY ALL
"""

WIDE_SQL = """
SELECT segment, category, month, round(sum(amount), 2) AS revenue
FROM sales_wide
WHERE status <> 'cancelled'
GROUP BY ALL
"""

QUERIES = {"normalised": NORMALISED_SQL, "star": STAR_SQL, "wide": WIDE_SQL}


def load_sources(con, source: dict, copies: int = 1) -> None:
    """Create ``src_<table>`` in DuckDB for each table in ``SOURCES``.

    ``source`` maps a table name to a Parquet path (as ``labs.data.ensure`` returns) or
    a pandas frame (as ``labs.data.ecommerce.tables`` returns). ``copies > 1`` replays
    the same year that many times with fresh order ids: more order rows with the same
    shape and the same customers and products, for timings that measure the work rather
    than the overhead.
    """
    copies = whole(copies, "copies", at_least=1)
    missing = [name for name in SOURCES if name not in source]
    if missing:
        raise ValueError(f"source is missing table(s) {', '.join(missing)}; it needs {', '.join(SOURCES)}.")
    for name in SOURCES:
        relation = _relation(con, name, source[name])
        if name in ("orders", "order_items", "payments") and copies > 1:
            shifted = f"order_id + k * {ORDER_ID_STRIDE} AS order_id"
            if name == "payments":
                shifted += f", payment_id + k * {ORDER_ID_STRIDE} AS payment_id"
            excluded = "order_id, payment_id" if name == "payments" else "order_id"
            relation = (f"(SELECT {shifted}, * EXCLUDE ({excluded}) "
                        f"FROM {relation}, range({copies}) AS copy(k))")
        con.execute(f"CREATE OR REPLACE TABLE src_{name} AS SELECT * FROM {relation}")
        if isinstance(source[name], pd.DataFrame):
            con.unregister("__source")


def _relation(con, name: str, value) -> str:
    if isinstance(value, pd.DataFrame):
        con.register("__source", value)
        return "__source"
    if isinstance(value, (str, Path)):
        return f"read_parquet('{Path(value).as_posix()}')"
    raise ValueError(f"source[{name!r}] must be a Parquet path or a pandas DataFrame, not {type(value).__name__}.")


def build_dimensions(con) -> None:
    """Create ``dim_date``, ``dim_product`` and ``dim_customer`` (one version per customer).

    ``dim_customer`` starts with each customer's sign-up values, valid from the sign-up
    date and open-ended (``valid_to`` NULL, ``is_current`` true); ``labs.modeling.scd``
    adds versions when customers change.
    """
    # A date dimension is generated, not extracted: every day of the range, with the
    # calendar attributes reports group by (nobody should compute fiscal quarters twice).
    con.execute("""
        CREATE OR REPLACE TABLE dim_date AS
        WITH bounds AS (SELECT min(order_date) AS lo, max(order_date) AS hi FROM src_orders)
        SELECT CAST(strftime(d, '%Y%m%d') AS INTEGER) AS date_key,
               CAST(d AS DATE)                        AS date,
               CAST(date_trunc('month', d) AS DATE)   AS month,
               quarter(d)                             AS quarter,
               year(d)                                AS year,
               dayname(d)                             AS day_name,
               isodow(d) >= 6                         AS is_weekend
        FROM bounds, range(CAST(lo AS TIMESTAMP), CAST(hi AS TIMESTAMP) + INTERVAL 1 DAY, INTERVAL 1 DAY) AS t(d)
    """)
    # Surrogate keys: integers owned by the warehouse, independent of source ids (two
    # sources may reuse an id; a type-2 dimension needs one key per version).
    con.execute(f"""
        CREATE OR REPLACE TABLE dim_product AS
        SELECT CAST({SK_START - 1} + row_number() OVER (ORDER BY product_id) AS INTEGER) AS product_sk,
               product_id, sku, name AS product_name, category, brand, price AS list_price
        FROM src_products
    """)
    con.execute(f"""
        CREATE OR REPLACE TABLE dim_customer AS
        SELECT CAST({SK_START - 1} + row_number() OVER (ORDER BY customer_id) AS BIGINT) AS customer_sk,
               customer_id, address, city, segment, email,
               CAST(signup_date AS TIMESTAMPTZ) AS valid_from,
               CAST(NULL AS TIMESTAMPTZ)        AS valid_to,
               TRUE                             AS is_current
        FROM src_customers
    """)
    # The unknown member: one row every fact can point at when its customer is missing.
    con.execute(f"""
        INSERT INTO dim_customer VALUES ({UNKNOWN_SK}, {UNKNOWN_SK}, 'unknown', 'unknown', 'unknown', 'unknown',
                                         TIMESTAMPTZ '1900-01-01 00:00:00+00', NULL, TRUE)
    """)


# The version of the customer valid when the order was placed (half-open intervals).
_VALID_AT_ORDER = """c.customer_id = o.customer_id AND o.order_ts >= c.valid_from
                           AND (c.valid_to IS NULL OR o.order_ts < c.valid_to)"""


def build_fact(con) -> int:
    """(Re)create ``fact_sales`` at order-line grain; return its row count.

    Each line points at the customer version that was valid when the order was placed
    (``valid_from <= order_ts < valid_to``), so history in ``dim_customer`` is honoured.
    A line whose customer has no such version (the order arrived before the customer's
    row: an *early-arriving fact*) points at the unknown member instead of being dropped
    by the join; ``fact_check`` counts both.
    """
    con.execute(f"""
        CREATE OR REPLACE TABLE fact_sales AS
        SELECT i.order_id, i.line_no,
               CAST(strftime(o.order_date, '%Y%m%d') AS INTEGER) AS date_key,
               coalesce(c.customer_sk, {UNKNOWN_SK}) AS customer_sk, p.product_sk,
               o.channel, o.status,
               i.quantity, i.unit_price,
               i.quantity * i.unit_price AS amount
        FROM src_order_items i
        JOIN src_orders o   ON o.order_id = i.order_id
        JOIN dim_product p  ON p.product_id = i.product_id
        LEFT JOIN dim_customer c ON {_VALID_AT_ORDER}
        ORDER BY i.order_id, i.line_no
    """)
    return scalar(con, "SELECT count(*) FROM fact_sales")


def fact_check(con) -> dict[str, int]:
    """The fact-count check to run after every load: nothing dropped, nothing doubled.

    ``source_lines`` and ``fact_rows`` must be equal (``dropped`` is the difference);
    ``on_unknown`` lines wait for their customer on the unknown member.
    """
    source = scalar(con, "SELECT count(*) FROM src_order_items")
    rows = scalar(con, "SELECT count(*) FROM fact_sales")
    unknown = scalar(con, f"SELECT count(*) FROM fact_sales WHERE customer_sk = {UNKNOWN_SK}")
    return {"source_lines": source, "fact_rows": rows, "dropped": source - rows, "on_unknown": unknown}


def repoint_facts(con) -> int:
    """Point every fact line at the customer version valid at its order time; return how many moved.

    After a late change splits a version, or a late customer row replaces the unknown
    member, only the affected lines change: an UPDATE, not a rebuild of the fact.
    """
    return con.execute(f"""
        UPDATE fact_sales AS f SET customer_sk = c.customer_sk
        FROM src_orders o, dim_customer c
        WHERE o.order_id = f.order_id AND {_VALID_AT_ORDER}
          AND f.customer_sk IS DISTINCT FROM c.customer_sk
    """).fetchall()[0][0]


def build_wide(con) -> int:
    """(Re)create ``sales_wide``: the fact with its dimensions' attributes copied in."""
    con.execute("""
        CREATE OR REPLACE TABLE sales_wide AS
        SELECT f.order_id, f.line_no, d.date AS order_date, d.month, d.quarter,
               c.customer_id, c.segment, c.city, c.email,
               p.product_id, p.product_name, p.category, p.brand,
               f.channel, f.status, f.quantity, f.unit_price, f.amount
        FROM fact_sales f
        JOIN dim_customer c ON c.customer_sk = f.customer_sk
        JOIN dim_product p  ON p.product_sk = f.product_sk
        JOIN dim_date d     ON d.date_key = f.date_key
        ORDER BY f.order_id, f.line_no
    """)
    return scalar(con, "SELECT count(*) FROM sales_wide")


def build_star(con, wide: bool = True) -> dict[str, int]:
    """Dimensions, fact and (with ``wide``) the wide table; return {table: rows}."""
    build_dimensions(con)
    build_fact(con)
    tables = list(STAR_TABLES)
    if wide:
        build_wide(con)
        tables.append("sales_wide")
    return {t: scalar(con, f"SELECT count(*) FROM {t}") for t in tables}


def answer(con, shape: str) -> pd.DataFrame:
    """The answer to ``QUESTION`` from one shape ("normalised", "star" or "wide"), sorted."""
    if shape not in QUERIES:
        raise ValueError(f"shape must be one of {', '.join(QUERIES)}, not {shape!r}.")
    frame = con.sql(QUERIES[shape]).df()
    return frame.sort_values(["segment", "category", "month"], ignore_index=True)


def same_answer(con) -> bool:
    """True when the three shapes give the same rows (they do until a customer changes)."""
    first, *others = (answer(con, shape) for shape in QUERIES)
    return all(first.equals(other) for other in others)


def parquet_bytes(con, table: str, order_by: str) -> int:
    """Bytes of ``table`` written as one zstd Parquet file, rows in ``order_by`` order.

    Written to memory: the size is the point, not the file. The same rows give the same
    bytes, so the number is stable from run to run.
    """
    import pyarrow.parquet as pq

    # one chunk per column, so DuckDB's batching cannot change the bytes
    arrow = con.sql(f"SELECT * FROM {table} ORDER BY {order_by}").to_arrow_table().combine_chunks()
    buffer = io.BytesIO()
    pq.write_table(arrow, buffer, compression="zstd")
    return buffer.getbuffer().nbytes


# The natural sort order of each table: its key.
TABLE_KEYS = {"dim_date": "date_key", "dim_customer": "customer_sk", "dim_product": "product_sk",
              "fact_sales": "order_id, line_no", "sales_wide": "order_id, line_no"}


def storage(con) -> pd.DataFrame:
    """Rows, columns and Parquet kilobytes of each star table and of the wide table."""
    rows = []
    for table, key in TABLE_KEYS.items():
        n_rows = scalar(con, f"SELECT count(*) FROM {table}")
        n_cols = len(con.sql(f"SELECT * FROM {table} LIMIT 0").columns)
        rows.append({"table": table, "rows": n_rows, "columns": n_cols,
                     "parquet_kb": round(parquet_bytes(con, table, key) / 1024)})
    return pd.DataFrame(rows)


def export_parquet(con, folder, tables=STAR_TABLES) -> dict[str, Path]:
    """Write ``tables`` as Parquet files into ``folder`` (for another engine to read); {table: path}."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for table in tables:
        paths[table] = folder / f"{table}.parquet"
        con.execute(f"COPY (SELECT * FROM {table} ORDER BY {TABLE_KEYS[table]}) "
                    f"TO '{paths[table].as_posix()}' (FORMAT parquet, COMPRESSION zstd)")
    return paths
