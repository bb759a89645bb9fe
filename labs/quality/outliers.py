"""Three outlier rules for one numeric column: z-score, IQR and MAD.

Each returns a boolean mask, True where a value is an outlier:

- ``zscore``: ``|x - mean| / std > threshold``. Mean and std are themselves pulled by
  the outliers, so when there are many, or they are huge, the yardstick stretches and
  hides them (*masking*). It also assumes a symmetric, bell-shaped column.
- ``iqr``: outside ``[Q1 - k*IQR, Q3 + k*IQR]`` (Tukey's fences). Quartiles ignore the
  tails, so outliers do not move the fences; but a long right tail (money, latencies)
  has many honest values past ``Q3 + 1.5*IQR``.
- ``mad``: the modified z-score ``0.6745 * |x - median| / MAD > threshold``, where MAD
  is the median absolute deviation. Robust up to half the data being bad.

    >>> import pandas as pd
    >>> x = pd.Series([10, 11, 9, 10, 12, 10, 11, 9, 10, 400.0])
    >>> zscore(x).tolist()[-1], iqr(x).tolist()[-1], mad(x).tolist()[-1]
    (False, True, True)

Here ten points are too few for a 3-sigma rule: the single outlier inflates the
standard deviation so much that its own z-score is only 2.8.

``order_amounts`` generates a right-skewed column of order totals like a shop's, so
the rules can be compared on data where the answer is known.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from labs._check import number, whole

# 0.6745 is the 75th percentile of the standard normal: it makes MAD comparable to a std.
MAD_SCALE = 0.6745


def _values(values) -> pd.Series:
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    if not (pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)):
        raise ValueError(f"values must be numbers, not {series.dtype}.")
    return series.astype(float)


def zscore(values, threshold: float = 3.0) -> pd.Series:
    """True where ``|x - mean| / std > threshold``; nulls are never outliers."""
    x, threshold = _values(values), number(threshold, "threshold", above=0)
    std = x.std()
    if not std or np.isnan(std):
        return pd.Series(False, index=x.index)
    return ((x - x.mean()).abs() / std > threshold).fillna(False)


def iqr(values, k: float = 1.5) -> pd.Series:
    """True outside Tukey's fences ``[Q1 - k*IQR, Q3 + k*IQR]``."""
    x, k = _values(values), number(k, "k", above=0)
    q1, q3 = x.quantile(0.25), x.quantile(0.75)
    spread = q3 - q1
    return ((x < q1 - k * spread) | (x > q3 + k * spread)).fillna(False)


def mad(values, threshold: float = 3.5) -> pd.Series:
    """True where the modified z-score ``0.6745 * |x - median| / MAD`` exceeds ``threshold``.

    When more than half the values are equal, MAD is 0: then only values that differ
    from the median are flagged.
    """
    x, threshold = _values(values), number(threshold, "threshold", above=0)
    median = x.median()
    deviation = (x - median).abs()
    spread = deviation.median()
    if not spread:
        return (deviation > 0).fillna(False)
    return (MAD_SCALE * deviation / spread > threshold).fillna(False)


def fences(values, method: str, **params) -> tuple[float, float]:
    """The (low, high) values a method's mask is equivalent to, for drawing."""
    x = _values(values)
    if method == "zscore":
        t = params.get("threshold", 3.0)
        return x.mean() - t * x.std(), x.mean() + t * x.std()
    if method == "iqr":
        k = params.get("k", 1.5)
        q1, q3 = x.quantile(0.25), x.quantile(0.75)
        return q1 - k * (q3 - q1), q3 + k * (q3 - q1)
    if method == "mad":
        t = params.get("threshold", 3.5)
        median = x.median()
        spread = (x - median).abs().median()
        return median - t * spread / MAD_SCALE, median + t * spread / MAD_SCALE
    raise ValueError(f"method must be one of zscore, iqr, mad, not {method!r}.")


def order_amounts(n: int = 5_000, seed: int = 42) -> pd.Series:
    """``n`` order totals in currency units: log-normal (median ~110, long right tail), to the cent.

    Indexed by ``row_id`` 0..n-1, named ``total_amount``.
    """
    n = whole(n, "n", at_least=1)
    rng = np.random.default_rng([int(seed), 81])
    amounts = np.round(rng.lognormal(np.log(110), 0.8, n), 2)
    return pd.Series(amounts, index=pd.RangeIndex(n, name="row_id"), name="total_amount")


def with_planted_outliers(n: int = 5_000, rate: float = 0.05, seed: int = 42) -> tuple[pd.Series, list[int]]:
    """``(amounts, planted_row_ids)``: ``order_amounts`` with ``rate`` of the values moved out of range
    by ``labs.data.defects.inject`` (one to three ranges beyond the minimum or maximum)."""
    from labs.data import defects

    clean = order_amounts(n, seed).reset_index()
    dirty, labels = defects.inject(clean, kinds=("out_of_range",), rate=rate, seed=seed,
                                   columns=["total_amount"])
    return dirty.set_index("row_id")["total_amount"], labels["row_id"].tolist()
