"""Compare two tables the way a reviewer would.

Rows are compared as a multiset unless order is the point; numbers must agree to the
stated decimals (within half a unit of the last kept digit, plus float noise of about one
part in a billion); equivalent types (int32 vs int64, float vs decimal, date vs timestamp)
are accepted.
The diagnosis names missing or extra columns, columns of the wrong kind, and missing
or extra rows (or, given a key, which column is wrong in which rows).

    >>> import pandas as pd
    >>> exp = pd.DataFrame({"k": [1, 2], "v": [1.0, 2.0]})
    >>> compare(pd.DataFrame({"k": [2, 1], "v": [2.0, 1.0 + 1e-12]}), exp) is None
    True
    >>> compare(pd.DataFrame({"k": [1], "v": [1.0]}), exp).message
    'Your table has 1 row; expected 2. 1 row is missing.'
    >>> compare(pd.DataFrame({"k": [1, 2], "v": [1.0, 2.01]}), exp, decimals=2).message
    '1 row is missing; 1 row should not be there.'
"""
from __future__ import annotations

import datetime as dt
import decimal

import numpy as np
import pandas as pd

from grader.checkers import Problem
from grader.errors import NotAttempted, WrongAnswerType
from grader.text import plural, sentence

SAMPLE_ROWS = 5
FLOAT_NOISE = 1e-9  # relative: what summing in another order or through another engine changes


def decimals_for(decimals, column) -> int:
    """The decimals a column is compared at: one number for every column, or {column: decimals}.

        >>> decimals_for(2, "revenue"), decimals_for({"revenue": 2}, "share"), decimals_for({"share": 4}, "share")
        (2, 6, 4)
    """
    if isinstance(decimals, dict):
        return int(decimals.get(column, 6))
    return int(decimals)


def close(a, b, decimals: int) -> np.ndarray:
    """True where numbers agree at ``decimals``: within half a unit of the last kept digit, plus float noise.

    One unit of the last digit is a different answer:

        >>> close(np.array([27729.004, 27729.01, 27929.0]), np.array([27729.0] * 3), 2).tolist()
        [True, False, False]
    """
    a, b = np.asarray(a, dtype="float64"), np.asarray(b, dtype="float64")
    half_unit = 0.5 * 10.0 ** -decimals * (1 + 1e-6)  # a learner's own rounding of a tie still passes
    with np.errstate(invalid="ignore"):
        near = np.abs(a - b) <= half_unit + FLOAT_NOISE * np.abs(b)
    return near | (np.isnan(a) & np.isnan(b)) | (a == b)  # a == b: equal infinities


def to_frame(answer) -> pd.DataFrame:
    """A pandas DataFrame from pandas, Spark (classic or Connect), DuckDB or Arrow answers."""
    if answer is Ellipsis or answer is None:
        raise NotAttempted()
    if isinstance(answer, pd.DataFrame):
        return answer
    if isinstance(answer, pd.Series):
        return answer.to_frame()
    if hasattr(answer, "toPandas"):  # Spark DataFrame, classic or Connect
        return answer.toPandas()
    if hasattr(answer, "df") and hasattr(answer, "columns") and callable(answer.df):  # DuckDB relation
        # through Arrow: about a third faster than .df() on text columns
        to_arrow = getattr(answer, "to_arrow_table", None) or answer.arrow
        return to_arrow().to_pandas()
    if hasattr(answer, "to_pandas"):  # Arrow table
        return answer.to_pandas()
    if hasattr(answer, "read_all"):  # Arrow stream (recent DuckDB's .arrow())
        return answer.read_all().to_pandas()
    raise WrongAnswerType(
        f"Expected a table (a pandas, Spark or DuckDB DataFrame); got {type(answer).__name__}."
    )


def _family(series: pd.Series) -> str:
    """The kind of values a column holds, ignoring storage details."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "timestamp"
    first = next((v for v in series.to_numpy(dtype=object) if v is not None and v == v), None)  # v == v skips NaN
    if first is None:
        return "empty"
    if isinstance(first, (bool, np.bool_)):
        return "boolean"
    if isinstance(first, (int, float, decimal.Decimal, np.number)):
        return "number"
    if isinstance(first, (dt.date, dt.datetime, pd.Timestamp)):
        return "timestamp"
    if isinstance(first, str):
        return "text"
    return type(first).__name__


_FAMILY_WORDS = {"number": "numbers", "text": "text", "timestamp": "dates/timestamps", "boolean": "true/false values"}


def _numbers(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").astype("float64").to_numpy()


def _normalised_values(series: pd.Series, family: str, decimals: int) -> np.ndarray:
    """One column's values in comparable form: numbers as rounded floats, times as UTC nanoseconds, the rest as text."""
    if family == "number":
        values = np.round(_numbers(series), decimals)
        return np.where(values == 0, 0.0, values)  # -0.0 and 0.0 are the same answer
    if family == "timestamp":
        # UTC nanoseconds, whatever the unit (DuckDB gives us, pandas ns) or the date type
        if pd.api.types.is_datetime64_any_dtype(series.dtype):
            ts = series.dt.tz_localize("UTC") if series.dt.tz is None else series.dt.tz_convert("UTC")
        else:
            ts = pd.to_datetime(series, utc=True, errors="coerce")
        return ts.dt.as_unit("ns").astype("int64").to_numpy()
    values = series.to_numpy(dtype=object)
    try:  # plain strings and nulls hash as they are; anything else is compared as text
        pd.util.hash_array(values[:100], categorize=False)
    except TypeError:
        return series.astype(object).where(series.notna(), "<null>").astype(str).to_numpy()
    return values  # None, NaN and NA stay as they are: they hash alike (see _hash_values)


_NULL_HASH = np.uint64(0x9E3779B97F4A7C15)


def _hash_values(values: np.ndarray) -> np.ndarray:
    """One hash per value; None, NaN and NA are one missing value with one hash.

        >>> a, b = _hash_values(np.array(["x", None, float("nan")], dtype=object))[1:]
        >>> bool(a == b)
        True
    """
    if values.dtype != object:
        return pd.util.hash_array(values)
    if len(values) > 1000 and len(set(values[:1000].tolist())) < 100:
        # few distinct values (a status, a city): hash each distinct one once (~4x faster)
        codes, uniques = pd.factorize(values)  # a missing value gets code -1
        hashes = pd.util.hash_array(np.asarray(uniques, dtype=object), categorize=False)[codes]
        hashes[codes < 0] = _NULL_HASH
        return hashes
    # many distinct values: hashing each directly is ~5x faster than factorizing first
    hashes = pd.util.hash_array(values, categorize=False)
    hashes[pd.isna(values)] = _NULL_HASH
    return hashes


class Prepared:
    """A table in comparable form, computed once: column kinds, normalised values, one hash per row.

    An exercise keeps its expected table prepared, so a check only prepares the learner's side.

        >>> p = Prepared.of(pd.DataFrame({"k": [1, 2]}), decimals=6)
        >>> p.families, len(p)
        ({'k': 'number'}, 2)
    """

    def __init__(self, columns: dict, rows: int, decimals):
        self.columns = columns  # name -> Series, in the order rows are hashed
        self.rows = rows
        self.decimals = decimals  # one number, or {column: decimals}
        self.families = {name: _family(s) for name, s in columns.items()}
        self._values: dict = {}
        self._raw: dict = {}
        self._hashes = None
        self._sorted = None
        self._frame = None

    @classmethod
    def of(cls, frame: pd.DataFrame, decimals) -> "Prepared":
        return cls({c: frame[c] for c in frame.columns}, len(frame), decimals)

    def __len__(self) -> int:
        return self.rows

    @property
    def frame(self) -> pd.DataFrame:
        """The table as given (for showing rows in a diagnosis)."""
        if self._frame is None:
            self._frame = pd.DataFrame({n: s.to_numpy() for n, s in self.columns.items()}, index=pd.RangeIndex(self.rows))
        return self._frame

    def decimals_of(self, name) -> int:
        return decimals_for(self.decimals, name)

    def values(self, name) -> np.ndarray:
        if name not in self._values:
            self._values[name] = _normalised_values(self.columns[name], self.families[name], self.decimals_of(name))
        return self._values[name]

    def raw(self, name) -> np.ndarray:
        """A number column's values before rounding: tolerances are measured on these."""
        if name not in self._raw:
            self._raw[name] = _numbers(self.columns[name])
        return self._raw[name]

    def normalised(self) -> pd.DataFrame:
        return pd.DataFrame({n: self.values(n) for n in self.columns}, index=pd.RangeIndex(self.rows))

    def hashes(self) -> np.ndarray:
        if self._hashes is None:
            h = np.full(self.rows, 0xCBF29CE484222325, dtype=np.uint64)
            for name in self.columns:  # FNV-style mixing, so column order and position count
                h = (h ^ _hash_values(self.values(name))) * np.uint64(0x100000001B3)
            self._hashes = h
        return self._hashes

    def sorted_hashes(self) -> np.ndarray:
        if self._sorted is None:
            self._sorted = np.sort(self.hashes())
        return self._sorted


def _show_rows(frame: pd.DataFrame, limit: int = SAMPLE_ROWS, decimals=6) -> list[str]:
    """Rows in value order, so the same answer gets the same message whatever order an engine
    returned them in (a GROUP BY without ORDER BY comes back in any order)."""
    rows = _in_value_order(frame).head(limit).to_dict("records")  # to_dict gives plain Python values
    return [", ".join(f"{k}={_fmt(v, decimals_for(decimals, k))}" for k, v in row.items()) for row in rows]


def _in_value_order(frame: pd.DataFrame) -> pd.DataFrame:
    try:
        return frame.sort_values(list(frame.columns), na_position="last", kind="mergesort")
    except (TypeError, ValueError):  # a column mixing kinds (1 and 'a') has no order: sort by its text
        return frame.iloc[sorted(range(len(frame)), key=lambda i: [repr(v) for v in frame.iloc[i]])]


def _plain(value):
    """numpy scalars as plain Python values, so messages read `3`, not `np.int64(3)`."""
    return value.item() if isinstance(value, np.generic) else value


def _fmt(value, decimals: int = 6) -> str:
    """A value as a diagnosis shows it: floats at the decimals they are compared at, so two
    values that differ in the last kept digit never read alike.

        >>> _fmt(342676.87, 2), _fmt(342676.86, 2), _fmt(20.0), _fmt(0.1 + 0.2)
        ('342676.87', '342676.86', '20', '0.3')
    """
    value = _plain(value)
    if isinstance(value, float):
        if value != value or abs(value) >= 1e15:
            return f"{value:.6g}"
        text = f"{value:.{max(decimals, 0)}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return repr(value)


def compare(
    actual,
    expected,
    *,
    order_matters: bool = False,
    key: list[str] | None = None,
    decimals: int = 6,
    check_names_case: bool = False,
) -> Problem | None:
    """None when ``actual`` matches ``expected``; otherwise what is wrong.

    ``expected`` is a table or a ``Prepared`` one (which an exercise builds once and reuses).
    """
    actual = to_frame(actual)
    if not isinstance(expected, Prepared) or expected.decimals != decimals:
        expected = Prepared.of(to_frame(expected.frame if isinstance(expected, Prepared) else expected), decimals)
    expected_columns = list(expected.columns)
    if actual.columns.duplicated().any():
        dupes = sorted(set(actual.columns[actual.columns.duplicated()]))
        return Problem(f"Your table has duplicate column names: {', '.join(map(str, dupes))}.")

    # Column names: accept a different case unless asked not to, and say so when it is the only issue
    names = {c: c for c in actual.columns}
    if not check_names_case:
        lower_expected = {str(c).lower(): c for c in expected_columns}
        names = {c: lower_expected.get(str(c).lower(), c) for c in actual.columns}
    given = {names[c]: c for c in actual.columns}
    if len(given) < len(actual.columns):
        clash = sorted({str(c) for c in actual.columns if list(names.values()).count(names[c]) > 1})
        return Problem(f"Your table has columns whose names differ only in case: {', '.join(clash)}.")
    missing = [c for c in expected_columns if c not in given]
    extra = [names[c] for c in actual.columns if names[c] not in expected.columns]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(map(str, missing))}")
        if extra:
            parts.append(f"unexpected column(s) {', '.join(map(str, extra))}")
        tip = " (a column may just need renaming)" if len(missing) == len(extra) else ""
        return Problem(f"Your table has {' and '.join(parts)}{tip}.", [f"expected columns: {', '.join(map(str, expected_columns))}"])
    # the learner's columns under the expected names, in the expected order, without copying them
    yours = Prepared({c: actual[given[c]] for c in expected_columns}, len(actual), decimals)

    wrong_kinds = []
    for col in expected_columns:
        fa, fe = yours.families[col], expected.families[col]
        if "empty" not in (fa, fe) and fa != fe:
            wrong_kinds.append(f"column {col} holds {_FAMILY_WORDS.get(fa, fa)}; expected {_FAMILY_WORDS.get(fe, fe)}")
        elif fa == "empty" and fe != "empty":  # all nulls: compare as the kind expected
            yours.families[col] = fe
    if wrong_kinds:
        return Problem(f"{plural(len(wrong_kinds), 'column')} of the wrong kind.", wrong_kinds)

    if key:
        return _compare_by_key(yours, expected, key)
    if order_matters:
        return _compare_in_order(yours, expected)
    return _compare_as_multiset(yours, expected)


def _count_sentence(actual: Prepared, expected: Prepared) -> str:
    if len(actual) == len(expected):
        return ""
    return f"Your table has {plural(len(actual), 'row')}; expected {len(expected):,}. "


def _unmatched(actual: Prepared, expected: Prepared) -> tuple[np.ndarray, np.ndarray]:
    """Positions of rows in ``actual`` and ``expected`` left over after matching equal rows one to one."""
    if len(actual) == len(expected) and np.array_equal(actual.sorted_hashes(), expected.sorted_hashes()):
        return np.array([], dtype=int), np.array([], dtype=int)  # same multiset of rows: the common case
    ha, he = pd.Series(actual.hashes()), pd.Series(expected.hashes())
    # number repeated rows so that a row appearing twice must appear twice on both sides
    ka = pd.DataFrame({"h": ha.to_numpy(), "n": ha.groupby(ha).cumcount().to_numpy()})
    ke = pd.DataFrame({"h": he.to_numpy(), "n": he.groupby(he).cumcount().to_numpy()})
    ia = pd.MultiIndex.from_frame(ka)
    ie = pd.MultiIndex.from_frame(ke)
    return np.flatnonzero(~ia.isin(ie)), np.flatnonzero(~ie.isin(ia))


def _number_columns(expected: Prepared) -> list:
    return [c for c in expected.columns if expected.families[c] == "number"]


def _rows_close(actual: Prepared, expected: Prepared, pos_a, pos_e) -> np.ndarray:
    """For rows paired position by position: True where every column agrees (numbers at their decimals)."""
    pos_a, pos_e = np.asarray(pos_a, dtype=int), np.asarray(pos_e, dtype=int)
    same = np.ones(len(pos_a), dtype=bool)
    for col in expected.columns:
        if expected.families[col] == "number":
            same &= close(actual.raw(col)[pos_a], expected.raw(col)[pos_e], expected.decimals_of(col))
        else:
            same &= _hash_values(actual.values(col)[pos_a]) == _hash_values(expected.values(col)[pos_e])
    return same


def _pair_with_tolerance(actual: Prepared, expected: Prepared, extra_pos, missing_pos):
    """Match leftover rows whose numbers differ only by float noise at the rounding edge.

    Rows left over after exact matching are paired when their other columns are equal, and
    kept as a pair only if every number agrees at its decimals (see ``close``): a value off
    by one unit of the last kept digit stays a wrong row.
    """
    nums = _number_columns(expected)
    if not nums or not len(extra_pos) or not len(missing_pos):
        return extra_pos, missing_pos
    others = [c for c in expected.columns if c not in nums]
    a = actual.normalised().iloc[extra_pos].assign(__pos=extra_pos)
    e = expected.normalised().iloc[missing_pos].assign(__pos=missing_pos)
    a = a.sort_values(others + nums, kind="stable")
    e = e.sort_values(others + nums, kind="stable")
    a["__n"] = a.groupby(others, dropna=False).cumcount() if others else range(len(a))
    e["__n"] = e.groupby(others, dropna=False).cumcount() if others else range(len(e))
    pairs = a.merge(e, on=others + ["__n"], suffixes=("_a", "_e"))
    ok = _rows_close(actual, expected, pairs["__pos_a"], pairs["__pos_e"])
    matched_a = set(pairs.loc[ok, "__pos_a"])
    matched_e = set(pairs.loc[ok, "__pos_e"])
    return (np.array([p for p in extra_pos if p not in matched_a], dtype=int),
            np.array([p for p in missing_pos if p not in matched_e], dtype=int))


def _compare_as_multiset(actual: Prepared, expected: Prepared) -> Problem | None:
    extra_pos, missing_pos = _unmatched(actual, expected)
    extra_pos, missing_pos = _pair_with_tolerance(actual, expected, extra_pos, missing_pos)
    if not len(extra_pos) and not len(missing_pos):
        return None
    parts, details = [], []
    if len(missing_pos):
        parts.append(f"{plural(len(missing_pos), 'row')} {'is' if len(missing_pos) == 1 else 'are'} missing")
        details += [f"missing: {r}" for r in _show_rows(expected.frame.iloc[sorted(missing_pos)], decimals=expected.decimals)]
    if len(extra_pos):
        parts.append(f"{plural(len(extra_pos), 'row')} should not be there")
        details += [f"unexpected: {r}" for r in _show_rows(actual.frame.iloc[sorted(extra_pos)], decimals=expected.decimals)]
    return Problem(_count_sentence(actual, expected) + sentence("; ".join(parts)), details)


def _compare_in_order(actual: Prepared, expected: Prepared) -> Problem | None:
    if len(actual) != len(expected):
        return Problem(_count_sentence(actual, expected).strip())
    differs = actual.hashes() != expected.hashes()
    if differs.any():  # rows whose rounding fell either side of an edge may still agree
        where = np.flatnonzero(differs)
        differs[where[_rows_close(actual, expected, where, where)]] = False
    if not differs.any():
        return None
    if _compare_as_multiset(actual, expected) is None:
        return Problem("The rows are right but in the wrong order.", [f"first out of place: row {int(np.argmax(differs))}"])
    first = int(np.argmax(differs))
    return Problem(
        f"Row {first} differs (and {plural(int(differs.sum()), 'row')} in all).",
        [f"yours:    {_show_rows(actual.frame.iloc[[first]], decimals=expected.decimals)[0]}",
         f"expected: {_show_rows(expected.frame.iloc[[first]], decimals=expected.decimals)[0]}"],
    )


def _compare_by_key(actual: Prepared, expected: Prepared, key) -> Problem | None:
    na, ne = actual.normalised(), expected.normalised()
    dup = na.duplicated(subset=key)
    if dup.any():
        return Problem(
            f"{plural(int(dup.sum()), 'key')} appear more than once in your table (key: {', '.join(key)}).",
            _show_rows(actual.frame.loc[dup.to_numpy(), key]),
        )
    na["__pos"], ne["__pos"] = range(len(na)), range(len(ne))
    merged = na.merge(ne, on=key, how="outer", indicator=True, suffixes=("_a", "_e"))
    missing = merged.loc[merged["_merge"] == "right_only", "__pos_e"].astype(int)
    extra = merged.loc[merged["_merge"] == "left_only", "__pos_a"].astype(int)
    details, parts = [], []
    if len(missing):
        parts.append(f"{plural(len(missing), 'key')} missing")
        details += [f"missing key: {r}" for r in _show_rows(expected.frame.iloc[sorted(missing)][key])]
    if len(extra):
        parts.append(f"{plural(len(extra), 'unexpected key')}")
        details += [f"unexpected key: {r}" for r in _show_rows(actual.frame.iloc[sorted(extra)][key])]
    both = merged[merged["_merge"] == "both"]
    for col in [c for c in expected.columns if c not in key]:
        if expected.families[col] == "number":
            pos_a, pos_e = both["__pos_a"].astype(int).to_numpy(), both["__pos_e"].astype(int).to_numpy()
            same = close(actual.raw(col)[pos_a], expected.raw(col)[pos_e], expected.decimals_of(col))
        else:
            a, e = both[f"{col}_a"], both[f"{col}_e"]
            same = ((a == e) | (a.isna() & e.isna())).to_numpy()  # null matches null
        bad = both[~same]
        if len(bad):
            parts.append(f"column {col} is wrong in {plural(len(bad), 'row')}")
            first = bad.iloc[0]
            a_row = actual.frame.iloc[int(first["__pos_a"])]
            e_row = expected.frame.iloc[int(first["__pos_e"])]
            where = ", ".join(f"{k}={_fmt(e_row[k], expected.decimals_of(k))}" for k in key)
            d = expected.decimals_of(col)
            details.append(f"e.g. {where}: {col} is {_fmt(a_row[col], d)}, expected {_fmt(e_row[col], d)}")
    if not parts:
        return None
    return Problem(_count_sentence(actual, expected) + sentence("; ".join(parts)), details)
