"""Serverless functions against an always-on node: what each costs, where they meet, and cold starts.

A function (AWS Lambda's model) is billed per request plus per GB-second of memory held
while it runs, rounded up to the millisecond; an idle function costs nothing. A node is
billed per hour whether it works or not. So serverless wins at low or bursty volume and
loses once the calls would keep a node busy anyway: ``break_even_invocations`` is where.

    >>> round(function_cost(1_000_000, 200, 1.0), 2)   # 200,000 GB-s + 1 M requests
    3.53
    >>> round(always_on_cost(730), 2)                 # one node for a month
    140.16
    >>> n = break_even_invocations(200, 1.0)
    >>> round(function_cost(n, 200, 1.0), 2) == round(always_on_cost(730), 2)
    True
    >>> cold_start_latency(4, [1, 900, 2], cold_ms=800, warm_ms=20, keep_warm_s=600)
    [800.0, 20.0, 800.0, 20.0]
"""
from __future__ import annotations

import math
from collections.abc import Sequence

from labs._check import is_number, is_whole, number
from labs.cloud.prices import Prices, resolve

# Lambda's limits: 128 MB to 10,240 MB of memory (Lambda's MB and GB are binary, so
# 0.125 to 10 GB) and at most 15 minutes a call.
MEMORY_GB = (0.125, 10.0)
MAX_MS = 900_000
HOURS_PER_MONTH = 730


def _memory(memory_gb) -> float:
    low, high = MEMORY_GB
    if not is_number(memory_gb) or not low <= memory_gb <= high:
        raise ValueError(f"memory_gb must be a number from {low} to {high:g} (Lambda's 128 MB to 10,240 MB), "
                         f"not {memory_gb!r}.")
    return float(memory_gb)


def _duration(ms_per_call) -> float:
    if not is_number(ms_per_call) or not 0 < ms_per_call <= MAX_MS:
        raise ValueError(f"ms_per_call must be a number > 0 and at most {MAX_MS:,} (15 minutes), "
                         f"not {ms_per_call!r}.")
    return float(ms_per_call)


def billed_ms(ms_per_call: float, *, prices: Prices | None = None) -> float:
    """A call's duration as billed: rounded up to the billing step (1 ms on today's list).

        >>> billed_ms(12.3), billed_ms(12.3, prices=resolve(None).with_values({"lambda.billing_ms": 100}))
        (13.0, 100.0)
    """
    step = resolve(prices).value("lambda.billing_ms")
    ms = _duration(ms_per_call)
    if step <= 0:
        return ms
    return math.ceil(ms / step - 1e-9) * step


def cost_per_call(ms_per_call: float, memory_gb: float, *, prices: Prices | None = None) -> float:
    """USD for one invocation: its request plus its GB-seconds."""
    prices = resolve(prices)
    gb_seconds = billed_ms(ms_per_call, prices=prices) / 1000 * _memory(memory_gb)
    return prices.value("lambda.requests_million") / 1e6 + gb_seconds * prices.value("lambda.gb_second")


def function_cost(invocations: float, ms_per_call: float, memory_gb: float, *,
                  prices: Prices | None = None) -> float:
    """USD for ``invocations`` calls of ``ms_per_call`` each with ``memory_gb`` of memory (no free tier).

        >>> function_cost(1000, 200, 0.1)
        Traceback (most recent call last):
        ...
        ValueError: memory_gb must be a number from 0.125 to 10 (Lambda's 128 MB to 10,240 MB), not 0.1.
    """
    invocations = number(invocations, "invocations", at_least=0)
    return invocations * cost_per_call(ms_per_call, memory_gb, prices=prices)


def always_on_cost(hours: float, nodes: int = 1, *, prices: Prices | None = None) -> float:
    """USD for ``nodes`` always-on VM nodes for ``hours`` (730 hours is a month)."""
    hours = number(hours, "hours", at_least=0)
    if not is_whole(nodes) or nodes < 1:
        raise ValueError(f"nodes must be a whole number >= 1, not {nodes!r}.")
    return nodes * hours * resolve(prices).value("vm.node_hour")


def break_even_invocations(ms_per_call: float, memory_gb: float, hours: float = HOURS_PER_MONTH, *,
                           prices: Prices | None = None) -> float:
    """Invocations in ``hours`` at which the function costs as much as one always-on node.

    Fewer calls: serverless is cheaper. More: the node is (if one node can serve them).

        >>> round(break_even_invocations(100, 0.5))
        135638491
    """
    hours = number(hours, "hours", above=0)
    return always_on_cost(hours, prices=prices) / cost_per_call(ms_per_call, memory_gb, prices=prices)


def cold_start_latency(calls: int, idle_gaps_s, cold_ms: float, warm_ms: float,
                       keep_warm_s: float) -> list[float]:
    """Each call's latency in ms for one function instance that is recycled after ``keep_warm_s`` idle.

    ``idle_gaps_s`` is the idle time between consecutive calls: one number for all, or a
    list of ``calls - 1`` gaps (or ``calls``, the first being the time before the first call).
    The first call is always cold; a later one is cold when the gap before it is longer than
    ``keep_warm_s``. (A real platform keeps instances for a time it does not publish, and runs
    concurrent calls on extra instances that start cold too; this model has one instance.)

        >>> cold_start_latency(3, 5, cold_ms=500, warm_ms=10, keep_warm_s=5)   # a gap equal to it stays warm
        [500.0, 10.0, 10.0]
        >>> cold_start_latency(3, [1, 2, 3, 4], cold_ms=500, warm_ms=10, keep_warm_s=5)
        Traceback (most recent call last):
        ...
        ValueError: idle_gaps_s must be one number or a list of 2 (or 3) gaps for 3 calls, not 4 values.
    """
    if not is_whole(calls) or calls < 1:
        raise ValueError(f"calls must be a whole number >= 1, not {calls!r}.")
    cold_ms = number(cold_ms, "cold_ms", at_least=0)
    warm_ms = number(warm_ms, "warm_ms", at_least=0)
    keep_warm_s = number(keep_warm_s, "keep_warm_s", at_least=0)
    if is_number(idle_gaps_s):
        gaps = [number(idle_gaps_s, "idle_gaps_s", at_least=0)] * (calls - 1)
    elif (isinstance(idle_gaps_s, Sequence) and not isinstance(idle_gaps_s, str)) or hasattr(idle_gaps_s, "__array__"):
        gaps = list(idle_gaps_s)
        if len(gaps) not in (calls - 1, calls):
            raise ValueError(f"idle_gaps_s must be one number or a list of {calls - 1} (or {calls}) gaps "
                             f"for {calls} calls, not {len(gaps)} values.")
        if len(gaps) == calls:
            gaps = gaps[1:]  # nothing is warm before the first call, whatever the gap
        for gap in gaps:
            if not is_number(gap) or gap < 0:
                raise ValueError(f"idle_gaps_s must hold numbers >= 0 (seconds), not {gap!r}.")
    else:
        raise TypeError(f"idle_gaps_s must be a number or a list of numbers, not {type(idle_gaps_s).__name__}.")
    return [cold_ms] + [cold_ms if gap > keep_warm_s else warm_ms for gap in gaps]


def cost_table(invocations, ms_per_call: float, memory_gb: float, hours: float = HOURS_PER_MONTH, *,
               prices: Prices | None = None):
    """Serverless against one always-on node at each volume in ``invocations`` (a pandas DataFrame).

    The rows a break-even curve is drawn from: invocations, serverless_usd, always_on_usd, cheaper.

        >>> cost_table([1e6, 1e9], 200, 1.0)["cheaper"].tolist()
        ['serverless', 'always-on']
    """
    import pandas as pd  # only here: the calculators do not need pandas

    node = always_on_cost(hours, prices=prices)
    rows = []
    for n in invocations:
        serverless = function_cost(n, ms_per_call, memory_gb, prices=prices)
        rows.append({"invocations": float(n), "serverless_usd": serverless, "always_on_usd": node,
                     "cheaper": "serverless" if serverless < node else "always-on"})
    return pd.DataFrame(rows, columns=["invocations", "serverless_usd", "always_on_usd", "cheaper"])
