"""File formats and what they cost: bytes on disk, bytes a query reads, and the small-files problem.

The same orders are written as CSV, JSON lines and Parquet (snappy, zstd at levels 1, 9 and 19),
once in arrival order (sorted by time) and once shuffled. A row-oriented text file must be read
whole for any query; a Parquet reader fetches only the columns a query names, and only the
row groups whose min/max statistics (``labs.parquet_facts``) can hold its filter.

    >>> import tempfile
    >>> from labs.storage import orders
    >>> table = sizes(orders.orders(5000, seed=1), tempfile.mkdtemp(), row_group_size=1000)
    >>> bool(table.loc["parquet zstd-9 sorted", "bytes on disk"] < table.loc["csv", "bytes on disk"])
    True
    >>> bool(table.loc["parquet zstd-9 sorted", "row groups read"] < table.loc["parquet zstd-9 shuffled", "row groups read"])
    True
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from labs import engines, parquet_facts, timing
from labs._check import whole

# The query every format is asked: one day's revenue. Its filter is on order_ts, its sum on amount.
DAY = ("2024-03-14 00:00:00", "2024-03-14 23:59:59")
QUERY_COLUMNS = ("order_ts", "amount")

PARQUET = {  # name: (compression, level)
    "snappy": ("snappy", None), "zstd-1": ("zstd", 1), "zstd-9": ("zstd", 9), "zstd-19": ("zstd", 19),
}  # gzip squeezes about as much as zstd-9 and writes several times slower: left out


def write_parquet(frame: pd.DataFrame, path: str | Path, compression: str = "zstd", level: int | None = None,
                  row_group_size: int = 10_000) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, compression=compression,
                   compression_level=level, row_group_size=whole(row_group_size, "row_group_size", at_least=1))
    return path


def bytes_read(path: str | Path, columns=QUERY_COLUMNS, column: str = "order_ts", low=DAY[0], high=DAY[1]) -> tuple[int, int]:
    """(compressed bytes of ``columns`` in the row groups the filter cannot skip, row groups read)."""
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    low, high = pd.Timestamp(low), pd.Timestamp(high)
    names = [meta.schema.column(i).path for i in range(meta.num_columns)]
    total, groups = 0, 0
    for g in range(meta.num_row_groups):
        stats = meta.row_group(g).column(names.index(column)).statistics
        if stats is not None and stats.has_min_max and (pd.Timestamp(stats.max) < low or pd.Timestamp(stats.min) > high):
            continue
        groups += 1
        total += sum(meta.row_group(g).column(names.index(c)).total_compressed_size for c in columns)
    return total, groups


def day_revenue(con, source: str) -> float:
    """The query itself, run by DuckDB on a file or glob: the answer must not depend on the format."""
    return float(con.sql(f"SELECT round(sum(amount), 2) FROM {source} WHERE order_ts BETWEEN "
                         f"TIMESTAMP '{DAY[0]}' AND TIMESTAMP '{DAY[1]}'").fetchall()[0][0])


def sizes(frame: pd.DataFrame, folder: str | Path, row_group_size: int = 10_000, seed: int = 1) -> pd.DataFrame:
    """One row per format: bytes on disk, bytes the one-day query reads, row groups read, the answer."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    shuffled = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    con = engines.duckdb()
    rows = []
    csv, jsonl = folder / "orders.csv", folder / "orders.jsonl"
    frame.to_csv(csv, index=False)
    frame.assign(order_ts=frame["order_ts"].dt.strftime("%Y-%m-%d %H:%M:%S")).to_json(jsonl, orient="records", lines=True)
    for name, path, reader in (("csv", csv, f"read_csv('{csv}')"), ("json lines", jsonl, f"read_json('{jsonl}')")):
        size = path.stat().st_size
        rows.append((name, size, size, None, day_revenue(con, reader)))  # text: every byte is read, every time
    for order, data in (("sorted", frame), ("shuffled", shuffled)):
        for name, (codec, level) in PARQUET.items():
            if order == "shuffled" and name not in ("snappy", "zstd-9"):
                continue
            path = write_parquet(data, folder / f"orders-{name}-{order}.parquet", codec, level, row_group_size)
            read, groups = bytes_read(path)
            assert groups == parquet_facts.row_groups_needed(path, "order_ts", pd.Timestamp(DAY[0]),
                                                             pd.Timestamp(DAY[1]))[0]
            rows.append((f"parquet {name} {order}", path.stat().st_size, read, groups,
                         day_revenue(con, f"read_parquet('{path}')")))
    table = pd.DataFrame(rows, columns=["format", "bytes on disk", "bytes read by the query", "row groups read",
                                        "day revenue"]).set_index("format")
    table["row groups read"] = table["row groups read"].astype("Int64")
    table["vs csv on disk"] = (table["bytes on disk"] / table.loc["csv", "bytes on disk"]).round(3)
    return table


def small_files(frame: pd.DataFrame, folder: str | Path, counts=(1, 10, 100, 1000), repeat: int = 3) -> pd.DataFrame:
    """The same rows as 1, 10, 100 and 1,000 Parquet files: bytes, and seconds to aggregate them all."""
    folder = Path(folder)
    con = engines.duckdb()
    rows = []
    for count in counts:
        count = whole(count, "count", at_least=1)
        part = folder / f"files-{count}"
        part.mkdir(parents=True, exist_ok=True)
        size = max(1, -(-len(frame) // count))
        for i in range(count):
            write_parquet(frame.iloc[i * size:(i + 1) * size], part / f"part-{i:05d}.parquet", "zstd", 3)
        glob = f"read_parquet('{part}/*.parquet')"
        seconds = timing.median_seconds(lambda: day_revenue(con, glob), repeat=repeat, warmup=1)
        files = sorted(part.glob("*.parquet"))
        rows.append((count, sum(f.stat().st_size for f in files), seconds, day_revenue(con, glob)))
    table = pd.DataFrame(rows, columns=["files", "bytes on disk", "seconds", "day revenue"])
    table["bytes vs one file"] = (table["bytes on disk"] / table["bytes on disk"].iloc[0]).round(2)
    table["time vs one file"] = (table["seconds"] / table["seconds"].iloc[0]).round(1)
    return table
