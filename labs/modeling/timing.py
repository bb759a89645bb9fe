"""Query timings for the modelling labs: each DuckDB query of a set, best of N runs.

The timing itself lives in ``labs.timing`` (``best_of`` is re-exported here, so
``timing.best_of`` works in notebook 02): the fastest of N runs is the least disturbed
by other programs, so it is the best estimate of what the work itself costs.

    >>> seconds = best_of(lambda: sum(range(1000)), repeat=3)
    >>> seconds > 0
    True
"""
from __future__ import annotations

import sys

import pandas as pd

from labs.timing import best_of

__all__ = ["best_of", "time_queries"]


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
