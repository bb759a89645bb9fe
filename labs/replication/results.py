"""What one simulated run leaves behind (``Run``), and the quantile its summary uses.

    >>> quantile([10.0, 20.0, 30.0, 40.0], 0.5), quantile([], 0.99)
    (25.0, nan)
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from labs.replication.config import Cluster
from labs.replication.history import History, stale_reads


@dataclass
class Run:
    """The outcome of one simulated run."""
    cluster: Cluster
    seed: int
    partitions: tuple
    history: History
    replicas: dict            # final {node: {key: value}}
    changes: list             # (time, node, key, value) each time a replica's value changed
    messages: dict            # {"sent": n, "lost": n}
    end: float                # virtual time of the last event
    events: int = 0           # events processed: the run's size, whatever the machine

    @property
    def converged(self) -> bool:
        """True if every replica ended with the same value for every key."""
        return len({tuple(sorted(values.items())) for values in self.replicas.values()}) == 1

    def summary(self) -> dict:
        """Counts by kind and status, latency percentiles (ms), stale reads, convergence."""
        ops = list(self.history)
        out = {"ops": len(ops)}
        for kind in ("read", "write"):
            mine = [op for op in ops if op.kind == kind]
            done = [op.latency for op in mine if op.status == "ok"]
            out[f"{kind}s"] = len(mine)
            out[f"{kind}s_ok"] = len(done)
            out[f"{kind}s_refused"] = sum(op.status == "fail" for op in mine)
            out[f"{kind}s_timed_out"] = sum(op.status == "timeout" for op in mine)
            out[f"{kind}_p50_ms"] = quantile(done, 0.5)
            out[f"{kind}_p99_ms"] = quantile(done, 0.99)
        out["stale_reads"] = len(stale_reads(self.history))
        out["converged"] = self.converged
        out["messages_lost"] = self.messages["lost"]
        return out


def quantile(values: list[float], q: float) -> float:
    """The q-quantile by linear interpolation (numpy's default), NaN for no values."""
    if not values:
        return math.nan
    data = sorted(values)
    pos = (len(data) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)
