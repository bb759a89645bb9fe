"""Argument checks shared by the whole kit, each failing with one sentence that names the fix.

Python counts ``True`` as the number 1 and ``1.0`` as equal to ``1``; neither is what a caller
means by "a count of 3", so every check here refuses bools and, where a whole number is
asked for, floats. The predicates (``is_whole``, ``is_number``) are for call sites whose
message says more than the standard one; the checks (``whole``, ``number``, ``fraction``)
return the value, so a constructor can write ``self.n = whole(n, "n", at_least=1)``.

    >>> whole(3, "n_shards", at_least=1)
    3
    >>> whole(True, "n_shards", at_least=1)
    Traceback (most recent call last):
    ...
    ValueError: n_shards must be a whole number >= 1, not True.
    >>> fraction(0.25, "rate"), number(2, "factor", at_least=0)
    (0.25, 2.0)
    >>> is_whole(2.0), is_number(float("nan"))
    (False, False)
"""
from __future__ import annotations

import math
import numbers


def is_whole(value) -> bool:
    """An int (or numpy integer), never a bool and never a float that happens to be whole."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_number(value) -> bool:
    """A finite int or float (numpy ones too), never a bool, NaN or infinity."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _bounds(at_least=None, at_most=None, above=None) -> str:
    if at_least is not None and at_most is not None:
        return f" from {at_least} to {at_most}"
    if at_least is not None:
        return f" >= {at_least}"
    if above is not None:
        return f" > {above}"
    if at_most is not None:
        return f" <= {at_most}"
    return ""


def _within(value, at_least=None, at_most=None, above=None) -> bool:
    return ((at_least is None or value >= at_least) and (at_most is None or value <= at_most)
            and (above is None or value > above))


def whole(value, name: str, *, at_least=None, at_most=None) -> int:
    """``value`` as an int, or ValueError naming ``name`` and the range it must be in.

        >>> whole(12, "day", at_least=1, at_most=31)
        12
        >>> whole(2.0, "copies")
        Traceback (most recent call last):
        ...
        ValueError: copies must be a whole number, not 2.0.
    """
    if not is_whole(value) or not _within(value, at_least, at_most):
        raise ValueError(f"{name} must be a whole number{_bounds(at_least, at_most)}, not {value!r}.")
    return int(value)


def number(value, name: str, *, at_least=None, at_most=None, above=None) -> float:
    """``value`` as a float, or ValueError naming ``name`` and the range it must be in.

        >>> number(0, "delay_s", above=0)
        Traceback (most recent call last):
        ...
        ValueError: delay_s must be a number > 0, not 0.
    """
    if not is_number(value) or not _within(value, at_least, at_most, above):
        raise ValueError(f"{name} must be a number{_bounds(at_least, at_most, above)}, not {value!r}.")
    return float(value)


def fraction(value, name: str) -> float:
    """A share from 0 to 1 inclusive (a rate, a probability), as a float.

        >>> fraction(1.5, "null_rate")
        Traceback (most recent call last):
        ...
        ValueError: null_rate must be a number from 0 to 1, not 1.5.
    """
    return number(value, name, at_least=0, at_most=1)
