"""Schema enforcement and evolution: a Delta table refuses a write that does not fit its schema.

The schema lives in the log (the ``metaData`` action), so every writer checks against the same
one: a batch with a column the table lacks, or a value of the wrong type, is refused before
anything is committed. Evolution is explicit: ``schema_mode="merge"`` adds the new column in a
commit, and files written before it are read with NULL there, without being rewritten.

    >>> import tempfile, pathlib
    >>> from labs.lakehouse.table import create_orders
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "orders"
    >>> create_orders(path, n=400)
    3
    >>> refused = write_bad_schema(path)
    >>> refused["error"], refused["version_before"] == refused["version_after"]
    ('SchemaMismatchError', True)
    >>> evolved = evolve(path)
    >>> evolved["added_columns"], evolved["old_rows_null"] == evolved["rows_before"]
    (['channel'], True)
"""
from __future__ import annotations

import pyarrow as pa

from labs.lakehouse._delta import clean_message, open_table, quiet, read, table_path

KINDS = ("extra column", "wrong type")


def _batch(path, table, kind: str) -> pa.Table:
    """Two rows shaped like the table, spoiled the way ``kind`` says."""
    schema = pa.schema(table.schema())
    rows = read(path).slice(0, 2).cast(schema)
    if kind == "extra column":
        return rows.append_column("channel", pa.array(["web", "app"]))
    first = schema.field(0)
    return rows.set_column(0, first.name, pa.array([str(v) + "x" for v in rows.column(0).to_pylist()]))


def write_bad_schema(path, kind: str = "extra column") -> dict:
    """Append a batch whose schema does not match (an unknown column, or text in the first column).

    Returns what happened: the error class and message, and the version before and after (equal:
    nothing was committed).
    """
    from deltalake import write_deltalake

    path = table_path(path)
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(map(repr, KINDS))}; got {kind!r}.")
    table = open_table(path)
    before = table.version()
    error = None
    with quiet():
        try:
            write_deltalake(str(path), _batch(path, table, kind), mode="append")
        except Exception as caught:  # delta-rs raises a plain Exception for a failed cast
            error = caught
    after = open_table(path).version()
    return {"kind": kind, "refused": error is not None,
            "error": type(error).__name__ if error else None,
            "message": clean_message(error, path) if error else None,
            "version_before": before, "version_after": after}


def evolve(path, column: str = "channel", value: str = "web") -> dict:
    """Append two rows with a new text column, merging it into the schema; old rows read NULL there."""
    from deltalake import write_deltalake

    path = table_path(path)
    if not isinstance(column, str) or not column.isidentifier():
        raise ValueError(f"column must be a plain column name, not {column!r}.")
    table = open_table(path)
    old_columns = [f.name for f in table.schema().fields]
    if column in old_columns:
        raise ValueError(f"the table already has a column {column!r}; pick a new name.")
    rows_before = read(path).num_rows
    with quiet():
        batch = _batch(path, table, "extra column").rename_columns([*old_columns, column])
        batch = batch.set_column(len(old_columns), column, pa.array([value, value]))
        write_deltalake(str(path), batch, mode="append", schema_mode="merge")
    after = open_table(path)
    data = read(path)
    nulls = data.column(column).null_count
    return {"version": after.version(), "added_columns": [f.name for f in after.schema().fields
                                                          if f.name not in old_columns],
            "rows_before": rows_before, "rows_after": data.num_rows, "old_rows_null": nulls}
