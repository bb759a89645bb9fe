"""File layout: many small files, compaction (OPTIMIZE), Z-order, and what a selective query reads.

Every commit of a streaming or frequent batch job adds at least one file; a table of thousands of
tiny files costs a reader one open and one footer per file. Compaction rewrites them into few
large files (fewer opens, the same bytes). Z-order rewrites them clustered by the chosen columns,
so each file covers a narrow range of them; the log keeps every file's min/max per column
(``stats`` in its ``add`` action), and a reader skips a file whose range cannot match the filter.
``files_read`` makes that decision from the log, as a Delta reader does, and counts the rows
with DuckDB over the table's Arrow dataset.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "events"
    >>> small_file_table(path, batches=8, rows=250)
    (8, ...)
    >>> files_read(path, "customer_id = 17").files
    8
    >>> zorder(path, ["customer_id"], target_size=4096)["files_after"] > 1
    True
    >>> scan = files_read(path, "customer_id = 17")
    >>> scan.files, scan.rows > 0
    (1, True)
"""
from __future__ import annotations

import datetime as dt
import math
from typing import NamedTuple

import numpy as np
import pyarrow as pa

from labs import engines
from labs._check import whole
from labs.lakehouse._delta import dataset, new_table_path, open_table, quiet, table_path
from labs.lakehouse.table import email, files_and_bytes, orders_frame


class Scan(NamedTuple):
    """What a query with a filter must read: files opened, their bytes, and the rows that match."""
    files: int
    bytes: int
    rows: int


def small_file_table(path, batches: int = 40, rows: int = 200, seed: int = 11) -> tuple[int, int]:
    """A new orders table written as ``batches`` appends of ``rows`` rows each (one file per commit).

    Customers are spread at random over every batch, as they arrive in real life, so every file
    spans almost the whole customer_id range. Returns (files, bytes).
    """
    from deltalake import write_deltalake

    batches, rows = whole(batches, "batches", at_least=1), whole(rows, "rows", at_least=1)
    seed = whole(seed, "seed", at_least=0)
    path = new_table_path(path)
    customers = max(batches * rows // 10, 2)
    with quiet():
        for i in range(batches):
            frame = orders_frame(rows, seed=seed + i, first_id=i * rows + 1)
            spread = np.random.default_rng([seed, i]).integers(1, customers + 1, rows)  # any customer, any batch
            frame["customer_id"] = spread.astype("int64")
            frame["email"] = [email(c) for c in spread]
            write_deltalake(str(path), frame, mode="append")
    return files_and_bytes(path)


def _rewrite(path, run) -> dict:
    files_before, bytes_before = files_and_bytes(path)
    with quiet():
        metrics = run(open_table(path))
    files_after, bytes_after = files_and_bytes(path)
    return {"version": open_table(path).version(), "files_before": files_before, "files_after": files_after,
            "bytes_before": bytes_before, "bytes_after": bytes_after,
            "files_removed": int(metrics["numFilesRemoved"]), "files_added": int(metrics["numFilesAdded"])}


def _target(target_size):
    return {} if target_size is None else {"target_size": whole(target_size, "target_size", at_least=1)}


def compact(path, target_size: int | None = None) -> dict:
    """OPTIMIZE: bin-pack the table's files into files of about ``target_size`` bytes (delta-rs: 100 MB)."""
    path = table_path(path)
    kwargs = _target(target_size)
    return _rewrite(path, lambda t: t.optimize.compact(**kwargs))


def zorder(path, cols, target_size: int | None = 16_384) -> dict:
    """OPTIMIZE ZORDER BY ``cols``: rewrite the files clustered on them, in files of about ``target_size``.

    The default target is small because the kit's tables are small: a real table uses the
    default (100 MB) and gets many files anyway.
    """
    path = table_path(path)
    if isinstance(cols, str) or not cols or not all(isinstance(c, str) for c in cols):
        raise TypeError(f"cols must be a non-empty list of column names, not {cols!r}.")
    names = dataset(path).schema.names
    unknown = [c for c in cols if c not in names]
    if unknown:
        raise ValueError(f"cols names unknown column {unknown[0]!r}; the table has {', '.join(names)}.")
    kwargs = _target(target_size)
    return _rewrite(path, lambda t: t.optimize.z_order(list(cols), **kwargs))


# --- file skipping from the log's min/max statistics -------------------------------------------
class _Unknown(Exception):
    """A part of the predicate the min/max rule cannot judge: the file must be read."""


def _literal(node, like):
    import sqlglot.expressions as exp

    if isinstance(node, exp.Paren):
        return _literal(node.this, like)
    if isinstance(node, exp.Neg):
        return -_literal(node.this, like)
    if isinstance(node, exp.Cast):
        return _literal(node.this, like)
    if isinstance(node, exp.Literal):
        if node.is_string:
            text = node.this
            if isinstance(like, dt.date):
                return dt.date.fromisoformat(text[:10])
            return text
        value = float(node.this)
        return int(value) if value.is_integer() and "." not in node.this else value
    raise _Unknown


def _may_match(node, low: dict, high: dict) -> bool:
    """Could a row with every column inside [low, high] satisfy ``node``? True when unsure."""
    import sqlglot.expressions as exp

    if isinstance(node, exp.Paren):
        return _may_match(node.this, low, high)
    if isinstance(node, exp.And):
        return _may_match(node.left, low, high) and _may_match(node.right, low, high)
    if isinstance(node, exp.Or):
        return _may_match(node.left, low, high) or _may_match(node.right, low, high)
    try:
        return _compare(node, low, high)
    except (_Unknown, TypeError, ValueError):
        return True  # when in doubt a reader must open the file


def _column(node, low):
    import sqlglot.expressions as exp

    if not isinstance(node, exp.Column) or node.name not in low or low[node.name] is None:
        raise _Unknown
    return node.name


def _compare(node, low, high) -> bool:
    import sqlglot.expressions as exp

    if isinstance(node, exp.Between):
        c = _column(node.this, low)
        a, b = _literal(node.args["low"], low[c]), _literal(node.args["high"], low[c])
        return low[c] <= b and high[c] >= a
    if isinstance(node, exp.In):
        c = _column(node.this, low)
        return any(low[c] <= _literal(v, low[c]) <= high[c] for v in node.expressions)
    flips = {exp.GT: exp.LT, exp.GTE: exp.LTE, exp.LT: exp.GT, exp.LTE: exp.GTE, exp.EQ: exp.EQ}
    kind = type(node)
    if kind not in flips:
        raise _Unknown  # <>, NOT, LIKE, functions: no cheap rule, read the file
    left, right = node.left, node.right
    if not isinstance(left, exp.Column):
        left, right, kind = right, left, flips[kind]
    c = _column(left, low)
    v = _literal(right, low[c])
    return {exp.EQ: low[c] <= v <= high[c], exp.LT: low[c] < v, exp.LTE: low[c] <= v,
            exp.GT: high[c] > v, exp.GTE: high[c] >= v}[kind]


def _parse(predicate_sql: str):
    import sqlglot

    if not isinstance(predicate_sql, str) or not predicate_sql.strip():
        raise ValueError(f"predicate_sql must be a SQL condition such as \"customer_id = 17\", not {predicate_sql!r}.")
    try:
        select = sqlglot.parse_one(f"SELECT 1 FROM t WHERE {predicate_sql}", read="duckdb")
    except sqlglot.errors.ParseError:
        raise ValueError(f"predicate_sql is not a SQL condition: {predicate_sql!r}.") from None
    return select.args["where"].this


def file_stats(path) -> list[dict]:
    """Each data file of the latest version: name, bytes, rows, and min/max per column from the log."""
    path = table_path(path)
    with quiet():
        actions = pa.table(open_table(path).get_add_actions(flatten=True)).to_pylist()
    files = []
    for a in actions:
        files.append({"path": a["path"], "bytes": a["size_bytes"], "rows": a["num_records"],
                      "min": {k[4:]: v for k, v in a.items() if k.startswith("min.")},
                      "max": {k[4:]: v for k, v in a.items() if k.startswith("max.")}})
    return files


def files_read(path, predicate_sql: str) -> Scan:
    """Files and bytes a reader with file skipping opens for ``WHERE predicate_sql``, and the rows it returns."""
    path = table_path(path)
    node = _parse(predicate_sql)
    kept = [f for f in file_stats(path) if _may_match(node, f["min"], f["max"])]
    con = engines.duckdb()
    try:
        con.register("t", dataset(path))
        rows = con.sql(f"SELECT count(*) FROM t WHERE {predicate_sql}").fetchall()[0][0]
    except Exception as error:  # a column the table lacks, a type mismatch
        raise ValueError(f"predicate_sql does not run on this table: {str(error).splitlines()[0]}") from None
    finally:
        con.close()
    return Scan(len(kept), int(sum(f["bytes"] for f in kept)), int(rows))


def skipping_ratio(before: Scan, after: Scan) -> float:
    """How many times fewer bytes ``after`` reads than ``before`` (inf if it reads none)."""
    return math.inf if after.bytes == 0 else before.bytes / after.bytes
