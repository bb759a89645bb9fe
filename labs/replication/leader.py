"""Leader/follower replication (Postgres, MySQL, Kafka partitions): one log, shipped to followers.

The leader orders every write in a log and ships each entry to the followers, which replay
the log in order (each entry after an exponential ``apply_lag``). A write is acknowledged once
``w`` copies exist: ``w=1`` is asynchronous replication, ``w=N`` synchronous. Reads go to the
leader, to the client's own node (maybe a follower), or where a router says; the router sees
what the client has seen so far (its session), which is how read-your-writes is built.

    >>> from labs.replication.config import Cluster
    >>> from labs.replication.simulator import simulate
    >>> from labs.replication.workloads import Scripted
    >>> script = Scripted({"a": "n1", "b": "n2"}, [(0, "a", "write"), (1, "b", "read")])
    >>> lagging = Cluster.leader_follower(2, read_from="local", apply_lag=50)
    >>> [op.value for op in simulate(lagging, script, seed=1).history]  # b's follower has not replayed it yet
    [1, None]
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from labs.replication.config import ROUTES
from labs.replication.requests import Request

if TYPE_CHECKING:
    from labs.replication.simulator import Simulator


class LeaderFollower:
    """The leader/follower protocol, run by a ``Simulator``: it sends, schedules and answers through it.

    It holds the leader's log, how far each node has replayed it, and each client's session.
    """

    def __init__(self, sim: Simulator):
        self.sim = sim
        self.cluster = cluster = sim.cluster
        self.log: dict = {}  # lsn -> (key, value, version, request)
        self.lsn = 0
        self.applied = {node: 0 for node in cluster.nodes}  # the last log position each node replayed
        self._inbox: dict = {node: {} for node in cluster.nodes}  # entries arrived, not yet replayed
        self._replay_free = {node: 0.0 for node in cluster.nodes}
        # what a client has seen so far: its last acknowledged write (log position, time)
        # and the highest log position any of its reads was served from (None until the first one)
        self.sessions = {client: {"client": client, "last_write_lsn": None, "last_write_at": None, "last_seen_lsn": None}
                         for client in sim.workload.clients}

    # -- writes ---------------------------------------------------------------------------
    def write(self, op: dict) -> None:
        sim, home, leader = self.sim, op["node"], self.cluster.leader
        if sim.cut(home, leader):
            if self.cluster.on_partition == "refuse":
                sim.finish(op, "fail")
            else:
                self._accept_locally(op)
            return
        req = Request(op, self.cluster.w)
        sim.send(home, leader, self._leader_append, req)
        sim.at(sim.now + self.cluster.timeout, sim.expire, req, lambda: self._accept_locally(op))

    def _accept_locally(self, op: dict) -> None:
        """Degraded, without the leader: this node takes the write and tells whoever it can reach."""
        sim, home = self.sim, op["node"]
        version = sim.new_version(home)
        sim.apply(home, op["key"], op["value"], version)
        for node in self.cluster.nodes:
            if node != home:
                sim.send(home, node, sim.apply, node, op["key"], op["value"], version)
        sim.finish(op, "ok", served_by=home)

    def _leader_append(self, req: Request) -> None:
        sim, leader, op = self.sim, self.cluster.leader, req.op
        copies = len(sim.reachable(leader))
        if copies < req.need:
            if self.cluster.on_partition == "refuse":
                sim.send(leader, op["node"], self._leader_refused, req)
                return
            req.need = copies
        self.lsn += 1
        req.lsn = self.lsn
        version = sim.new_version(leader)
        self.log[self.lsn] = (op["key"], op["value"], version, req)
        sim.apply(leader, op["key"], op["value"], version)
        self.applied[leader] = self.lsn
        self._count_copy(req, leader)
        for follower in self.cluster.followers:
            sim.send(leader, follower, self._follower_receive, follower, self.lsn)

    def _leader_refused(self, req: Request) -> None:
        if not req.done:
            req.done = True
            self.sim.finish(req.op, "fail")

    def _count_copy(self, req: Request, node: str) -> None:
        if node in req.copies:
            return  # a follower may confirm twice (replay, then a snapshot): count copies, not messages
        req.copies.add(node)
        if len(req.copies) == req.need:
            self.sim.send(self.cluster.leader, req.op["node"], self._write_committed, req)

    def _write_committed(self, req: Request) -> None:
        if req.done:
            return
        req.done = True
        session = self.sessions[req.op["client"]]
        session["last_write_lsn"], session["last_write_at"] = req.lsn, self.sim.now
        self.sim.finish(req.op, "ok", served_by=self.cluster.leader)

    # -- followers replaying the log --------------------------------------------------------
    def _follower_receive(self, follower: str, lsn: int) -> None:
        """A log entry arrives; the follower replays entries one after another, in log order."""
        sim, lag = self.sim, self.cluster.apply_lag
        delay = sim.rng.expovariate(1.0 / lag) if lag > 0 else 0.0
        ready = max(sim.now + delay, self._replay_free[follower])
        self._replay_free[follower] = ready
        sim.at(ready, self._follower_ready, follower, lsn)

    def _follower_ready(self, follower: str, lsn: int) -> None:
        self._inbox[follower][lsn] = True
        self._replay(follower)

    def _replay(self, follower: str) -> None:
        inbox = self._inbox[follower]
        for lsn in [lsn for lsn in inbox if lsn <= self.applied[follower]]:
            del inbox[lsn]  # already covered by an anti-entropy snapshot
            self._ack(follower, lsn)
        while self.applied[follower] + 1 in inbox:
            lsn = self.applied[follower] + 1
            del inbox[lsn]
            key, value, version, _ = self.log[lsn]
            self.sim.apply(follower, key, value, version)
            self.applied[follower] = lsn
            self._ack(follower, lsn)

    def _ack(self, follower: str, lsn: int) -> None:
        req = self.log[lsn][3]
        self.sim.send(follower, self.cluster.leader, self._count_copy, req, follower)

    # -- reads ----------------------------------------------------------------------------
    def _route(self, op: dict) -> str:
        home, leader, read_from = op["node"], self.cluster.leader, self.cluster.read_from
        if read_from == "leader":
            return leader
        if read_from == "local":
            return home
        follower = home if home != leader else (self.cluster.followers or (None,))[0]
        request = {"follower_lsn": self.applied[follower] if follower else 0, "now": self.sim.now, "key": op["key"]}
        choice = read_from(dict(self.sessions[op["client"]]), request)
        if choice not in ROUTES:
            raise ValueError(f"the router must return 'leader' or 'follower'; got {choice!r}")
        if choice == "follower" and follower is None:
            raise ValueError("the router chose 'follower' but the cluster has no follower")
        return leader if choice == "leader" else follower

    def read(self, op: dict) -> None:
        sim, home, leader = self.sim, op["node"], self.cluster.leader
        target = self._route(op)
        if self.cluster.on_partition == "refuse":
            # a follower cut off from its leader cannot tell how far behind it is: it refuses
            if sim.cut(home, target) or sim.cut(target, leader):
                sim.finish(op, "fail")
                return
        elif sim.cut(home, target):
            target = home  # degrade: answer from what this node holds
        req = Request(op, 1)
        sim.send(home, target, self._serve_read, target, home, req)
        sim.at(sim.now + self.cluster.timeout, sim.expire, req,
               lambda: sim.finish(op, "ok", sim.store[home].get(op["key"], (None,))[0], home))

    def _serve_read(self, node: str, home: str, req: Request) -> None:
        value = self.sim.store[node].get(req.op["key"], (None,))[0]
        self.sim.send(node, home, self._read_served, req, node, value, self.applied[node])

    def _read_served(self, req: Request, node: str, value, position: int) -> None:
        if not req.done:
            req.done = True
            session = self.sessions[req.op["client"]]
            session["last_seen_lsn"] = max(position, session["last_seen_lsn"] or 0)
            self.sim.finish(req.op, "ok", value, node)

    # -- healing --------------------------------------------------------------------------
    def snapshot_position(self, node: str) -> int | None:
        """The leader's snapshot covers its log up to here; a follower's carries no promise."""
        return self.applied[node] if node == self.cluster.leader else None

    def after_merge(self, node: str, leader_position: int | None) -> None:
        """After merging the leader's snapshot, a node holds every entry up to its position."""
        if leader_position is not None and leader_position > self.applied[node]:
            caught_up = range(self.applied[node] + 1, leader_position + 1)
            self.applied[node] = leader_position
            for lsn in caught_up:
                self._inbox[node].pop(lsn, None)
                self._ack(node, lsn)
            self._replay(node)
