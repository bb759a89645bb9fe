"""Profile a table before writing rules for it: what is in each column, really?

``profile`` gives one row per column: its type, how many values are missing, how
many distinct, the smallest and largest, and the most common *shape* of its text
(``pattern_of`` maps letters to ``a``/``A`` and digits to ``9``), with the share of
values that have that shape. A rare shape is where bad formats hide.

    >>> pattern_of("+44 786 2951529"), pattern_of("ann.lee@example.com")
    ('+99 999 9999999', 'aaa.aaa@aaaaaaa.aaa')
    >>> import pandas as pd
    >>> p = profile(pd.DataFrame({"code": ["AB1", "CD2", None, "e 3"]}))
    >>> row = p.to_dict("records")[0]
    >>> row["null_rate"], row["distinct"], row["top_pattern"], row["top_pattern_share"]
    (0.25, 3, 'AA9', 0.667)

DuckDB has the same idea built in: ``SUMMARIZE table`` (min, max, distinct estimate,
null percentage per column).
"""
from __future__ import annotations

import re

import pandas as pd

_UPPER, _LOWER, _DIGIT = re.compile(r"[A-Z]"), re.compile(r"[a-z]"), re.compile(r"[0-9]")
PROFILE_COLUMNS = ["column", "dtype", "rows", "nulls", "null_rate", "distinct", "min", "max",
                   "top_pattern", "top_pattern_share", "patterns"]


def pattern_of(value) -> str:
    """The shape of a value: upper-case letters -> A, lower-case -> a, digits -> 9, the rest kept."""
    text = str(value)
    return _DIGIT.sub("9", _LOWER.sub("a", _UPPER.sub("A", text)))


def _short(value, limit: int = 24):
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = value.isoformat()[:10] if hasattr(value, "isoformat") else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def profile(df: pd.DataFrame, columns=None) -> pd.DataFrame:
    """One row per column (``PROFILE_COLUMNS``); min and max are shown as short text."""
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"profile needs a pandas DataFrame, not {type(df).__name__}.")
    names = list(df.columns) if columns is None else list(columns)
    unknown = [c for c in names if c not in df.columns]
    if unknown:
        raise ValueError(f"no column {unknown[0]!r}; the columns are {', '.join(map(str, df.columns))}.")
    rows = []
    for name in names:
        s = df[name]
        present = s.dropna()
        is_text = s.dtype == object or pd.api.types.is_string_dtype(s)
        low = high = top = None
        share = None
        n_patterns = None
        if len(present):
            ordered = present.astype(str) if is_text else present
            low, high = _short(ordered.min()), _short(ordered.max())
        if is_text and len(present):
            shapes = present.map(pattern_of).value_counts()
            top, share, n_patterns = shapes.index[0], round(shapes.iloc[0] / len(present), 3), len(shapes)
        rows.append([name, str(s.dtype), len(s), int(s.isna().sum()),
                     round(float(s.isna().mean()), 4) if len(s) else 0.0,
                     int(present.nunique()), low, high, top, share, n_patterns])
    return pd.DataFrame(rows, columns=PROFILE_COLUMNS)


def rare_patterns(series: pd.Series, max_share: float = 0.01) -> pd.DataFrame:
    """Shapes held by at most ``max_share`` of the present values, with one example each.

    Most columns have one or a few dominant shapes; the rare ones are worth a look.
    """
    present = series.dropna().astype(str)
    shapes = present.map(pattern_of)
    counts = shapes.value_counts()
    rare = counts[counts / max(len(present), 1) <= max_share]
    examples = present.groupby(shapes).first()
    return (pd.DataFrame({"pattern": rare.index, "count": rare.to_numpy(),
                          "example": examples.reindex(rare.index).to_numpy()})
            .sort_values(["count", "pattern"], ascending=[False, True], ignore_index=True))
