"""Timing that survives a busy laptop: run a few times, keep the fastest.

The fastest of N runs is the least disturbed by other programs, so it is the best
estimate of what the work itself costs (the mean is pulled up by every hiccup).

    >>> seconds = best_of(lambda: sum(range(1000)), repeat=3)
    >>> seconds > 0
    True
"""
from __future__ import annotations

import sys
import time
from typing import Callable

import pandas as pd


def best_of(fn: Callable[[], object], repeat: int = 5, warmup: int = 1) -> float:
    """The fastest of ``repeat`` timed calls of ``fn``, in seconds, after ``warmup`` untimed ones."""
    if not isinstance(repeat, int) or isinstance(repeat, bool) or repeat < 1:
        raise ValueError(f"repeat must be a whole number >= 1, not {repeat!r}.")
    if not isinstance(warmup, int) or isinstance(warmup, bool) or warmup < 0:
        raise ValueError(f"warmup must be a whole number >= 0, not {warmup!r}.")
    for _ in range(warmup):  # the first run pays for caches and lazy loading
        fn()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def time_queries(con, queries: dict[str, str], repeat: int = 5, progress: bool = True) -> pd.DataFrame:
    """Best-of-``repeat`` time of each DuckDB query: columns ``query``, ``ms``, ``rows``.

        >>> from labs.engines import duckdb
        >>> frame = time_queries(duckdb(), {"one": "select 1"}, repeat=2, progress=False)
        >>> list(frame.columns), frame["rows"].tolist()
        (['query', 'ms', 'rows'], [1])
    """
    from tqdm.auto import tqdm

    rows = []
    for name, sql in tqdm(queries.items(), desc="timing", unit="query", file=sys.stderr,
                          disable=not progress, leave=False):
        n_rows = len(con.execute(sql).fetchall())
        seconds = best_of(lambda: con.execute(sql).fetchall(), repeat=repeat)
        rows.append({"query": name, "ms": round(seconds * 1000, 2), "rows": n_rows})
    return pd.DataFrame(rows)
