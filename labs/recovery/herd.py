"""The thundering herd: many clients retrying in lock-step against a source that is coming back.

``herd`` simulates ``n_clients`` clients whose first call meets an outage. Each retries under
the same policy. After the outage the source serves ``capacity_per_s`` calls per second and
refuses the rest (``Overloaded``, itself retryable). Without jitter every client waits exactly
as long as every other, so they all come back in the same second, most are refused, and they
all come back again together: the load arrives in spikes of the whole herd. Full jitter spreads
each wave over its whole backoff window, and the same capacity serves everyone sooner.
``peak_after_recovery_per_s`` is the load the recovering source sees (the first second holds
every client's first call, jittered or not).

    >>> policy = RetryPolicy(max_attempts=8, base_s=1, factor=2, max_s=60, jitter="none")
    >>> herd(50, policy, recover_at_s=5, capacity_per_s=10).summary["peak_after_recovery_per_s"]
    50
    >>> herd(50, replace(policy, jitter="full"), recover_at_s=5, capacity_per_s=10).summary["peak_after_recovery_per_s"]
    15
"""
from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, replace

import pandas as pd

from labs._check import number, whole
from labs.recovery.retry import RetryPolicy, delays

__all__ = ["HerdResult", "compare_jitter", "herd", "replace"]


@dataclass
class HerdResult:
    """``load``: calls, served and refused per second; ``summary``: the figures a table of policies compares."""
    load: pd.DataFrame
    summary: dict

    def __repr__(self) -> str:
        return f"HerdResult({self.summary})"


def herd(n_clients: int, policy: RetryPolicy, recover_at_s: float = 10.0, capacity_per_s: int = 20,
         seed: int = 0) -> HerdResult:
    """Every client calls at t=0; the source is down until ``recover_at_s``, then serves ``capacity_per_s`` a second."""
    n_clients = whole(n_clients, "n_clients", at_least=1)
    if not isinstance(policy, RetryPolicy):
        raise ValueError(f"policy must be a RetryPolicy, not {type(policy).__name__}.")
    recover_at_s = number(recover_at_s, "recover_at_s", at_least=0)
    capacity_per_s = whole(capacity_per_s, "capacity_per_s", at_least=1)
    seed = whole(seed, "seed", at_least=0)
    waits = [delays(policy, seed * 1_000_003 + client) for client in range(n_clients)]  # each client its own draw
    queue = [(0.0, client, 1) for client in range(n_clients)]
    heapq.heapify(queue)
    calls, served = {}, {}
    served_at, gave_up = [], 0
    while queue:
        at, client, attempt = heapq.heappop(queue)
        second = math.floor(at)
        calls[second] = calls.get(second, 0) + 1
        if at >= recover_at_s and served.get(second, 0) < capacity_per_s:
            served[second] = served.get(second, 0) + 1
            served_at.append(at)
            continue
        if attempt == policy.max_attempts:
            gave_up += 1
        else:
            heapq.heappush(queue, (at + waits[client][attempt - 1], client, attempt + 1))
    seconds = range(0, max(calls) + 1)
    load = pd.DataFrame({"second": list(seconds), "calls": [calls.get(s, 0) for s in seconds],
                         "served": [served.get(s, 0) for s in seconds]})
    load["refused"] = load["calls"] - load["served"]
    after = load.loc[load["second"] >= math.floor(recover_at_s), "calls"]
    summary = {"jitter": policy.jitter, "clients": n_clients, "calls": int(load["calls"].sum()),
               "peak_per_s": int(load["calls"].max()), "peak_after_recovery_per_s": int(after.max()) if len(after) else 0, "served": len(served_at), "gave_up": gave_up,
               "all_served_by_s": round(max(served_at), 2) if served_at and not gave_up else None}
    return HerdResult(load, summary)


def compare_jitter(n_clients: int = 200, policy: RetryPolicy | None = None, recover_at_s: float = 10.0,
                   capacity_per_s: int = 20, seed: int = 0, jitters=("none", "equal", "full")) -> pd.DataFrame:
    """``herd`` once per jitter, the rest of the policy unchanged: one summary row each."""
    policy = policy or RetryPolicy(max_attempts=10, base_s=1, factor=2, max_s=60)
    if isinstance(jitters, str) or not hasattr(jitters, "__iter__"):
        raise ValueError(f"jitters must be a list such as ('none', 'full'); got {jitters!r}.")
    return pd.DataFrame([herd(n_clients, replace(policy, jitter=j), recover_at_s, capacity_per_s, seed).summary
                         for j in jitters])
