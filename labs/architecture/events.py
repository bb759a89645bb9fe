"""A seeded source of order events (a data source, D1) and its file drops (ingestion, D2).

Events are spread over one day; ``drop_files`` cuts them by event time into equal slices, one
JSON-lines file per slice, the way a producer lands files in a lake folder. A streaming query
over the folder sees one file per micro-batch, so "a trigger every 15 minutes" is simulated by
cutting the day into 96 files, without waiting for any clock.

    >>> events = make_events(500, seed=3)
    >>> sorted(events.columns)
    ['amount', 'country', 'customer_id', 'event_id', 'event_time', 'status']
    >>> bool(events["event_time"].is_monotonic_increasing)
    True
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from labs._check import whole
from labs.streaming.feed import drop_file, to_jsonl

DAY = pd.Timestamp("2026-03-02", tz="UTC")
COUNTRIES = ("DE", "FR", "GB", "NL", "PL", "SE")
STATUSES = ("paid", "paid", "paid", "paid", "refunded")  # one in five orders refunded
SCHEMA_DDL = ("event_id BIGINT, customer_id BIGINT, country STRING, status STRING, "
              "amount DOUBLE, event_time TIMESTAMP")


def make_events(n: int = 20_000, seed: int = 7, customers: int = 2_000) -> pd.DataFrame:
    """``n`` order events of one day, in event-time order, amounts in whole cents."""
    n, customers = whole(n, "n", at_least=1), whole(customers, "customers", at_least=1)
    rng = np.random.default_rng(seed)
    seconds = np.sort(rng.integers(0, 86_400, size=n))
    return pd.DataFrame({
        "event_id": np.arange(1, n + 1, dtype="int64"),
        "customer_id": rng.integers(1, customers + 1, size=n).astype("int64"),
        "country": rng.choice(COUNTRIES, size=n),
        "status": rng.choice(STATUSES, size=n),
        # cents, then euros: sums stay exact to the cent in every engine
        "amount": rng.integers(100, 20_000, size=n) / 100.0,
        "event_time": DAY + pd.to_timedelta(seconds, unit="s"),
    })


def slices(events: pd.DataFrame, n_files: int) -> list[pd.DataFrame]:
    """The events cut by event time into ``n_files`` equal slices of the day (some may be empty)."""
    n_files = whole(n_files, "n_files", at_least=1, at_most=86_400)
    offset = (events["event_time"] - DAY).dt.total_seconds()
    which = (offset // (86_400 / n_files)).astype(int).clip(0, n_files - 1)
    return [events[which == k] for k in range(n_files)]


def file_name(k: int) -> str:
    return f"drop-{k:05d}.jsonl"


def drop_files(events: pd.DataFrame, folder: Path, n_files: int) -> list[Path]:
    """Write the slices as JSON-lines files (atomically, one rename each) into ``folder``."""
    return [drop_file(Path(folder), file_name(k), to_jsonl(part))
            for k, part in enumerate(slices(events, n_files)) if len(part)]


def revenue_by_country(events: pd.DataFrame) -> pd.DataFrame:
    """The metric every path computes: paid revenue and orders per country (pandas, the reference)."""
    paid = events[events["status"] == "paid"]
    out = (paid.groupby("country", as_index=False)
           .agg(orders=("event_id", "count"), revenue=("amount", "sum")))
    out["revenue"] = out["revenue"].round(2)
    return out.sort_values("country", ignore_index=True)
