"""Leaderless replication (Dynamo, Cassandra): quorums of R readers and W writers, last writer wins.

Every node stores the key. The client's node coordinates: it sends each request to all N
replicas and answers after W write acks or R read replies, returning the newest version it
saw. Read repair (``Cluster.read_repair``) then fixes replicas that answered with an older
version: ``"async"`` in the background, ``"sync"`` before answering (the ABD algorithm).

With R + W > N every read quorum overlaps every write quorum, so a read sees the latest
acknowledged write; with R + W <= N it may miss it:

    >>> from labs.replication.config import Cluster
    >>> from labs.replication.history import stale_reads
    >>> from labs.replication.simulator import simulate
    >>> from labs.replication.workloads import WriteThenRead
    >>> probe = WriteThenRead("n1", "n3", gap=1.0, rounds=20, spacing=100.0)  # read 1 ms after each write
    >>> [len(stale_reads(simulate(Cluster.leaderless(3, r=r, w=1), probe, seed=2).history)) for r in (1, 2, 3)]
    [20, 5, 0]
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from labs.replication.requests import Reply, Request

if TYPE_CHECKING:
    from labs.replication.simulator import Simulator

NO_VERSION = (-math.inf, 0, "")  # older than any real version: a replica that never saw the key


class Leaderless:
    """The leaderless protocol, run by a ``Simulator``: it sends, schedules and answers through it."""

    def __init__(self, sim: Simulator):
        self.sim = sim
        self.cluster = sim.cluster

    def _quorum(self, node: str, size: int) -> int | None:
        """How many replies to wait for, or None to refuse (no reachable quorum, and told to refuse)."""
        reachable = len(self.sim.reachable(node))
        if reachable >= size:
            return size
        return None if self.cluster.on_partition == "refuse" else reachable

    # -- writes ---------------------------------------------------------------------------
    def write(self, op: dict) -> None:
        sim, home = self.sim, op["node"]
        need = self._quorum(home, self.cluster.w)
        if need is None:
            sim.finish(op, "fail")
            return
        req = Request(op, need)
        version = sim.new_version(home)
        for node in self.cluster.nodes:
            sim.send(home, node, self._replica_write, node, home, op["key"], op["value"], version, req)
        sim.at(sim.now + self.cluster.timeout, sim.expire, req, lambda: sim.finish(op, "ok"))

    def _replica_write(self, node: str, home: str, key: str, value, version: tuple, req: Request) -> None:
        self.sim.apply(node, key, value, version)
        self.sim.send(node, home, self._write_acked, req)

    def _write_acked(self, req: Request) -> None:
        req.acks += 1
        if not req.done and req.acks >= req.need:
            req.done = True
            self.sim.finish(req.op, "ok", req.result)

    # -- reads ----------------------------------------------------------------------------
    def read(self, op: dict) -> None:
        sim, home = self.sim, op["node"]
        need = self._quorum(home, self.cluster.r)
        if need is None:
            sim.finish(op, "fail")
            return
        req = Request(op, need)
        for node in self.cluster.nodes:
            sim.send(home, node, self._replica_read, node, home, op["key"], req)
        sim.at(sim.now + self.cluster.timeout, sim.expire, req, lambda: self._answer_read(req, home))

    def _replica_read(self, node: str, home: str, key: str, req: Request) -> None:
        value, version = self.sim.store[node].get(key, (None, NO_VERSION))
        self.sim.send(node, home, self._read_reply, req, home, Reply(version, node, value))

    def _read_reply(self, req: Request, home: str, reply: Reply) -> None:
        if req.done:
            return
        req.replies.append(reply)
        if len(req.replies) >= req.need:
            req.done = True
            self._answer_read(req, home)

    def _answer_read(self, req: Request, home: str) -> None:
        sim, op = self.sim, req.op
        if not req.replies:
            sim.finish(op, "timeout")
            return
        version, _, value = max(req.replies)
        repair = self.cluster.read_repair
        if repair == "async" and version != NO_VERSION:
            for older in req.replies:
                if older.version < version:
                    sim.send(home, older.node, self._replica_write, older.node, home, op["key"], value, version,
                             Request(op, 0))
        if repair == "sync" and version != NO_VERSION:
            # ABD: make sure a write quorum holds what we return before returning it
            need = self._quorum(home, self.cluster.w)
            if need is None:
                sim.finish(op, "fail")
                return
            back = Request(op, need, result=value)
            for node in self.cluster.nodes:
                sim.send(home, node, self._replica_write, node, home, op["key"], value, version, back)
            sim.at(sim.now + self.cluster.timeout, sim.expire, back, lambda: sim.finish(op, "ok", value))
            return
        sim.finish(op, "ok", value)

    # -- healing --------------------------------------------------------------------------
    def snapshot_position(self, node: str) -> None:
        """Nothing rides along with a leaderless snapshot: replicas hold values, not a log."""
        return None

    def after_merge(self, node: str, position: None) -> None:
        """Nothing to catch up: merging the values was all there was."""
