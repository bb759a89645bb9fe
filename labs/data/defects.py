"""Plant data-quality defects on purpose, and keep an exact list of them.

A data-quality check is only as good as what it catches. To measure a check
(precision: how many of its alarms are real; recall: how many real defects it
finds), you need data where every defect is known. ``inject`` takes a clean frame
and returns a dirty copy plus the labels of exactly what it changed:

    >>> import pandas as pd
    >>> clean = pd.DataFrame({"email": ["a@example.com", "b@example.com", "c@example.com", "d@example.com"],
    ...                       "age": [31, 45, 27, 52]})
    >>> dirty, labels = inject(clean, kinds=("null", "bad_format"), rate=0.25, seed=3)
    >>> labels[["row_id", "column", "kind"]].values.tolist()
    [[0, 'email', 'bad_format'], [3, 'email', 'null']]
    >>> dirty.loc[0, "email"]
    'a at example.com'

Cell defects (one cell changed, labelled with its ``row_id`` and ``column``):

- ``null``: the value is removed (NaN, NaT or None; integer columns become the
  nullable ``Int64`` type so the other numbers stay whole);
- ``out_of_range``: a number or a date moved outside the clean column's range by
  one to three times that range (below its minimum or above its maximum);
- ``bad_format``: a text value broken the way typing and exports break them: an
  ``@`` written as `` at ``, an ISO date rewritten as ``DD/MM/YYYY``, a digit
  replaced by a look-alike letter (``0`` -> ``O``), or stray spaces around it.

Row defect: ``duplicate`` adds an exact copy of a row (every column equal except
``row_id``), somewhere after the original; its label has ``column == "*"`` and
``original`` holds the ``row_id`` it copies.

Guarantees, so that scoring is exact: a cell gets at most one defect; only cells
that held a value are touched; rows that are copied get no cell defect, so a copy
really equals its original. Each kind plants about ``rate * len(df)`` defects,
spread over the columns it fits; a kind that fits no column plants nothing.

Data-set level defects: ``schema_drift`` (a column renamed, dropped, retyped or
added, with a description) and ``volume_spike`` (one day with many more or fewer
rows than usual).
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from labs._check import is_number
from labs.data._checks import check_seed

KINDS = ("null", "duplicate", "out_of_range", "bad_format")
ROW_ID = "row_id"
DRIFTS = ("rename", "drop", "retype", "add")
LOOKALIKE = str.maketrans("0123456789", "OlZEASGTBq")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


def inject(df: pd.DataFrame, kinds=KINDS, rate: float = 0.02, seed: int = 42,
           columns=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return ``(dirty, labels)``: a copy of ``df`` with defects, and what was planted.

    ``dirty`` gains a first column ``row_id`` (0, 1, 2... in the clean order)
    unless ``df`` already has a unique integer ``row_id``; duplicated rows get new
    ids after the largest one. ``labels`` has one row per defect: ``row_id``,
    ``column`` (``"*"`` for a whole row), ``kind``, ``original`` (the clean value
    as text) and ``planted`` (the new value as text, empty for a null), sorted by
    ``row_id`` and ``column``. ``columns`` limits the columns that may be touched.
    """
    kinds = _check_kinds(kinds)
    if not (is_number(rate) and 0 <= rate <= 1):
        raise ValueError(f"rate must be a number from 0 to 1 (a share of the rows), not {rate!r}.")
    rng = np.random.Generator(np.random.PCG64([check_seed(seed), 20]))
    frame = _with_row_id(df)
    clean = frame.copy()  # ranges are measured on the clean values
    targets = _check_columns(frame, columns)
    n = len(frame)
    per_kind = int(round(rate * n))
    labels = []

    # Rows to copy are chosen first and then kept clean, so a copy equals its original.
    sources = np.array([], dtype=np.int64)
    if "duplicate" in kinds:
        sources = np.sort(rng.choice(n, size=min(per_kind, n), replace=False))
    used = np.zeros((n, len(targets)), dtype=bool)
    used[sources, :] = True

    for kind in (k for k in KINDS if k in kinds and k != "duplicate"):
        fits = [j for j, name in enumerate(targets) if _fits(kind, frame[name])]
        if not fits or per_kind == 0:
            continue
        free = np.zeros_like(used)
        for j in fits:
            free[:, j] = frame[targets[j]].notna().to_numpy() & ~used[:, j]
        if kind == "bad_format":
            for j in fits:
                free[:, j] &= frame[targets[j]].map(lambda v: isinstance(v, str)).to_numpy()
        cells = np.flatnonzero(free)
        chosen = np.sort(rng.choice(cells, size=min(per_kind, len(cells)), replace=False))
        rows, cols = np.divmod(chosen, len(targets))
        used[rows, cols] = True
        for j in np.unique(cols):
            at = rows[cols == j]
            labels.append(_plant(frame, clean[targets[j]], at, kind, rng))

    if len(sources):
        frame, copy_labels = _add_copies(frame, sources, rng)
        labels.append(copy_labels)

    columns_out = ["row_id", "column", "kind", "original", "planted"]
    table = pd.concat(labels, ignore_index=True) if labels else pd.DataFrame(columns=columns_out)
    table = table[columns_out].sort_values(["row_id", "column"], ignore_index=True)
    table["row_id"] = table["row_id"].astype(np.int64)
    return frame, table


def schema_drift(df: pd.DataFrame, seed: int = 42, kind: str | None = None) -> tuple[pd.DataFrame, dict]:
    """Change the shape of ``df`` the way an upstream release does; return ``(new_df, description)``.

    ``kind`` is one of ``DRIFTS`` (chosen by the seed when ``None``):

    - ``rename``: a column gets a new name (``customer_id`` -> ``customerId``);
    - ``drop``: a column disappears;
    - ``retype``: a column changes type (numbers or dates become text, true/false
      becomes 0/1);
    - ``add``: a new, empty text column ``notes`` appears.

        >>> import pandas as pd
        >>> orders = pd.DataFrame({"order_id": [1, 2], "total_amount": [9.5, 3.0]})
        >>> new, what = schema_drift(orders, kind="drop", seed=0)
        >>> what == {"kind": "drop", "column": "total_amount"}, list(new.columns)
        (True, ['order_id'])
        >>> schema_drift(orders, kind="rename", seed=0)[1]["new_name"]
        'totalAmount'
    """
    rng = np.random.Generator(np.random.PCG64([check_seed(seed), 21]))
    if kind is None:
        kind = DRIFTS[rng.integers(len(DRIFTS))]
    if kind not in DRIFTS:
        raise ValueError(f"unknown schema drift {kind!r}: choose from {', '.join(DRIFTS)}.")
    names = [c for c in df.columns if c != ROW_ID]
    if not names and kind != "add":
        raise ValueError("schema_drift needs a frame with at least one column besides row_id.")
    new = df.copy()
    if kind == "add":
        new["notes"] = pd.Series([None] * len(new), index=new.index, dtype=object)
        return new, {"kind": "add", "column": "notes", "type": "string"}
    if kind == "retype":
        typed = [c for c in names if _retype_target(df[c]) is not None]
        names = typed or names
    column = names[rng.integers(len(names))]
    if kind == "rename":
        new_name = _camel(column)
        new = new.rename(columns={column: new_name})
        return new, {"kind": "rename", "column": column, "new_name": new_name}
    if kind == "drop":
        return new.drop(columns=[column]), {"kind": "drop", "column": column}
    before = str(df[column].dtype)
    target = _retype_target(df[column]) or "string"
    if target == "int64":
        new[column] = df[column].astype("Int64")
    else:
        new[column] = df[column].map(lambda v: None if _missing(v) else _as_text(v))
    return new, {"kind": "retype", "column": column, "from": before, "to": target}


def volume_spike(data, day, factor: float = 5.0, *, time_column: str | None = None, seed: int = 42):
    """Make one day's volume ``factor`` times its usual size (``factor < 1`` makes a dip).

    ``data`` is either daily counts (a pandas Series indexed by day) or an
    event-level DataFrame with a timestamp or date column ``time_column``. Counts
    come back multiplied and rounded; events come back with extra copies of
    that day's rows (inserted after the day's last row) or with rows removed.

        >>> import pandas as pd
        >>> days = pd.to_datetime(["2024-03-01", "2024-03-02", "2024-03-03"])
        >>> counts = pd.Series([100, 98, 103], index=days)
        >>> volume_spike(counts, "2024-03-02", factor=3).tolist()
        [100, 294, 103]
        >>> events = pd.DataFrame({"ts": pd.to_datetime(["2024-03-01", "2024-03-02", "2024-03-02"])})
        >>> len(volume_spike(events, "2024-03-02", factor=2, time_column="ts"))
        5
    """
    if not (is_number(factor) and factor >= 0):
        raise ValueError(f"factor must be a number >= 0 (2 doubles the day, 0.5 halves it), not {factor!r}.")
    rng = np.random.Generator(np.random.PCG64([check_seed(seed), 22]))
    if isinstance(data, pd.Series):
        key = _match_day(data.index, day)
        out = data.copy()
        value = data.loc[key] * factor
        out.loc[key] = int(round(value)) if pd.api.types.is_integer_dtype(data.dtype) else value
        return out
    if not isinstance(data, pd.DataFrame) or time_column is None:
        raise ValueError("volume_spike takes a Series of daily counts, or a DataFrame and its time_column.")
    if time_column not in data.columns:
        raise ValueError(f"time_column {time_column!r} is not a column; the columns are "
                         f"{', '.join(map(str, data.columns))}.")
    times = pd.to_datetime(data[time_column])
    if getattr(times.dt, "tz", None) is not None:
        times = times.dt.tz_convert("UTC").dt.tz_localize(None)
    on_day = np.flatnonzero((times.dt.normalize() == pd.Timestamp(day)).to_numpy())
    if len(on_day) == 0:
        raise ValueError(f"no rows fall on {day}: nothing to scale.")
    target = int(round(len(on_day) * factor))
    if target <= len(on_day):
        drop = rng.choice(on_day, size=len(on_day) - target, replace=False)
        return data.drop(index=data.index[drop])
    extra = rng.choice(on_day, size=target - len(on_day), replace=True)
    cut = on_day.max() + 1
    return pd.concat([data.iloc[:cut], data.iloc[np.sort(extra)], data.iloc[cut:]])


# -- helpers -----------------------------------------------------------------

def _check_kinds(kinds) -> tuple[str, ...]:
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ValueError(f"unknown defect kind {unknown[0]!r}: choose from {', '.join(KINDS)}.")
    return kinds


def _with_row_id(df: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"inject needs a pandas DataFrame, not {type(df).__name__}.")
    frame = df.reset_index(drop=True)
    if ROW_ID in frame.columns:
        ids = frame[ROW_ID]
        if not pd.api.types.is_integer_dtype(ids) or ids.isna().any() or not ids.is_unique:
            raise ValueError("the frame's row_id column must hold unique whole numbers.")
        return frame.copy()
    frame = frame.copy()
    frame.insert(0, ROW_ID, np.arange(len(frame), dtype=np.int64))
    return frame


def _check_columns(frame: pd.DataFrame, columns) -> list[str]:
    if columns is None:
        return [c for c in frame.columns if c != ROW_ID]
    columns = [columns] if isinstance(columns, str) else list(columns)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"no column {missing[0]!r} in the frame; it has "
                         f"{', '.join(map(str, frame.columns))}.")
    return [c for c in columns if c != ROW_ID]


def _fits(kind: str, series: pd.Series) -> bool:
    if kind == "null":
        return True
    if kind == "out_of_range":
        return _is_number(series) or pd.api.types.is_datetime64_any_dtype(series)
    return series.dtype == object or pd.api.types.is_string_dtype(series)  # bad_format


def _is_number(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _plant(frame: pd.DataFrame, clean: pd.Series, rows: np.ndarray, kind: str, rng) -> pd.DataFrame:
    """Change column ``clean.name`` of ``frame`` at positions ``rows``; return their labels."""
    column = clean.name
    series = frame[column]
    original = series.iloc[rows]
    if kind == "null":
        # NumPy integers and booleans cannot hold a null: switch to pandas' nullable types.
        if series.dtype.kind in "iu":
            series = series.astype("Int64")
        elif series.dtype == bool:
            series = series.astype("boolean")
        else:
            series = series.copy()
        series.iloc[rows] = None
        planted = [None] * len(rows)
    elif kind == "out_of_range":
        new_values = _out_of_range(clean, len(rows), rng)
        series = series.copy()
        series.iloc[rows] = new_values
        planted = [_as_text(v) for v in new_values]
    else:
        new_values = [_bad_format(v, rng) for v in original]
        series = series.copy()
        series.iloc[rows] = new_values
        planted = new_values
    frame[column] = series
    return pd.DataFrame({
        "row_id": frame[ROW_ID].to_numpy()[rows], "column": column, "kind": kind,
        "original": [_as_text(v) for v in original], "planted": planted,
    })


def _out_of_range(series: pd.Series, count: int, rng) -> list:
    values = series.dropna()
    low, high = values.min(), values.max()
    span = high - low
    outside = rng.uniform(1, 3, size=count)  # how many spans beyond the edge
    below = rng.random(count) < 0.5
    if pd.api.types.is_datetime64_any_dtype(series):
        span = span if span > pd.Timedelta(0) else pd.Timedelta(days=365)
        # Whole seconds, rounded away from the range.
        return [(low - span * f).floor("s") if b else (high + span * f).ceil("s")
                for f, b in zip(outside, below)]
    span = float(span) if span else max(abs(float(high)), 1.0)
    moved = [float(low) - span * f if b else float(high) + span * f for f, b in zip(outside, below)]
    # Round away from the range, so a value never rounds back inside it.
    if pd.api.types.is_integer_dtype(series):
        return [int(np.floor(v)) if b else int(np.ceil(v)) for v, b in zip(moved, below)]
    return [float(np.floor(v * 100) / 100) if b else float(np.ceil(v * 100) / 100)
            for v, b in zip(moved, below)]


def _bad_format(value: str, rng) -> str:
    if "@" in value:
        return value.replace("@", " at ", 1)
    match = _ISO_DATE.match(value)
    if match:
        year, month, day = match.groups()
        return f"{day}/{month}/{year}" + value[match.end():]
    digits = [i for i, ch in enumerate(value) if ch.isdigit()]
    if digits:
        i = digits[rng.integers(len(digits))]
        return value[:i] + value[i].translate(LOOKALIKE) + value[i + 1:]
    return f" {value}  "


def _add_copies(frame: pd.DataFrame, sources: np.ndarray, rng) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = len(frame)
    start = int(frame[ROW_ID].max()) + 1 if n else 0
    copies = frame.iloc[sources].copy()
    copies[ROW_ID] = np.arange(start, start + len(sources), dtype=frame[ROW_ID].dtype)
    # Each copy lands somewhere after its original, like a re-sent record.
    where = np.r_[np.arange(n, dtype=float), sources + 0.5 + rng.random(len(sources)) * (n - sources)]
    combined = pd.concat([frame, copies], ignore_index=True)
    combined = combined.iloc[np.argsort(where, kind="stable")].reset_index(drop=True)
    labels = pd.DataFrame({
        "row_id": copies[ROW_ID].to_numpy(), "column": "*", "kind": "duplicate",
        "original": [str(i) for i in frame[ROW_ID].to_numpy()[sources]], "planted": None,
    })
    return combined, labels


def _retype_target(series: pd.Series) -> str | None:
    if pd.api.types.is_bool_dtype(series):
        return "int64"
    if _is_number(series) or pd.api.types.is_datetime64_any_dtype(series):
        return "string"
    return None


def _camel(name: str) -> str:
    head, *rest = str(name).split("_")
    camel = head + "".join(part.title() for part in rest)
    return camel if camel != name else f"{name}_v2"


def _missing(value) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value))


def _as_text(value) -> str | None:
    if _missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, (np.integer, np.bool_)):
        return str(value.item())
    return str(value)


def _match_day(index: pd.Index, day):
    if isinstance(index, pd.DatetimeIndex):
        key = pd.Timestamp(day)
        if index.tz is not None and key.tz is None:
            key = key.tz_localize(index.tz)
        if key in index:
            return key
    elif day in index:
        return day
    elif str(day) in index:
        return str(day)
    raise ValueError(f"day {day!r} is not in the counts' index.")
