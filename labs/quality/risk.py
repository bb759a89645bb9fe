"""A compact data-quality risk report: missing values, types, duplicates, references and z-score outliers.

The first pass a risk assessment makes over a new table, one row per column with a
level (``low``/``medium``/``high``) and the reason, so it can gate a pipeline in CI or
open a ticket:

    >>> import pandas as pd
    >>> df = pd.DataFrame({"id": [1, 2, 2, 4], "amount": ["10", "12", "x", None]})
    >>> report = risk_report(df, key="id")
    >>> report[["column", "level", "reasons"]].values.tolist()
    [['id', 'high', 'key repeats: 1 duplicate'], ['amount', 'high', '25.0% missing; numbers stored as text (1 not numeric)']]

Identifiers are nominal: the distance of order 4,711 from the mean order id means
nothing, so key and id columns (the ``key``, any column in ``ids``, and any named ``id``
or ``..._id``) get no z-score. They get a referential check instead, against the
parent's keys given in ``references``:

    >>> orders = pd.DataFrame({"order_id": [1, 2, 3], "customer_id": [7, 8, 99]})
    >>> risk_report(orders, key="order_id", references={"customer_id": [7, 8]}).loc[1, "reasons"]
    '1 id not in its parent (33.3%)'

Levels: ``high`` when a key repeats, more than ``missing_high`` (5%) is missing or
unresolved, or a numeric column is stored as text; ``medium`` for some missing values,
unresolved ids or z-score outliers; ``low`` otherwise. The z-score is the quick screen
(3 standard deviations); ``labs.quality.outliers`` shows where it misleads.
"""
from __future__ import annotations

import pandas as pd

from labs._check import fraction

LEVELS = ("low", "medium", "high")


def is_identifier(name, declared=()) -> bool:
    """True for a declared id column, or one named ``id`` or ``..._id``."""
    text = str(name).lower()
    return name in declared or text == "id" or text.endswith("_id")


def risk_report(df: pd.DataFrame, key=None, z: float = 3.0, missing_high: float = 0.05,
                ids=(), references: dict | None = None) -> pd.DataFrame:
    """One row per column: column, dtype, missing_rate, outliers, level, reasons.

    ``references`` maps an id column to its parent's keys (a Series, list or set); the
    report counts the present ids not found there.
    """
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"risk_report needs a pandas DataFrame, not {type(df).__name__}.")
    keys = [] if key is None else ([key] if isinstance(key, str) else list(key))
    references = dict(references or {})
    for k in [*keys, *ids, *references]:
        if k not in df.columns:
            raise ValueError(f"column {k!r} is not in the frame; its columns are {', '.join(map(str, df.columns))}.")
    missing_high = fraction(missing_high, "missing_high")
    duplicates = int(df.duplicated(subset=keys).sum()) if keys else 0
    identifiers = set(keys) | set(ids) | set(references)
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
        if name in references:
            present = s.dropna()
            parents = pd.Series(list(references[name])).dropna()
            unknown = int((~present.isin(parents)).sum())
            if unknown:
                share = unknown / len(present)
                reasons.append(f"{unknown} id{'s' if unknown > 1 else ''} not in its parent ({share:.1%})")
                level = max(level, 2 if share > missing_high else 1)
        elif s.dtype == object:
            present = s.dropna()
            numeric = pd.to_numeric(present, errors="coerce")
            if len(present) and numeric.notna().mean() >= 0.5:
                bad = int(numeric.isna().sum())
                reasons.append(f"numbers stored as text ({bad} not numeric)")
                level = 2
        elif is_identifier(name, identifiers) and name not in keys:
            reasons.append("an identifier: check it against its parent (references=)")
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
