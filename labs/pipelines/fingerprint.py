"""A content hash of a table: equal hashes mean the same rows, whatever their order.

Two runs of a pipeline produced "the same table" when they hold the same multiset of
rows. Row order, column order and storage types (int32 or int64, a DuckDB DATE or a
Spark date) are details; values are not:

    >>> import pandas as pd
    >>> a = pd.DataFrame({"day": ["2024-01-01", "2024-01-02"], "revenue": [10.5, 7.25]})
    >>> b = pd.DataFrame({"revenue": [7.25, 10.5], "day": ["2024-01-02", "2024-01-01"]})
    >>> content_hash(a) == content_hash(b)
    True
    >>> content_hash(a) == content_hash(pd.concat([a, a.iloc[:1]]))  # a duplicated row counts
    False
    >>> len(content_hash(a))
    16

How: every value is written in one canonical text form (numbers rounded to
``decimals`` places, times in UTC ISO form, nulls as ``\\N``), each row becomes one
line, the lines are sorted, and SHA-256 runs over the header and the sorted lines.
Sorting rather than combining row hashes with XOR matters: XOR cancels a row that
appears twice, so a table with a duplicated row would hash like one without it.

Numbers are rounded because two engines summing the same floats in a different
order disagree in the last bits; six decimals keep every real difference in money
or counts. A timestamp at exactly midnight is written as its date, because engines
disagree on whether a DATE comes back as a date or as a midnight timestamp.
"""
from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import math

import numpy as np
import pandas as pd

NULL = "\\N"
_FIELD, _ROW = "\x1f", "\n"


def _canonical(value, decimals: int) -> str:
    if value is None or value is pd.NaT or value is pd.NA:
        return NULL
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, float, decimal.Decimal, np.number)):
        number = float(value)
        if math.isnan(number):
            return NULL
        text = f"{number:.{decimals}f}"
        return text[1:] if text.startswith("-") and float(text) == 0 else text  # -0.0 is 0.0
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        ts = pd.Timestamp(value)
        if ts.tzinfo is not None:
            ts = ts.tz_convert("UTC").tz_localize(None)
        return ts.date().isoformat() if ts == ts.normalize() else ts.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def canonical_rows(table, decimals: int = 6) -> list[str]:
    """Each row of ``table`` as one line of canonical text, columns in name order, lines sorted."""
    frame = _frame(table)
    columns = sorted(map(str, frame.columns))
    frame = frame.rename(columns=str)[columns]
    cells = [[_canonical(v, decimals) for v in frame[c].to_numpy(dtype=object)] for c in columns]
    return sorted(_FIELD.join(row) for row in zip(*cells)) if columns else []


def content_hash(table, decimals: int = 6) -> str:
    """A 16-hex-digit fingerprint of the rows of ``table`` (pandas, Spark or DuckDB)."""
    frame = _frame(table)
    header = _FIELD.join(sorted(map(str, frame.columns)))
    digest = hashlib.sha256(header.encode())
    for line in canonical_rows(frame, decimals):
        digest.update((_ROW + line).encode())
    return digest.hexdigest()[:16]


def duckdb_table_hash(con, table: str, decimals: int = 6) -> str:
    """``content_hash`` of a DuckDB table or view, read through ``con``."""
    return content_hash(con.sql(f"SELECT * FROM {table}").df(), decimals)


def _frame(table) -> pd.DataFrame:
    if isinstance(table, pd.DataFrame):
        return table
    if hasattr(table, "toPandas"):  # Spark, classic or Connect
        return table.toPandas()
    if hasattr(table, "df") and callable(table.df):  # DuckDB relation
        return table.df()
    raise TypeError(f"content_hash needs a pandas, Spark or DuckDB table; got {type(table).__name__}.")
