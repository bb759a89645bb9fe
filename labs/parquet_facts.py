"""What a Parquet file's footer says about the bytes a query must read.

A columnar engine reads only the columns a query names, and skips row groups whose min/max
statistics rule out its filter: both are visible, without running anything, in the footer.

    >>> import duckdb, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "t.parquet")
    >>> _ = duckdb.execute(f"COPY (SELECT range AS id, range % 7 AS day FROM range(10000) ORDER BY id) "
    ...            f"TO '{path}' (ROW_GROUP_SIZE 2048)")
    >>> sorted(column_bytes(path))
    ['day', 'id']
    >>> row_groups_needed(path, "id", 0, 1000)
    (1, 5)
"""
from __future__ import annotations

from pathlib import Path


def column_bytes(path: str | Path) -> dict[str, int]:
    """Compressed bytes on disk per column, summed over the row groups: what a reader fetches."""
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    sizes: dict[str, int] = {}
    for group in range(meta.num_row_groups):
        for i in range(meta.num_columns):
            column = meta.row_group(group).column(i)
            sizes[column.path_in_schema] = sizes.get(column.path_in_schema, 0) + column.total_compressed_size
    return sizes


def share_read(path: str | Path, columns) -> float:
    """The share of the file's column bytes that a query naming ``columns`` reads."""
    sizes = column_bytes(path)
    return sum(sizes[c] for c in columns) / sum(sizes.values())


def row_groups_needed(path: str | Path, column: str, low, high) -> tuple[int, int]:
    """(row groups whose [min, max] of ``column`` overlaps [low, high], all row groups)."""
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    index = meta.schema.names.index(column)
    low, high = _comparable(low), _comparable(high)
    needed = 0
    for group in range(meta.num_row_groups):
        stats = meta.row_group(group).column(index).statistics
        if stats is None or not stats.has_min_max or (_comparable(stats.min) <= high and _comparable(stats.max) >= low):
            needed += 1  # no statistics: the group must be read
    return needed, meta.num_row_groups


def _comparable(value):
    """Times as naive UTC, whether the footer or the caller gave them a time zone."""
    import datetime as dt

    import pandas as pd

    if isinstance(value, (dt.datetime, pd.Timestamp)):
        stamp = pd.Timestamp(value)
        return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp
    return value
