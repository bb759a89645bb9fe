"""Leader election with terms, split brain, and fencing tokens: the failover half of replication.

A deliberately small model of Raft's election (no log replication): nodes start as followers; a
follower that hears no heartbeat for its (randomised) election timeout starts an election in a
new *term*, votes for itself and asks the nodes it can reach; a node grants one vote per term;
a candidate with votes from a majority of all N nodes becomes leader and sends heartbeats. A node
that sees a higher term adopts it, and a leader that sees one steps down.

What the model is for: a leader cut off from the majority does not know it has been replaced.
Until it hears the new term it still believes it leads, and anything it writes to a shared
resource (a file, an object store, a payment API) lands next to the new leader's writes: split
brain. A *fencing token* stops it: every write carries the writer's term, and the storage
refuses a token lower than the highest it has seen.

    >>> run = failover(fencing=False)
    >>> [(e.term, e.leader) for e in run.elections]
    [(1, 'n1'), (2, 'n5')]
    >>> run.stale_accepted > 0, failover(fencing=True).stale_accepted
    (True, 0)

Every random draw (election timeouts, message delays) comes from one ``random.Random(seed)``.
"""
from __future__ import annotations

import heapq
import itertools
import random
from dataclasses import dataclass, field

import pandas as pd


def majority(n: int) -> int:
    """The smallest number of nodes that is more than half of ``n``."""
    return n // 2 + 1


def disjoint_quorums(n: int, q: int) -> bool:
    """True if the nodes can be split in two sides that each hold ``q`` of them.

    Found by trying every split of ``n`` nodes, not by formula: two such sides could each elect a
    leader (or accept a write) without hearing of the other.
    """
    for sides in itertools.product((0, 1), repeat=n):
        left = sum(sides)
        if left >= q and n - left >= q:
            return True
    return False


def quorum_overlap(ns=(3, 4, 5)) -> pd.DataFrame:
    """For each cluster size and quorum size: is it a majority, and can two quorums miss each other?"""
    return pd.DataFrame([{"n": n, "quorum": q, "more_than_half": 2 * q > n, "two_disjoint_quorums": disjoint_quorums(n, q)}
                         for n in ns for q in range(1, n + 1)])


# --- the election ---------------------------------------------------------------------------

@dataclass
class Election:
    """A leader elected in a term, and when."""
    time: float
    term: int
    leader: str
    votes: tuple[str, ...]


@dataclass
class StorageWrite:
    """A write a node sent to the shared storage while it believed it was the leader."""
    time: float
    writer: str
    term: int
    accepted: bool


@dataclass
class Failover:
    """The outcome of one run of ``failover``."""
    nodes: tuple[str, ...]
    partition: tuple[float, float, frozenset]
    fencing: bool
    elections: list[Election]
    writes: list[StorageWrite]
    log: list[str] = field(default_factory=list)

    @property
    def takeover(self) -> float:
        """When the first leader after the original one was elected."""
        return self.elections[1].time if len(self.elections) > 1 else float("inf")

    @property
    def stale_sent(self) -> int:
        """Writes sent by a leader of an older term after a newer term had a leader."""
        return sum(self._stale(w) for w in self.writes)

    @property
    def stale_accepted(self) -> int:
        """Of those, the ones the storage accepted: split brain made durable."""
        return sum(self._stale(w) and w.accepted for w in self.writes)

    @property
    def rejected(self) -> int:
        return sum(not w.accepted for w in self.writes)

    def _stale(self, w: StorageWrite) -> bool:
        newer = [e.time for e in self.elections if e.term > w.term]
        return bool(newer) and w.time >= min(newer)

    def flips(self) -> int:
        """How often the storage's last accepted write changed hands between two terms."""
        terms = [w.term for w in self.writes if w.accepted]
        return sum(a != b for a, b in zip(terms, terms[1:]))

    def summary(self) -> dict:
        """Writes sent, stale ones sent and accepted, refusals, and how often the storage changed hands."""
        return {"fencing": self.fencing, "writes_sent": len(self.writes), "stale_writes_sent": self.stale_sent,
                "stale_writes_accepted": self.stale_accepted, "refused": self.rejected,
                "owner_changes": self.flips()}


class _Cluster:
    def __init__(self, nodes, partition, fencing, seed, election_timeout, heartbeat, delay, write_every, until):
        self.nodes = nodes
        self.cut_start, self.cut_end, self.side = partition
        self.fencing = fencing
        self.rng = random.Random(seed)
        self.election_timeout, self.heartbeat, self.delay = election_timeout, heartbeat, delay
        self.write_every, self.until = write_every, until
        self.now = 0.0
        self._queue: list = []
        self._seq = itertools.count()
        self.term = {n: 0 for n in nodes}
        self.voted = {n: None for n in nodes}
        self.role = {n: "follower" for n in nodes}
        self.votes: dict = {}
        self.deadline = {n: 0.0 for n in nodes}
        self.elections: list[Election] = []
        self.writes: list[StorageWrite] = []
        self.highest_token = 0
        self.log: list[str] = []

    # -- engine and network
    def at(self, t, fn, *args):
        heapq.heappush(self._queue, (t, next(self._seq), fn, args))

    def cut(self, a, b) -> bool:
        return self.cut_start <= self.now < self.cut_end and ((a in self.side) != (b in self.side))

    def send(self, src, dst, fn, *args):
        if self.cut(src, dst):
            return  # lost
        self.at(self.now + self.rng.uniform(*self.delay), self._arrive, src, dst, fn, args)

    def _arrive(self, src, dst, fn, args):
        if not self.cut(src, dst):
            fn(*args)

    def note(self, text):
        self.log.append(f"{self.now:6.1f} ms  {text}")

    # -- followers and elections
    def reset_timer(self, node):
        self.deadline[node] = self.now + self.rng.uniform(*self.election_timeout)
        self.at(self.deadline[node], self.timer, node, self.deadline[node])

    def timer(self, node, deadline):
        if deadline != self.deadline[node] or self.role[node] == "leader" or self.now >= self.until:
            return  # a heartbeat or a vote reset the timer since
        self.term[node] += 1
        self.role[node], self.voted[node] = "candidate", node
        self.votes[(node, self.term[node])] = {node}
        self.note(f"{node} hears no leader: starts term {self.term[node]}")
        for other in self.nodes:
            if other != node:
                self.send(node, other, self.request_vote, other, node, self.term[node])
        self.reset_timer(node)  # no majority in time: try again in a later term

    def see_term(self, node, term):
        if term > self.term[node]:
            if self.role[node] == "leader":
                self.note(f"{node} sees term {term}: steps down")
            self.term[node], self.voted[node], self.role[node] = term, None, "follower"

    def request_vote(self, node, candidate, term):
        self.see_term(node, term)
        granted = term == self.term[node] and self.voted[node] in (None, candidate)
        if granted:
            self.voted[node] = candidate
            self.reset_timer(node)
        self.send(node, candidate, self.vote, candidate, node, term, granted)

    def vote(self, candidate, voter, term, granted):
        self.see_term(candidate, term)
        if not granted or self.role[candidate] != "candidate" or self.term[candidate] != term:
            return
        votes = self.votes[(candidate, term)]
        votes.add(voter)
        if len(votes) >= majority(len(self.nodes)):
            self.become_leader(candidate, tuple(sorted(votes)))

    def become_leader(self, node, votes):
        self.role[node] = "leader"
        self.elections.append(Election(self.now, self.term[node], node, votes))
        self.note(f"{node} wins term {self.term[node]} with votes from {', '.join(votes)}")
        self.beat(node, self.term[node])
        self.write(node, self.term[node])

    def beat(self, leader, term):
        if self.role[leader] != "leader" or self.term[leader] != term or self.now >= self.until:
            return
        for other in self.nodes:
            if other != leader:
                self.send(leader, other, self.heard, other, leader, term)
        self.at(self.now + self.heartbeat, self.beat, leader, term)

    def heard(self, node, leader, term):
        self.see_term(node, term)
        if term == self.term[node]:
            if self.role[node] == "candidate":
                self.role[node] = "follower"
            self.reset_timer(node)
        else:  # an old leader's heartbeat: tell it the term has moved on
            self.send(node, leader, self.see_term, leader, self.term[node])

    # -- the shared storage, reachable from every node (an object store, a disk array)
    def write(self, leader, term):
        if self.role[leader] != "leader" or self.term[leader] != term or self.now >= self.until:
            return
        accepted = not self.fencing or term >= self.highest_token
        if accepted:
            self.highest_token = max(self.highest_token, term)
        self.writes.append(StorageWrite(self.now, leader, term, accepted))
        self.at(self.now + self.write_every, self.write, leader, term)

    def run(self, first_leader):
        for node in self.nodes:
            self.reset_timer(node)
        self.term[first_leader], self.voted[first_leader] = 1, first_leader
        for node in self.nodes:
            self.term[node] = 1
        self.become_leader(first_leader, (first_leader,) + tuple(n for n in self.nodes if n != first_leader))
        self.at(self.cut_start, self.note, f"partition: {', '.join(sorted(self.side))} cut off from the rest")
        self.at(self.cut_end, self.note, "partition heals")
        while self._queue:
            self.now, _, fn, args = heapq.heappop(self._queue)
            fn(*args)


def failover(fencing: bool, n: int = 5, cut_off: tuple[str, ...] = ("n1", "n2"), start: float = 100.0,
             end: float = 600.0, seed: int = 0, election_timeout=(150.0, 300.0), heartbeat: float = 50.0,
             delay=(1.0, 5.0), write_every: float = 20.0, until: float = 800.0) -> Failover:
    """n1 leads term 1 and writes to shared storage every ``write_every`` ms; from ``start`` to ``end``
    the nodes ``cut_off`` (n1 among them) cannot reach the others.

    The majority side elects a new leader in a later term, which writes too. n1 goes on writing
    until it hears the new term after the heal. ``fencing=True`` makes the storage refuse a
    write whose term (the fencing token) is lower than the highest it has accepted.
    """
    nodes = tuple(f"n{i}" for i in range(1, n + 1))
    side = frozenset(cut_off)
    if not side <= set(nodes):
        raise ValueError(f"cut_off names unknown nodes: {', '.join(sorted(side - set(nodes)))}")
    if not 0 <= start < end:
        raise ValueError(f"the partition needs 0 <= start < end; got {start}, {end}")
    cluster = _Cluster(nodes, (start, end, side), fencing, seed, election_timeout, heartbeat, delay, write_every, until)
    cluster.run("n1")
    return Failover(nodes, (start, end, side), fencing, cluster.elections, cluster.writes, cluster.log)
