"""Time travel: read a Delta table as it was at an earlier version, and what changed between two.

Every commit lists the files it added and removed, so any version is the set of files the log
names up to it; reading an old version only needs those files to still be on disk. An UPDATE
rewrites whole files, so in a diff an updated row shows as one row removed and one added.

    >>> import tempfile, pathlib
    >>> from labs.lakehouse.table import create_orders
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "orders"
    >>> create_orders(path, n=400)
    3
    >>> len(as_of(path, 0)), len(as_of(path, 1))
    (200, 400)
    >>> changes = diff(path, 2, 3)
    >>> set(changes["change"]), set(changes["status"])
    ({'removed'}, {'cancelled'})
"""
from __future__ import annotations

import pandas as pd

from labs.lakehouse._delta import checked_version, open_table, quiet, read, table_path


def as_of(path, version: int) -> pd.DataFrame:
    """The table's rows at ``version``, sorted by its first column (refuses a version VACUUM removed)."""
    path = table_path(path)
    version = checked_version(path, version)
    frame = read(path, version).to_pandas()
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def diff(path, v1: int, v2: int) -> pd.DataFrame:
    """Rows in ``v2`` but not ``v1`` ('added') and in ``v1`` but not ``v2`` ('removed'), whole rows compared."""
    before, after = as_of(path, v1), as_of(path, v2)
    columns = [c for c in after.columns if c in before.columns]
    merged = before[columns].merge(after[columns], how="outer", on=columns, indicator=True)
    merged = merged[merged["_merge"] != "both"]
    change = merged.pop("_merge").map({"left_only": "removed", "right_only": "added"}).astype(str)
    merged.insert(0, "change", change)
    return merged.sort_values(["change", *columns]).reset_index(drop=True)


def versions(path) -> pd.DataFrame:
    """One row per version from the table's history: the operation and the rows and files it touched.

    ``rows copied`` is the copy-on-write cost: rows an UPDATE or DELETE rewrote unchanged because they
    shared a file with a row it changed.
    """
    with quiet():
        history = open_table(path).history()
    # each operation names its metrics its own way (WRITE, UPDATE and DELETE; MERGE; OPTIMIZE)
    metrics = {"rows added": ("num_added_rows", "num_target_rows_inserted"),
               "rows updated": ("num_updated_rows", "num_target_rows_updated"),
               "rows deleted": ("num_deleted_rows", "num_target_rows_deleted"),
               "rows copied": ("num_copied_rows", "num_target_rows_copied"),
               "files added": ("num_added_files", "num_target_files_added", "numFilesAdded"),
               "files removed": ("num_removed_files", "num_target_files_removed", "numFilesRemoved")}

    def figure(h, keys):
        found = h.get("operationMetrics") or {}
        return next((int(found[k]) for k in keys if found.get(k) is not None), 0)

    rows = [{"version": h["version"], "operation": h["operation"],
             **{label: figure(h, keys) for label, keys in metrics.items()}} for h in history]
    return pd.DataFrame(rows).sort_values("version").reset_index(drop=True)
