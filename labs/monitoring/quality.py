"""A data-quality monitor over time, built from the kit's quality labs (``labs.quality``).

Every day's batch of orders is scored with the kit's one rule engine (``labs.quality.rules``, on
DuckDB); the pass rates become time series, and the kit's detectors watch them: the seasonal
volume detector of ``labs.quality.anomalies`` for the row count, the robust MAD rule of
``labs.quality.outliers`` for each rule's failure rate. A rule gates one batch; the monitor sees a
drift that stays inside every batch's tolerance.

    >>> batches, planted = daily_batches(days=42, seed=5)
    >>> history = quality_over_time(batches)
    >>> list(history.columns)
    ['day', 'rows', 'email_present', 'amount_valid', 'order_id_unique']
    >>> found = detect(history)
    >>> sorted(found["kind"].unique())
    ['null_rate', 'volume']
    >>> set(found["day"]) == set(planted["day"])
    True
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from labs import engines
from labs._check import whole
from labs.quality import anomalies, outliers
from labs.quality.rules import Rule, scorecard_duckdb

START = pd.Timestamp("2024-05-01")
RULES = [
    Rule("email_present", table="orders", column="email", check="not_null", threshold=0.98, severity="warn"),
    Rule("amount_valid", table="orders", column="amount", check="in_range", low=0, high=10_000, threshold=0.999),
    Rule("order_id_unique", table="orders", column="order_id", check="unique", threshold=1.0),
]


def daily_batches(days: int = 56, seed: int = 42) -> tuple[dict, pd.DataFrame]:
    """``({day: orders frame}, planted)``: daily batches with a weekly rhythm, one day whose e-mails
    go missing (a null spike still inside the rule's 2 % tolerance) and one day with a third of the rows."""
    days = whole(days, "days", at_least=42)
    seed = whole(seed, "seed", at_least=0)
    rng = np.random.default_rng([seed, 116])
    calendar = pd.date_range(START, periods=days, freq="D")
    null_day, drop_day = (calendar[i] for i in rng.choice(np.arange(35, days), size=2, replace=False))
    batches = {}
    next_id = 1
    for day in calendar:
        n = int(2000 * anomalies.WEEKDAY_FACTOR[day.weekday()] * rng.lognormal(0, 0.03)
                * (0.33 if day == drop_day else 1))
        null_rate = 0.015 if day == null_day else 0.002
        email = np.where(rng.random(n) < null_rate, None, [f"c{i}@example.com" for i in rng.integers(1, 9999, n)])
        batches[day] = pd.DataFrame({"row_id": np.arange(n), "order_id": np.arange(next_id, next_id + n),
                                     "email": email, "amount": np.round(rng.lognormal(3.8, 0.5, n), 2)})
        next_id += n
    planted = pd.DataFrame({"day": [null_day, drop_day], "kind": ["null_rate", "volume"]}).sort_values(
        "day", ignore_index=True)
    return batches, planted


def quality_over_time(batches: dict, rules=None) -> pd.DataFrame:
    """One row per day: rows, and the failure rate of each rule (1 - pass rate), scored on DuckDB."""
    if not isinstance(batches, dict) or not batches:
        raise ValueError("batches must be a non-empty dict of day to orders frame (from daily_batches).")
    rules = RULES if rules is None else rules
    rows = []
    con = engines.duckdb()
    try:
        for day, frame in sorted(batches.items()):
            card = scorecard_duckdb(con, {"orders": frame}, rules)
            rows.append({"day": pd.Timestamp(day), "rows": len(frame),
                         **{r: round(1 - p, 6) for r, p in zip(card["rule"], card["pass_rate"])}})
    finally:
        con.close()
    return pd.DataFrame(rows)


def detect(history: pd.DataFrame, threshold: float = 5.0) -> pd.DataFrame:
    """Days the kit's detectors flag: ``volume`` (seasonal, on rows) and ``null_rate`` (MAD, per rule)."""
    if not isinstance(history, pd.DataFrame) or not {"day", "rows"} <= set(history.columns):
        raise ValueError("history must be the frame quality_over_time returns (day, rows, one column per rule).")
    counts = history.set_index("day")["rows"]
    found = [(day, "volume", "rows") for day in anomalies.seasonal_volume_anomalies(counts)]
    for column in history.columns.drop(["day", "rows"]):
        flagged = outliers.mad(history[column], threshold=threshold) & (history[column] > history[column].median())
        found += [(day, "null_rate", column) for day in history.loc[flagged, "day"]]
    return pd.DataFrame(found, columns=["day", "kind", "series"]).sort_values("day", ignore_index=True)


def plot_quality(history: pd.DataFrame, column: str, ax, flagged=()):
    """One rule's daily failure rate, with the flagged days marked; returns ``ax``."""
    if column not in history.columns or column in ("day",):
        raise ValueError(f"no series {column!r}; choose from {', '.join(history.columns.drop('day'))}.")
    ax.plot(history["day"], history[column], marker=".", lw=1)
    hits = history[history["day"].isin(list(flagged))]
    ax.scatter(hits["day"], hits[column], color="tab:red", zorder=3)
    ax.set_title(f"{column} per day", fontsize=9)
    ax.tick_params(axis="x", labelrotation=30, labelsize=7)
    return ax
