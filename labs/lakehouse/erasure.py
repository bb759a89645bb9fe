"""An erasure request on a Delta table: what DELETE, VACUUM and log clean-up each leave behind.

A DELETE commits new files without the subject's rows and marks the old files removed, but the
old files stay on disk so that time travel can read earlier versions: after the DELETE, every
earlier version still shows the subject. VACUUM deletes the files no version within the
retention needs (here: none kept), and time travel to the versions that used them fails. The
log still names the subject where an old ``add`` action's min/max statistics hold one of their
values (an e-mail that was the smallest in its file, say); a checkpoint with a short log
retention and a metadata clean-up drops those commit files too.

    >>> import tempfile, pathlib
    >>> from labs.lakehouse.table import create_orders
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "orders"
    >>> create_orders(path, n=400)
    3
    >>> report = erase(path, "customer_id = 1", clean_log=True)
    >>> report["rows_deleted"] > 0, report["versions_showing_subject"]
    (True, [0, 1, 2, 3])
    >>> report["files_with_subject_after"], report["log_files_naming_subject_after"], report["versions_readable_after"]
    (0, [], [])
"""
from __future__ import annotations

import time
from pathlib import Path

import pyarrow.dataset as pads

from labs import engines
from labs.lakehouse._delta import VersionGone, checked_version, dataset, open_table, quiet, table_path


def _count(con, table, predicate: str) -> int:
    con.register("t", table)
    try:
        return int(con.sql(f"SELECT count(*) FROM t WHERE {predicate}").fetchall()[0][0])
    finally:
        con.unregister("t")


def subject_values(path, predicate: str) -> list[str]:
    """Text values found only in the rows matching ``predicate``: what points to the subject alone."""
    con = engines.duckdb()
    try:
        con.register("t", dataset(path))
        text = [row[0] for row in con.sql("DESCRIBE t").fetchall() if row[1] == "VARCHAR"]
        values = set()
        for column in text:
            rows = con.sql(f'SELECT DISTINCT "{column}" FROM t WHERE ({predicate}) AND "{column}" IS NOT NULL '
                           f'EXCEPT SELECT "{column}" FROM t WHERE NOT ({predicate})').fetchall()
            values.update(r[0] for r in rows)
        return sorted(values)
    finally:
        con.close()


def traces(path, predicate: str) -> list[str]:
    """Every Parquet file in the table's folder (in the log or not) holding a row matching ``predicate``.

    Each file is decoded in full: a search of the raw bytes would miss values that snappy or
    dictionary encoding stored in pieces.
    """
    path = table_path(path)
    schema = dataset(path).schema  # files from before a schema change read NULL in the newer columns
    con = engines.duckdb()
    found = []
    try:
        for file in sorted(p for p in path.rglob("*.parquet") if "_delta_log" not in p.parts):
            if _count(con, pads.dataset(str(file), schema=schema, format="parquet").to_table(), predicate):
                found.append(file.relative_to(path).as_posix())
    finally:
        con.close()
    return found


def log_traces(path, values) -> list[str]:
    """Log files (commits, checkpoints) whose bytes contain any of ``values``."""
    path = table_path(path)
    needles = [v.encode() for v in values]
    return [f"_delta_log/{f.name}" for f in sorted((path / "_delta_log").iterdir())
            if f.is_file() and any(n in f.read_bytes() for n in needles)]


def _readable(path, version: int) -> bool:
    try:
        checked_version(path, version)
        return True
    except VersionGone:
        return False


def erase(path, predicate: str, clean_log: bool = False) -> dict:
    """Delete the rows matching ``predicate``, vacuum with no retention, and report what each step left.

    File counts are of Parquet files on disk; ``traces`` names them. ``versions_showing_subject``
    are the versions before the DELETE that time travel could still read with the subject in them.

    With ``clean_log``, also set a log retention of zero, write a checkpoint and clean up the log,
    so commits that named the subject in their statistics go too (and the table's history with them).
    """
    path = table_path(path)
    if not isinstance(predicate, str) or not predicate.strip():
        raise ValueError(f"predicate must be a SQL condition such as \"customer_id = 1\", not {predicate!r}.")
    if not isinstance(clean_log, bool):
        raise TypeError(f"clean_log must be True or False, not {clean_log!r}.")
    con = engines.duckdb()
    try:
        matched = _count(con, dataset(path), predicate)
    except Exception as error:
        raise ValueError(f"predicate does not run on this table: {str(error).splitlines()[0]}") from None
    finally:
        con.close()
    if matched == 0:
        raise ValueError(f"no row matches {predicate!r}; nothing to erase.")
    values = subject_values(path, predicate)
    with quiet():
        open_table(path).delete(predicate)
    delete_version = open_table(path).version()
    con = engines.duckdb()
    try:
        showing = [v for v in range(delete_version) if _readable(path, v) and _count(con, dataset(path, v), predicate)]
    finally:
        con.close()
    on_disk_before = traces(path, predicate)
    with quiet():
        removed = open_table(path).vacuum(retention_hours=0, enforce_retention_duration=False, dry_run=False)
    if clean_log:
        _clean_log(path)
    error = None
    try:
        checked_version(path, 0)
    except VersionGone as gone:
        error = str(gone)
    return {
        "rows_deleted": matched, "delete_version": delete_version, "subject_values": values,
        "versions_showing_subject": showing, "files_with_subject_before_vacuum": len(on_disk_before),
        "files_removed_by_vacuum": len(removed), "files_with_subject_after": len(traces(path, predicate)),
        "log_files_naming_subject_after": log_traces(path, values),
        "versions_readable_after": [v for v in range(delete_version) if _readable(path, v)],
        "time_travel_error": error,
    }


def _clean_log(path: Path) -> None:
    """Checkpoint, then drop every commit file older than it (log retention set to zero first)."""
    with quiet():
        open_table(path).alter.set_table_properties({"delta.logRetentionDuration": "interval 0 days"})
        open_table(path).create_checkpoint()
        time.sleep(0.01)  # clean-up removes commits strictly older than now minus the retention
        open_table(path).cleanup_metadata()
