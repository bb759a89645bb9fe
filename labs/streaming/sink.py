"""A foreachBatch sink into DuckDB: naive or idempotent, with a crash you can inject.

Spark's checkpoint makes the *source* side replayable: after a crash, the batch that was
not committed runs again with the same ``batch_id`` and the same rows. Whether the result
is exactly-once is then up to the sink: a plain append writes the replayed rows twice.

Two ways to make a write idempotent, both here:

- by batch id: remember which batch ids are done, in the same transaction as the rows;
- by dedup key: insert only events whose ``event_id`` is not stored yet, which also
  absorbs a producer's retries (the same event sent twice, in different batches).

    >>> import pandas as pd
    >>> rows = pd.DataFrame({"event_id": [1, 2], "session_id": [1, 1], "event_type": ["page_view"] * 2,
    ...                      "page": ["/", "/"], "device": ["web"] * 2,
    ...                      "event_time": pd.to_datetime(["2024-06-01 12:00", "2024-06-01 12:01"])})
    >>> con = replay_with_crash(naive_append, [rows, rows.assign(event_id=[3, 4])], crash_batch=0)
    >>> audit(con, {1, 2, 3, 4})
    {'rows': 5, 'duplicates': 1, 'missing': 0}
    >>> audit(replay_with_crash(idempotent_write, [rows, rows.assign(event_id=[3, 4])], crash_batch=0), {1, 2, 3, 4})
    {'rows': 4, 'duplicates': 0, 'missing': 0}
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from labs import engines

TABLE_DDL = ("CREATE TABLE IF NOT EXISTS clicks (event_id BIGINT, session_id BIGINT, event_type VARCHAR, "
             "page VARCHAR, device VARCHAR, event_time TIMESTAMP, batch_id BIGINT)")
COLUMNS = "event_id, session_id, event_type, page, device, event_time"


class InjectedCrash(RuntimeError):
    """The crash the lab injects in the middle of a batch."""


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
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("incoming")


def open_sink(path: str | Path = ":memory:"):
    """A DuckDB connection with the sink table created."""
    con = engines.duckdb(path)
    con.execute(TABLE_DDL)
    return con


def write_with_crash(write, con, rows: pd.DataFrame, batch_id: int) -> None:
    """Write the first half of the batch, then crash: the engine never hears the batch is done."""
    write(con, rows.iloc[: len(rows) // 2].reset_index(drop=True), batch_id)
    raise InjectedCrash(f"injected crash in batch {batch_id} after {len(rows) // 2} of {len(rows)} rows")


def replay_with_crash(write, batches, crash_batch: int | None = None, con=None):
    """Run ``write`` over ``batches`` like an engine with a checkpoint would, crashing once.

    The crashed batch is delivered again, whole and with the same batch id, as Spark does
    after a restart from its checkpoint. Returns the DuckDB connection holding the sink.
    """
    if crash_batch is not None and not 0 <= crash_batch < len(batches):
        raise ValueError(f"crash_batch must be None or between 0 and {len(batches) - 1}; got {crash_batch!r}")
    con = con if con is not None else open_sink()
    for batch_id, rows in enumerate(batches):
        if batch_id == crash_batch:
            try:
                write_with_crash(write, con, rows, batch_id)
            except InjectedCrash:
                pass  # the "restart": the uncommitted batch comes again
        write(con, rows, batch_id)
    return con


def audit(con, expected_ids) -> dict:
    """Rows in the sink, surplus copies of an event, and expected events that are missing."""
    stored = [r[0] for r in con.execute("SELECT event_id FROM clicks").fetchall()]
    expected = set(expected_ids)
    return {"rows": len(stored), "duplicates": len(stored) - len(set(stored)),
            "missing": len(expected - set(stored))}


class SparkSink:
    """A ``foreachBatch`` function writing into a DuckDB file, optionally crashing once.

    The crash is remembered in a marker file, not in memory: the function may run in another
    process (a Spark Connect server's Python worker), and it must crash only the first time.
    """

    def __init__(self, path: str | Path, write=idempotent_write, crash_batch: int | None = None):
        self.path, self.write, self.crash_batch = str(path), write, crash_batch
        self.marker = str(path) + ".crashed"

    def __call__(self, frame, batch_id: int) -> None:
        rows = frame.toPandas()
        con = open_sink(self.path)
        try:
            if batch_id == self.crash_batch and not Path(self.marker).exists():
                Path(self.marker).touch()
                write_with_crash(self.write, con, rows, batch_id)
            self.write(con, rows, batch_id)
        finally:
            con.close()


def stream_into(spark, feed, folder: Path, checkpoint: Path, foreach_batch, batches=None) -> list[str]:
    """Stream the feed's raw events through ``foreach_batch``; restart from the checkpoint on a crash.

    Returns one line per restart (what failed), so a notebook can show what happened.
    """
    from pyspark.errors import StreamingQueryException

    from labs.streaming.feed import drop_batch
    from labs.streaming.queries import source

    def begin():
        return (source(spark, folder).writeStream.foreachBatch(foreach_batch)
                .option("checkpointLocation", str(checkpoint)).start())

    restarts, query = [], begin()
    for k in (range(feed.n_batches) if batches is None else batches):
        drop_batch(feed, k, folder)
        try:
            query.processAllAvailable()
        except StreamingQueryException as exc:
            if "InjectedCrash" not in str(exc):
                raise
            restarts.append(f"file {k}: the query died ({_crash_line(str(exc))}); restarted from the checkpoint")
            query = begin()  # same checkpoint: the uncommitted batch runs again, same id, same rows
            query.processAllAvailable()
    query.stop()
    return restarts


def _crash_line(text: str) -> str:
    import re

    found = re.search(r"injected crash in batch \d+ after \d+ of \d+ rows", text)
    return found.group(0) if found else "crash"
