"""What a table format adds to files in a lake: a transaction log, in about a hundred lines.

A lake folder is just files: a reader that lists it while a job writes sees whatever
parts are there, and two jobs that rewrite it can interleave. Delta Lake, Iceberg and
Hudi add a log next to the data files; this toy keeps the idea and nothing else:

- data files are written first, under fresh names, where no reader looks for them;
- a commit is one new file ``_log/<version>.json`` naming the files added and removed,
  created only if it does not exist yet (put-if-absent). Either it appears whole, or
  the commit did not happen: readers see version N or N+1, never half of it;
- two writers that both read version N race for ``N+1``: one wins, the other gets a
  ``Conflict``, re-reads and retries as ``N+2`` (optimistic concurrency);
- every old version stays readable (time travel) until its files are vacuumed;
- the first commit records the schema, and a commit whose data does not match it is
  refused (schema enforcement).

    >>> import tempfile, pandas as pd
    >>> from labs.engines import duckdb
    >>> table = LogTable(tempfile.mkdtemp())
    >>> table.write(pd.DataFrame({"id": [1, 2], "amount": [9.5, 3.0]}))
    0
    >>> table.write(pd.DataFrame({"id": [3], "amount": [1.25]}))
    1
    >>> table.rows(duckdb()), table.rows(duckdb(), version=0)
    (3, 2)
    >>> table.write(pd.DataFrame({"id": [4], "amount": ["free"]}))
    Traceback (most recent call last):
    ...
    ValueError: schema mismatch: column amount is string in the data; the table has double
"""
from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


class Conflict(Exception):
    """Another writer committed this version first: re-read the table and try again."""


class LogTable:
    """A folder of Parquet files plus ``_log/``: the log, not the folder listing, says what the table holds."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.log = self.folder / "_log"
        self.log.mkdir(parents=True, exist_ok=True)

    # -- reading -------------------------------------------------------------------
    def version(self) -> int:
        """The latest committed version (-1 for a table with no commit yet)."""
        versions = [int(p.stem) for p in self.log.glob("*.json")]
        return max(versions, default=-1)

    def _entries(self, version: int | None):
        last = self.version() if version is None else version
        if last > self.version():
            raise ValueError(f"version {last} does not exist; the latest is {self.version()}.")
        return [json.loads((self.log / f"{v:08d}.json").read_text()) for v in range(last + 1)]

    def files(self, version: int | None = None) -> list[Path]:
        """The data files that make up ``version`` (the latest by default), replayed from the log."""
        live: list[str] = []
        for entry in self._entries(version):
            live = [f for f in live if f not in entry["remove"]] + entry["add"]
        return [self.folder / f for f in live]

    def rows(self, con, version: int | None = None) -> int:
        """Rows in ``version``, read with DuckDB from exactly the files the log names."""
        files = self.files(version)
        if not files:
            return 0
        listed = ", ".join(f"'{f.as_posix()}'" for f in files)
        return con.execute(f"SELECT count(*) FROM read_parquet([{listed}])").fetchall()[0][0]

    # -- writing -------------------------------------------------------------------
    def stage(self, frame: pd.DataFrame) -> str:
        """Write one data file under a fresh name; it is part of no version until a commit names it."""
        arrow = pa.Table.from_pandas(frame, preserve_index=False)
        schema = self._schema()
        if schema is not None and arrow.schema.to_string() != schema:
            raise ValueError(f"schema mismatch: {_difference(schema, arrow.schema.to_string())}")
        name = f"part-{uuid.uuid4().hex}.parquet"
        pq.write_table(arrow, self.folder / name)
        return name

    def commit(self, read_version: int, add: list[str], remove: list[str] = ()) -> int:
        """Publish staged files as version ``read_version + 1``, or raise ``Conflict`` if it exists."""
        version = read_version + 1
        entry = {"version": version, "add": list(add), "remove": list(remove)}
        if version == 0:
            entry["schema"] = pq.read_schema(self.folder / add[0]).to_string() if add else None
        path = self.log / f"{version:08d}.json"
        try:  # put-if-absent: the one atomic step of a commit
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
        except FileExistsError:
            raise Conflict(f"version {version} was committed by another writer") from None
        with os.fdopen(fd, "w") as out:
            json.dump(entry, out)
        return version

    def write(self, frame: pd.DataFrame, mode: str = "append", retries: int = 3) -> int:
        """Stage ``frame`` and commit it (``append``, or ``overwrite`` every live file); return the version."""
        if mode not in ("append", "overwrite"):
            raise ValueError(f"mode must be 'append' or 'overwrite', not {mode!r}.")
        name = self.stage(frame)
        for _ in range(retries + 1):
            base = self.version()
            remove = [f.name for f in self.files(base)] if mode == "overwrite" and base >= 0 else []
            try:
                return self.commit(base, [name], remove)
            except Conflict:
                continue  # someone else committed first: read the new version and try again
        raise Conflict(f"gave up after {retries} retries")

    def _schema(self) -> str | None:
        first = self.log / f"{0:08d}.json"
        return json.loads(first.read_text()).get("schema") if first.exists() else None


def _difference(table: str, data: str) -> str:
    """The first field that differs between two schemas written by ``pyarrow.Schema.to_string``."""
    def fields(text):
        return dict(line.split(": ", 1) for line in text.splitlines() if ": " in line and not line.startswith("-- "))

    have, got = fields(table), fields(data)
    for name in dict.fromkeys([*have, *got]):
        if have.get(name) != got.get(name):
            return (f"column {name} is {got.get(name, 'missing')} in the data; "
                    f"the table has {have.get(name, 'no such column')}")
    return "the column order differs"


def folder_rows(con, folder) -> int:
    """What a plain lake reader sees: every Parquet file in ``folder``, whoever is still writing."""
    files = sorted(Path(folder).glob("*.parquet"))
    if not files:
        return 0
    listed = ", ".join(f"'{f.as_posix()}'" for f in files)
    return con.execute(f"SELECT count(*) FROM read_parquet([{listed}])").fetchall()[0][0]
