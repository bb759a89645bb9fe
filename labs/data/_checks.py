"""Checks on the arguments every generator takes, with one clear sentence each.

    >>> check_scale(0.5)
    0.5
    >>> check_scale("abc")
    Traceback (most recent call last):
    ...
    ValueError: scale must be a positive number such as 0.5, 1 or 10, not 'abc'.
"""
from __future__ import annotations

import math
import numbers

MAX_SEED = 2**63 - 1


class DataGenError(Exception):
    """Generating a data set failed for a reason outside the arguments (for
    example the output folder cannot be written); nothing half-written is left."""


def check_scale(scale) -> float:
    """Return ``scale`` as a float, or raise ValueError if it is not a positive number."""
    # bool is a number to Python (True == 1) but never what a caller means here.
    ok = isinstance(scale, numbers.Real) and not isinstance(scale, bool)
    if ok:
        value = float(scale)
        ok = math.isfinite(value) and value > 0
    if not ok:
        raise ValueError(f"scale must be a positive number such as 0.5, 1 or 10, not {scale!r}.")
    return value


def check_seed(seed) -> int:
    """Return ``seed`` as an int, or raise ValueError if it is not a whole number >= 0."""
    if (
        isinstance(seed, bool)
        or not isinstance(seed, numbers.Integral)
        or not 0 <= int(seed) <= MAX_SEED
    ):
        raise ValueError(f"seed must be a whole number from 0 to 2**63 - 1, not {seed!r}.")
    return int(seed)


def scaled(base: int, scale: float, minimum: int = 1) -> int:
    """``base * scale`` rounded, never below ``minimum``: row counts grow linearly.

        >>> scaled(2000, 0.5), scaled(2000, 0.0001)
        (1000, 1)
    """
    return max(minimum, int(round(base * scale)))
