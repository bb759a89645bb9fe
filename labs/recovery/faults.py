"""Failures planted on purpose, seeded so that every run fails the same way.

- ``FlakySource``: a source that fails its first ``fail_first`` calls, or each call with a
  seeded probability (``TransientError``): the failure a retry fixes;
- ``DownSource``: a source that refuses every call inside a window of (simulated) time
  (``SourceUnavailable``): an outage, which a retry fixes only if it waits long enough;
- ``order_records`` and ``parse_order``: raw records with planted poison records, rows that make
  the parser raise ``PoisonRecord`` however often it is tried;
- ``CrashingConnection``: a SQLite connection whose process "dies" before its Nth statement
  (``InjectedCrash``), rolling back what was not committed, as the database does for a dead client.

    >>> source = FlakySource(["a", "b"], fail_first=2)
    >>> outcomes = []
    >>> for _ in range(3):
    ...     try:
    ...         outcomes.append(source.fetch())
    ...     except TransientError as error:
    ...         outcomes.append(type(error).__name__)
    >>> outcomes
    ['TransientError', 'TransientError', ['a', 'b']]
    >>> records = order_records(4, poison=(2,))
    >>> parse_order(records[0])["amount"], records[2]["amount"]
    (10.5, '12,50 EUR')
"""
from __future__ import annotations

import random
import sqlite3

from labs import _crash
from labs._check import fraction, is_number, is_whole, number, whole
from labs._crash import InjectedCrash


class TransientError(ConnectionError):
    """A call that failed this time and may well succeed the next (a dropped connection, a 503)."""


class SourceUnavailable(TransientError):
    """The source is down; it answers again when the outage ends."""


class Overloaded(TransientError):
    """The source is up but refused the call: more requests arrived this second than it serves."""


class PoisonRecord(ValueError):
    """A record the parser can never read: retrying it gives the same error every time."""


class AckLost(TimeoutError):
    """The call timed out on the client's side, although the server did the work."""


# Every exception a retry policy may name, by name (the builtins are accepted too).
EXCEPTIONS = {cls.__name__: cls for cls in (TransientError, SourceUnavailable, Overloaded, PoisonRecord,
                                            InjectedCrash, AckLost)}


class FlakySource:
    """Returns ``rows`` on each ``fetch``, except when it fails with ``TransientError``.

    It fails the first ``fail_first`` calls, then each later call with probability
    ``fail_rate`` (drawn from ``random.Random(seed)``, so the same seed fails the same calls).
    ``calls`` counts every fetch, failed or not.
    """

    def __init__(self, rows, fail_first: int = 0, fail_rate: float = 0.0, seed: int = 0):
        self.rows = rows
        self.fail_first = whole(fail_first, "fail_first", at_least=0)
        self.fail_rate = fraction(fail_rate, "fail_rate")
        self._random = random.Random(whole(seed, "seed", at_least=0))
        self.calls = 0

    def fetch(self):
        self.calls += 1
        unlucky = self._random.random() < self.fail_rate  # drawn on every call, so calls stay aligned per seed
        if self.calls <= self.fail_first or unlucky:
            raise TransientError(f"call {self.calls} to the source failed")
        return self.rows

    def __call__(self):
        return self.fetch()


class DownSource:
    """Returns ``rows`` except while ``down_from <= clock.now < down_until``, when it raises ``SourceUnavailable``."""

    def __init__(self, rows, clock, down_from: float, down_until: float):
        if not is_number(getattr(clock, "now", None)):
            raise ValueError("clock must have a numeric 'now', such as SimClock() gives.")
        self.rows, self.clock = rows, clock
        self.down_from = number(down_from, "down_from", at_least=0)
        self.down_until = number(down_until, "down_until", at_least=0)
        if self.down_until < self.down_from:
            raise ValueError(f"down_until ({down_until!r}) must not be before down_from ({down_from!r}).")
        self.calls = 0

    def fetch(self):
        self.calls += 1
        if self.down_from <= self.clock.now < self.down_until:
            raise SourceUnavailable(f"the source is down until t={self.down_until:g} s")
        return self.rows

    def __call__(self):
        return self.fetch()


POISON_AMOUNT = "12,50 EUR"  # a decimal comma and a currency: what a partner's export really sends
GARBLED_AMOUNT = "n/a"  # no parser fix recovers this one: it needs the source to send it again


def order_records(n: int = 10, poison=(), seed: int = 0, garbled=()) -> list[dict]:
    """``n`` raw order records (text, as a file gives them); the ids in ``poison`` carry an unreadable amount.

    ``parse_order`` fails on both ``poison`` and ``garbled`` records; ``parse_order_fixed`` reads
    the poison ones (a decimal comma) and still fails on the garbled ones.

        >>> [r["amount"] for r in order_records(3, poison=(1,))]
        ['10.50', '12,50 EUR', '14.50']
    """
    n = whole(n, "n", at_least=1)
    whole(seed, "seed", at_least=0)
    poison, garbled = _ids(poison, "poison"), _ids(garbled, "garbled")
    for name, ids in (("poison", poison), ("garbled", garbled)):
        for record_id in ids:
            if not (is_whole(record_id) and 0 <= record_id < n):
                raise ValueError(f"{name} must list record ids from 0 to {n - 1}; got {record_id!r}.")
    if set(poison) & set(garbled):
        raise ValueError("a record cannot be both poison and garbled.")
    rng = random.Random(seed)
    records = []
    for i in range(n):
        amount = POISON_AMOUNT if i in poison else GARBLED_AMOUNT if i in garbled else f"{10.5 + 2 * i:.2f}"
        records.append({"record_id": i, "customer": f"c{rng.randrange(1, 6)}", "amount": amount})
    return records


def _ids(ids, name: str) -> tuple:
    if isinstance(ids, (str, bytes)) or not hasattr(ids, "__iter__"):
        raise ValueError(f"{name} must be a list of record ids, such as (3, 8); got {ids!r}.")
    return tuple(ids)


def parse_order(record: dict) -> dict:
    """The record with its amount as a float; ``PoisonRecord`` when the amount is not a plain number."""
    text = record["amount"]
    try:
        amount = float(text)
    except (TypeError, ValueError):
        raise PoisonRecord(f"record {record['record_id']}: amount {text!r} is not a number") from None
    return {**record, "amount": amount}


def parse_order_fixed(record: dict) -> dict:
    """The parser after the fix: it also reads a decimal comma followed by a currency code."""
    text = record["amount"]
    if isinstance(text, str) and text.endswith(" EUR"):
        text = text[:-4].replace(",", ".")
    return parse_order({**record, "amount": text})


# --- a crash mid-write ----------------------------------------------------------------------
STATEMENTS = ("execute", "executemany", "executescript", "commit")


class CrashingConnection(_crash.CrashingConnection):
    """A SQLite connection that dies before its ``crash_before``-th statement (``None``: never).

    A statement is a call of ``execute``, ``executemany``, ``executescript`` or ``commit``.
    At the crash, the open transaction is rolled back (the database forgets a dead client's
    uncommitted work) and every later call raises ``InjectedCrash`` too. ``ran`` lists the
    statements that did run, shortened. (The kit's one crashing connection, ``labs._crash``.)

        >>> from labs import engines
        >>> con = CrashingConnection(engines.sqlite(), crash_before=2)
        >>> _ = con.execute("CREATE TABLE t (x INTEGER)")
        >>> con.execute("INSERT INTO t VALUES (1)")
        Traceback (most recent call last):
        ...
        labs._crash.InjectedCrash: injected crash before statement 2: INSERT INTO t VALUES (1)
    """

    def __init__(self, con: sqlite3.Connection, crash_before: int | None = None):
        if not isinstance(con, sqlite3.Connection):
            raise ValueError(f"con must be a sqlite3 connection, not {type(con).__name__}.")
        if crash_before is not None:
            whole(crash_before, "crash_before", at_least=1)
        super().__init__(con, crash_before, statements=STATEMENTS, roll_back=True)
