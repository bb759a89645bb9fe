"""Shards you can open: one DuckDB file per shard, a router, and scatter-gather.

``build`` generates card transactions (``labs.data.transactions``) and writes each
row to the shard that owns its key, ``token(key) % n_shards``. The store then
answers two kinds of query:

- *routed*: everything about one key lives on one shard, so ``on_shard(shard_of(key), ...)``
  touches one file;
- *scatter-gather*: a question about all keys runs on every shard (``scatter``),
  and the partial answers are merged (gathered) by the caller.

    >>> import tempfile
    >>> store = build(tempfile.mkdtemp(), n_shards=3, n_rows=3_000, seed=1)
    >>> int(store.sizes().sum())
    3000
    >>> shard = store.shard_of(17)
    >>> int(store.on_shard(shard, "SELECT count(*) AS n FROM txns WHERE customer_id = ?", [17]).n[0]) > 0
    True
    >>> [int(store.on_shard(s, "SELECT count(*) AS n FROM txns WHERE customer_id = 17").n[0]) for s in range(3) if s != shard]
    [0, 0]
    >>> partials = store.scatter("SELECT count(*) AS n FROM txns")
    >>> sum(int(p.n[0]) for p in partials)
    3000

``source_sql()`` is the same rows as one table: the single-database answer that a
scatter-gather query must reproduce.
"""
from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from labs import engines
from labs._check import whole
from labs.data import transactions
from labs.partitioning.hashing import check_count, token

TABLE = "txns"
SHARD_KEYS = ("customer_id", "merchant_id", "txn_id")
MANIFEST = "shards.json"
# The store the notebook builds; the grader recomputes its answers from the same numbers.
DEFAULT_SHARDS = 4
DEFAULT_ROWS = 200_000
DEFAULT_SEED = 42
DEFAULT_SKEW = 1.1


@dataclass(frozen=True)
class ShardedStore:
    """``n_shards`` DuckDB files under ``folder``, each with a table ``txns``, split by ``key``."""
    folder: Path
    n_shards: int
    key: str
    n_rows: int
    seed: int
    skew: float | None

    def path(self, shard: int) -> Path:
        return self.folder / f"shard-{self._check_shard(shard)}.duckdb"

    def shard_of(self, value) -> int:
        """The shard that owns key ``value``: ``token(value) % n_shards`` (hash mod N)."""
        return token(value) % self.n_shards

    def on_shard(self, shard: int, sql: str, params=None) -> pd.DataFrame:
        """Run ``sql`` on one shard (read-only) and return the result."""
        con = engines.duckdb(self.path(shard), read_only=True)
        try:
            return con.execute(sql, params or []).df()
        finally:
            con.close()

    def scatter(self, sql: str, parallel: bool = True) -> list[pd.DataFrame]:
        """Run ``sql`` on every shard; one result per shard, in shard order.

        The shards are separate databases, so they work at the same time (one
        thread each); the answer is only as fast as the slowest shard.
        """
        shards = range(self.n_shards)
        if not parallel:
            return [self.on_shard(s, sql) for s in shards]
        with ThreadPoolExecutor(max_workers=self.n_shards) as pool:
            return list(pool.map(lambda s: self.on_shard(s, sql), shards))

    def sizes(self) -> pd.Series:
        """Rows per shard."""
        counts = [int(frame.iloc[0, 0]) for frame in self.scatter(f"SELECT count(*) FROM {TABLE}")]
        return pd.Series(counts, index=pd.RangeIndex(self.n_shards, name="shard"), name="rows")

    def source_sql(self) -> str:
        """A DuckDB SELECT of all the rows, as one table: what a single database would hold."""
        return transactions.sql(self.n_rows, self.seed, self.skew)

    def _check_shard(self, shard) -> int:
        return whole(shard, "shard", at_least=0, at_most=self.n_shards - 1)


def build(folder, n_shards: int = DEFAULT_SHARDS, n_rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED,
          skew: float | None = DEFAULT_SKEW, key: str = "customer_id", progress: bool = False) -> ShardedStore:
    """Generate ``n_rows`` transactions and write them into ``n_shards`` DuckDB files by ``key``.

    Old shard files in ``folder`` are replaced. Rows keep ``txn_id`` order inside a shard.
    ``progress=True`` shows a progress bar (one step per shard).
    """
    n_shards = check_count(n_shards, "n_shards")
    if key not in SHARD_KEYS:
        raise ValueError(f"key must be one of {', '.join(SHARD_KEYS)}, not {key!r}.")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    store = ShardedStore(folder, n_shards, key, n_rows, seed, skew)
    for old in folder.glob("shard-*.duckdb*"):  # a store with more shards may have been here
        old.unlink()
    (folder / MANIFEST).unlink(missing_ok=True)

    con = engines.duckdb()
    try:
        con.execute(f"CREATE TEMP TABLE all_rows AS {transactions.sql(n_rows, seed, skew)}")
        # The router runs in Python (the same token() a service would call), once per key value.
        values = con.execute(f"SELECT DISTINCT {key} FROM all_rows").df()[key].tolist()
        routing = pd.DataFrame({key: values, "shard": [store.shard_of(int(v)) for v in values]})
        con.register("routing_frame", routing)
        con.execute("CREATE TEMP TABLE routing AS SELECT * FROM routing_frame")
        con.unregister("routing_frame")
        for shard in tqdm(range(n_shards), desc="writing shards", unit="shard", disable=not progress,
                          file=sys.stderr, leave=False):
            path = str(store.path(shard)).replace("'", "''")
            con.execute(f"ATTACH '{path}' AS shard_db")
            con.execute(f"CREATE TABLE shard_db.{TABLE} AS SELECT a.* FROM all_rows a "
                        f"JOIN routing r USING ({key}) WHERE r.shard = {shard} ORDER BY a.txn_id")
            con.execute("DETACH shard_db")
    finally:
        con.close()
    manifest = {"n_shards": n_shards, "key": key, "n_rows": n_rows, "seed": seed, "skew": skew}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return store


def open_store(folder) -> ShardedStore:
    """The store ``build`` wrote in ``folder``."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        raise ValueError(f"folder must hold a store written by build(); {folder.name!r} has no "
                         f"readable {MANIFEST}.") from None
    return ShardedStore(folder, **manifest)
