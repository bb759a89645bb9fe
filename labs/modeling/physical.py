"""Physical design: what "indexing" means in a warehouse, and what it means in a row store.

A columnar warehouse rarely has B-tree indexes. It skips data with *zone maps*: the
minimum and maximum of every column in every block of rows (a Parquet row group, a
Snowflake micro-partition, a DuckDB row group). A filter reads only the blocks whose
[min, max] range can hold a match, so skipping works as well as the rows are *sorted*
(clustered) by the filtered column. Partitioning is the same idea one level up: one
folder per value, pruned by path before any file is opened.

    >>> import pandas as pd
    >>> from labs.engines import duckdb
    >>> con = duckdb()
    >>> _ = con.execute("create table t as select range as id, range % 10 as k from range(10000)")
    >>> row_groups_read(con, "t", order_by="id", where=("id", 0, 999), row_group_size=1000)
    ZoneMapScan(read=1, total=10)
    >>> row_groups_read(con, "t", order_by="k, id", where=("id", 0, 999), row_group_size=1000)
    ZoneMapScan(read=10, total=10)

A row store (SQLite, PostgreSQL) finds rows with B-tree indexes instead; its plan says
SCAN (read everything) or SEARCH ... USING INDEX:

    >>> from labs.engines import sqlite
    >>> db = sqlite()
    >>> _ = db.execute("create table o (id integer, customer_id integer)")
    >>> query_plan(db, "select id from o where customer_id = 7")
    ['SCAN o']
    >>> _ = db.execute("create index o_customer on o (customer_id)")
    >>> query_plan(db, "select id from o where customer_id = 7")
    ['SEARCH o USING INDEX o_customer (customer_id=?)']
"""
from __future__ import annotations

import io
from typing import NamedTuple

import pandas as pd

from labs._check import whole


class ZoneMapScan(NamedTuple):
    read: int   # row groups whose [min, max] may hold a match
    total: int  # row groups in the file


def row_groups_read(con, table: str, order_by: str, where: tuple, row_group_size: int = 4096) -> ZoneMapScan:
    """How many Parquet row groups a reader must open for ``low <= column <= high``.

    ``table`` is written (in memory) sorted by ``order_by`` in row groups of
    ``row_group_size`` rows; the answer comes from the min/max statistics in the file's
    footer, exactly what a Parquet reader consults before reading a row group. Only the
    filtered column is written: the statistics of a column do not depend on the others.
    """
    import pyarrow.parquet as pq

    column, low, high = _check_where(where)
    row_group_size = whole(row_group_size, "row_group_size", at_least=1)
    arrow = con.sql(f"SELECT {column} FROM {table} ORDER BY {order_by}").to_arrow_table().combine_chunks()
    buffer = io.BytesIO()
    pq.write_table(arrow, buffer, row_group_size=row_group_size, compression="zstd")
    meta = pq.ParquetFile(io.BytesIO(buffer.getvalue())).metadata
    read = 0
    for i in range(meta.num_row_groups):
        stats = meta.row_group(i).column(0).statistics
        # No statistics means no proof the group can be skipped: it must be read.
        if stats is None or not stats.has_min_max or (stats.min <= high and stats.max >= low):
            read += 1
    return ZoneMapScan(read, meta.num_row_groups)


def _check_where(where) -> tuple:
    if not (isinstance(where, tuple) and len(where) == 3 and isinstance(where[0], str)):
        raise ValueError(f"where must be a tuple (column, low, high), not {where!r}.")
    return where


def zone_map_grid(con, table: str, orders: dict[str, str], filters: dict[str, tuple],
                  row_group_size: int = 4096) -> pd.DataFrame:
    """Row groups read, as "read of total", for every sort order (rows) and filter (columns)."""
    grid = {}
    for filter_name, where in filters.items():
        grid[filter_name] = {
            order_name: "{} of {}".format(*row_groups_read(con, table, order_by, where, row_group_size))
            for order_name, order_by in orders.items()}
    frame = pd.DataFrame(grid)
    frame.index.name = "rows sorted by"
    return frame


def query_plan(db, sql: str) -> list[str]:
    """SQLite's plan for ``sql``, one line per step (``EXPLAIN QUERY PLAN``'s detail column)."""
    return [row[-1] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()]


# -- how a distributed engine joins a star -------------------------------------------------
def explain_text(frame) -> str:
    """The physical plan Spark prints for a DataFrame, as text (classic Spark and Spark Connect)."""
    import contextlib

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        frame.explain()
    return buffer.getvalue()


def join_summary(plan: str) -> dict[str, int]:
    """Count what moves data in a Spark physical plan.

    - broadcast joins: the small side is copied to every executor; the big side stays put;
    - shuffle joins: both sides are repartitioned by the join key across the network;
    - shuffles: every ``Exchange hashpartitioning`` (joins and aggregations).

        >>> join_summary("BroadcastHashJoin ... Exchange hashpartitioning(k, 2) ... SortMergeJoin")
        {'broadcast joins': 1, 'shuffle joins': 1, 'shuffles': 1}
    """
    return {
        "broadcast joins": plan.count("BroadcastHashJoin") + plan.count("BroadcastNestedLoopJoin"),
        "shuffle joins": plan.count("SortMergeJoin") + plan.count("ShuffledHashJoin"),
        "shuffles": plan.count("Exchange hashpartitioning"),
    }
