"""Backfills: re-run past days so the result is what an uninterrupted run would have given.

A daily job that failed, or ran before its data arrived, leaves a hole. Filling it is
safe when each day's output is a *pure function of that day's input* and is written by
*replacing that day's partition* (delete the day, insert the day, in one
transaction): then days can run again, late, in parallel, in any order, and the table
ends up identical. ``DailyRevenueJob`` is such a job.

``RevenueToDateJob`` is not: each day adds its revenue to the latest running total it
finds. Run a day late and every later day is wrong, even after the hole is filled,
until all of them are re-run in order. That is what ``depends_on_past`` means in an
orchestrator, and why a backfill plan for such a job covers every day from the first
hole to today.

    >>> from labs.data import ensure
    >>> source = ensure("ecommerce", progress=False)["orders_by_day"]
    >>> days = days_between("2024-01-01", "2024-01-05")
    >>> straight = run_days(DailyRevenueJob, source, days)
    >>> gap_then_backfill = run_days(DailyRevenueJob, source, days[:2] + days[3:] + days[2:3])
    >>> content_hash(straight) == content_hash(gap_then_backfill)
    True
    >>> running = run_days(RevenueToDateJob, source, days[:2] + days[3:] + days[2:3])
    >>> content_hash(running) == content_hash(run_days(RevenueToDateJob, source, days))
    False
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from labs import engines
from labs.pipelines.fingerprint import content_hash  # how the examples above compare runs

REVENUE_STATUSES = ("completed", "shipped")  # what finance counts as sold on the day


def days_between(start, end) -> list[dt.date]:
    """Every date from ``start`` to ``end``, both included.

        >>> [d.isoformat() for d in days_between("2024-02-28", "2024-03-01")]
        ['2024-02-28', '2024-02-29', '2024-03-01']
    """
    start, end = pd.Timestamp(start).date(), pd.Timestamp(end).date()
    if end < start:
        raise ValueError(f"end ({end}) is before start ({start}).")
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


class DailyJob:
    """A job that turns one day of source files into rows of one table, in DuckDB."""
    table: str = ""
    ddl: str = ""

    def __init__(self, source: Path, con=None):
        self.source = Path(source)
        self.con = con if con is not None else engines.duckdb()
        self.con.execute(f"CREATE TABLE IF NOT EXISTS {self.table} ({self.ddl})")

    def day_files(self, day: dt.date) -> str:
        folder = self.source / f"order_date={day.isoformat()}"
        if not any(folder.glob("*.parquet")):
            raise FileNotFoundError(f"no source data for {day.isoformat()} (expected order_date={day.isoformat()}/).")
        return (folder / "*.parquet").as_posix()

    def run(self, day) -> None:
        day = pd.Timestamp(day).date()
        files = self.day_files(day)
        self.con.execute("BEGIN TRANSACTION")
        try:
            self.con.execute(f"DELETE FROM {self.table} WHERE order_date = ?", [day])
            self.write_day(day, files)
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    def write_day(self, day: dt.date, files: str) -> None:
        raise NotImplementedError

    def frame(self) -> pd.DataFrame:
        return self.con.sql(f"SELECT * FROM {self.table} ORDER BY ALL").df()


class DailyRevenueJob(DailyJob):
    """Revenue per day and channel: each day depends on that day's orders only."""
    table = "daily_revenue"
    ddl = "order_date DATE, channel VARCHAR, n_orders BIGINT, revenue DOUBLE"

    def write_day(self, day, files):
        statuses = ", ".join(f"'{s}'" for s in REVENUE_STATUSES)
        self.con.execute(f"""
            INSERT INTO {self.table}
            SELECT CAST(? AS DATE), channel, count(*), round(sum(total_amount), 2)
            FROM read_parquet('{files}')
            WHERE status IN ({statuses})
            GROUP BY channel""", [day])


class RevenueToDateJob(DailyJob):
    """Revenue so far this year, computed the tempting way: the latest total found plus today's."""
    table = "revenue_to_date"
    ddl = "order_date DATE, revenue DOUBLE, revenue_to_date DOUBLE"

    def write_day(self, day, files):
        statuses = ", ".join(f"'{s}'" for s in REVENUE_STATUSES)
        self.con.execute(f"""
            INSERT INTO {self.table}
            WITH today AS (
                SELECT round(sum(total_amount), 2) AS revenue
                FROM read_parquet('{files}') WHERE status IN ({statuses})
            ), before AS (  -- the latest earlier total: silently stale when a day is missing
                SELECT revenue_to_date FROM {self.table}
                WHERE order_date < CAST(? AS DATE) ORDER BY order_date DESC LIMIT 1
            )
            SELECT CAST(? AS DATE), today.revenue,
                   round(coalesce((SELECT revenue_to_date FROM before), 0) + today.revenue, 2)
            FROM today""", [day, day])


def run_days(job_class, source, days, con=None) -> pd.DataFrame:
    """Run ``job_class`` for each of ``days`` in the order given, on a fresh database; the final table."""
    job = job_class(source, con)
    for day in days:
        job.run(day)
    return job.frame()

