"""A foreachBatch sink into DuckDB: naive or idempotent, with crashes you can inject.

Spark's checkpoint makes the *source* side replayable: after a crash, the batch that was
not committed runs again with the same ``batch_id`` and the same rows. Whether the result
is exactly-once is then up to the sink: a plain append writes the replayed rows twice.

Two ways to make a write idempotent, both here:

- by batch id: remember which batch ids are done, in the same transaction as the rows;
- by dedup key: insert only events whose ``event_id`` is not stored yet, which also
  absorbs a producer's retries (the same event sent twice, possibly in different batches).

The harness crashes where a real sink crashes: before any statement of the write (the
connection fails, and so does everything after it; an open transaction is rolled back,
as a database does for a client that died), or after the write returned but before the
engine recorded the batch as done. An error that reaches the engine makes it run the batch
again; a write that returns normally has, as far as the engine knows, stored its batch.

    >>> import pandas as pd
    >>> rows = pd.DataFrame({"event_id": [1, 2], "session_id": [1, 1], "event_type": ["page_view"] * 2,
    ...                      "page": ["/", "/"], "device": ["web"] * 2,
    ...                      "event_time": pd.to_datetime(["2024-06-01 12:00", "2024-06-01 12:01"])})
    >>> batches = [rows, rows.assign(event_id=[3, 4])]
    >>> audit(replay_with_crash(naive_append, batches, crash_batch=0), {1, 2, 3, 4})
    {'rows': 6, 'duplicates': 2, 'missing': 0}
    >>> audit(replay_with_crash(idempotent_write, batches, crash_batch=0), {1, 2, 3, 4})
    {'rows': 4, 'duplicates': 0, 'missing': 0}
    >>> [(p["before"], p["missing"]) for p in crash_points(idempotent_write, batches, 0, {1, 2, 3, 4})]
    [('after the write returned', 0), ('BEGIN TRANSACTION', 0), ('INSERT INTO clicks SELECT event_id, session_id, …', 0), ('COMMIT', 0)]
"""
from __future__ import annotations

import contextlib
from pathlib import Path

import pandas as pd

from labs import _crash, engines
from labs._check import is_whole
from labs._crash import InjectedCrash

TABLE_DDL = ("CREATE TABLE IF NOT EXISTS clicks (event_id BIGINT, session_id BIGINT, event_type VARCHAR, "
             "page VARCHAR, device VARCHAR, event_time TIMESTAMP, batch_id BIGINT)")
COLUMNS = "event_id, session_id, event_type, page, device, event_time"


# The connection methods that run a statement: the harness can fail before any of them.
STATEMENTS = frozenset({"execute", "executemany", "sql", "query", "begin", "commit", "rollback", "append"})


class CrashingConnection(_crash.CrashingConnection):
    """A DuckDB connection that fails before its ``crash_before``-th statement, then for good.

    ``ran`` lists the statements that ran (shortened); anything but a statement (``register``,
    ``fetchall`` on a result) passes through. After the crash every call fails, like a
    connection whose process has died. (The kit's one crashing connection, ``labs._crash``,
    counting DuckDB's statement methods.)
    """

    def __init__(self, con, crash_before: int | None = None):
        super().__init__(con, crash_before, statements=STATEMENTS)


def _roll_back(con) -> None:
    """What the database does for a client that died mid-transaction."""
    import duckdb

    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        pass  # no transaction was open


def naive_append(con, rows: pd.DataFrame, batch_id: int) -> None:
    """Append the batch: correct until a batch is replayed or an event is sent twice."""
    con.register("incoming", rows)
    con.execute(f"INSERT INTO clicks SELECT {COLUMNS}, ? FROM incoming", [batch_id])
    con.unregister("incoming")


def idempotent_write(con, rows: pd.DataFrame, batch_id: int) -> None:
    """Insert the events not stored yet, in one transaction: replays and retries change nothing."""
    con.register("incoming", rows)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"""
            INSERT INTO clicks
            SELECT {COLUMNS}, ? FROM incoming
            WHERE event_id NOT IN (SELECT event_id FROM clicks)
            QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY event_time) = 1""", [batch_id])
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(Exception):  # a dead connection cannot roll back; its database will
            con.execute("ROLLBACK")
        raise
    finally:
        with contextlib.suppress(Exception):
            con.unregister("incoming")


def open_sink(path: str | Path = ":memory:"):
    """A DuckDB connection with the sink table created."""
    con = engines.duckdb(path)
    con.execute(TABLE_DDL)
    return con


def write_with_crash(write, con, rows: pd.DataFrame, batch_id: int) -> None:
    """Write the batch, then crash: the engine never hears the batch is done."""
    write(con, rows, batch_id)
    raise InjectedCrash(f"injected crash in batch {batch_id} after its {len(rows)} rows were written")


def replay_with_crash(write, batches, crash_batch: int | None = None, crash_before: int | None = None, con=None):
    """Run ``write`` over ``batches`` like an engine with a checkpoint would, crashing once.

    With ``crash_before=None`` the crash comes after the write of ``crash_batch`` returned;
    with ``crash_before=n`` the connection fails before the write's n-th statement. An error
    that reaches the engine makes it deliver the batch again, whole and with the same id,
    as Spark does after a restart from its checkpoint. Returns the DuckDB connection holding
    the sink.
    """
    con = con if con is not None else open_sink()
    replay(write, batches, crash_batch, crash_before, con)
    return con


def replay(write, batches, crash_batch: int | None, crash_before: int | None, con) -> dict:
    """``replay_with_crash`` into ``con``; returns what happened to the crashed batch.

    ``ran``: the statements its first attempt ran; ``hit``: the statement the crash came
    before (or None); ``swallowed``: the write returned normally although its connection failed.
    """
    if crash_batch is not None and not (is_whole(crash_batch) and 0 <= crash_batch < len(batches)):
        raise ValueError(f"crash_batch must be None or between 0 and {len(batches) - 1}; got {crash_batch!r}")
    if crash_before is not None and not (is_whole(crash_before) and crash_before >= 1):
        raise ValueError(f"crash_before must be None or an integer >= 1; got {crash_before!r}")
    report = {"ran": [], "hit": None, "swallowed": False}
    for batch_id, rows in enumerate(batches):
        if batch_id != crash_batch:
            write(con, rows, batch_id)
            continue
        wrapped = CrashingConnection(con, crash_before)
        try:
            if crash_before is None:
                write_with_crash(write, wrapped, rows, batch_id)
            else:
                write(wrapped, rows, batch_id)
        except InjectedCrash:
            for cur in [con, *wrapped.cursors]:
                _roll_back(cur)
            write(con, rows, batch_id)  # the restart: the batch comes again
        else:
            # the write returned although its connection failed: the engine takes the batch as done
            # (and the dead connection's open transaction is gone with it)
            report["swallowed"] = wrapped.crashed
            if wrapped.crashed:
                for cur in [con, *wrapped.cursors]:
                    _roll_back(cur)
        report["ran"], report["hit"] = list(wrapped.ran), wrapped.hit
    return report


def crash_points(write, batches, crash_batch: int, expected_ids, retry_ids=(), limit: int = 12) -> list[dict]:
    """Replay ``batches`` once per place a crash can hit the write of ``crash_batch``; audit each.

    First after the write returned, then before each of its statements (at most ``limit``
    of them, spread out, when it runs many). Each result says where the crash came
    (``before``: the statement, or "after the write returned"), whether the write swallowed
    it, and the audit, with the surplus copies of ``retry_ids`` (events a producer sent
    twice) counted apart.
    """
    retry_ids = set(retry_ids)
    results, places = [], [None]
    while places:
        before = places.pop(0)
        con = open_sink()
        try:
            report = replay(write, batches, crash_batch, before, con)
            if before is None:
                places = _spread(len(report["ran"]), limit)
            stored = [r[0] for r in con.execute("SELECT event_id FROM clicks").fetchall()]
            copies = pd.Series(stored, dtype="int64").value_counts()
            results.append({"before": report["hit"] or "after the write returned", "statement": before,
                            "swallowed": report["swallowed"], **audit(con, expected_ids),
                            "retry_duplicates": int((copies[copies.index.isin(retry_ids)] - 1).sum())})
        finally:
            con.close()
    return results


def _spread(n: int, limit: int) -> list[int]:
    """Up to ``limit`` statement numbers out of 1..n, always the first and the last."""
    if n <= limit:
        return list(range(1, n + 1))
    step = (n - 1) / (limit - 1)
    return sorted({round(1 + i * step) for i in range(limit)})


def audit(con, expected_ids) -> dict:
    """Rows in the sink, surplus copies of an event, and expected events that are missing."""
    stored = [r[0] for r in con.execute("SELECT event_id FROM clicks").fetchall()]
    expected = set(expected_ids)
    return {"rows": len(stored), "duplicates": len(stored) - len(set(stored)),
            "missing": len(expected - set(stored))}


class SparkSink:
    """A ``foreachBatch`` function writing into a DuckDB file, optionally crashing once.

    ``crash_before=n`` fails the connection before the write's n-th statement in batch
    ``crash_batch``; ``None`` crashes after the write returned. The crash is remembered in a
    marker file, not in memory: the function may run in another process (a Spark Connect
    server's Python worker), and it must crash only the first time.
    """

    def __init__(self, path: str | Path, write=idempotent_write, crash_batch: int | None = None,
                 crash_before: int | None = None):
        self.path, self.write, self.crash_batch, self.crash_before = str(path), write, crash_batch, crash_before
        self.marker = str(path) + ".crashed"

    def __call__(self, frame, batch_id: int) -> None:
        rows = frame.toPandas()
        con = open_sink(self.path)
        try:
            if batch_id == self.crash_batch and not Path(self.marker).exists():
                Path(self.marker).touch()
                if self.crash_before is None:
                    write_with_crash(self.write, con, rows, batch_id)
                self.write(CrashingConnection(con, self.crash_before), rows, batch_id)
            else:
                self.write(con, rows, batch_id)
        finally:
            con.close()  # an open transaction is rolled back, as for a process that died


def stream_into(spark, feed, folder: Path, checkpoint: Path, foreach_batch, batches=None) -> list[str]:
    """Stream the feed's raw events through ``foreach_batch``; restart from the checkpoint on a crash.

    Returns one line per restart (what failed), so a notebook can show what happened.
    """
    from pyspark.errors import StreamingQueryException

    from labs.streaming.feed import drop_batch
    from labs.streaming.queries import catch_up, source

    def begin():
        return (source(spark, folder).writeStream.foreachBatch(foreach_batch)
                .option("checkpointLocation", str(checkpoint)).start())

    restarts, query = [], begin()
    for k in (range(feed.n_batches) if batches is None else batches):
        drop_batch(feed, k, folder)
        try:
            catch_up(query)
        except StreamingQueryException as exc:
            if "InjectedCrash" not in str(exc):
                raise
            restarts.append(f"file {k}: the query died ({_crash_line(str(exc))}); restarted from the checkpoint")
            query = begin()  # same checkpoint: the uncommitted batch runs again, same id, same rows
            catch_up(query)
    query.stop()
    return restarts


def _crash_line(text: str) -> str:
    import re

    found = re.search(r"injected crash (?:in batch \d+ after its \d+ rows were written|before statement \d+: [A-Z ]+)",
                      text)
    return found.group(0).strip() if found else "crash"
