"""The one timing helper the benchmark scripts share.

    >>> seconds, result = median_time(lambda: sum(range(1000)), repeat=3)
    >>> seconds > 0, result
    (True, 499500)
"""
from __future__ import annotations

import statistics
import time


def median_time(fn, repeat: int = 5, warmup: int = 0) -> tuple[float, object]:
    """Median wall seconds of ``repeat`` calls of ``fn`` after ``warmup`` untimed ones, and the last result.

    The median, not the mean: one hiccup of a busy machine does not move it.
    """
    for _ in range(warmup):  # the first call pays for caches and lazy loading
        fn()
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result
