"""Back-of-the-envelope numbers an architecture round asks for, as small functions.

- ``storage_tb``: what a stream of events costs on disk once compressed, replicated and kept;
- ``peak_rate``: the events per second a pipeline must absorb at its busiest;
- ``schedule``: the cheapest way to meet a freshness requirement, a batch schedule or a stream
  trigger, under the timings stated in ``BATCH_RUN_S`` and ``STREAM_RUN_S``.

    >>> round(storage_tb(200e6, 500, compression=5, replication=3, days=90), 2)
    5.4
    >>> schedule(7_200), schedule(605), schedule(3)
    (('batch', 3600), ('stream', 300), ('per-event', 0))
"""
from __future__ import annotations

import pandas as pd

from labs._check import number, whole

# The options of the decision table, cheapest first: a batch job every day or every hour takes
# BATCH_RUN_S end to end (start a cluster, read, write, publish); a stream's micro-batch finishes
# within STREAM_RUN_S of its trigger. A result is at worst one interval plus one run old.
BATCH_INTERVALS_S = (86_400, 3_600)
BATCH_RUN_S = 600
STREAM_TRIGGERS_S = (300, 60, 10, 1)
STREAM_RUN_S = 5


def storage_tb(events_per_day: float, bytes_per_event: float, compression: float = 1.0,
               replication: int = 1, days: int = 1) -> float:
    """Terabytes (10**12 bytes) on disk: raw bytes per day, compressed, times copies, times days kept."""
    raw = number(events_per_day, "events_per_day", at_least=0) * number(bytes_per_event, "bytes_per_event", at_least=0)
    copies = whole(replication, "replication", at_least=1) * whole(days, "days", at_least=1)
    return raw / number(compression, "compression", at_least=1) * copies / 1e12


def peak_rate(events_per_day: float, peak_to_mean: float = 1.0) -> float:
    """Events per second at the busiest time: the daily mean rate times the peak-to-mean ratio."""
    return number(events_per_day, "events_per_day", at_least=0) / 86_400 * number(peak_to_mean, "peak_to_mean", at_least=1)


def schedule(max_staleness_s: float) -> tuple[str, int]:
    """The cheapest option whose worst staleness (interval + run time) is within ``max_staleness_s``:
    a daily, then an hourly batch, then the longest stream trigger; 'per-event' when none is fast enough."""
    need = number(max_staleness_s, "max_staleness_s", above=0)
    for interval in BATCH_INTERVALS_S:
        if interval + BATCH_RUN_S <= need:
            return "batch", interval
    for trigger in STREAM_TRIGGERS_S:
        if trigger + STREAM_RUN_S <= need:
            return "stream", trigger
    return "per-event", 0


def decision_table(use_cases: pd.DataFrame) -> pd.DataFrame:
    """``schedule`` applied to every row of a frame with columns use_case, max_staleness_s."""
    picks = [schedule(float(s)) for s in use_cases["max_staleness_s"]]
    return pd.DataFrame({"use_case": use_cases["use_case"].tolist(),
                         "mode": [m for m, _ in picks], "interval_s": [i for _, i in picks]})
