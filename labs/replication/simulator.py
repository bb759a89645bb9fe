"""The event engine of the replication lab: a virtual clock, the network, the replicas, and ``simulate``.

Nothing here sleeps: a heap of events and a virtual clock in milliseconds. Every random draw
(message delays, follower replay lag, client think times) comes from one ``random.Random(seed)``
in event order, so the same seed replays the same run, message for message.

The ``Simulator`` owns what every design shares: the event queue, links that delay, keep
order and lose messages across a partition, each node's store with last-writer-wins versions,
and anti-entropy when a partition heals. The protocol (``leaderless.Leaderless`` or
``leader.LeaderFollower``) decides where each client request goes and when it is answered.

Two behaviours when the network splits (``Cluster.on_partition``):

- ``refuse``: a request that cannot reach what it needs (a quorum, the leader) is refused
  (``fail``) or runs out of time (``timeout``). This is the CP-style choice: unavailable where a
  quorum is out of reach. Refusing keeps the quorum's promise (with R + W > N a read sees every
  write acknowledged before it began) but does not by itself make the store linearizable:
  that also takes synchronous read repair, or a leader.
- ``degrade``: every node keeps answering with what it can reach, accepting writes locally, as
  if each client lowered its consistency level for the partition (Cassandra's QUORUM to ONE):
  the AP-style choice. When the partition heals, nodes exchange state and keep the newest
  version (last-writer-wins). Real stores do it differently: Cassandra at QUORUM answers
  ``UnavailableException`` (a definite refusal, like ``fail`` here) or ``WriteTimeoutException``
  (maybe applied, like ``timeout``); Dynamo keeps the quorum size but counts the first N
  *healthy* nodes (a sloppy quorum) and hands the writes back later (hinted handoff).

Simplifications, on purpose: a perfect failure detector (a node knows at once which peers it can
reach, as Cassandra's gossip roughly does), no node crashes, no leader election (``consensus``
models that on its own), clients sit next to their node (the client's own hop costs nothing),
and one node is one replica of every key. A leader-mode write that times out and is then
accepted locally (``degrade``) may also have reached the leader, so the same value can land
twice under two versions, as a client retry after a timeout does in a real system.

    >>> from labs.replication.config import Cluster, Partition
    >>> from labs.replication.workloads import RandomClients
    >>> run = simulate(Cluster.leaderless(3, on_partition="degrade"),
    ...                RandomClients({"c1": "n1", "c3": "n3"}, duration=300), seed=4,
    ...                partitions=[Partition(50, 200, [{"n3"}])])
    >>> run.messages["lost"] > 0, run.converged  # n3 missed writes, then healed
    (True, True)
"""
from __future__ import annotations

import heapq
import itertools
import math
import random
from typing import Callable, Iterable

from labs.replication.config import Cluster, Partition, refuse_unknown_nodes
from labs.replication.history import History, Op
from labs.replication.leader import LeaderFollower
from labs.replication.leaderless import Leaderless
from labs.replication.requests import Request
from labs.replication.results import Run

PROTOCOLS = {"leaderless": Leaderless, "leader": LeaderFollower}


class Simulator:
    """One run: nodes, network, clients and the event queue. Use ``simulate()``."""

    def __init__(self, cluster: Cluster, workload, seed: int = 0, partitions: Iterable[Partition] = ()):
        self.cluster = cluster
        self.workload = workload
        self.seed = seed
        self.partitions = tuple(partitions)
        for p in self.partitions:
            if not isinstance(p, Partition):
                raise ValueError(f"partitions must be Partition(...) objects; got {type(p).__name__}")
            refuse_unknown_nodes("partition", p.nodes(), cluster.nodes)
        refuse_unknown_nodes("workload clients", workload.clients.values(), cluster.nodes)
        self._cuts = [(p.start, p.end, {node: p.side_of(node) for node in cluster.nodes}) for p in self.partitions]
        self.rng = random.Random(seed)
        self.now = 0.0
        self._queue: list = []
        self._seq = itertools.count()
        self._values = itertools.count(1)
        self._fifo: dict = {}
        self._counter = {node: 0 for node in cluster.nodes}
        self.store: dict = {node: {} for node in cluster.nodes}  # key -> (value, version)
        self.changes: list = []
        self.ops: list[dict] = []
        self.messages = {"sent": 0, "lost": 0}
        self.protocol = PROTOCOLS[cluster.mode](self)

    # -- the engine -----------------------------------------------------------------------
    def at(self, time: float, fn: Callable, *args) -> None:
        """Run ``fn(*args)`` at virtual time ``time`` (ties run in the order scheduled)."""
        heapq.heappush(self._queue, (time, next(self._seq), fn, args))

    def run(self) -> Run:
        self.workload.start(self)
        for p in self.partitions:
            self.at(p.end, self._heal)
        events = 0
        while self._queue:
            self.now, _, fn, args = heapq.heappop(self._queue)
            fn(*args)
            events += 1
        ops = [Op(**op) for op in self.ops]
        replicas = {node: {key: value for key, (value, _) in sorted(data.items())} for node, data in self.store.items()}
        return Run(self.cluster, self.seed, self.partitions, History(ops), replicas, self.changes,
                   dict(self.messages), self.now, events)

    # -- the network ----------------------------------------------------------------------
    def cut(self, a: str, b: str) -> bool:
        """True if a partition separates ``a`` and ``b`` right now."""
        for start, end, side in self._cuts:  # the hot path of every message: kept to plain lookups
            if start <= self.now < end and side[a] != side[b]:
                return True
        return False

    def reachable(self, node: str) -> list[str]:
        """The nodes ``node`` can talk to right now, itself included (the failure detector)."""
        return [other for other in self.cluster.nodes if not self.cut(node, other)]

    def send(self, src: str, dst: str, fn: Callable, *args) -> None:
        """Deliver ``fn(*args)`` at ``dst`` after a network delay, unless a partition eats it.

        Links are FIFO (as TCP is): a message never overtakes an earlier one on the same link.
        A message is lost if the link is cut when it is sent or when it would arrive.
        """
        if src == dst:
            self.at(self.now, fn, *args)
            return
        self.messages["sent"] += 1
        if self.cut(src, dst):
            self.messages["lost"] += 1
            return
        delay = self.cluster.delays.draw(self.rng, self.cluster.dcs[src], self.cluster.dcs[dst])
        arrive = max(self.now + delay, self._fifo.get((src, dst), 0.0))
        self._fifo[(src, dst)] = arrive
        self.at(arrive, self._arrive, src, dst, fn, args)

    def _arrive(self, src: str, dst: str, fn: Callable, args: tuple) -> None:
        if self.cut(src, dst):
            self.messages["lost"] += 1
            return
        fn(*args)

    # -- replicas -------------------------------------------------------------------------
    def new_version(self, node: str) -> tuple:
        """A last-writer-wins timestamp from ``node``'s clock (skewed if configured)."""
        self._counter[node] += 1
        return (self.now + self.cluster.skew.get(node, 0.0), self._counter[node], node)

    def apply(self, node: str, key: str, value, version: tuple) -> None:
        """Keep the write if it is newer than what the replica holds (last writer wins)."""
        current = self.store[node].get(key)
        if current is None or version > current[1]:
            self.store[node][key] = (value, version)
            self.changes.append((self.now, node, key, value))

    def _heal(self) -> None:
        """Anti-entropy when a partition ends: every node sends its state to every other."""
        for a in self.cluster.nodes:
            snapshot = dict(self.store[a])
            position = self.protocol.snapshot_position(a)
            for b in self.cluster.nodes:
                if a != b:
                    self.send(a, b, self._merge, b, snapshot, position)

    def _merge(self, node: str, snapshot: dict, position: int | None) -> None:
        for key, (value, version) in sorted(snapshot.items()):
            self.apply(node, key, value, version)
        self.protocol.after_merge(node, position)

    # -- clients --------------------------------------------------------------------------
    def invoke(self, client: str, kind: str, key: str) -> None:
        """A client starts an operation at its node, now."""
        op = {"op_id": len(self.ops), "client": client, "kind": kind, "key": key,
              "value": next(self._values) if kind == "write" else None, "invoke": self.now,
              "response": math.nan, "status": None, "node": self.workload.clients[client], "served_by": None}
        self.ops.append(op)
        if kind == "write":
            self.protocol.write(op)
        else:
            self.protocol.read(op)

    def finish(self, op: dict, status: str, value=None, served_by: str | None = None) -> None:
        """The client gets its answer (only the first answer counts)."""
        if op["status"] is not None:
            return
        op["status"], op["response"], op["served_by"] = status, self.now, served_by
        if op["kind"] == "read":
            op["value"] = value if status == "ok" else None
        self.workload.on_response(self, Op(**op))

    def expire(self, req: Request, fallback: Callable | None = None) -> None:
        """A request's time is up: answer ``timeout``, or, when degrading, run ``fallback`` instead."""
        if req.done:
            return
        req.done = True
        if self.cluster.on_partition == "degrade" and fallback is not None:
            fallback()  # available: answer with what we have
        else:
            self.finish(req.op, "timeout")


def simulate(cluster: Cluster, workload, seed: int = 0, partitions: Iterable[Partition] = ()) -> Run:
    """Run ``workload`` against ``cluster`` with a seeded network; the same seed gives the same run."""
    return Simulator(cluster, workload, seed, partitions).run()
