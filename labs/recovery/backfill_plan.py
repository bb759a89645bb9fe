"""Logical dates, catch-up and backfills, planned without an orchestrator.

A scheduled run is named by its **logical date**: the start of the interval of data it
processes. The daily run for 2024-03-01 covers [2024-03-01, 2024-03-02) and can only run once that
interval is over, so it starts on 2024-03-02. After an outage the scheduler owes every interval
that ended since the last successful run; with **catch-up** on it creates them all, oldest first,
with catch-up off only the latest (the missed ones are then a backfill someone asks for).

A **backfill** reruns a range of past logical dates, at most ``max_active_runs`` at a time (all
the source and the warehouse can bear); a job that depends on its own past (a running total,
``labs.pipelines.backfill.RevenueToDateJob``) must go one day after another whatever the limit.
Rerunning a day is safe only when the task is idempotent: it **overwrites its partition** (delete
the day, insert the day, one transaction) instead of appending to it; ``rerun_check`` measures both.

    >>> runs = runs_to_create("2024-03-01", last_success="2024-03-03", now="2024-03-07 06:00")
    >>> runs["logical_date"].dt.strftime("%m-%d").tolist()
    ['03-04', '03-05', '03-06']
    >>> runs_to_create("2024-03-01", "2024-03-03", "2024-03-07 06:00", catchup=False)["logical_date"].dt.day.tolist()
    [6]
    >>> backfill("2024-01-01", "2024-01-10", max_active_runs=3).summary["peak_active"]
    3
"""
from __future__ import annotations

import datetime as dt
import os
import random
from dataclasses import dataclass

import pandas as pd

from labs._check import number, whole
from labs.pipelines.backfill import DailyRevenueJob, days_between
from labs.pipelines.fingerprint import content_hash

SCHEDULES = {"daily": pd.Timedelta(days=1), "hourly": pd.Timedelta(hours=1)}


def _moment(value, name: str) -> pd.Timestamp:
    if isinstance(value, bool) or not isinstance(value, (str, dt.date, pd.Timestamp)):
        raise ValueError(f"{name} must be a date or a timestamp such as '2024-03-01', not {value!r}.")
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise ValueError(f"{name} must be a date or a timestamp such as '2024-03-01', not {value!r}.") from None
    if stamp is pd.NaT or pd.isna(stamp):
        raise ValueError(f"{name} must be a date or a timestamp such as '2024-03-01', not {value!r}.")
    return stamp.tz_localize(None) if stamp.tzinfo is not None else stamp


def _step(schedule: str) -> pd.Timedelta:
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}; got {schedule!r}.")
    return SCHEDULES[schedule]


def runs_to_create(start, last_success, now, schedule: str = "daily", catchup: bool = True) -> pd.DataFrame:
    """The runs a scheduler creates at ``now``: one row per logical date, with its data interval.

    ``start`` is the first logical date; ``last_success`` the logical date of the last successful
    run (None when nothing ran yet). A run is due when its interval has ended (``interval_end <= now``).
    """
    step = _step(schedule)
    if not isinstance(catchup, bool):
        raise ValueError(f"catchup must be True or False, not {catchup!r}.")
    start = _moment(start, "start").floor(step)
    now = _moment(now, "now")
    if last_success is not None:
        last_success = _moment(last_success, "last_success").floor(step)
        if last_success < start:
            raise ValueError(f"last_success ({last_success.date()}) is before start ({start.date()}).")
        if last_success + step > now:
            raise ValueError(f"last_success ({last_success}) cannot have run yet at now ({now}): "
                             "its interval has not ended.")
    first = start if last_success is None else last_success + step
    due = [] if now < first + step else list(pd.date_range(first, (now - step).floor(step), freq=step))
    if not catchup:
        due = due[-1:]
    frame = pd.DataFrame({"logical_date": pd.to_datetime(due)}, dtype="datetime64[ns]")
    frame["interval_start"] = frame["logical_date"]
    frame["interval_end"] = frame["logical_date"] + step
    frame["kind"] = ["catch-up" if i < len(frame) - 1 else "latest" for i in range(len(frame))]
    return frame


@dataclass
class BackfillPlan:
    """``runs``: one row per logical date, when it starts and ends (minutes from the backfill's start)."""
    runs: pd.DataFrame
    summary: dict

    def __repr__(self) -> str:
        return f"BackfillPlan({self.summary})"


def backfill(start, end, max_active_runs: int = 3, depends_on_past: bool = False, minutes=(5, 20),
             seed: int = 0) -> BackfillPlan:
    """Rerun every day from ``start`` to ``end``, oldest first, at most ``max_active_runs`` at once.

    Each run takes a seeded number of minutes drawn from ``minutes`` (low, high); a run starts as
    soon as a slot is free and, with ``depends_on_past``, once the day before has finished.
    """
    max_active_runs = whole(max_active_runs, "max_active_runs", at_least=1)
    if not isinstance(depends_on_past, bool):
        raise ValueError(f"depends_on_past must be True or False, not {depends_on_past!r}.")
    low, high = _minutes(minutes)
    rng = random.Random(whole(seed, "seed", at_least=0))
    days = days_between(_moment(start, "start"), _moment(end, "end"))
    slots = [0.0] * max_active_runs  # when each slot is next free
    rows, previous_end = [], 0.0
    for day in days:
        slot = min(range(max_active_runs), key=lambda s: (slots[s], s))
        begin = max(slots[slot], previous_end if depends_on_past else 0.0)
        took = round(rng.uniform(low, high), 1)
        finish = begin + took
        slots[slot] = previous_end = finish
        rows.append({"logical_date": pd.Timestamp(day), "slot": slot, "start_min": begin, "end_min": finish})
    runs = pd.DataFrame(rows)
    summary = {"runs": len(runs), "max_active_runs": max_active_runs, "depends_on_past": depends_on_past,
               "peak_active": _peak(runs), "makespan_min": round(float(runs["end_min"].max()), 1)}
    return BackfillPlan(runs, summary)


def _minutes(minutes) -> tuple[float, float]:
    try:
        low, high = minutes
    except (TypeError, ValueError):
        raise ValueError(f"minutes must be a (low, high) pair of minutes, not {minutes!r}.") from None
    low, high = number(low, "minutes low", above=0), number(high, "minutes high", above=0)
    if high < low:
        raise ValueError(f"minutes must be (low, high) with low <= high; got {minutes!r}.")
    return low, high


def _peak(runs: pd.DataFrame) -> int:
    # a run that ends at the minute another starts frees its slot first
    events = sorted([(t, -1) for t in runs["end_min"]] + [(t, 1) for t in runs["start_min"]])
    active = peak = 0
    for _, change in events:
        active += change
        peak = max(peak, active)
    return peak


class AppendingRevenueJob(DailyRevenueJob):
    """``DailyRevenueJob`` written the tempting way: it inserts the day's rows and never deletes first."""
    table = "daily_revenue_appended"

    def run(self, day) -> None:
        day = pd.Timestamp(day).date()
        self.write_day(day, self.day_files(day))


def rerun_check(source, days, rerun, con=None) -> pd.DataFrame:
    """Run ``days`` once, then ``rerun`` again, with the overwriting job and with the appending one.

    One row per job: rows before and after the rerun, the rerun day's revenue before and after,
    and whether the table is unchanged (the same content hash). ``source`` is the folder of
    ``order_date=YYYY-MM-DD`` Parquet partitions that ``labs.data.ensure("ecommerce")`` gives.
    """
    if not isinstance(source, (str, os.PathLike)):
        raise ValueError(f"source must be the folder of daily partitions, not {type(source).__name__}.")
    if isinstance(days, (str, bytes)) or not hasattr(days, "__iter__"):
        raise ValueError(f"days must be a list of days such as days_between(start, end) gives; got {days!r}.")
    days = [pd.Timestamp(_moment(d, "days")).date() for d in days]
    if not days:
        raise ValueError("days must list at least one day to run.")
    rerun = _moment(rerun, "rerun").date()
    rows = []
    for name, job_class in (("overwrite partition", DailyRevenueJob), ("append", AppendingRevenueJob)):
        job = job_class(source, con)
        for day in days:
            job.run(day)
        before = job.frame()
        job.run(rerun)
        after = job.frame()
        rows.append({"job": name, "rows_before": len(before), "rows_after": len(after),
                     "revenue_before": _day_revenue(before, rerun), "revenue_after": _day_revenue(after, rerun),
                     "unchanged": content_hash(before) == content_hash(after)})
    return pd.DataFrame(rows)


def _day_revenue(frame: pd.DataFrame, day: dt.date) -> float:
    return round(float(frame.loc[pd.to_datetime(frame["order_date"]).dt.date == day, "revenue"].sum()), 2)
