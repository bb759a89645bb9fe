"""Why a DELETE in a lake table is not yet an erasure: data files are immutable.

A toy table format with the two strategies real ones use (Delta Lake, Iceberg, Hudi):

- **copy-on-write**: a DELETE writes new files without the rows; the old files stay on disk for
  time travel until a vacuum (Delta ``VACUUM``, Iceberg ``expire_snapshots``) removes them;
- **merge-on-read**: a DELETE writes only a list of deleted row positions (Delta deletion vectors,
  Iceberg delete files); the rows stay in the *current* data file, hidden on read, until a
  rewrite (Delta ``REORG TABLE ... APPLY (PURGE)``, Iceberg ``rewrite_data_files``) and then a
  vacuum.

``files_holding`` reads every data file on disk directly, as someone with access to the bucket
could, and says which still hold a value.

    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> t = LakeTable(folder, "merge-on-read")
    >>> t.append(pd.DataFrame({"id": [1, 2], "email": ["ann@example.com", "bo@example.com"]}))
    >>> t.delete("email", "ann@example.com")
    1
    >>> t.read()["id"].tolist(), t.read(0)["id"].tolist(), len(t.files_holding("ann@example.com"))
    ([2], [1, 2], 1)
    >>> t.vacuum(keep_versions=1); len(t.files_holding("ann@example.com"))
    1
    >>> t.purge(); t.vacuum(keep_versions=1); t.files_holding("ann@example.com")
    []
"""
from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd

from labs.governance.matching import find_inside

MODES = ("copy-on-write", "merge-on-read")


class LakeTable:
    """Immutable Parquet files plus a log of versions; each version lists its files and, per
    file, the row positions deleted (merge-on-read)."""

    def __init__(self, folder, mode: str = "copy-on-write"):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
        self.folder, self.mode = Path(folder), mode
        self.folder.mkdir(parents=True, exist_ok=True)
        self.versions: list[dict] = []  # each {"files": {file name: frozenset of deleted row positions}}
        self._names = (f"part-{i:05d}.parquet" for i in itertools.count())

    # -- writing ---------------------------------------------------------------------------
    def _write(self, frame: pd.DataFrame) -> str:
        name = next(self._names)
        frame.to_parquet(self.folder / name, index=False)
        return name

    def _commit(self, files: dict) -> None:
        self.versions.append({"files": files})

    def _latest(self) -> dict:
        return self.versions[-1]["files"] if self.versions else {}

    def append(self, frame: pd.DataFrame) -> None:
        self._commit({**self._latest(), self._write(frame): frozenset()})

    def delete(self, column: str, value) -> int:
        """Delete the rows where ``column`` equals ``value``; rows deleted."""
        files, deleted = {}, 0
        for name, gone in self._latest().items():
            frame = pd.read_parquet(self.folder / name)
            hit = {i for i in range(len(frame)) if i not in gone and frame[column].iloc[i] == value}
            deleted += len(hit)
            if not hit:
                files[name] = gone
            elif self.mode == "merge-on-read":
                files[name] = gone | hit  # only the positions are written; the bytes stay
            else:
                keep = [i for i in range(len(frame)) if i not in gone | hit]
                files[self._write(frame.iloc[keep])] = frozenset()
        if deleted:
            self._commit(files)
        return deleted

    def purge(self) -> None:
        """Rewrite every file that has deleted positions, so the deleted rows leave the current files."""
        files = {}
        for name, gone in self._latest().items():
            if gone:
                frame = pd.read_parquet(self.folder / name)
                name = self._write(frame.iloc[[i for i in range(len(frame)) if i not in gone]])
            files[name] = frozenset()
        self._commit(files)

    def vacuum(self, keep_versions: int) -> None:
        """Forget all but the last ``keep_versions`` versions and delete the files none of them uses."""
        self.versions = self.versions[-keep_versions:]
        used = {name for v in self.versions for name in v["files"]}
        for path in self.folder.glob("part-*.parquet"):
            if path.name not in used:
                path.unlink()

    # -- reading ---------------------------------------------------------------------------
    def read(self, version: int = -1) -> pd.DataFrame:
        """The table as of a kept version (``-1``: the latest; ``0``: the oldest kept, time travel)."""
        parts = []
        for name, gone in self.versions[version]["files"].items():
            frame = pd.read_parquet(self.folder / name)
            parts.append(frame.iloc[[i for i in range(len(frame)) if i not in gone]])
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def files_holding(self, value: str) -> list[str]:
        """Data files on disk that still contain ``value`` anywhere, whatever the table's log says."""
        found = []
        for path in sorted(self.folder.glob("part-*.parquet")):
            frame = pd.read_parquet(path)
            cells = [str(v) for c in frame.columns for v in frame[c].dropna()]
            if find_inside(cells, [value]):
                found.append(path.name)
        return found
