"""The arguments every generator takes (scale, seed), each refused with one clear sentence.

The predicates come from ``labs._check``, the kit's shared argument checks; the sentences
here say more than the standard ones (an example scale, the seed's range as people write
it), because a learner types these two arguments more than any other.

    >>> check_scale(0.5), check_seed(7)
    (0.5, 7)
    >>> check_scale("abc")
    Traceback (most recent call last):
    ...
    ValueError: scale must be a positive number such as 0.5, 1 or 10, not 'abc'.
"""
from __future__ import annotations

from labs._check import is_number, is_whole

MAX_SEED = 2**63 - 1


class DataGenError(Exception):
    """Generating a data set failed for a reason outside the arguments (for
    example the output folder cannot be written); nothing half-written is left."""


def check_scale(scale) -> float:
    """Return ``scale`` as a float, or raise ValueError if it is not a positive number."""
    if not (is_number(scale) and scale > 0):
        raise ValueError(f"scale must be a positive number such as 0.5, 1 or 10, not {scale!r}.")
    return float(scale)


def check_seed(seed) -> int:
    """Return ``seed`` as an int, or raise ValueError if it is not a whole number >= 0."""
    if not (is_whole(seed) and 0 <= seed <= MAX_SEED):
        raise ValueError(f"seed must be a whole number from 0 to 2**63 - 1, not {seed!r}.")
    return int(seed)


def scaled(base: int, scale: float, minimum: int = 1) -> int:
    """``base * scale`` rounded, never below ``minimum``: row counts grow linearly.

        >>> scaled(2000, 0.5), scaled(2000, 0.0001)
        (1000, 1)
    """
    return max(minimum, int(round(base * scale)))
