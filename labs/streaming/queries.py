"""Structured Streaming queries on the scripted feed: windows, watermarks, output modes, progress.

The file source reads the JSON-lines files dropped into a folder; ``maxFilesPerTrigger=1``
makes one file one micro-batch, and ``catch_up`` (``processAllAvailable()``, made safe
against a file dropped mid-trigger) after each drop waits until the query, including the
no-data batch that moves the watermark, has caught up. The run is
therefore the same every time, which is what lets the exercises check exact numbers.

    >>> from labs import engines                                    # doctest: +SKIP
    >>> spark = engines.spark()                                     # doctest: +SKIP
    >>> counts = window_counts(source(spark, folder), "5 minutes", "10 minutes")  # doctest: +SKIP
    >>> q = start(counts, "counts", checkpoint)                     # doctest: +SKIP
    >>> replay(feed, folder, [q])                                   # doctest: +SKIP
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from labs import paths
from labs.streaming.feed import SCHEMA_DDL, Feed, drop_batch

OUTPUT_MODES = ("append", "update", "complete")


def workspace(name: str = "streaming") -> Path:
    """A fresh folder for source files and checkpoints (deleted and recreated)."""
    if not name or "/" in name or name.startswith("."):
        raise ValueError(f"name must be a plain folder name; got {name!r}")
    folder = paths.state_dir() / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def source(spark, folder: Path):
    """The clickstream as a streaming DataFrame: one file per micro-batch, explicit schema."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    return (spark.readStream.schema(SCHEMA_DDL)
            .option("maxFilesPerTrigger", 1)
            .json(str(folder)))


def window_counts(stream, window: str = "5 minutes", delay: str | None = "10 minutes", dedup: bool = True):
    """Events per tumbling event-time window, late rows dropped by a watermark of ``delay``.

    ``dedup`` drops producer retries (same ``event_id``) while the watermark says they can
    still arrive; its state is freed as the watermark passes.
    """
    from pyspark.sql import functions as F

    if delay is not None:
        stream = stream.withWatermark("event_time", delay)
    if dedup:
        if delay is None:
            raise ValueError("dedup needs a watermark: pass delay='10 minutes' (or dedup=False)")
        stream = stream.dropDuplicatesWithinWatermark(["event_id"])
    return (stream.groupBy(F.window("event_time", window)).count()
            .select(F.col("window.start").alias("window_start"), F.col("window.end").alias("window_end"), "count"))


def start(frame, name: str, checkpoint: Path, mode: str = "append"):
    """Start ``frame`` into an in-memory table called ``name`` (readable with spark.table)."""
    if mode not in OUTPUT_MODES:
        raise ValueError(f"mode must be one of {', '.join(OUTPUT_MODES)}; got {mode!r}")
    return (frame.writeStream.format("memory").queryName(name).outputMode(mode)
            .option("checkpointLocation", str(checkpoint)).start())


def catch_up(query) -> None:
    """Wait until ``query`` has processed every file in its folder, and run the no-data batch after it.

    ``processAllAvailable()`` returns when a trigger finds nothing to do, and a trigger that
    listed the folder just before a file was dropped can be that trigger: it would return with
    the new file unread, and the next file would then follow it back to back, without the
    no-data batch in between. A second call waits for a trigger that began after the first
    returned, so after the file was there.
    """
    query.processAllAvailable()
    query.processAllAvailable()


def replay(feed: Feed, folder: Path, queries, batches=None) -> None:
    """Drop the feed's batches one by one; after each, wait until every query has caught up."""
    for k in (range(feed.n_batches) if batches is None else batches):
        drop_batch(feed, k, folder)
        for query in queries:
            catch_up(query)


def executed(query) -> list[dict]:
    """The progress of every micro-batch the query ran, data and no-data batches, in order.

    ``recentProgress`` also holds idle reports (a query waiting for files reports now and then
    that nothing happened); they ran nothing, carry no ``addBatch`` time, and depend on timing,
    so they are left out: what remains is the same on every run.
    """
    return [p for p in query.recentProgress if "addBatch" in (p.get("durationMs") or {})]


def progress_table(query) -> pd.DataFrame:
    """One row per micro-batch that ran (data and no-data batches), from the query's progress."""
    rows = []
    for p in executed(query):
        ops = p["stateOperators"]
        rows.append({
            "batch_id": p["batchId"],
            "input_rows": p["numInputRows"],
            "watermark": (p["eventTime"] or {}).get("watermark", ""),
            "dropped_by_watermark": sum(op["numRowsDroppedByWatermark"] for op in ops),
            "state_rows": sum(op["numRowsTotal"] for op in ops),
            "state_bytes": sum(op["memoryUsedBytes"] for op in ops),
            "trigger_ms": p["durationMs"].get("triggerExecution", 0),
        })
    return pd.DataFrame(rows, columns=["batch_id", "input_rows", "watermark", "dropped_by_watermark",
                                       "state_rows", "state_bytes", "trigger_ms"])


def dropped_by_watermark(query) -> int:
    """Rows dropped as late by every stateful operator, over the query's recent progress."""
    return sum(op["numRowsDroppedByWatermark"] for p in query.recentProgress for op in p["stateOperators"])


def operators(query) -> pd.DataFrame:
    """Per stateful operator: rows it dropped as late over the whole run, and its state rows at the end.

    Spark names them in its progress: ``dedupeWithinWatermark`` and ``dedupe`` for
    de-duplication, ``stateStoreSave`` for an aggregation's state.
    """
    ran = executed(query)
    if not ran:
        return pd.DataFrame(columns=["operator", "dropped_by_watermark", "state_rows_at_end"])
    names = [op["operatorName"] for op in ran[-1]["stateOperators"]]
    dropped = [sum(p["stateOperators"][i]["numRowsDroppedByWatermark"] for p in ran) for i in range(len(names))]
    return pd.DataFrame({"operator": names, "dropped_by_watermark": dropped,
                         "state_rows_at_end": [op["numRowsTotal"] for op in ran[-1]["stateOperators"]]})


def late_rule_on_spark(spark, batches, window_minutes: int, delay_minutes: int, name: str = "late_rule") -> list[int]:
    """The ids Spark itself drops for micro-batches of ``[event_id, event_minute]`` (the exercise's input).

    Each batch becomes one file, an empty batch an empty file (a batch without rows), and
    Spark's own no-data batches are switched off, so Spark runs exactly the batches given.
    A closing heartbeat far ahead, then one more empty batch, move the watermark past every
    window, so append mode emits them all; the ids it never counted are the dropped ones.
    """
    from pyspark.sql import functions as F

    from labs.streaming.feed import ORIGIN, drop_file, to_jsonl

    ws = workspace(f"spark-rule-{name}")
    ids = sorted(int(e) for batch in batches for e, _ in batch)
    top = max([m for batch in batches for _, m in batch], default=0)
    closing = [[[-1, top + 100 * (window_minutes + delay_minutes)]], []]
    key = "spark.sql.streaming.noDataMicroBatches.enabled"
    before = spark.conf.get(key, "true")
    spark.conf.set(key, "false")
    try:
        stream = source(spark, ws / "source").withWatermark("event_time", f"{delay_minutes} minutes")
        counted = (stream.groupBy(F.window("event_time", f"{window_minutes} minutes"))
                   .agg(F.collect_list("event_id").alias("ids")))
        query = start(counted, name, ws / "checkpoint")
        try:
            for k, batch in enumerate([*batches, *closing]):
                rows = pd.DataFrame({"event_id": [int(e) for e, _ in batch], "session_id": 0, "event_type": "click",
                                     "page": "/", "device": "web",
                                     "event_time": [ORIGIN + pd.Timedelta(minutes=m) for _, m in batch]})
                drop_file(ws / "source", f"batch-{k:04d}.jsonl", to_jsonl(rows) if len(rows) else "")
                catch_up(query)
        finally:
            query.stop()
    finally:
        spark.conf.set(key, before)
    seen = {int(e) for row in spark.table(name).collect() for e in row["ids"]}
    return [e for e in ids if e not in seen]


def table(spark, name: str) -> pd.DataFrame:
    """A memory sink's table as pandas, sorted (a stream's rows come in no fixed order)."""
    frame = spark.table(name).toPandas()
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)
