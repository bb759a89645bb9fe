"""What every lakehouse module needs: a checked table path, quiet delta-rs calls, clean messages.

delta-rs error messages carry the absolute path of the table and, on some errors, terminal colour
codes; a notebook prints them, so they are cut to their first sentence with the path made relative.

    >>> clean_message("Object at location /x/t/part-0.parquet not found\\n more", "/x/t")
    'Object at location t/part-0.parquet not found'
"""
from __future__ import annotations

import contextlib
import logging
import os
import re
import warnings
from pathlib import Path

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def table_path(path, name: str = "path", *, exists: bool = True) -> Path:
    """``path`` as a Path; with ``exists``, it must be a Delta table (a folder with a ``_delta_log``)."""
    if not isinstance(path, (str, os.PathLike)) or isinstance(path, bytes):
        raise TypeError(f"{name} must be a folder path (str or pathlib.Path), not {type(path).__name__}.")
    path = Path(path)
    if exists and not (path / "_delta_log").is_dir():
        what = "does not exist" if not path.exists() else "is not a Delta table (it has no _delta_log folder)"
        raise ValueError(f"{name} {path.name!r} {what}; create the table first.")
    return path


def new_table_path(path, name: str = "path") -> Path:
    """A place for a new table: refuses one that already holds a Delta table, so nothing is mixed."""
    path = table_path(path, name, exists=False)
    if (path / "_delta_log").exists():
        raise ValueError(f"{name} {path.name!r} already holds a Delta table; pass a new folder.")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def clean_message(message: str, path) -> str:
    """The first line of a delta-rs message, colour codes dropped, the table's folder shown by name only."""
    text = _ANSI.sub("", str(message)).strip()
    base = str(Path(path))
    text = text.replace(base + os.sep, Path(path).name + "/").replace(base, Path(path).name)
    return text.splitlines()[0].strip() if text else ""


@contextlib.contextmanager
def quiet():
    """Silence Python warnings and the loggers delta-rs and pyarrow may write to, for one call."""
    loggers = [logging.getLogger(n) for n in ("deltalake", "deltalake._internal", "pyarrow")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            yield
        finally:
            for lg, level in zip(loggers, levels):
                lg.setLevel(level)


def open_table(path, version: int | None = None):
    """A ``DeltaTable`` at its latest version (or ``version``), after checking the path."""
    from deltalake import DeltaTable

    path = table_path(path)
    with quiet():
        return DeltaTable(str(path)) if version is None else DeltaTable(str(path), version=version)


class VersionGone(ValueError):
    """A version the log still lists, whose data files VACUUM has deleted: it cannot be read."""


def checked_version(path, version) -> int:
    """``version`` if the table has it and all its data files are still on disk, else one clear sentence."""
    import pyarrow as pa

    from labs._check import whole

    path = table_path(path)
    latest = open_table(path).version()
    version = whole(version, "version", at_least=0)
    if version > latest:
        raise ValueError(f"version {version} does not exist; the table's latest version is {latest}.")
    try:
        table = open_table(path, version)
    except Exception as error:  # the log before a checkpoint was cleaned up
        raise VersionGone(f"version {version} can no longer be loaded: {clean_message(error, path)}.") from None
    with quiet():
        files = pa.table(table.get_add_actions(flatten=True)).column("path").to_pylist()
    missing = [f for f in files if not (path / f).exists()]
    if missing:
        raise VersionGone(f"version {version} can no longer be read: VACUUM deleted {len(missing)} of its "
                          f"{len(files)} data files (time travel reaches back only as far as the files kept).")
    return version


def _conform(data, schema):
    """One file's rows in the table's schema: missing (newer) columns as NULL, string views as strings."""
    import pyarrow as pa

    columns = [data.column(f.name).cast(f.type) if f.name in data.column_names else pa.nulls(data.num_rows, f.type)
               for f in schema]
    return pa.Table.from_arrays(columns, schema=schema)


def read(path, version: int | None = None):
    """The table's rows at ``version`` (default latest) as a pyarrow Table, in the table's schema.

    Read with pyarrow file by file from the list the log gives, not with ``DeltaTable.to_pandas()``
    or ``to_pyarrow_dataset()``: in delta-rs 1.6.6 reading through its file-system bridge can abort
    the Python process at exit ("terminate called without an active exception"). File by file,
    because files delta-rs rewrote (UPDATE, DELETE, OPTIMIZE) store text as Arrow string views and
    the others as strings, and one pyarrow dataset over both fails on a filter on a text column.
    Files written before a column was added lack it and read NULL there.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = open_table(path, version)
    with quiet():
        schema = pa.schema(table.schema())
        actions = pa.table(table.get_add_actions(flatten=True))
    parts = [_conform(pq.read_table(Path(path) / f), schema) for f in actions.column("path").to_pylist()]
    return pa.concat_tables(parts) if parts else schema.empty_table()


def dataset(path, version: int | None = None):
    """``read`` as a pyarrow dataset, for DuckDB (``con.register("orders", dataset(path))``) or pyarrow filters."""
    import pyarrow.dataset as pads

    return pads.dataset(read(path, version))
