"""Per-record error handling: bad records go to a dead-letter table, the rest of the batch loads.

An all-or-nothing load stops at the first record its parser cannot read, so one poison record
holds back every good one (and a retry only repeats that). Here each record is parsed on its
own: good ones go into ``orders``, a failing one into ``dead_letter`` with its raw payload, the
error and how many times it has been tried, in the same transaction as the good rows. Once the
parser is fixed, ``replay`` feeds the dead letters through it: those that now parse move into
``orders`` and leave the dead-letter table (in one transaction, so none is loaded twice or lost),
the others stay with their attempt count raised.

    >>> from labs.recovery.faults import order_records, parse_order, parse_order_fixed
    >>> con = open_store()
    >>> records = order_records(10, poison=(3, 8), garbled=(5,))
    >>> load(con, records, parse_order)
    {'records': 10, 'loaded': 7, 'dead_lettered': 3}
    >>> replay(con, parse_order_fixed)
    {'replayed': 3, 'loaded': 2, 'still_failing': 1}
    >>> counts(con), dead_letters(con)[["record_id", "attempts"]].values.tolist()
    ({'orders': 9, 'dead_letter': 1}, [[5, 2]])
"""
from __future__ import annotations

import json
import sqlite3
from typing import Callable

import pandas as pd

from labs import engines
from labs.recovery.clock import SimClock
from labs.recovery.retry import RetryPolicy, run_with_retry

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (record_id INTEGER PRIMARY KEY, customer TEXT NOT NULL, amount REAL NOT NULL);
CREATE TABLE IF NOT EXISTS dead_letter (
    record_id INTEGER PRIMARY KEY, payload TEXT NOT NULL, error TEXT NOT NULL,
    attempts INTEGER NOT NULL, first_failed_batch INTEGER NOT NULL, last_failed_batch INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS batches (batch_id INTEGER PRIMARY KEY, kind TEXT NOT NULL);
"""


def open_store(path=":memory:") -> sqlite3.Connection:
    """A SQLite database with ``orders``, ``dead_letter`` and ``batches`` created."""
    con = engines.sqlite(path)
    con.executescript(SCHEMA)
    return con


def _check(con, parse):
    if not isinstance(con, sqlite3.Connection):
        raise ValueError(f"con must be a sqlite3 connection from open_store(), not {type(con).__name__}.")
    if not callable(parse):
        raise ValueError(f"parse must be a function from a record to a row, not {type(parse).__name__}.")


def _records(records) -> list[dict]:
    if isinstance(records, (str, bytes, dict)):
        raise ValueError("records must be a list of record dicts, such as order_records() gives.")
    records = list(records)
    for record in records:
        if not (isinstance(record, dict) and "record_id" in record):
            raise ValueError(f"every record must be a dict with a 'record_id'; got {record!r}.")
    return records


def _new_batch(con, kind: str) -> int:
    return con.execute("INSERT INTO batches (kind) VALUES (?)", (kind,)).lastrowid


def _store(con, row: dict) -> None:
    # an upsert: loading the same record again (a re-run, a replay) leaves one row
    con.execute("INSERT INTO orders VALUES (:record_id, :customer, :amount) ON CONFLICT (record_id) DO UPDATE "
                "SET customer = excluded.customer, amount = excluded.amount", row)


def _fail(con, record: dict, error: str, batch: int, attempts: int = 1) -> None:
    con.execute(
        "INSERT INTO dead_letter VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (record_id) DO UPDATE SET "
        "error = excluded.error, attempts = attempts + excluded.attempts, "
        "last_failed_batch = excluded.last_failed_batch",
        (record["record_id"], json.dumps(record, sort_keys=True), error, attempts, batch, batch))


def _parse(parse, record, policy):
    """(row, None, attempts) or (None, error text, attempts): one try, or as many as ``policy`` allows."""
    if policy is None:
        try:
            return parse(record), None, 1
        except Exception as error:  # noqa: BLE001 - any parser error sends the record aside
            return None, f"{type(error).__name__}: {error}", 1
    result = run_with_retry(lambda: parse(record), policy, SimClock())
    return result.value, result.error, result.n_attempts


def load(con, records, parse: Callable[[dict], dict], policy: RetryPolicy | None = None) -> dict:
    """Parse each record on its own; good rows into ``orders``, failures into ``dead_letter``, one transaction.

    With a ``policy``, a record whose parse fails with an error the policy retries (a lookup that
    timed out, say) is tried again before it is set aside; a poison record fails at once, since
    no sensible policy retries a ``ValueError``. ``attempts`` in the dead-letter table counts every try.
    """
    _check(con, parse)
    records = _records(records)
    if policy is not None and not isinstance(policy, RetryPolicy):
        raise ValueError(f"policy must be a RetryPolicy or None, not {type(policy).__name__}.")
    loaded = failed = tries = 0
    with con:
        batch = _new_batch(con, "load")
        for record in records:
            row, error, attempts = _parse(parse, record, policy)
            tries += attempts
            if error is not None:
                _fail(con, record, error, batch, attempts)
                failed += 1
                continue
            _store(con, row)
            loaded += 1
    report = {"records": len(records), "loaded": loaded, "dead_lettered": failed}
    return report if policy is None else {**report, "attempts": tries}


def load_all_or_nothing(con, records, parse: Callable[[dict], dict]) -> dict:
    """The load without a dead-letter table: the first failing record rolls the whole batch back.

        >>> from labs.recovery.faults import order_records, parse_order
        >>> load_all_or_nothing(open_store(), order_records(10, poison=(3,)), parse_order)["loaded"]
        0
    """
    _check(con, parse)
    records = _records(records)
    try:
        with con:
            _new_batch(con, "all-or-nothing")
            for record in records:
                _store(con, parse(record))
    except Exception as error:  # noqa: BLE001 - reported, as a scheduler would show it
        return {"records": len(records), "loaded": 0, "error": f"{type(error).__name__}: {error}"}
    return {"records": len(records), "loaded": len(records), "error": None}


def replay(con, parse: Callable[[dict], dict]) -> dict:
    """Feed every dead letter through ``parse`` again; move the ones that parse, count a new attempt for the rest."""
    _check(con, parse)
    replayed = loaded = 0
    with con:
        batch = _new_batch(con, "replay")
        for record_id, payload in con.execute("SELECT record_id, payload FROM dead_letter ORDER BY record_id"
                                              ).fetchall():
            replayed += 1
            record = json.loads(payload)
            try:
                row = parse(record)
            except Exception as error:  # noqa: BLE001 - it stays a dead letter
                _fail(con, record, f"{type(error).__name__}: {error}", batch)
                continue
            _store(con, row)
            con.execute("DELETE FROM dead_letter WHERE record_id = ?", (record_id,))
            loaded += 1
    return {"replayed": replayed, "loaded": loaded, "still_failing": replayed - loaded}


def dead_letters(con) -> pd.DataFrame:
    """The dead-letter table, oldest record first."""
    return pd.read_sql_query("SELECT record_id, error, attempts, first_failed_batch, last_failed_batch, payload "
                             "FROM dead_letter ORDER BY record_id", con)


def counts(con) -> dict:
    """Rows in ``orders`` and in ``dead_letter``."""
    return {table: con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
            for table in ("orders", "dead_letter")}
