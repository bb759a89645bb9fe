"""The dual write and the transactional outbox, on SQLite.

A service that commits a change to its database and then publishes the fact to a log can
die between the two: the database says "paid", and nobody downstream ever hears it. (Publishing
first is no better: a rollback leaves an event for a payment that never happened.) The outbox
puts the event in a table of the same database, in the same transaction as the change; a relay
publishes unsent outbox rows afterwards and marks them sent. A relay that dies between
publishing and marking sends that event again: at-least-once, which consumers absorb by
de-duplicating on the event id.

    >>> dual_write(n_orders=5, crash_at=2)["paid, never announced"]
    1
    >>> with_outbox(n_orders=5, crash_at=2, relay_crash_at=3)["paid, never announced"]
    0
"""
from __future__ import annotations

from labs import engines
from labs._check import is_whole


class ServiceCrash(RuntimeError):
    """The service (or its relay) dying at a chosen point."""


def _database():
    con = engines.sqlite()
    con.execute("CREATE TABLE orders (order_id INTEGER PRIMARY KEY, status TEXT NOT NULL)")
    con.execute("CREATE TABLE outbox (event_id TEXT PRIMARY KEY, order_id INTEGER NOT NULL, "
                "sent INTEGER NOT NULL DEFAULT 0)")
    return con


def _check(n_orders, *points):
    if not is_whole(n_orders) or n_orders < 1:
        raise ValueError(f"n_orders must be an integer >= 1; got {n_orders!r}")
    for point in points:
        if point is not None and not (is_whole(point) and 1 <= point <= n_orders):
            raise ValueError(f"a crash point must be None or between 1 and n_orders={n_orders}; got {point!r}")


def _summary(con, log: list[str]) -> dict:
    paid = {r[0] for r in con.execute("SELECT order_id FROM orders WHERE status = 'paid'")}
    announced = {int(e.split("-")[1]) for e in log}
    return {"orders paid": len(paid), "events published": len(log), "distinct events": len(set(log)),
            "paid, never announced": len(paid - announced), "announced twice": len(log) - len(set(log))}


def dual_write(n_orders: int = 10, crash_at: int | None = None) -> dict:
    """Commit each payment, then publish it; the process dies between the two for order ``crash_at``."""
    _check(n_orders, crash_at)
    con, log = _database(), []
    for order_id in range(1, n_orders + 1):
        with con:  # one transaction: the payment
            con.execute("INSERT INTO orders VALUES (?, 'paid')", (order_id,))
        if order_id == crash_at:
            continue  # died after the commit, before the publish; the restarted service takes the next request
        log.append(f"paid-{order_id}")
    return _summary(con, log)


def relay(con, log: list[str], crash_at: int | None = None) -> None:
    """Publish unsent outbox rows in order, marking each sent; die after publishing the ``crash_at``-th."""
    rows = con.execute("SELECT event_id FROM outbox WHERE sent = 0 ORDER BY rowid").fetchall()
    for n, (event_id,) in enumerate(rows, start=1):
        log.append(event_id)
        if n == crash_at:
            raise ServiceCrash(f"relay died after publishing {event_id}, before marking it sent")
        with con:
            con.execute("UPDATE outbox SET sent = 1 WHERE event_id = ?", (event_id,))


def with_outbox(n_orders: int = 10, crash_at: int | None = None, relay_crash_at: int | None = None) -> dict:
    """Commit each payment with its outbox row; a relay publishes them, dying once at ``relay_crash_at``."""
    _check(n_orders, crash_at, relay_crash_at)
    con, log = _database(), []
    for order_id in range(1, n_orders + 1):
        with con:  # the payment and its event, together or not at all
            con.execute("INSERT INTO orders VALUES (?, 'paid')", (order_id,))
            con.execute("INSERT INTO outbox (event_id, order_id) VALUES (?, ?)", (f"paid-{order_id}", order_id))
        # a crash here (order crash_at) loses nothing: the event is already committed in the outbox
    try:
        relay(con, log, relay_crash_at)
    except ServiceCrash:
        relay(con, log)  # the restarted relay publishes what is not marked sent, the last one again
    return _summary(con, log)
