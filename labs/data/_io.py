"""Writing tables so that the same data always gives the same bytes.

The rules: fixed row order, an explicit Arrow schema per table, and no pandas or
timestamp metadata in the Parquet footer. Writes happen inside a folder from
``labs._atomic.atomic_folder``, so nothing half-written is ever visible.

    >>> import pathlib, shutil, tempfile, pandas as pd
    >>> from labs._atomic import atomic_folder
    >>> base = pathlib.Path(tempfile.mkdtemp())
    >>> frame = pd.DataFrame({"x": [1, 2]})
    >>> with atomic_folder(base / "demo") as tmp:
    ...     first = write_parquet(frame, tmp / "x.parquet")
    >>> digest(base / "demo" / "x.parquet") == digest(write_parquet(frame, base / "y.parquet"))
    True
    >>> shutil.rmtree(base)
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

# zstd is smaller than snappy and every engine of the kit reads it.
COMPRESSION = "zstd"


def to_arrow(df: pd.DataFrame, schema: pa.Schema | None = None) -> pa.Table:
    """A pandas frame as an Arrow table with no pandas metadata attached."""
    table = pa.Table.from_pandas(df, schema=schema, preserve_index=False)
    return table.replace_schema_metadata(None)


def write_parquet(df: pd.DataFrame | pa.Table, path: Path, schema: pa.Schema | None = None) -> Path:
    """Write one Parquet file with pyarrow; the same frame always gives the same bytes."""
    table = df if isinstance(df, pa.Table) else to_arrow(df, schema)
    pq.write_table(table, path, compression=COMPRESSION)
    return path


def write_partitioned(table: pa.Table, folder: Path, column: str) -> Path:
    """Write ``table`` as hive-style folders ``folder/<column>=<value>/part-0.parquet``.

    The partition column lives in the folder name only (engines add it back when
    reading), and rows keep their order inside each file.
    """
    folder.mkdir(parents=True, exist_ok=True)
    values = table.column(column)
    rest = table.drop_columns([column])
    for value in sorted(set(values.to_pylist())):
        mask = pc.equal(values, pa.scalar(value, type=values.type))
        part = folder / f"{column}={_partition_text(value)}"
        part.mkdir()
        pq.write_table(rest.filter(mask), part / "part-0.parquet", compression=COMPRESSION)
    return folder


def write_jsonl(data: pd.DataFrame | pa.Table, path: Path, schema: pa.Schema | None = None,
                con=None) -> Path:
    """Write JSON lines: one object per row, timestamps as ISO-8601 text in UTC
    with milliseconds (``2024-03-01T12:00:00.250Z``), nulls as ``null``.

    DuckDB does the writing: it is several times faster than pandas' ``to_json``
    on timestamp columns, and it keeps the row order. Pass ``con`` (a DuckDB
    connection in the UTC time zone) to reuse one across many files.
    """
    from labs.engines import duckdb

    table = data if isinstance(data, pa.Table) else to_arrow(data, schema)
    columns = []
    for field in table.schema:
        name = '"' + field.name.replace('"', '""') + '"'
        if pa.types.is_timestamp(field.type):
            columns.append(f"strftime({name}, '%Y-%m-%dT%H:%M:%S.%gZ') AS {name}")
        else:
            columns.append(name)
    own = con is None
    con = duckdb() if own else con  # the kit's connections print times in UTC
    try:
        con.register("rows_to_write", table)
        target = str(path).replace("'", "''")
        con.execute(f"COPY (SELECT {', '.join(columns)} FROM rows_to_write) TO '{target}' (FORMAT json)")
        con.unregister("rows_to_write")
    finally:
        if own:
            con.close()
    return path


def write_jsonl_chunks(data: pd.DataFrame | pa.Table, folder: Path, rows_per_file: int,
                       schema: pa.Schema | None = None) -> Path:
    """Split the rows, in order, into ``folder/part-00000.jsonl``, ``part-00001.jsonl``...

    A streaming lesson can drop the files into a watched folder one at a time.
    """
    from labs.engines import duckdb

    table = data if isinstance(data, pa.Table) else to_arrow(data, schema)
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb()
    try:
        for number, start in enumerate(range(0, max(table.num_rows, 1), rows_per_file)):
            write_jsonl(table.slice(start, rows_per_file), folder / f"part-{number:05d}.jsonl", con=con)
    finally:
        con.close()
    return folder


def write_csv(df: pd.DataFrame, path: Path) -> Path:
    """Write CSV with a header and no index column; date columns as ``YYYY-MM-DD``,
    timestamps as ``2024-01-01 00:24:58+00:00``."""
    df = df.copy()
    for name in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[name]) and getattr(df[name].dt, "tz", None) is None:
            df[name] = df[name].dt.strftime("%Y-%m-%d")  # the kit keeps dates as naive midnights
    df.to_csv(path, index=False, lineterminator="\n")
    return path


def digest(path: Path) -> str:
    """SHA-256 of a file, or of every file under a folder (names and bytes), as hex.

    Two runs with the same seed must give the same digest.
    """
    path = Path(path)
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    total = hashlib.sha256()
    for file in files:
        total.update(file.relative_to(path).as_posix().encode() if file != path else b"")
        total.update(file.read_bytes())
    return total.hexdigest()


def _partition_text(value) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
