"""Batch against stream on the same events: one metric, two Spark jobs, and the trigger's bill.

``batch_metric`` reads every file of the folder at once; ``stream_metric`` runs Structured
Streaming over the same files, one file per micro-batch (``maxFilesPerTrigger=1``), until it
has caught up (``processAllAvailable``), so a "trigger every T" is a number of files, not a wait.
Both return revenue and orders per country, and they agree to the cent.

What a trigger costs: every micro-batch pays a fixed overhead (planning, listing the folder,
committing offsets and state) on top of the work per row. ``per_row_seconds`` measures the work
per row as the slope between batch runs over 100,000 and 500,000 events; ``fit_costs`` takes the rest of
a micro-batch's time as its overhead; ``trigger_sweep`` turns both into compute per day and
freshness for any trigger interval.

    >>> costs = TriggerCosts(overhead_s=0.2, per_row_s=1e-3, rows_per_day=20_000)
    >>> sweep = trigger_sweep(costs, [60, 3600])
    >>> sweep["micro_batches_per_day"].tolist()
    [1440, 24]
    >>> round(costs.crossover_s())   # below this interval the fixed overhead is most of the bill
    864
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from labs._check import number, whole
from labs.architecture.events import SCHEMA_DDL, drop_files
from labs.streaming.queries import executed

DAY_S = 86_400


def _metric(frame):
    from pyspark.sql import functions as F

    return (frame.filter(F.col("status") == "paid").groupBy("country")
            .agg(F.count("*").alias("orders"), F.round(F.sum("amount"), 2).alias("revenue")))


def batch_metric(spark, folder: Path) -> pd.DataFrame:
    """Revenue and orders per country over every file in ``folder``: one batch job."""
    frame = spark.read.schema(SCHEMA_DDL).json(str(folder))
    return _metric(frame).toPandas().sort_values("country", ignore_index=True)


def _rows(progress) -> int:
    """Rows a micro-batch read. Spark Connect leaves the top-level count empty and fills the
    sources' counts; the ``numInputRows`` property of Spark 4's progress object adds those up."""
    rows = getattr(progress, "numInputRows", None)
    return int(rows if rows is not None else progress.get("numInputRows") or 0)


@dataclass(frozen=True)
class StreamRun:
    result: pd.DataFrame       # the metric after the last micro-batch
    progress: pd.DataFrame     # one row per micro-batch: rows in, milliseconds spent
    rows: int                  # events in the files the run read


def stream_metric(spark, events: pd.DataFrame, n_files: int, workdir: Path, name: str = "revenue_stream") -> StreamRun:
    """Drop ``events`` as ``n_files`` files and run the streaming query over them until it has caught up."""
    n_files = whole(n_files, "n_files", at_least=1)
    workdir = Path(workdir)
    shutil.rmtree(workdir, ignore_errors=True)
    source, checkpoint = workdir / "source", workdir / "checkpoint"
    drop_files(events, source, n_files)
    stream = spark.readStream.schema(SCHEMA_DDL).option("maxFilesPerTrigger", 1).json(str(source))
    query = (_metric(stream).writeStream.format("memory").queryName(name).outputMode("complete")
             .option("checkpointLocation", str(checkpoint)).start())
    try:
        query.processAllAvailable()
        # the micro-batches that ran (not idle reports), read the way notebook 07's lab reads them,
        # which works on local Spark and on Spark Connect alike
        reports = [p for p in executed(query) if _rows(p)]
        result = spark.table(name).toPandas().sort_values("country", ignore_index=True)
    finally:
        query.stop()
    progress = pd.DataFrame({
        "batch_id": [p["batchId"] for p in reports],
        "rows": [_rows(p) for p in reports],
        "ms": [p["durationMs"].get("triggerExecution", 0) for p in reports],
    })
    return StreamRun(result, progress, len(events))


@dataclass(frozen=True)
class TriggerCosts:
    """The two parts of a stream's compute: a fixed cost per micro-batch and a cost per row."""
    overhead_s: float
    per_row_s: float
    rows_per_day: int

    def compute_s(self, trigger_s: float) -> float:
        """Compute seconds per day with a micro-batch every ``trigger_s`` seconds."""
        return DAY_S / trigger_s * self.overhead_s + self.rows_per_day * self.per_row_s

    def crossover_s(self) -> float:
        """The trigger interval at which the fixed overheads cost as much as the rows themselves."""
        return DAY_S * self.overhead_s / (self.rows_per_day * self.per_row_s)


def write_json(events: pd.DataFrame, folder: Path) -> Path:
    """The events as one JSON-lines file, written by DuckDB (fast enough for a million rows)."""
    from labs import engines

    folder = Path(folder)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    con = engines.duckdb()
    con.register("events_frame", events)
    target = folder / "part-0.jsonl"
    con.execute("COPY (SELECT event_id, customer_id, country, status, amount, "
                "strftime(event_time, '%Y-%m-%dT%H:%M:%SZ') AS event_time FROM events_frame) "
                f"TO '{target}' (FORMAT json)")
    return target


def per_row_seconds(spark, workdir: Path, small: int = 100_000, big: int = 500_000, repeat: int = 2) -> float:
    """Spark's cost per row of the batch job: the slope between runs over ``small`` and ``big`` events.

    Both runs pay the same fixed cost per job, so the difference in time is the extra rows' work;
    the sizes are far enough apart for the difference to stand out of a busy machine's noise.
    """
    from labs.architecture.events import make_events
    from labs.timing import best_of

    small, big = whole(small, "small", at_least=1), whole(big, "big", at_least=1)
    if big <= small:
        raise ValueError(f"big must be more rows than small; got {small:,} and {big:,}")
    workdir = Path(workdir)
    seconds = []
    for n in (small, big):
        folder = workdir / f"rows-{n}"
        write_json(make_events(n, seed=8), folder)
        seconds.append(best_of(lambda: batch_metric(spark, folder), repeat=repeat, warmup=0))
    # a noisy machine can make the slope come out negative: keep it positive
    return max((seconds[1] - seconds[0]) / (big - small), 1e-9)


def fit_costs(run: StreamRun, per_row_s: float, rows_per_day: int) -> TriggerCosts:
    """The fixed overhead of a micro-batch: its median time less its rows' share at ``per_row_s``.

    The median, because the first micro-batch of a session also pays for warming up. Rows per
    micro-batch are counted from the run's own files (Spark pushes the status filter into the
    JSON reader, so its ``numInputRows`` counts only the paid ones); ``rows_per_day`` is the
    volume to price, which may be a production volume rather than the lab's.
    """
    per_row_s = number(per_row_s, "per_row_s", above=0)
    if run.progress.empty:
        raise ValueError("the streaming run has no micro-batches to measure")
    rows_per_batch = run.rows / len(run.progress)
    overhead = max(run.progress["ms"].median() / 1e3 - rows_per_batch * per_row_s, 1e-3)
    return TriggerCosts(float(overhead), float(per_row_s), whole(rows_per_day, "rows_per_day", at_least=1))


def trigger_sweep(costs: TriggerCosts, triggers_s) -> pd.DataFrame:
    """For each trigger interval: micro-batches per day, compute seconds per day, staleness.

    A result is on average half an interval old when read, plus the micro-batch's own run time;
    at worst one whole interval plus the run time.
    """
    rows = []
    for t in triggers_s:
        t = number(t, "trigger interval", above=0)
        batches = DAY_S / t
        run_s = costs.overhead_s + costs.rows_per_day / batches * costs.per_row_s
        rows.append({"trigger_s": t, "micro_batches_per_day": round(batches),
                     "compute_s_per_day": costs.compute_s(t),
                     "mean_staleness_s": t / 2 + run_s, "worst_staleness_s": t + run_s})
    return pd.DataFrame(rows)
