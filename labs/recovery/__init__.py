"""Failure and recovery, planted and measured: the lab of notebook 11-orchestration-monitoring.

What a pipeline does when something breaks, with no orchestrator in the way (the same ideas
are what an orchestrator's retries, catch-up and backfills are configured with):

- ``faults``: seeded failures to plant: a flaky source, a source down for a while, poison
  records, a SQLite connection whose process dies before its Nth statement;
- ``clock``: ``SimClock``, the simulated time every wait in this package uses;
- ``retry``: ``RetryPolicy`` as data, its backoff ``delays`` and ``run_with_retry``;
- ``retry_cases``: retries that help (a transient fault) and that hurt (a poison record, a
  write retried after a lost acknowledgement);
- ``herd``: the thundering herd: lock-step retries against a recovering source, with and without jitter;
- ``dead_letter``: bad records set aside with their error and attempts, the rest loaded, a replay after a fix;
- ``checkpoint``: a job over N files, crashed at every statement and restarted: where the
  checkpoint is written decides between duplicates, gaps and neither;
- ``backfill_plan``: logical dates, catch-up, backfills with a limit of active runs, and the
  rerun that overwrites a partition rather than appending to it;
- ``plots``: the pictures (imported on demand: it needs matplotlib).

    >>> from labs.recovery import RetryPolicy, run_with_retry, FlakySource
    >>> run_with_retry(FlakySource([1, 2], fail_first=1), RetryPolicy(jitter="none"))
    RetryResult(outcome='succeeded', n_attempts=2, elapsed_s=1)
"""
from labs.recovery.clock import SimClock
from labs.recovery.faults import (AckLost, CrashingConnection, DownSource, FlakySource, InjectedCrash, Overloaded,
                                  PoisonRecord, SourceUnavailable, TransientError)
from labs.recovery.retry import RetryPolicy, RetryResult, delays, run_with_retry

__all__ = [
    "AckLost", "CrashingConnection", "DownSource", "FlakySource", "InjectedCrash", "Overloaded", "PoisonRecord",
    "RetryPolicy", "RetryResult", "SimClock", "SourceUnavailable", "TransientError", "delays", "run_with_retry",
]
