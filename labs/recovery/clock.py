"""A simulated clock: retries and outages measured in seconds that never have to pass.

Real backoff sleeps; a lab that slept would take minutes to show an hour of retries. Everything
in this package that waits asks a ``SimClock`` instead: ``sleep`` moves its time forward at once.

    >>> clock = SimClock()
    >>> clock.sleep(1.5); clock.sleep(0.5)
    >>> clock.now, clock.slept
    (2.0, [1.5, 0.5])
"""
from __future__ import annotations

from labs._check import number


class SimClock:
    """Seconds since the start of a scenario; ``sleep`` advances them and remembers each wait."""

    def __init__(self, start: float = 0.0):
        self.now = number(start, "start", at_least=0)
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        seconds = number(seconds, "seconds", at_least=0)
        self.slept.append(seconds)
        self.now += seconds

    def __repr__(self) -> str:
        return f"SimClock(now={self.now:g})"
