"""Replication, quorums and CAP, simulated: a lab you can break on purpose (notebook 06-cap-replication).

- ``sim``: a deterministic discrete-event simulator of a replicated register (leaderless
  quorums or leader/follower, refusing or degrading under a network partition);
- ``history``: what clients saw, and the anomalies in it (stale reads, read-your-writes);
- ``linearizability``: a Wing–Gong checker that says whether a history could come from one copy;
- ``experiments``: many seeded runs pooled into tables;
- ``scenarios``: the named setups of the lab and its exercises;
- ``consensus``: leader election with terms, split brain, and fencing tokens;
- ``plots``: timelines and the other pictures (imported on demand: it needs matplotlib).

    >>> from labs.replication import Cluster, RandomClients, simulate, check
    >>> run = simulate(Cluster.leaderless(3, r=2, w=2, read_repair="sync"),
    ...                RandomClients({"c1": "n1", "c2": "n2"}, duration=300), seed=1)
    >>> check(run.history).ok
    True
"""
from labs.replication.history import (History, Op, monotonic_read_violations, read_your_writes_violations,
                                      stale_rate, stale_reads)
from labs.replication.linearizability import Result, TooHard, check, is_linearizable
from labs.replication.sim import Cluster, Delays, Partition, RandomClients, Run, Scripted, WriteThenRead, simulate

__all__ = [
    "Cluster", "Delays", "History", "Op", "Partition", "RandomClients", "Result", "Run", "Scripted", "TooHard",
    "WriteThenRead", "check", "is_linearizable", "monotonic_read_violations", "read_your_writes_violations",
    "simulate", "stale_rate", "stale_reads",
]
