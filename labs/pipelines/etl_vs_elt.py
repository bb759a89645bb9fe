"""ETL and ELT on the same data, side by side.

The question both answer: revenue per day and product category, from completed orders.

- **ETL** transforms *before* loading: a Spark job joins and aggregates the source
  files, and only the finished table is loaded into the warehouse (DuckDB here).
- **ELT** loads the source *as it is* into the warehouse (``raw_*`` tables), then
  transforms there, in SQL (``ELT_MODEL_SQL``), the way dbt models do.

Both give the same rows (compare their ``content_hash``). What differs is what the
warehouse holds afterwards, and so what the next question costs: after ELT the raw
tables are there to answer a new question with one more query; after ETL the new
question needs the job changed and the source read again.

    >>> from labs.data import ensure
    >>> from labs.engines import duckdb
    >>> con = duckdb()
    >>> load_raw(con, ensure("ecommerce", progress=False))
    >>> _ = con.execute(ELT_MODEL_SQL)
    >>> inventory(con)[["table", "rows"]].values.tolist()
    [['daily_category_revenue', 2924], ['raw_order_items', 51551], ['raw_orders', 20000], ['raw_products', 500]]
"""
from __future__ import annotations

import pandas as pd

RAW_TABLES = ("orders", "order_items", "products")
MART = "daily_category_revenue"
MART_COLUMNS = ("order_date", "category", "n_orders", "units", "revenue")

# The ELT transform: a model that lives in the warehouse and reads the raw tables.
ELT_MODEL_SQL = f"""
CREATE OR REPLACE TABLE {MART} AS
SELECT o.order_date,
       p.category,
       count(DISTINCT o.order_id)                 AS n_orders,
       sum(i.quantity)                            AS units,
       round(sum(i.quantity * i.unit_price), 2)   AS revenue
FROM raw_orders o
JOIN raw_order_items i ON i.order_id = o.order_id
JOIN raw_products p    ON p.product_id = i.product_id
WHERE o.status = 'completed'
GROUP BY o.order_date, p.category
"""


def load_raw(con, paths: dict) -> None:
    """ELT's E and L: copy each source table into the warehouse unchanged, as ``raw_<name>``."""
    missing = [t for t in RAW_TABLES if t not in paths]
    if missing:
        raise ValueError(f"paths lacks the source table(s) {', '.join(missing)}; pass labs.data.ensure('ecommerce').")
    for table in RAW_TABLES:
        con.execute(f"CREATE OR REPLACE TABLE raw_{table} AS SELECT * FROM read_parquet('{paths[table]}')")


def run_elt(con, paths: dict) -> None:
    """Load raw, then transform inside the warehouse."""
    load_raw(con, paths)
    con.execute(ELT_MODEL_SQL)


def transform_with_spark(spark, paths: dict):
    """ETL's T: the same logic as ``ELT_MODEL_SQL``, as a Spark DataFrame job (lazy)."""
    from pyspark.sql import functions as F

    orders = spark.read.parquet(str(paths["orders"])).filter(F.col("status") == "completed")
    items = spark.read.parquet(str(paths["order_items"]))
    products = spark.read.parquet(str(paths["products"]))
    return (orders.join(items, "order_id").join(products, "product_id")
            .groupBy("order_date", "category")
            .agg(F.countDistinct("order_id").alias("n_orders"),
                 F.sum("quantity").alias("units"),
                 F.round(F.sum(F.col("quantity") * F.col("unit_price")), 2).alias("revenue")))


def run_etl(spark, con, paths: dict) -> None:
    """Transform with Spark, then load only the result into the warehouse."""
    result = transform_with_spark(spark, paths).toPandas()  # one Spark job; the result is small
    load_frame(con, MART, result)


def load_frame(con, table: str, frame: pd.DataFrame) -> None:
    """Load a pandas frame into ``table`` (replacing it)."""
    con.register("__frame", frame)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM __frame")
    finally:
        con.unregister("__frame")


def inventory(con) -> pd.DataFrame:
    """Every table of the warehouse with its row count and column count, by name."""
    tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY table_name").fetchall()]
    rows = [(t, con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0],
             len(con.execute(f"DESCRIBE {t}").fetchall())) for t in tables]
    return pd.DataFrame(rows, columns=["table", "rows", "columns"])


def mart(con) -> pd.DataFrame:
    """The mart table, sorted, for comparing and plotting."""
    return con.sql(f"SELECT {', '.join(MART_COLUMNS)} FROM {MART} ORDER BY order_date, category").df()
