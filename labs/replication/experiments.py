"""Many seeded runs, summed up: the measurements behind the notebook's tables and figures.

One run is an anecdote; a stale-read *rate* needs many runs. ``measure`` repeats a setup over
seeds and pools the operations of all runs, so a p99 is a p99 over every request made.

    >>> from labs.replication import Cluster, RandomClients
    >>> clients = RandomClients({"c1": "n1", "c2": "n2", "c3": "n3"}, duration=300)
    >>> strong = measure(Cluster.leaderless(3, r=2, w=2), clients, seeds=range(5))
    >>> strong["stale_reads"]
    0
"""
from __future__ import annotations

from typing import Callable, Iterable

import pandas as pd

from labs.replication.config import Cluster, Delays
from labs.replication.history import stale_reads
from labs.replication.linearizability import check
from labs.replication.results import quantile
from labs.replication.simulator import simulate
from labs.replication.workloads import RandomClients

# A data centre per node for three classic layouts of three replicas.
LAYOUTS = {
    "one DC: eu eu eu": {"n1": "eu", "n2": "eu", "n3": "eu"},
    "two DCs: eu eu us": {"n1": "eu", "n2": "eu", "n3": "us"},
    "three regions: eu us asia": {"n1": "eu", "n2": "us", "n3": "asia"},
}

# One-way delays (ms) in the spirit of real inter-region links: about half the measured
# round trips between Western Europe, the US east coast and South-East Asia.
REGION_DELAYS = Delays(local=(0.5, 1.5), remote=(40.0, 45.0),
                       between={("eu", "us"): (38.0, 42.0), ("eu", "asia"): (80.0, 90.0), ("us", "asia"): (105.0, 115.0)})


def runs(cluster: Cluster, workload, seeds: Iterable[int] = range(20), partitions=()) -> list:
    """One simulated run per seed."""
    return [simulate(cluster, workload, seed, partitions) for seed in seeds]


def pooled(all_runs: list, clients: Iterable[str] | None = None, linearizable: bool = False) -> dict:
    """Counts, stale reads and latency percentiles over the operations of every run.

    ``clients`` restricts the latency figures to some clients (e.g. those in one region);
    stale reads always count every client. ``linearizable`` also runs the checker on every run
    (slower) and reports how many runs passed.
    """
    keep = set(clients) if clients is not None else None
    out: dict = {"runs": len(all_runs)}
    for kind in ("read", "write"):
        ops = [op for run in all_runs for op in run.history if op.kind == kind]
        mine = [op for op in ops if keep is None or op.client in keep]
        done = [op.latency for op in mine if op.status == "ok"]
        out[f"{kind}s"] = len(ops)
        out[f"{kind}s_ok"] = sum(op.status == "ok" for op in ops)
        out[f"{kind}s_refused"] = sum(op.status == "fail" for op in ops)
        out[f"{kind}s_timed_out"] = sum(op.status == "timeout" for op in ops)
        out[f"{kind}_p50_ms"] = quantile(done, 0.5)
        out[f"{kind}_p99_ms"] = quantile(done, 0.99)
    out["stale_reads"] = sum(len(stale_reads(run.history)) for run in all_runs)
    out["stale_rate"] = out["stale_reads"] / out["reads_ok"] if out["reads_ok"] else 0.0
    out["converged_runs"] = sum(run.converged for run in all_runs)
    if linearizable:
        out["linearizable_runs"] = sum(check(run.history).ok for run in all_runs)
    return out


def measure(cluster: Cluster, workload, seeds: Iterable[int] = range(20), partitions=(),
            clients: Iterable[str] | None = None, linearizable: bool = False) -> dict:
    """``pooled(runs(...))``: one setup, many seeds, one row of figures."""
    return pooled(runs(cluster, workload, seeds, partitions), clients, linearizable)


def sweep(setups: Iterable[tuple[dict, Cluster]], workload, seeds: Iterable[int] = range(20), partitions=(),
          clients: Iterable[str] | None = None, linearizable: bool = False,
          progress: Callable | None = None) -> pd.DataFrame:
    """One row per setup: its labels (a dict) followed by its pooled figures.

    ``progress`` wraps the list of setups (pass ``tqdm`` for a progress bar).
    """
    setups = list(setups)
    seeds = list(seeds)
    rows = []
    for labels, cluster in (progress(setups) if progress else setups):
        rows.append({**labels, **measure(cluster, workload, seeds, partitions, clients, linearizable)})
    return pd.DataFrame(rows)


def quorum_grid(n: int = 3, workload=None, seeds: Iterable[int] = range(20), partitions=(),
                progress: Callable | None = None, **options) -> pd.DataFrame:
    """Every (R, W) of a leaderless cluster of ``n`` replicas: stale reads, refusals, latency."""
    workload = workload or RandomClients({f"c{i}": f"n{i}" for i in range(1, n + 1)}, duration=500)
    setups = [({"r": r, "w": w}, Cluster.leaderless(n, r=r, w=w, **options))
              for r in range(1, n + 1) for w in range(1, n + 1)]
    return sweep(setups, workload, seeds, partitions, progress=progress)


def outcomes(all_runs: list, groups: dict) -> pd.DataFrame:
    """How each group of clients fared: {group name: [clients]} -> one row per group.

    Columns: ops, ok, refused, timed_out, stale_reads (reads by the group that were stale).
    """
    stale = [{read.op_id for read, _ in stale_reads(run.history)} for run in all_runs]
    rows = []
    for name, members in groups.items():
        members = set(members)
        ops = [(i, op) for i, run in enumerate(all_runs) for op in run.history if op.client in members]
        rows.append({"group": name, "ops": len(ops),
                     "ok": sum(op.status == "ok" for _, op in ops),
                     "refused": sum(op.status == "fail" for _, op in ops),
                     "timed_out": sum(op.status == "timeout" for _, op in ops),
                     "stale_reads": sum(op.op_id in stale[i] for i, op in ops)})
    return pd.DataFrame(rows)


def latency_by_layout(layouts: dict | None = None, delays: Delays = REGION_DELAYS, seeds: Iterable[int] = range(10),
                      duration: float = 2000.0, quorum: Callable[[int, int], int] | None = None,
                      rs: Iterable[int] | None = None, progress: Callable | None = None) -> pd.DataFrame:
    """Read and write latency, seen by a client in the first node's region, for R = 1..N.

    ``quorum(n, r)`` picks W for each R; by default the smallest W with R + W > N, so every
    row is free of stale reads and only latency moves between reads and writes. ``rs`` limits
    the values of R tried.
    """
    layouts = layouts or LAYOUTS
    quorum = quorum or (lambda n, r: n - r + 1)
    seeds = list(seeds)
    rows = []
    for name, dcs in (progress(list(layouts.items())) if progress else layouts.items()):
        nodes = tuple(dcs)
        workload = RandomClients({f"c{i}": node for i, node in enumerate(nodes, start=1)}, duration=duration,
                                 think=(0.0, 50.0))
        for r in (rs or range(1, len(nodes) + 1)):
            w = quorum(len(nodes), r)
            cluster = Cluster.leaderless(nodes=nodes, r=r, w=w, dcs=dcs, delays=delays, timeout=2000.0)
            rows.append({"layout": name, "r": r, "w": w,
                         **measure(cluster, workload, seeds, clients=["c1"])})
    return pd.DataFrame(rows)


def rounded(frame: pd.DataFrame, digits: int = 1) -> pd.DataFrame:
    """Floats rounded for display (so printed tables are the same on every machine)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype.kind == "f":
            out[col] = out[col].round(digits)
    return out
