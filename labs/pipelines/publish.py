"""Publishing a table atomically: readers see the old version or the new one, never half of one.

A plain overwrite of a folder of Parquet files is not atomic. Spark deletes what is there
first, then writes: a reader in between sees an empty or half-written folder, and a job that
fails halfway leaves the table gone (the lab shows it). Two ways out:

- a **table format** (Delta Lake, Iceberg, Hudi) commits a new version as one entry in its log,
  and readers read the files the latest committed entry lists;
- without one, the same idea by hand, **write-audit-publish**: write the new version into a
  folder of its own, audit it there (counts, totals, rules), and only then move a pointer, one
  small file replaced with an atomic rename (``os.replace``). Readers open whatever the pointer
  names. A failed write or audit leaves the pointer, and so every reader, on the old version.

``VersionedTable`` is that pointer, engine-agnostic: ``publish`` takes a function that writes
a folder (Spark, DuckDB, pandas) and an optional audit.

    >>> import tempfile, pandas as pd
    >>> table = VersionedTable(tempfile.mkdtemp())
    >>> table.current() is None
    True
    >>> def write(folder):
    ...     folder.mkdir()
    ...     pd.DataFrame({"x": [1, 2]}).to_parquet(folder / "part-0.parquet")
    >>> v1 = table.publish(write)
    >>> v1.name, table.current().name
    ('v00001', 'v00001')
    >>> def broken(folder):
    ...     raise RuntimeError("the job died halfway")
    >>> try:
    ...     table.publish(broken)
    ... except RuntimeError:
    ...     pass
    >>> table.current().name  # readers still see the last good version
    'v00001'
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Callable

POINTER = "_CURRENT"


class AuditFailed(RuntimeError):
    """The new version was written but failed its audit: it is not published."""


class VersionedTable:
    """A table kept as numbered version folders under ``root`` and a pointer file naming the current one."""

    def __init__(self, root):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def current(self) -> Path | None:
        """The folder readers should read now (None before the first publish)."""
        pointer = self.root / POINTER
        if not pointer.exists():
            return None
        return self.root / pointer.read_text().strip()

    def versions(self) -> list[str]:
        """Every version folder, published or not, oldest first."""
        return sorted(p.name for p in self.root.glob("v[0-9]*") if p.is_dir())

    def _next_folder(self) -> Path:
        taken = [int(name[1:]) for name in self.versions()]
        return self.root / f"v{(max(taken) if taken else 0) + 1:05d}"

    def publish(self, write: Callable[[Path], None], audit: Callable[[Path], None] | None = None) -> Path:
        """Write a new version with ``write(folder)``, run ``audit(folder)``, then point readers at it.

        ``write`` must create its files inside ``folder`` (it may create ``folder`` itself, as
        Spark does); ``audit`` raises to refuse the version. On any failure the pointer does
        not move and the unpublished folder is removed.
        """
        folder = self._next_folder()
        try:
            write(folder)
            if audit is not None:
                audit(folder)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        staged = self.root / f"{POINTER}.tmp"
        staged.write_text(folder.name)
        os.replace(staged, self.root / POINTER)  # atomic on one file system: readers see old or new
        return folder

    def vacuum(self, keep: int = 2) -> list[str]:
        """Delete old version folders, keeping the current one and the ``keep - 1`` before it."""
        if keep < 1:
            raise ValueError(f"keep must be at least 1 (the current version); got {keep}.")
        current = self.current()
        names = [n for n in self.versions() if current is None or n <= current.name]
        gone = names[:-keep]
        for name in gone:
            shutil.rmtree(self.root / name)
        return gone
