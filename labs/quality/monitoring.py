"""Quality in production: a few metrics per daily load, each with an alert threshold.

Rules gate one batch; monitoring watches the trend across batches. Each day gets:

- ``completeness``: share of rows with every required column present;
- ``error_rate``: share of rows quarantined by the quality gate;
- ``volume_ratio``: rows / median rows of the same weekday over the last 4 weeks;
- ``hours_late``: hours past the freshness deadline (0 when on time).

``alerts`` compares them with thresholds and returns one row per breach, the form an
alerting tool (Prometheus rules, Datadog monitors, an Airflow SLA callback) would page on:

    >>> import pandas as pd
    >>> m = pd.DataFrame({"day": pd.to_datetime(["2024-03-01", "2024-03-02"]),
    ...                   "completeness": [0.999, 0.95], "error_rate": [0.001, 0.002],
    ...                   "volume_ratio": [1.02, 0.97], "hours_late": [0.0, 0.0]})
    >>> alerts(m)[["day", "metric", "value"]].values.tolist()
    [[Timestamp('2024-03-02 00:00:00'), 'completeness', 0.95]]
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from labs.quality.anomalies import EXPECTED_BY

# metric -> (direction, limit, severity). "min": alert below the limit; "max": above it.
THRESHOLDS = {
    "completeness": ("min", 0.99, "page"),
    "error_rate": ("max", 0.01, "ticket"),
    "volume_ratio_low": ("min", 0.5, "page"),
    "volume_ratio_high": ("max", 2.0, "ticket"),
    "hours_late": ("max", 0.0, "page"),
}


def daily_metrics(loads: pd.DataFrame, seed: int = 42, weeks: int = 4) -> pd.DataFrame:
    """Metrics for each load of ``labs.quality.anomalies.daily_loads``.

    Completeness and error rate are simulated per day around a healthy level (with a
    few bad days, seeded), since the loads carry counts only.
    """
    rng = np.random.default_rng([int(seed), 82])
    day = pd.to_datetime(loads["day"])
    n = len(loads)
    completeness = 1 - rng.beta(1, 2000, n)
    error_rate = rng.beta(1, 1500, n)
    bad = rng.choice(n, size=max(1, n // 60), replace=False)
    completeness[bad[: len(bad) // 2 + 1]] -= rng.uniform(0.02, 0.1, len(bad) // 2 + 1)
    error_rate[bad[len(bad) // 2:]] += rng.uniform(0.02, 0.08, len(bad) - len(bad) // 2)
    counts = pd.Series(loads["rows"].to_numpy(dtype=float), index=day)
    full = counts.reindex(pd.date_range(day.min(), day.max(), freq="D"))
    baseline = pd.concat([full.shift(7 * k) for k in range(1, weeks + 1)], axis=1).median(axis=1)
    ratio = (full / baseline).reindex(day).to_numpy()
    deadline = day + pd.Timedelta(days=1) + EXPECTED_BY
    arrived = pd.to_datetime(loads["arrived_at"], utc=True).dt.tz_localize(None)
    # whole minutes late, as the freshness SLA counts them (06:00:30 is on time)
    late = ((arrived - deadline) // pd.Timedelta(minutes=1)).clip(lower=0) / 60
    return pd.DataFrame({"day": day, "completeness": completeness.round(4), "error_rate": error_rate.round(4),
                         "volume_ratio": np.round(ratio, 3), "hours_late": late.round(1).to_numpy()})


def alerts(metrics: pd.DataFrame, thresholds: dict | None = None) -> pd.DataFrame:
    """One row per breached threshold: day, metric, value, limit, severity (sorted by day)."""
    thresholds = THRESHOLDS if thresholds is None else thresholds
    rows = []
    for name, (direction, limit, severity) in thresholds.items():
        if direction not in ("min", "max"):
            raise ValueError(f"threshold {name!r}: direction must be 'min' or 'max', not {direction!r}.")
        metric = name.removesuffix("_low").removesuffix("_high")
        if metric not in metrics.columns:
            raise ValueError(f"threshold {name!r}: no metric column {metric!r}; the columns are "
                             f"{', '.join(metrics.columns)}.")
        values = metrics[metric]
        breach = values < limit if direction == "min" else values > limit
        for day, value in zip(metrics.loc[breach, "day"], values[breach]):
            rows.append((day, metric, float(value), limit, severity))
    out = pd.DataFrame(rows, columns=["day", "metric", "value", "limit", "severity"])
    return out.sort_values(["day", "metric"], ignore_index=True)
