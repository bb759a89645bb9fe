"""Hot keys: how a skewed key turns into one overloaded shard or task, and how salting helps.

Card transactions come from ``labs.data.transactions`` with Zipf-skewed merchants:
with ``skew=1.1`` merchant 1 alone takes about 16% of all rows. Counting rows per
key is cheap in DuckDB; where the keys then land is a question for any placement
(``labs.partitioning.hashing``):

    >>> from labs.engines import duckdb
    >>> from labs.partitioning.hashing import ModN
    >>> counts = key_counts(duckdb(), 20_000, skew=1.1)
    >>> 0.15 < top_share(counts, 1) < 0.18       # merchant 1 alone
    True
    >>> per_shard = shard_loads(counts, ModN(["s0", "s1", "s2", "s3"]))
    >>> int(per_shard.sum())
    20000

On Spark, ``partition_sizes`` shows how many rows each task of a shuffle gets, and
``with_salt`` adds the column that splits a hot key over several tasks.
"""
from __future__ import annotations

import pandas as pd

from labs._check import is_number
from labs.data import transactions
from labs.partitioning.hashing import Placement, check_count

KEYS = ("merchant_id", "customer_id", "currency", "status", "txn_date")


def _check_key(key: str) -> str:
    if key not in KEYS:
        raise ValueError(f"key must be one of {', '.join(KEYS)}, not {key!r}.")
    return key


def key_counts(con, n_rows: int, skew: float | None = 1.1, *, key: str = "merchant_id",
               seed: int = 42, n_merchants: int = transactions.DEFAULT_MERCHANTS) -> pd.Series:
    """Rows per value of ``key`` in ``n_rows`` generated transactions, largest first.

    Computed inside DuckDB (``con``), so a few million rows take well under a second.
    ``skew=None`` gives uniform merchants.
    """
    _check_key(key)
    query = transactions.sql(n_rows, seed, skew, n_merchants=n_merchants)
    frame = con.execute(f"SELECT {key}, count(*) AS n FROM ({query}) GROUP BY {key} "
                        f"ORDER BY n DESC, {key}").df()
    return frame.set_index(key)["n"].rename("rows")


def top_share(counts: pd.Series, k: int = 1) -> float:
    """The share of all rows held by the ``k`` biggest keys.

        >>> top_share(pd.Series([50, 30, 20]), 1)
        0.5
    """
    k = check_count(k, "k")
    total = counts.sum()
    if total <= 0:
        raise ValueError("counts must hold at least one row.")
    return float(counts.sort_values(ascending=False).head(k).sum() / total)


def shard_loads(counts: pd.Series, placement: Placement) -> pd.Series:
    """Rows per shard when every key (the index of ``counts``) lives where ``placement`` says.

    A shard's load is the sum of its keys' rows: one key with 16% of the rows puts at
    least 16% on its shard, however many shards there are.
    """
    per_key = pd.Series([placement.node_for(_plain(k)) for k in counts.index], index=counts.index)
    totals = counts.groupby(per_key.to_numpy()).sum()
    order = list(getattr(placement, "nodes", None) or sorted(totals.index))
    totals = totals.reindex(order, fill_value=0).astype("int64")
    totals.index.name, totals.name = "shard", "rows"
    return totals


def hot_keys(counts: pd.Series, n_shards: int, fraction: float = 0.5) -> list:
    """Keys that alone hold more than ``fraction`` of one shard's fair share (1 / n_shards).

    Those are the keys worth salting: the rest spread well enough by hashing.

        >>> hot_keys(pd.Series([600, 100, 100, 100, 100], index=list("abcde")), 4)
        ['a']
    """
    n_shards = check_count(n_shards, "n_shards")
    if not is_number(fraction) or not 0 < fraction <= 1:
        raise ValueError(f"fraction must be a number in (0, 1], not {fraction!r}.")
    limit = counts.sum() / n_shards * fraction
    return [_plain(k) for k in counts[counts > limit].sort_values(ascending=False).index]


def with_salt(df, key: str, hot: list, n_salts: int, by: str = "txn_id"):
    """A Spark DataFrame with a ``salt`` column: ``by % n_salts`` for hot keys, 0 for the rest.

    Shuffling on ``(key, salt)`` instead of ``key`` splits each hot key over
    ``n_salts`` tasks; cold keys keep salt 0 and stay whole.
    """
    from pyspark.sql import functions as F

    n_salts = check_count(n_salts, "n_salts")
    if not hot:
        raise ValueError("hot must list at least one key to salt.")
    return df.withColumn("salt", F.when(F.col(key).isin(list(hot)), F.col(by) % n_salts).otherwise(F.lit(0)))


def partition_sizes(df, n_partitions: int, *columns: str) -> pd.Series:
    """Rows per partition after ``df.repartition(n_partitions, *columns)``: what each task
    of a shuffle on those columns would receive. Empty partitions show as 0.

    Uses ``spark_partition_id()`` (DataFrame API only, so it runs on Spark Connect too).
    """
    from pyspark.sql import functions as F

    n_partitions = check_count(n_partitions, "n_partitions")
    if not columns:
        raise ValueError("columns must name at least one column to partition by.")
    sizes = (df.repartition(n_partitions, *columns)
             .select(F.spark_partition_id().alias("partition"))
             .groupBy("partition").count()
             .toPandas())
    series = sizes.set_index("partition")["count"].reindex(range(n_partitions), fill_value=0)
    series.index.name, series.name = "partition", "rows"
    return series.astype("int64")


def _plain(value):
    """numpy integers as Python ints, so they hash like the keys a service would see."""
    return value.item() if hasattr(value, "item") else value
