"""A deterministic discrete-event simulator of a replicated key-value register, in one import.

This module gathers the simulator's public names from where they live, so
``from labs.replication.sim import Cluster, simulate`` works as it always has:

- ``config``: ``Cluster``, ``Delays``, ``Partition`` (what a run is set up with, checked);
- ``workloads``: ``RandomClients``, ``WriteThenRead``, ``Scripted`` (the clients);
- ``simulator``: the event engine, the network, the replicas, partitions and healing, ``simulate``;
- ``leaderless`` and ``leader``: the two replication designs (quorums; one leader's log);
- ``requests``: what a node keeps while it coordinates a request;
- ``results``: ``Run`` (what a run leaves behind) and ``quantile``.

Same seed, same run, message for message:

    >>> from labs.replication.sim import Cluster, RandomClients, simulate
    >>> run = simulate(Cluster.leaderless(n=3, r=2, w=2),
    ...                RandomClients({"c1": "n1", "c2": "n2"}, duration=200), seed=7)
    >>> run.history == simulate(Cluster.leaderless(n=3, r=2, w=2),
    ...                         RandomClients({"c1": "n1", "c2": "n2"}, duration=200), seed=7).history
    True
"""
from labs.replication.config import MODES, ON_PARTITION, READ_FROM, READ_REPAIR, ROUTES, Cluster, Delays, Partition
from labs.replication.leader import LeaderFollower
from labs.replication.leaderless import NO_VERSION, Leaderless
from labs.replication.results import Run, quantile
from labs.replication.simulator import Simulator, simulate
from labs.replication.workloads import RandomClients, Scripted, WriteThenRead

__all__ = [
    "MODES", "NO_VERSION", "ON_PARTITION", "READ_FROM", "READ_REPAIR", "ROUTES", "Cluster", "Delays", "LeaderFollower",
    "Leaderless", "Partition", "RandomClients", "Run", "Scripted", "Simulator", "WriteThenRead", "quantile", "simulate",
]
