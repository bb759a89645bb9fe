"""Structured Streaming queries on the scripted feed: windows, watermarks, output modes, progress.

The file source reads the JSON-lines files dropped into a folder; ``maxFilesPerTrigger=1``
makes one file one micro-batch, and ``processAllAvailable()`` after each drop waits until
the query (including the no-data batch that moves the watermark) has caught up. The run is
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


def replay(feed: Feed, folder: Path, queries, batches=None) -> None:
    """Drop the feed's batches one by one; after each, wait until every query has caught up."""
    for k in (range(feed.n_batches) if batches is None else batches):
        drop_batch(feed, k, folder)
        for query in queries:
            query.processAllAvailable()


def progress_table(query) -> pd.DataFrame:
    """One row per micro-batch from the query's recent progress (data and no-data batches)."""
    rows = []
    for p in query.recentProgress:
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
    return pd.DataFrame(rows)


def dropped_by_watermark(query) -> int:
    """Rows dropped as late by every stateful operator, over the query's recent progress."""
    return sum(op["numRowsDroppedByWatermark"] for p in query.recentProgress for op in p["stateOperators"])


def table(spark, name: str) -> pd.DataFrame:
    """A memory sink's table as pandas, sorted (a stream's rows come in no fixed order)."""
    frame = spark.table(name).toPandas()
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)
