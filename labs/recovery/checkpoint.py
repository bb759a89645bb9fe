"""Checkpoint and restart: a batch job over N input files that a crash can neither duplicate nor skip.

The job loads one file at a time into ``output`` (SQLite) and remembers the files it has done
in ``checkpoint``; a restart skips those. Where the checkpoint is written decides what a crash
between two statements leaves behind (``MODES``):

- ``"same_transaction"``: the file's rows and its checkpoint row commit together: after any crash
  and a restart, every row is there exactly once;
- ``"checkpoint_after"``: rows committed, then the checkpoint in a second transaction: a crash
  between the two makes the restart load that file again (duplicates);
- ``"checkpoint_before"``: the checkpoint first, then the rows: a crash between the two makes the
  restart skip a file whose rows never arrived (a gap);
- ``"no_checkpoint"``: every run starts from the first file: every file committed before the
  crash is loaded twice;
- ``"overwrite"``: no checkpoint, but each file replaces its own rows (delete, then insert, in one
  transaction): no duplicates and no gaps, paid for by redoing every file (the idempotent-task fix,
  as in ``labs.pipelines.backfill``).

The crash comes from ``labs.recovery.faults.CrashingConnection``: the process dies before the
Nth statement, and the database rolls back what it had not committed.

    >>> files = input_files(n_files=4, rows_per_file=3)
    >>> crash_and_restart("checkpoint_after", files, crash_before=7)["duplicates"]
    3
    >>> crash_and_restart("checkpoint_before", files, crash_before=7)["missing"]
    3
    >>> crash_and_restart("same_transaction", files, crash_before=7)
    {'mode': 'same_transaction', 'crash_before': 7, 'crashed_at': 'COMMIT', 'files_loaded': 4, 'rows': 12, 'duplicates': 0, 'missing': 0}
"""
from __future__ import annotations

import datetime as dt
import random
import sqlite3

import pandas as pd

from labs import engines
from labs._check import whole
from labs.recovery.faults import CrashingConnection, InjectedCrash

MODES = ("same_transaction", "checkpoint_after", "checkpoint_before", "no_checkpoint", "overwrite")
SCHEMA = """
CREATE TABLE IF NOT EXISTS output (file TEXT NOT NULL, line INTEGER NOT NULL, value REAL NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoint (file TEXT PRIMARY KEY, rows INTEGER NOT NULL);
"""


def input_files(n_files: int = 6, rows_per_file: int = 5, seed: int = 0, first_day="2024-01-01") -> dict:
    """``n_files`` daily input files, as {name: [(line, value), ...]}, seeded.

        >>> list(input_files(2, 1))
        ['day=2024-01-01.csv', 'day=2024-01-02.csv']
    """
    n_files = whole(n_files, "n_files", at_least=1)
    rows_per_file = whole(rows_per_file, "rows_per_file", at_least=1)
    rng = random.Random(whole(seed, "seed", at_least=0))
    from labs.recovery.backfill_plan import _moment  # the one date check of this package

    start = _moment(first_day, "first_day").date()
    return {f"day={start + dt.timedelta(days=i)}.csv": [(line, round(rng.uniform(1, 100), 2))
                                                       for line in range(1, rows_per_file + 1)]
            for i in range(n_files)}


def _check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}; got {mode!r}.")
    return mode


def _check_files(files) -> dict:
    if not isinstance(files, dict) or not files:
        raise ValueError("files must be a non-empty dict of file name to rows, such as input_files() gives.")
    for name, rows in files.items():
        if not isinstance(name, str) or not all(isinstance(r, tuple) and len(r) == 2 for r in rows):
            raise ValueError(f"files must map a file name to (line, value) pairs; {name!r} does not.")
    return files


def open_store(path=":memory:") -> sqlite3.Connection:
    """A SQLite database for the job, in autocommit mode so that the job's BEGIN and COMMIT are its own."""
    con = engines.sqlite(path)
    con.isolation_level = None
    con.executescript(SCHEMA)
    return con


def _insert_rows(con, name, rows):
    for line, value in rows:  # one statement per row: a crash can land between any two
        con.execute("INSERT INTO output VALUES (?, ?, ?)", (name, line, value))


def _mark_done(con, name, rows):
    con.execute("INSERT INTO checkpoint VALUES (?, ?)", (name, len(rows)))


def run_job(con, files: dict, mode: str, log: list | None = None) -> int:
    """Load ``files`` in name order under ``mode``; returns how many files this run loaded (its work).

    ``log``, when given, gets each file's name as soon as its rows are committed, so a caller
    still knows what a run did when it dies half-way.
    """
    _check_mode(mode)
    log = [] if log is None else log
    files = _check_files(files)
    uses_checkpoint = mode in ("same_transaction", "checkpoint_after", "checkpoint_before")
    done = {r[0] for r in con.execute("SELECT file FROM checkpoint").fetchall()} if uses_checkpoint else set()
    loaded = 0
    for name in sorted(files):
        if name in done:
            continue
        rows = files[name]
        if mode == "checkpoint_before":
            con.execute("BEGIN")
            _mark_done(con, name, rows)
            con.execute("COMMIT")
        con.execute("BEGIN")
        if mode == "overwrite":
            con.execute("DELETE FROM output WHERE file = ?", (name,))
        _insert_rows(con, name, rows)
        if mode == "same_transaction":
            _mark_done(con, name, rows)
        con.execute("COMMIT")
        log.append(name)
        if mode == "checkpoint_after":
            con.execute("BEGIN")
            _mark_done(con, name, rows)
            con.execute("COMMIT")
        loaded += 1
    return loaded


def audit(con, files: dict) -> dict:
    """Rows in ``output``, surplus copies of a (file, line), and expected (file, line) pairs that are missing."""
    stored = con.execute("SELECT file, line FROM output").fetchall()
    expected = {(name, line) for name, rows in files.items() for line, _ in rows}
    return {"rows": len(stored), "duplicates": len(stored) - len(set(stored)), "missing": len(expected - set(stored))}


def statements(mode: str, files: dict) -> int:
    """How many statements a clean run of the job executes (the crash points there are)."""
    con = open_store()
    wrapped = CrashingConnection(con)
    run_job(wrapped, files, mode)
    con.close()
    return len(wrapped.ran)


def crash_and_restart(mode: str, files: dict, crash_before: int, path=":memory:") -> dict:
    """Run the job, kill it before its ``crash_before``-th statement, restart it once; audit the output.

    ``crashed_at`` is the statement that never ran (None when the run had fewer statements).
    ``files_loaded`` counts the files loaded by both runs together: more than there are files
    means work done twice. With a database file for ``path`` the restart opens it afresh, as a
    new process would; in memory it keeps the connection, whose uncommitted work the crash rolled back.
    """
    _check_mode(mode)
    files = _check_files(files)
    crash_before = whole(crash_before, "crash_before", at_least=1)
    con = open_store(path)
    try:
        wrapped = CrashingConnection(con, crash_before)
        crashed_at, first = None, []
        try:
            run_job(wrapped, files, mode, first)
        except InjectedCrash as crash:
            crashed_at = str(crash).split(": ", 1)[1]
        if str(path) != ":memory:":  # a real restart: a new process opens the database file again
            con.close()
            con = open_store(path)
        second = run_job(con, files, mode)  # the restart: the same database, a connection that works
        return {"mode": mode, "crash_before": crash_before, "crashed_at": crashed_at,
                "files_loaded": len(first) + second, **audit(con, files)}
    finally:
        con.close()


def crash_sweep(mode: str, files: dict) -> pd.DataFrame:
    """``crash_and_restart`` once for every statement the job runs: one row per crash point."""
    return pd.DataFrame([crash_and_restart(mode, files, n) for n in range(1, statements(mode, files) + 1)])


def compare_modes(files: dict | None = None, modes=MODES) -> pd.DataFrame:
    """For each mode, over every crash point: how many left duplicates or gaps, and the worst of each.

        >>> table = compare_modes(input_files(3, 2))
        >>> table.set_index("mode").loc["same_transaction", ["with_duplicates", "with_gaps"]].tolist()
        [0, 0]
    """
    files = input_files() if files is None else _check_files(files)
    rows = []
    for mode in modes:
        sweep = crash_sweep(mode, files)
        rows.append({"mode": mode, "crash_points": len(sweep),
                     "with_duplicates": int((sweep["duplicates"] > 0).sum()),
                     "worst_duplicates": int(sweep["duplicates"].max()),
                     "with_gaps": int((sweep["missing"] > 0).sum()), "worst_missing": int(sweep["missing"].max()),
                     "files": len(files), "files_loaded_worst": int(sweep["files_loaded"].max())})
    return pd.DataFrame(rows)
