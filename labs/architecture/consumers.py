"""Event-driven consumers under at-least-once delivery, on SQLite.

A broker (or an outbox relay) redelivers an event whenever it did not see the consumer's
acknowledgement: after a timeout, a rebalance, a crash. ``deliveries`` plays such a stream:
every event once, and some again later. A consumer that just adds the amount counts those
twice; an idempotent one records each event id in the same transaction as its effect, so a
redelivery finds the id and does nothing, and a crash between the two leaves neither.

    >>> events = [{"event_id": i, "customer_id": i % 2, "amount_cents": 100} for i in range(1, 5)]
    >>> stream = deliveries(events, redeliver=0.5, seed=1)
    >>> len(stream) > len(events)
    True
    >>> run(naive_consumer, stream)["overcounted_cents"] > 0, run(idempotent_consumer, stream)["overcounted_cents"]
    (True, 0)
"""
from __future__ import annotations

import random
import sqlite3

from labs import engines
from labs._check import fraction, whole


class ConsumerCrash(RuntimeError):
    """The consumer process dying in the middle of handling one delivery."""


def consumer_db() -> sqlite3.Connection:
    """A consumer's own database: running totals per customer and the ids it has processed."""
    con = engines.sqlite()
    con.execute("CREATE TABLE totals (customer_id INTEGER PRIMARY KEY, total_cents INTEGER NOT NULL)")
    con.execute("CREATE TABLE processed (event_id INTEGER PRIMARY KEY)")
    con.commit()
    return con


def deliveries(events: list[dict], redeliver: float = 0.1, seed: int = 0) -> list[dict]:
    """Every event once, in order, and a share ``redeliver`` of them once more, a few places later."""
    redeliver = fraction(redeliver, "redeliver")
    rng = random.Random(whole(seed, "seed"))
    stream = [dict(e) for e in events]
    for event in events:
        if rng.random() < redeliver:
            # the acknowledgement was lost: the broker sends it again after a few more events
            stream.insert(min(len(stream), stream.index(event) + 1 + rng.randint(1, 5)), dict(event))
    return stream


def naive_consumer(con: sqlite3.Connection, event: dict) -> None:
    """Add the amount: right only if every event arrives exactly once."""
    with con:
        con.execute("INSERT INTO totals VALUES (?, ?) ON CONFLICT (customer_id) "
                    "DO UPDATE SET total_cents = total_cents + excluded.total_cents",
                    (event["customer_id"], event["amount_cents"]))


def idempotent_consumer(con: sqlite3.Connection, event: dict) -> None:
    """Record the event id and apply the effect in one transaction; a known id changes nothing."""
    with con:  # both statements commit together, or neither does
        seen = con.execute("INSERT OR IGNORE INTO processed VALUES (?)", (event["event_id"],)).rowcount == 0
        if seen:
            return
        con.execute("INSERT INTO totals VALUES (?, ?) ON CONFLICT (customer_id) "
                    "DO UPDATE SET total_cents = total_cents + excluded.total_cents",
                    (event["customer_id"], event["amount_cents"]))


class CrashingConnection:
    """A SQLite connection that dies just before the second write of one chosen delivery.

    Work not yet committed is lost with the process (the runner rolls it back), as it would be.
    """

    def __init__(self, con: sqlite3.Connection):
        self._con = con
        self.armed = False
        self._writes = 0

    def arm(self) -> None:
        self.armed, self._writes = True, 0

    def execute(self, sql: str, params=()):
        if self.armed and not sql.lstrip().upper().startswith("SELECT"):
            self._writes += 1
            if self._writes == 2:
                self.armed = False
                raise ConsumerCrash("the consumer died between its two writes")
        return self._con.execute(sql, params)

    def __getattr__(self, name):
        return getattr(self._con, name)

    def __enter__(self):
        self._con.__enter__()
        return self

    def __exit__(self, *exc):
        return self._con.__exit__(*exc)


def run(consumer, stream: list[dict], crash_at: int | None = None) -> dict:
    """Feed ``stream`` to ``consumer(con, event)``; optionally die once during delivery ``crash_at``
    (counted from 0), after which the broker redelivers that event, as it would.

    Returns what was delivered and what the consumer's totals say against the truth.
    """
    con = consumer_db()
    wrapped = CrashingConnection(con)
    crashes = 0
    queue = list(stream)
    i = 0
    while i < len(queue):
        if i == crash_at:
            wrapped.arm()
        try:
            consumer(wrapped, dict(queue[i]))
        except ConsumerCrash:
            con.rollback()  # the process is gone: what it had not committed is gone too
            crashes += 1
            queue.insert(i + 1, queue[i])  # never acknowledged, so delivered again
        wrapped.armed = False
        i += 1
    totals = dict(con.execute("SELECT customer_id, total_cents FROM totals").fetchall())
    truth: dict[int, int] = {}
    for event in {e["event_id"]: e for e in stream}.values():
        truth[event["customer_id"]] = truth.get(event["customer_id"], 0) + event["amount_cents"]
    counted, expected = sum(totals.values()), sum(truth.values())
    return {"deliveries": len(queue), "distinct_events": len({e["event_id"] for e in stream}), "crashes": crashes,
            "total_cents": counted, "expected_cents": expected, "overcounted_cents": counted - expected,
            "wrong_customers": sum(totals.get(c, 0) != t for c, t in truth.items()) + len(set(totals) - set(truth))}
