"""Volume and freshness anomalies over a table's daily loads.

A daily table is loaded once a day; each load has a row count and an arrival time.
Two things go wrong that no row-level rule can see:

- **volume**: a day arrives with far more rows (a replayed file, a bot) or far fewer
  (a lost partition, an upstream filter) than usual;
- **freshness**: a day arrives late, or never.

``daily_loads`` generates such a history with weekly seasonality, growth and noise,
and plants spikes, drops, late arrivals and missing days; it returns the exact labels:

    >>> loads, planted = daily_loads(days=90, seed=3)
    >>> list(loads.columns)
    ['day', 'rows', 'arrived_at']
    >>> sorted(planted["kind"].unique())
    ['drop', 'late', 'missing', 'spike']

Detectors return the flagged days, which ``labs.quality.scoring`` scores against the labels:

    >>> counts = loads.set_index("day")["rows"]
    >>> from labs.quality.scoring import precision_recall
    >>> volume_truth = planted.loc[planted.kind.isin(["spike", "drop"]), "day"]
    >>> score = precision_recall(seasonal_volume_anomalies(counts), volume_truth)
    >>> score["precision"], score["recall"]
    (1.0, 1.0)
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from labs._check import is_whole, whole

START = pd.Timestamp("2024-01-01")
# Weekends are quieter: Monday first, as pandas numbers weekdays.
WEEKDAY_FACTOR = np.array([1.00, 1.03, 1.04, 1.01, 0.96, 0.62, 0.55])
EXPECTED_BY = pd.Timedelta(hours=6)   # SLA: a day's data is in by 06:00 the next day
HISTORY_DAYS = 28                     # no anomaly is planted before there is history to compare with
# Two on-time loads land on the SLA's boundary: at 06:00:00 and at 06:00:30. Lateness is counted
# in whole minutes (rounded down), so both are on time; a check must say which side a boundary is on.
EDGE_SECONDS = (0, 30)


def daily_loads(days: int = 180, seed: int = 42, base: int = 10_000, growth: float = 0.003,
                n_spikes: int = 4, n_drops: int = 4, n_late: int = 5, n_missing: int = 2,
                start=START) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return ``(loads, planted)``.

    ``loads`` has one row per load that happened: ``day`` (the data's date),
    ``rows`` and ``arrived_at`` (when the load finished, UTC, to the second). ``planted``
    has one row per planted defect: ``day`` and ``kind`` (``spike``, ``drop``, ``late``,
    ``missing``) and ``factor`` (the volume multiplier, or hours late). A missing
    day has no row in ``loads`` at all: that is what a load that never ran leaves.
    Two loads that are not defects arrive on the deadline's edge (``EDGE_SECONDS`` after
    06:00): they are on time, since lateness counts whole minutes.
    """
    days = whole(days, "days", at_least=HISTORY_DAYS + 14)
    planted_counts = (n_spikes, n_drops, n_late, n_missing)
    planted_total = sum(planted_counts)
    if (not all(is_whole(n) for n in planted_counts) or min(planted_counts) < 0
            or planted_total > (days - HISTORY_DAYS) // 3):
        raise ValueError(f"n_spikes, n_drops, n_late and n_missing must be whole numbers >= 0 and leave room "
                         f"between them: at most {(days - HISTORY_DAYS) // 3} in {days} days.")
    rng = np.random.default_rng([int(seed), 80])
    day = pd.date_range(pd.Timestamp(start), periods=days, freq="D")
    t = np.arange(days)
    level = base * (1 + growth) ** t * WEEKDAY_FACTOR[day.weekday] * rng.lognormal(0, 0.04, days)

    # Planted days are spread apart, so one defect never hides in another's shadow.
    candidates = rng.permutation(np.arange(HISTORY_DAYS, days - 1))
    chosen: list[int] = []
    for c in candidates:
        if all(abs(c - other) > 2 for other in chosen):
            chosen.append(int(c))
        if len(chosen) == planted_total:
            break
    kinds = (["spike"] * n_spikes + ["drop"] * n_drops + ["late"] * n_late + ["missing"] * n_missing)
    factor = np.ones(days)
    labels = []
    late_hours = np.zeros(days)
    for at, kind in zip(chosen, kinds):
        if kind == "spike":
            f = rng.uniform(1.8, 4.0)
            factor[at] = f
        elif kind == "drop":
            f = rng.uniform(0.15, 0.6)
            factor[at] = f
        elif kind == "late":
            f = rng.uniform(6, 30)  # on time is 1-5 h after midnight: 6 h more always breaks the SLA
            late_hours[at] = f
        else:
            f = np.nan
        labels.append((day[at], kind, round(float(f), 3) if kind != "missing" else None))
    rows = np.round(level * factor).astype(np.int64)

    # On time, a load lands between 01:00 and 05:00 the next day; late ones go past the SLA.
    on_time = pd.to_timedelta(rng.uniform(1, 5, days), unit="h")
    arrived = (day + pd.Timedelta(days=1) + on_time + pd.to_timedelta(late_hours, unit="h")).floor("s")
    # The boundary cases, from a stream of their own so the counts and defects above stay as they are.
    edge_rng = np.random.default_rng([int(seed), 84])
    free = np.array([i for i in range(HISTORY_DAYS, days - 1) if i not in chosen])
    edges = edge_rng.choice(free, size=len(EDGE_SECONDS), replace=False)
    arrived = arrived.to_series(index=np.arange(days))
    for at, seconds in zip(edges, EDGE_SECONDS):
        arrived[at] = day[at] + pd.Timedelta(days=1) + EXPECTED_BY + pd.Timedelta(seconds=seconds)
    arrived = pd.DatetimeIndex(arrived).tz_localize("UTC")
    missing = [at for at, kind in zip(chosen, kinds) if kind == "missing"]
    keep = np.ones(days, dtype=bool)
    keep[missing] = False
    loads = pd.DataFrame({"day": day[keep], "rows": rows[keep], "arrived_at": arrived[keep]})
    planted = (pd.DataFrame(labels, columns=["day", "kind", "factor"])
               .sort_values("day", ignore_index=True))
    return loads.reset_index(drop=True), planted


def _as_counts(counts) -> pd.Series:
    if not isinstance(counts, pd.Series):
        raise ValueError(f"counts must be a pandas Series of row counts indexed by day, not "
                         f"{type(counts).__name__}.")
    series = counts.astype(float)
    series.index = pd.DatetimeIndex(series.index)
    return series.sort_index()


def zscore_volume_anomalies(counts: pd.Series, threshold: float = 3.0) -> list[pd.Timestamp]:
    """Days whose count is more than ``threshold`` standard deviations from the mean of all days.

    The naive detector: one mean and one standard deviation for the whole history, so
    growth, weekends and the anomalies themselves all inflate the yardstick.
    """
    series = _as_counts(counts)
    std = series.std()
    if not std:
        return []
    z = (series - series.mean()) / std
    return list(series.index[z.abs() > threshold])


def seasonal_volume_anomalies(counts: pd.Series, weeks: int = 4, threshold: float = 5.0,
                              min_ratio: float = 0.25) -> list[pd.Timestamp]:
    """Days far from the median of the same weekday over the previous ``weeks`` weeks.

    Works in log space (a doubling and a halving are equally far), scales the
    deviation by the median absolute deviation of all deviations (robust: the
    anomalies barely move it), and ignores deviations under ``min_ratio`` (25%)
    however quiet the series is. Only past days are used, so it can run as each
    load lands. Days with no history for their weekday are never flagged.
    """
    series = _as_counts(counts)
    weeks = whole(weeks, "weeks", at_least=1)
    # Reindex on the calendar so that "same weekday last week" is exactly 7 days back.
    full = series.reindex(pd.date_range(series.index.min(), series.index.max(), freq="D"))
    logs = np.log(full.clip(lower=1))
    history = pd.concat([logs.shift(7 * k) for k in range(1, weeks + 1)], axis=1)
    baseline = history.median(axis=1, skipna=True)
    residual = (logs - baseline).reindex(series.index)
    mad = (residual - residual.median()).abs().median()
    scale = max(1.4826 * mad, 1e-9)
    flagged = (residual.abs() / scale > threshold) & (residual.abs() > np.log1p(min_ratio))
    return list(series.index[flagged.fillna(False).to_numpy(dtype=bool)])


def freshness_breaches(loads: pd.DataFrame, expected_by: pd.Timedelta = EXPECTED_BY,
                       first_day=None, last_day=None) -> pd.DataFrame:
    """Days whose load arrived a whole minute or more after ``day + 1 day + expected_by``, or never.

    Returns ``day``, ``status`` (``late`` or ``missing``) and ``minutes_late``
    (whole minutes past the deadline, rounded down, so 06:00:30 is 0 and on time;
    empty for a missing day), sorted by day. The
    calendar runs from ``first_day`` to ``last_day`` (default: the first and last
    loaded day): a missing day has no row to test, so it is found against the calendar.
    """
    for column in ("day", "arrived_at"):
        if column not in loads.columns:
            raise ValueError(f"loads needs a {column!r} column; it has {', '.join(loads.columns)}.")
    day = pd.to_datetime(loads["day"])
    arrived = pd.to_datetime(loads["arrived_at"], utc=True).dt.tz_localize(None)
    deadline = day + pd.Timedelta(days=1) + expected_by
    late = pd.DataFrame({"day": day, "status": "late",
                         "minutes_late": (arrived - deadline) // pd.Timedelta(minutes=1)})
    late = late[late["minutes_late"] > 0]
    calendar = pd.date_range(first_day or day.min(), last_day or day.max(), freq="D")
    missing = pd.DataFrame({"day": calendar.difference(pd.DatetimeIndex(day)), "status": "missing",
                            "minutes_late": pd.NA})
    out = pd.concat([late.astype({"minutes_late": "Int64"}), missing.astype({"minutes_late": "Int64"})],
                    ignore_index=True)
    return out.sort_values("day", ignore_index=True)
