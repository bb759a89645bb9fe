"""The watermark rule in plain Python: predict, batch by batch, what Spark keeps and drops.

Spark 4's rule for an event-time watermark (since 3.4, when several stateful operators in
one query became possible), as this model applies it:

1. the watermark batch ``k`` runs with is ``max(event_time of batches 0..k-1) - delay``: it never
   moves backwards and never moves *inside* a batch; it is what evicts state and closes windows;
2. late rows are judged against the watermark of the **previous** batch, ``k-1``: one batch more
   lenient than eviction. (Before 3.4 one watermark did both jobs.)
3. a no-data batch is a batch: Spark runs one after a batch that moved the watermark when no new
   data is waiting (``processAllAvailable()`` after each file does exactly that), so the next data
   batch's "previous" watermark is already the new one and the two rules agree;
4. a de-duplication within the watermark drops a row whose ``event_time <= `` that late-row
   watermark, and a repeated key it has already kept; a windowed aggregation drops a row whose
   window *end* ``<=`` it: a late row still counts while its window is open;
5. in append mode a window is emitted once, when the watermark passes its end.

    >>> import pandas as pd
    >>> t = lambda s: pd.Timestamp("2024-06-01 12:00", tz="UTC") + pd.Timedelta(s)
    >>> batches = [pd.DataFrame({"event_id": [1, 2], "event_time": [t("0min"), t("20min")]}),
    ...            pd.DataFrame({"event_id": [3, 4], "event_time": [t("1min"), t("18min")]})]
    >>> run = simulate(batches, window="5 minutes", delay="10 minutes")
    >>> run.watermarks[1] == t("10min"), run.dropped["event_id"].tolist()
    (True, [3])
    >>> simulate(batches, "5 minutes", "10 minutes", no_data_batches=False).dropped["event_id"].tolist()
    []
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

_EPOCH = pd.Timestamp("1970-01-01", tz="UTC")


@dataclass(frozen=True)
class Run:
    watermarks: list          # the watermark each batch ran with (epoch for the first): it evicts state
    late_watermarks: list     # the watermark each batch judged late rows against (the previous batch's)
    kept: pd.DataFrame        # rows that reached the aggregation's state, with their window
    dropped: pd.DataFrame     # rows dropped as late, with the batch that brought them
    counts: pd.DataFrame      # per-window counts an append-mode query emits: window_start, window_end, count


def duration(text, name: str = "duration") -> pd.Timedelta:
    """'10 minutes' or a Timedelta -> Timedelta (the spelling Spark's withWatermark takes)."""
    try:
        value = pd.Timedelta(text)
    except (ValueError, TypeError):
        raise ValueError(f"{name} must be a duration such as '10 minutes'; got {text!r}") from None
    if value < pd.Timedelta(0):
        raise ValueError(f"{name} must not be negative; got {text!r}")
    return value


def simulate(batches, window="5 minutes", delay="10 minutes", dedup_key: str | None = None,
             no_data_batches: bool = True) -> Run:
    """Replay ``batches`` (frames with ``event_time``) through a watermarked tumbling-window count.

    An empty frame is a no-data batch. ``no_data_batches=True`` is how the lab's replay runs:
    after each data batch that moved the watermark, a no-data batch carries the new watermark
    before the next data arrives. ``False``: the given batches ran back to back (a busy source),
    so each judges late rows against the watermark of the batch before it.
    """
    size = duration(window, "window")
    if size <= pd.Timedelta(0):
        raise ValueError(f"window must be a positive duration; got {window!r}")
    late_by = duration(delay, "delay")
    watermark = previous = _EPOCH  # the watermark of the batch about to run, and of the batch before it
    max_seen = None
    seen_keys: set = set()
    kept, dropped, watermarks, late_marks = [], [], [], []
    for k, batch in enumerate(batches):
        watermarks.append(watermark)
        late_marks.append(previous)
        rows = batch.assign(batch=k)
        if dedup_key is not None:
            late = rows["event_time"] <= previous
            dropped.append(rows[late])
            rows = rows[~late]
            repeat = rows[dedup_key].isin(seen_keys) | rows[dedup_key].duplicated()
            seen_keys |= set(rows.loc[~repeat, dedup_key])
            rows = rows[~repeat]
        start = _EPOCH + ((rows["event_time"] - _EPOCH) // size) * size
        rows = rows.assign(window_start=start, window_end=start + size)
        late = rows["window_end"] <= previous
        dropped.append(rows[late].drop(columns=["window_start", "window_end"]))
        kept.append(rows[~late])
        previous = watermark
        if len(batch):
            top = batch["event_time"].max()
            max_seen = top if max_seen is None else max(max_seen, top)
            watermark = max(watermark, max_seen - late_by)
            if no_data_batches:
                previous = watermark  # the no-data batch ran with it
    emitted_by = watermark if no_data_batches else (watermarks[-1] if watermarks else _EPOCH)
    kept_rows = pd.concat(kept, ignore_index=True) if kept else pd.DataFrame(
        columns=["event_id", "event_time", "batch", "window_start", "window_end"])
    counts = (kept_rows[kept_rows["window_end"] <= emitted_by]
              .groupby(["window_start", "window_end"]).size().rename("count").reset_index())
    for column in ("window_start", "window_end"):  # as Spark hands them to pandas: UTC, no zone
        counts[column] = pd.to_datetime(counts[column], utc=True).dt.tz_localize(None)
    return Run(watermarks, late_marks, kept_rows,
               pd.concat(dropped, ignore_index=True) if dropped else pd.DataFrame(), counts)


def sweep(batches, delays, window="5 minutes", is_late=None) -> pd.DataFrame:
    """Dropped rows for each watermark delay, split into planted-late and on-time rows.

    ``is_late``: a set of the event ids planted as late.
    """
    is_late = set(is_late or ())
    out = []
    for delay in delays:
        run = simulate(batches, window, delay, dedup_key="event_id")
        late = run.dropped["event_id"].isin(is_late) if len(run.dropped) else pd.Series(dtype=bool)
        out.append({"delay_minutes": duration(delay).total_seconds() / 60,
                    "late_dropped": int(late.sum()), "on_time_dropped": int((~late).sum())})
    return pd.DataFrame(out)
