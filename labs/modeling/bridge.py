"""A many-to-many dimension through a bridge table with a weighting factor.

A product carries several tags (gift, eco, ...), so "revenue by tag" joins each order
line to every tag of its product: a line with three tags is counted three times, and the
tag totals add up to far more than the shop sold. The bridge table
``bridge_product_tag(product_sk, tag, weight)`` gives each product's tags weights that
sum to 1:

- summed with the weight, the tags share each line's amount (an *allocated* report): the
  tag totals add up to the real revenue;
- summed without it, each tag gets every line that carries it (an *impact* report):
  right for "sales of lines tagged eco", wrong to add up across tags.

    >>> from labs.data import ecommerce
    >>> from labs.engines import duckdb
    >>> from labs.modeling import star
    >>> con = duckdb()
    >>> star.load_sources(con, ecommerce.tables(scale=0.02, seed=1))
    >>> _ = star.build_star(con, wide=False)
    >>> build_bridge(con, product_tags(con.sql("select * from src_products").df())) > 0
    True
    >>> t = totals(con)
    >>> t["allocated"] == t["revenue"] < t["impact"]
    True
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from labs._check import whole
from labs.modeling._db import scalar

TAGS = ("gift", "eco", "bestseller", "new", "bundle")


def product_tags(products: pd.DataFrame, max_tags: int = 3, seed: int = 11) -> pd.DataFrame:
    """One to ``max_tags`` distinct tags per product, seeded: columns product_id, tag."""
    max_tags = whole(max_tags, "max_tags", at_least=1, at_most=len(TAGS))
    if "product_id" not in products.columns:
        raise ValueError("products needs a product_id column.")
    rng = np.random.Generator(np.random.PCG64([seed, 2024]))
    rows = []
    for product_id in sorted(products["product_id"]):
        k = int(rng.integers(1, max_tags + 1))
        rows += [(int(product_id), tag) for tag in sorted(rng.choice(TAGS, size=k, replace=False))]
    return pd.DataFrame(rows, columns=["product_id", "tag"])


def build_bridge(con, tags: pd.DataFrame) -> int:
    """Create ``bridge_product_tag`` over ``dim_product``: weight 1/n for a product with n tags; return rows."""
    con.register("__tags", tags)
    try:
        con.execute("""
            CREATE OR REPLACE TABLE bridge_product_tag AS
            SELECT p.product_sk, t.tag, 1.0 / count(*) OVER (PARTITION BY p.product_sk) AS weight
            FROM __tags t JOIN dim_product p USING (product_id)
            ORDER BY p.product_sk, t.tag
        """)
    finally:
        con.unregister("__tags")
    return scalar(con, "SELECT count(*) FROM bridge_product_tag")


_SALES = "FROM fact_sales f JOIN bridge_product_tag b USING (product_sk) WHERE f.status <> 'cancelled'"


def revenue_by_tag(con) -> pd.DataFrame:
    """Per tag: order lines that carry it, impact revenue (unweighted) and allocated revenue (weighted)."""
    return con.sql(f"""
        SELECT b.tag, count(*) AS lines, round(sum(f.amount), 2) AS impact,
               round(sum(f.amount * b.weight), 2) AS allocated
        {_SALES} GROUP BY b.tag ORDER BY b.tag
    """).df()


def totals(con) -> dict[str, float]:
    """The revenue of non-cancelled lines, and what the tag reports add up to with and without weights."""
    revenue = scalar(con, "SELECT round(sum(amount), 2) FROM fact_sales WHERE status <> 'cancelled'")
    impact, allocated = con.execute(
        f"SELECT round(sum(f.amount), 2), round(sum(f.amount * b.weight), 2) {_SALES}").fetchall()[0]
    return {"revenue": float(revenue), "impact": float(impact), "allocated": float(allocated)}
