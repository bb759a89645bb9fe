"""Timing that survives a busy machine: run the work a few times and keep a robust figure.

One home for the kit's timings, used by the labs and by every benchmark script:

- ``best_of``: the fastest of N runs, the least disturbed by other programs, so the best
  estimate of what the work itself costs (the mean is pulled up by every hiccup);
- ``median_time``: the median of N runs and the work's result, for figures a reader
  compares across runs (one hiccup does not move a median either); ``median_seconds``
  when the result is not needed;
- ``samples``: every run's seconds, for a spread (a 90th percentile, say).

    >>> best_of(lambda: sum(range(1000)), repeat=3) > 0
    True
    >>> seconds, result = median_time(lambda: sum(range(1000)), repeat=3)
    >>> seconds > 0, result
    (True, 499500)
"""
from __future__ import annotations

import statistics
import time
from typing import Callable

from labs._check import whole


def samples(fn: Callable[[], object], repeat: int = 5, warmup: int = 0) -> tuple[list[float], object]:
    """Wall seconds of each of ``repeat`` calls of ``fn`` after ``warmup`` untimed ones, and the last result.

        >>> times, _ = samples(lambda: None, repeat=4)
        >>> len(times)
        4
    """
    repeat, warmup = whole(repeat, "repeat", at_least=1), whole(warmup, "warmup", at_least=0)
    for _ in range(warmup):  # the first call pays for caches and lazy loading
        fn()
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return times, result


def best_of(fn: Callable[[], object], repeat: int = 5, warmup: int = 1) -> float:
    """The fastest of ``repeat`` timed calls of ``fn``, in seconds, after ``warmup`` untimed ones."""
    return min(samples(fn, repeat, warmup)[0])


def median_time(fn: Callable[[], object], repeat: int = 5, warmup: int = 0) -> tuple[float, object]:
    """Median wall seconds of ``repeat`` calls of ``fn`` after ``warmup`` untimed ones, and the last result."""
    times, result = samples(fn, repeat, warmup)
    return statistics.median(times), result


def median_seconds(fn: Callable[[], object], repeat: int = 5, warmup: int = 0) -> float:
    """``median_time`` without the result: the median wall seconds alone.

        >>> median_seconds(lambda: None, repeat=3, warmup=1) >= 0
        True
    """
    return median_time(fn, repeat, warmup)[0]
