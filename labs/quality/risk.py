"""A compact data-quality risk report: missing values, types, duplicates and z-score outliers.

The first pass a risk assessment makes over a new table, one row per column with a
level (``low``/``medium``/``high``) and the reason, so it can gate a pipeline in CI or
open a ticket:

    >>> import pandas as pd
    >>> df = pd.DataFrame({"id": [1, 2, 2, 4], "amount": ["10", "12", "x", None]})
    >>> report = risk_report(df, key="id")
    >>> report[["column", "level", "reasons"]].values.tolist()
    [['id', 'high', 'key repeats: 1 duplicate'], ['amount', 'high', '25.0% missing; numbers stored as text (1 not numeric)']]

Levels: ``high`` when a key repeats, more than ``missing_high`` (5%) is missing, or a
numeric column is stored as text; ``medium`` for some missing values or z-score
outliers; ``low`` otherwise. The z-score is the quick screen (3 standard deviations);
``labs.quality.outliers`` shows where it misleads.
"""
from __future__ import annotations

import pandas as pd

LEVELS = ("low", "medium", "high")


def risk_report(df: pd.DataFrame, key=None, z: float = 3.0, missing_high: float = 0.05) -> pd.DataFrame:
    """One row per column: column, dtype, missing_rate, outliers, level, reasons (and the key's duplicates)."""
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"risk_report needs a pandas DataFrame, not {type(df).__name__}.")
    keys = [] if key is None else ([key] if isinstance(key, str) else list(key))
    for k in keys:
        if k not in df.columns:
            raise ValueError(f"key column {k!r} is not in the frame; its columns are {', '.join(map(str, df.columns))}.")
    if not 0 <= missing_high <= 1:
        raise ValueError(f"missing_high must be a share from 0 to 1, not {missing_high!r}.")
    duplicates = int(df.duplicated(subset=keys).sum()) if keys else 0
    rows = []
    for name in df.columns:
        s = df[name]
        reasons, level = [], 0
        if name in keys and duplicates:
            reasons.append(f"key repeats: {duplicates} duplicate{'s' if duplicates > 1 else ''}")
            level = 2
        missing = float(s.isna().mean()) if len(s) else 0.0
        if missing:
            reasons.append(f"{missing:.1%} missing")
            level = max(level, 2 if missing > missing_high else 1)
        outliers = 0
        if s.dtype == object:
            present = s.dropna()
            numeric = pd.to_numeric(present, errors="coerce")
            if len(present) and numeric.notna().mean() >= 0.5:
                bad = int(numeric.isna().sum())
                reasons.append(f"numbers stored as text ({bad} not numeric)")
                level = 2
        elif pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s) and name not in keys:
            x = s.astype(float)
            std = x.std()
            if std and std == std:
                outliers = int(((x - x.mean()).abs() / std > z).sum())
            if outliers:
                reasons.append(f"{outliers} z-score outlier{'s' if outliers > 1 else ''} (|z| > {z:g})")
                level = max(level, 1)
        rows.append([name, str(s.dtype), round(missing, 4), outliers, LEVELS[level], "; ".join(reasons) or "-"])
    return pd.DataFrame(rows, columns=["column", "dtype", "missing_rate", "outliers", "level", "reasons"])
