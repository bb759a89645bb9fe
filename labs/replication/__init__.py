"""Replication, quorums and CAP, simulated: the lab of notebook 06-cap-replication, one you can break on purpose.

The simulator of a replicated register (leaderless quorums or leader/follower, refusing or
degrading under a network partition), in the modules it is built from:

- ``config``: ``Cluster``, ``Delays``, ``Partition``: what a run is set up with, checked when built;
- ``workloads``: ``RandomClients``, ``WriteThenRead``, ``Scripted``: the clients and when they act;
- ``simulator``: the deterministic event engine, network, replicas and healing, and ``simulate``;
- ``leaderless`` and ``leader``: the two protocols (quorums with read repair; one leader's log);
- ``requests``: what a node keeps while it coordinates a request;
- ``results``: ``Run``, what one run leaves behind;
- ``sim``: the names above in one import (``from labs.replication.sim import simulate``).

And around it:

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
from labs.replication.config import Cluster, Delays, Partition
from labs.replication.history import (History, Op, monotonic_read_violations, read_your_writes_violations,
                                      stale_rate, stale_reads)
from labs.replication.linearizability import Result, TooHard, check, is_linearizable
from labs.replication.results import Run
from labs.replication.simulator import simulate
from labs.replication.workloads import RandomClients, Scripted, WriteThenRead

__all__ = [
    "Cluster", "Delays", "History", "Op", "Partition", "RandomClients", "Result", "Run", "Scripted", "TooHard",
    "WriteThenRead", "check", "is_linearizable", "monotonic_read_violations", "read_your_writes_violations",
    "simulate", "stale_rate", "stale_reads",
]
