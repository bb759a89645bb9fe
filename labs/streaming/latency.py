"""End-to-end latency of a micro-batch engine, modelled, against a per-event engine.

An event arriving at a random moment waits for the next trigger (on average half the
interval), then for its batch to be processed. If processing takes longer than the
interval, batches run back to back: the interval stops mattering and an event waits on
average half a batch for the running one to end, then a whole batch for its own. (This
model keeps the work per batch fixed; when it grows with the batch's size, a stream that
cannot keep up falls further behind with every batch.)

    >>> s = simulate(trigger_s=10.0, processing_s=2.0)
    >>> round(s["mean_s"], 1), round(mean_latency(10.0, 2.0), 1)
    (7.0, 7.0)
"""
from __future__ import annotations

import numpy as np

from labs._check import is_number


def mean_latency(trigger_s: float, processing_s: float) -> float:
    """Average event latency of a steady micro-batch stream: max(interval, processing) / 2 + processing."""
    _check(trigger_s, processing_s)
    return max(trigger_s, processing_s) / 2 + processing_s


def simulate(trigger_s: float, processing_s: float, n_events: int = 20_000, seed: int = 0,
             jitter: float = 0.2) -> dict:
    """Per-event latencies: uniform arrivals, batches every ``trigger_s`` (or later if one still runs).

    ``processing_s`` varies by +-``jitter`` from batch to batch. Returns mean, p50 and p99.
    """
    _check(trigger_s, processing_s)
    rng = np.random.default_rng(seed)
    horizon = max(200 * trigger_s, 60.0)
    arrivals = np.sort(rng.uniform(0, horizon, n_events))
    latencies = np.empty(n_events)
    t, done_at, i = 0.0, 0.0, 0
    while i < n_events:
        start = max(t, done_at)  # a trigger fires only when the previous batch has finished
        j = np.searchsorted(arrivals, start, side="right")
        work = processing_s * (1 + rng.uniform(-jitter, jitter))
        done_at = start + work
        latencies[i:j] = done_at - arrivals[i:j]
        i, t = j, start + trigger_s
    return {"mean_s": float(latencies.mean()), "p50_s": float(np.median(latencies)),
            "p99_s": float(np.quantile(latencies, 0.99))}


def _check(trigger_s, processing_s):
    for name, value in (("trigger_s", trigger_s), ("processing_s", processing_s)):
        if not is_number(value) or value < 0:
            raise ValueError(f"{name} must be a number >= 0 (seconds); got {value!r}")
