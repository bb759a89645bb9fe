"""A retry policy as data, the waits it gives, and a retry loop on a simulated clock.

``RetryPolicy`` says how often to try (``max_attempts``, the first try included), how long to
wait (``base_s`` times ``factor`` to the power of the retry number, never more than ``max_s``),
how to spread the waits (``jitter``) and which errors are worth another try (``retry_on``,
exception names or classes). Jitter:

- ``"none"``: exactly the exponential wait; clients that failed together retry together;
- ``"full"``: a wait drawn uniformly between 0 and the exponential wait (what most cloud SDKs do);
- ``"equal"``: half the exponential wait, plus a random part of up to the other half.

``run_with_retry`` calls a function until it succeeds, fails with an error not worth retrying,
or runs out of attempts, sleeping on a ``SimClock``; it returns what happened as plain data.

    >>> from labs.recovery.faults import FlakySource
    >>> policy = RetryPolicy(max_attempts=4, base_s=1, factor=2, max_s=30, jitter="none")
    >>> delays(policy)
    [1.0, 2.0, 4.0]
    >>> result = run_with_retry(FlakySource(["row"], fail_first=2), policy)
    >>> result.outcome, result.n_attempts, result.elapsed_s
    ('succeeded', 3, 3.0)
"""
from __future__ import annotations

import builtins
import random
from dataclasses import dataclass, field
from typing import Callable

import pandas as pd

from labs._check import is_number, number, whole
from labs.recovery.clock import SimClock
from labs.recovery.faults import EXCEPTIONS

JITTERS = ("none", "full", "equal")
OUTCOMES = ("succeeded", "gave up", "not retryable")


def exception_class(name_or_class) -> type[BaseException]:
    """The exception class a policy names: one of ``labs.recovery.faults``'s, a builtin, or a class.

        >>> exception_class("TimeoutError").__name__
        'TimeoutError'
        >>> exception_class("TransientErrror")
        Traceback (most recent call last):
        ...
        ValueError: retry_on names an unknown exception 'TransientErrror'; use a builtin such as 'TimeoutError' or one of AckLost, InjectedCrash, Overloaded, PoisonRecord, SourceUnavailable, TransientError.
    """
    if isinstance(name_or_class, type) and issubclass(name_or_class, BaseException):
        return name_or_class
    if isinstance(name_or_class, str):
        found = EXCEPTIONS.get(name_or_class) or getattr(builtins, name_or_class, None)
        if isinstance(found, type) and issubclass(found, BaseException):
            return found
    known = ", ".join(sorted(EXCEPTIONS))
    raise ValueError(f"retry_on names an unknown exception {name_or_class!r}; use a builtin such as "
                     f"'TimeoutError' or one of {known}.")


@dataclass(frozen=True)
class RetryPolicy:
    """How to retry: attempts, exponential backoff capped at ``max_s``, jitter, and which errors to retry."""
    max_attempts: int = 5
    base_s: float = 1.0
    factor: float = 2.0
    max_s: float = 60.0
    jitter: str = "full"
    retry_on: tuple = ("TransientError", "TimeoutError")

    def __post_init__(self):
        whole(self.max_attempts, "max_attempts", at_least=1)
        for name, value in (("base_s", number(self.base_s, "base_s", above=0)),
                            ("factor", number(self.factor, "factor", at_least=1)),
                            ("max_s", number(self.max_s, "max_s", above=0))):
            object.__setattr__(self, name, value)
        if self.max_s < self.base_s:
            raise ValueError(f"max_s ({self.max_s!r}) must be at least base_s ({self.base_s!r}).")
        if self.jitter not in JITTERS:
            raise ValueError(f"jitter must be one of {', '.join(JITTERS)}; got {self.jitter!r}.")
        names = (self.retry_on,) if isinstance(self.retry_on, (str, type)) else self.retry_on
        try:
            names = tuple(names)
        except TypeError:
            raise ValueError(f"retry_on must be exception names or classes; got {self.retry_on!r}.") from None
        for name in names:
            exception_class(name)
        object.__setattr__(self, "retry_on", names)

    def retries(self, error: BaseException) -> bool:
        """Whether ``error`` is one this policy tries again after."""
        return isinstance(error, tuple(exception_class(n) for n in self.retry_on))

    def ceiling(self, retry: int) -> float:
        """The longest wait before retry number ``retry`` (1 for the first retry)."""
        retry = whole(retry, "retry", at_least=1)
        try:
            grown = self.base_s * self.factor ** (retry - 1)
        except OverflowError:
            grown = self.max_s
        return min(self.max_s, grown)


def _policy(policy) -> RetryPolicy:
    if not isinstance(policy, RetryPolicy):
        raise ValueError(f"policy must be a RetryPolicy, not {type(policy).__name__}.")
    return policy


def delays(policy: RetryPolicy, seed: int = 0) -> list[float]:
    """The waits before each retry (``max_attempts - 1`` of them), seeded when jittered.

        >>> [round(d, 2) for d in delays(RetryPolicy(max_attempts=5, base_s=1, max_s=4, jitter="full"), seed=1)]
        [0.13, 1.69, 3.06, 1.02]
    """
    policy = _policy(policy)
    rng = random.Random(whole(seed, "seed", at_least=0))
    waits = []
    for retry in range(1, policy.max_attempts):
        top = policy.ceiling(retry)
        if policy.jitter == "full":
            waits.append(rng.uniform(0, top))
        elif policy.jitter == "equal":
            waits.append(top / 2 + rng.uniform(0, top / 2))
        else:
            waits.append(top)
    return waits


@dataclass
class RetryResult:
    """What a retried call did: its outcome, every attempt, the value (if any) and the time it took."""
    outcome: str
    attempts: list = field(repr=False)
    value: object = field(default=None, repr=False)
    elapsed_s: float = 0.0
    error: str | None = None

    @property
    def n_attempts(self) -> int:
        return len(self.attempts)

    def __repr__(self) -> str:
        end = f", error={self.error!r}" if self.error else ""
        return (f"RetryResult(outcome={self.outcome!r}, n_attempts={self.n_attempts}, "
                f"elapsed_s={self.elapsed_s:g}{end})")

    def frame(self) -> pd.DataFrame:
        """One row per attempt: its number, when it started, its error (None when it succeeded), the wait after it."""
        return pd.DataFrame(self.attempts, columns=["attempt", "at_s", "error", "wait_s"])


def run_with_retry(fn: Callable[[], object], policy: RetryPolicy, clock: SimClock | None = None,
                   seed: int = 0) -> RetryResult:
    """Call ``fn()`` under ``policy``, waiting on ``clock`` (a fresh ``SimClock`` by default).

    An error the policy does not retry ends the loop at once ("not retryable"); running out of
    attempts ends it with "gave up". Errors are caught and reported, never raised; a ``KeyboardInterrupt``
    still stops the loop.
    """
    if not callable(fn):
        raise ValueError(f"fn must be a function to call, not {type(fn).__name__}.")
    policy = _policy(policy)
    clock = SimClock() if clock is None else clock
    if not (hasattr(clock, "sleep") and is_number(getattr(clock, "now", None))):
        raise ValueError("clock must have a numeric 'now' and a 'sleep(seconds)' method, such as SimClock().")
    waits = delays(policy, seed)
    started, attempts = clock.now, []
    for attempt in range(1, policy.max_attempts + 1):
        at = clock.now
        try:
            value = fn()
        except Exception as error:  # noqa: BLE001 - the error is the data this function reports
            text = f"{type(error).__name__}: {error}"
            if not policy.retries(error):
                attempts.append((attempt, at - started, text, 0.0))
                return RetryResult("not retryable", attempts, None, clock.now - started, text)
            if attempt == policy.max_attempts:
                attempts.append((attempt, at - started, text, 0.0))
                return RetryResult("gave up", attempts, None, clock.now - started, text)
            wait = waits[attempt - 1]
            attempts.append((attempt, at - started, text, wait))
            clock.sleep(wait)
            continue
        attempts.append((attempt, at - started, None, 0.0))
        return RetryResult("succeeded", attempts, value, clock.now - started)
    raise AssertionError("unreachable: the loop returns on its last attempt")
