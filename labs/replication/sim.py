"""A deterministic discrete-event simulator of a replicated key-value register.

Nothing here sleeps: a heap of events and a virtual clock in milliseconds. Every random draw
(message delays, follower replay lag, client think times) comes from one ``random.Random(seed)``
in event order, so the same seed replays the same run, message for message.

Two replication designs:

- ``leaderless`` (Dynamo, Cassandra): every node stores the key; the client's node coordinates,
  sends each request to all ``N`` replicas and answers after ``W`` write acks or ``R`` read
  replies, returning the newest version it saw (last-writer-wins on timestamps).
- ``leader`` (Postgres, MySQL, Kafka partitions): one leader orders writes in a log and ships it
  to followers; the write is acknowledged once ``w`` copies exist (``w=1``: asynchronous, ``w=N``:
  synchronous). Reads go to the leader, to the client's own node, or where a router says.

Two behaviours when the network splits (``on_partition``):

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

    >>> from labs.replication.sim import Cluster, RandomClients, simulate
    >>> run = simulate(Cluster.leaderless(n=3, r=2, w=2),
    ...                RandomClients({"c1": "n1", "c2": "n2"}, duration=200), seed=7)
    >>> run.history == simulate(Cluster.leaderless(n=3, r=2, w=2),
    ...                         RandomClients({"c1": "n1", "c2": "n2"}, duration=200), seed=7).history
    True

Simplifications, on purpose: a perfect failure detector (a node knows at once which peers it can
reach, as Cassandra's gossip roughly does), no node crashes, no leader election (``consensus``
models that on its own), clients sit next to their node (the client's own hop costs nothing),
and one node is one replica of every key. A leader-mode write that times out and is then
accepted locally (``degrade``) may also have reached the leader, so the same value can land
twice under two versions, as a client retry after a timeout does in a real system.
"""
from __future__ import annotations

import heapq
import itertools
import math
import random
from dataclasses import dataclass, field
from typing import Callable, Iterable

from labs.replication.history import History, Op, stale_reads

MODES = ("leaderless", "leader")
ON_PARTITION = ("refuse", "degrade")
READ_REPAIR = ("off", "async", "sync")
READ_FROM = ("leader", "local")
ROUTES = ("leader", "follower")

NO_VERSION = (-math.inf, 0, "")  # older than any real version: a replica that never saw the key


def _pair(name: str, value) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a (low, high) pair of milliseconds; got {value!r}") from None
    if not 0 <= lo <= hi < math.inf:
        raise ValueError(f"{name} must satisfy 0 <= low <= high (milliseconds; delays cannot be negative); got {value!r}")
    return lo, hi


def _names(nodes) -> tuple[str, ...]:
    if isinstance(nodes, int) and not isinstance(nodes, bool):
        if nodes < 1:
            raise ValueError(f"nodes must be at least 1 (a number of nodes or a list of names); got {nodes}")
        return tuple(f"n{i}" for i in range(1, nodes + 1))
    names = tuple(str(n) for n in nodes)
    if not names:
        raise ValueError("nodes must name at least one node; got none")
    if len(set(names)) != len(names):
        raise ValueError(f"nodes must be distinct; got {', '.join(names)}")
    return names


def _known(what: str, names: Iterable[str], nodes: tuple[str, ...]) -> None:
    unknown = sorted(set(names) - set(nodes))
    if unknown:
        raise ValueError(f"{what} names unknown node {', '.join(map(repr, unknown))}; known nodes: {', '.join(nodes)}")


# --- configuration -------------------------------------------------------------------------

@dataclass(frozen=True)
class Delays:
    """One-way message delays in milliseconds, uniform between (low, high).

    ``local`` within a data centre, ``remote`` between two, ``between`` per pair of data
    centres (either order) where the pairs differ, as real regions do.

        >>> Delays(local=(1, 2), between={("eu", "us"): (40, 45)}).range("us", "eu")
        (40.0, 45.0)
    """
    local: tuple[float, float] = (1.0, 5.0)
    remote: tuple[float, float] = (30.0, 60.0)
    between: dict = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "local", _pair("delays.local", self.local))
        object.__setattr__(self, "remote", _pair("delays.remote", self.remote))
        checked = {}
        for pair, value in dict(self.between).items():
            if not (isinstance(pair, tuple) and len(pair) == 2):
                raise ValueError(f"delays.between keys must be (dc, dc) pairs; got {pair!r}")
            checked[tuple(sorted(map(str, pair)))] = _pair(f"delays.between[{pair!r}]", value)
        object.__setattr__(self, "between", checked)

    def range(self, dc_a: str, dc_b: str) -> tuple[float, float]:
        if dc_a == dc_b:
            return self.local
        return self.between.get(tuple(sorted((dc_a, dc_b))), self.remote)

    def draw(self, rng: random.Random, dc_a: str, dc_b: str) -> float:
        lo, hi = self.range(dc_a, dc_b)
        return lo if lo == hi else rng.uniform(lo, hi)


@dataclass(frozen=True)
class Partition:
    """From ``start`` to ``end`` (ms) the network is cut between ``sides``.

    Nodes not named in any side form one more side together, so ``Partition(100, 400, [{"n3"}])``
    cuts n3 off from everybody else.
    """
    start: float
    end: float
    sides: tuple = ()

    def __post_init__(self):
        if not (0 <= float(self.start) < float(self.end) < math.inf):
            raise ValueError(f"a partition needs 0 <= start < end (ms); got start={self.start}, end={self.end}")
        sides = tuple(frozenset(str(n) for n in side) for side in self.sides)
        if not sides or not all(sides):
            raise ValueError("a partition needs at least one non-empty side, e.g. Partition(100, 400, [{'n3'}])")
        seen: set[str] = set()
        for side in sides:
            if seen & side:
                raise ValueError(f"partition sides overlap on {', '.join(sorted(seen & side))}")
            seen |= side
        object.__setattr__(self, "sides", sides)

    def nodes(self) -> set[str]:
        return set().union(*self.sides)

    def side_of(self, node: str) -> int:
        for i, side in enumerate(self.sides):
            if node in side:
                return i
        return -1  # everybody not named

    def active(self, t: float) -> bool:
        return self.start <= t < self.end

    def separates(self, a: str, b: str, t: float) -> bool:
        return self.active(t) and self.side_of(a) != self.side_of(b)


@dataclass
class Cluster:
    """A replicated store: its nodes, how it replicates, and what it does when the network splits.

    Use the constructors: ``Cluster.leaderless(n=3, r=2, w=2)`` or
    ``Cluster.leader_follower(n=3, sync=False)``.

    - ``r``, ``w``: replies a read waits for (leaderless only) and copies a write waits for.
    - ``on_partition``: ``"refuse"`` refuses what it cannot do with its full quorum (CP-style);
      ``"degrade"`` answers anyway from the replicas it can reach (AP-style).
    - ``read_repair`` (leaderless): ``"off"``; ``"async"`` pushes the newest value to replicas
      that answered with an older one; ``"sync"`` writes it back to a write quorum before
      answering (the ABD algorithm), which makes quorum reads linearizable.
    - ``read_from`` (leader): ``"leader"``, ``"local"`` (the client's own node, maybe a
      follower), or a router ``f(client_state, request) -> "leader" | "follower"``.
    - ``dcs``: data centre of each node (default: all in one); ``delays``: message delays.
    - ``apply_lag``: mean extra time (ms, exponential) a follower takes to replay a log entry.
    - ``timeout``: how long a node waits for replies before answering ``timeout``.
    - ``skew``: clock offset per node (ms); last-writer-wins trusts these clocks.
    """
    nodes: tuple[str, ...] = ("n1", "n2", "n3")
    mode: str = "leaderless"
    r: int = 1
    w: int = 1
    on_partition: str = "refuse"
    read_repair: str = "off"
    leader: str | None = None
    read_from: str | Callable = "leader"
    dcs: dict | None = None
    delays: Delays = field(default_factory=Delays)
    apply_lag: float = 0.0
    timeout: float = 500.0
    skew: dict | None = None

    def __post_init__(self):
        self.nodes = _names(self.nodes)
        n = len(self.nodes)
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(map(repr, MODES))}; got {self.mode!r}")
        if self.on_partition not in ON_PARTITION:
            raise ValueError(f"on_partition must be one of {', '.join(map(repr, ON_PARTITION))}; "
                             f"got {self.on_partition!r}")
        for name in ("r", "w"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= n:
                raise ValueError(f"{name} must be a whole number from 1 to N={n} (the number of replicas); got {value!r}")
        if self.read_repair not in READ_REPAIR:
            raise ValueError(f"read_repair must be one of {', '.join(map(repr, READ_REPAIR))}; got {self.read_repair!r}")
        if self.mode == "leader":
            if self.r != 1:
                raise ValueError(f"r applies to leaderless mode only (a leader-mode read asks one node); got r={self.r}")
            if self.read_repair != "off":
                raise ValueError("read_repair applies to leaderless mode only")
            self.leader = self.nodes[0] if self.leader is None else str(self.leader)
            _known("leader", [self.leader], self.nodes)
            if not callable(self.read_from) and self.read_from not in READ_FROM:
                raise ValueError(f"read_from must be one of {', '.join(map(repr, READ_FROM))} or a router function; got {self.read_from!r}")
        elif self.leader is not None:
            raise ValueError("leader applies to leader mode only; a leaderless cluster has none")
        elif self.read_from != "leader":
            raise ValueError("read_from applies to leader mode only; a leaderless read asks R replicas")
        self.dcs = {node: "dc1" for node in self.nodes} if self.dcs is None else {str(k): str(v) for k, v in self.dcs.items()}
        _known("dcs", self.dcs, self.nodes)
        missing = [node for node in self.nodes if node not in self.dcs]
        if missing:
            raise ValueError(f"dcs must give a data centre for every node; missing {', '.join(missing)}")
        if not isinstance(self.delays, Delays):
            raise ValueError(f"delays must be a Delays(...); got {type(self.delays).__name__}")
        if not (0 <= float(self.apply_lag) < math.inf):
            raise ValueError(f"apply_lag must be a mean delay in ms, >= 0; got {self.apply_lag!r}")
        if not (0 < float(self.timeout) < math.inf):
            raise ValueError(f"timeout must be a positive number of ms; got {self.timeout!r}")
        self.skew = {} if self.skew is None else {str(k): float(v) for k, v in self.skew.items()}
        _known("skew", self.skew, self.nodes)

    @classmethod
    def leaderless(cls, n: int = 3, r: int = 1, w: int = 1, **options) -> "Cluster":
        """N replicas, read and write quorums R and W: ``Cluster.leaderless(3, r=2, w=2)``."""
        return cls(nodes=options.pop("nodes", n), mode="leaderless", r=r, w=w, **options)

    @classmethod
    def leader_follower(cls, n: int = 3, sync: bool = False, w: int | None = None, **options) -> "Cluster":
        """A leader (the first node) and followers; ``sync=True`` waits for every follower."""
        nodes = _names(options.pop("nodes", n))
        copies = w if w is not None else (len(nodes) if sync else 1)
        return cls(nodes=nodes, mode="leader", w=copies, **options)

    @property
    def n(self) -> int:
        return len(self.nodes)

    @property
    def followers(self) -> tuple[str, ...]:
        return tuple(node for node in self.nodes if node != self.leader)

    def describe(self) -> str:
        if self.mode == "leaderless":
            rr = "" if self.read_repair == "off" else f", {self.read_repair} read repair"
            return f"leaderless N={self.n} R={self.r} W={self.w}{rr}, on partition: {self.on_partition}"
        kind = "async" if self.w == 1 else "sync" if self.w == self.n else f"w={self.w}"
        return f"leader/follower N={self.n} {kind}, on partition: {self.on_partition}"


# --- workloads -----------------------------------------------------------------------------

@dataclass
class RandomClients:
    """Closed-loop clients: each waits for its answer, thinks, then reads or writes a random key.

    ``clients`` maps a client name to the node it talks to (its coordinator).
    """
    clients: dict
    duration: float = 1000.0
    write_ratio: float = 0.5
    think: tuple[float, float] = (0.0, 20.0)
    keys: tuple[str, ...] = ("x",)

    def __post_init__(self):
        self.clients = {str(c): str(n) for c, n in dict(self.clients).items()}
        if not self.clients:
            raise ValueError("clients must map at least one client to a node, e.g. {'c1': 'n1'}")
        if not 0 < float(self.duration) < math.inf:
            raise ValueError(f"duration must be a positive number of ms; got {self.duration!r}")
        if not 0 <= float(self.write_ratio) <= 1:
            raise ValueError(f"write_ratio must be between 0 and 1; got {self.write_ratio!r}")
        self.think = _pair("think", self.think)
        if self.think[1] <= 0:
            raise ValueError("think must allow some time between operations (high > 0), or a client never lets time pass")
        self.keys = tuple(self.keys)
        if not self.keys:
            raise ValueError("keys must name at least one key")

    def start(self, sim: "Simulator") -> None:
        for client in self.clients:
            sim.at(sim.rng.uniform(*self.think), self._next, sim, client)

    def _next(self, sim: "Simulator", client: str) -> None:
        if sim.now >= self.duration:
            return
        kind = "write" if sim.rng.random() < self.write_ratio else "read"
        key = self.keys[0] if len(self.keys) == 1 else sim.rng.choice(self.keys)
        sim.invoke(client, kind, key)

    def on_response(self, sim: "Simulator", op: Op) -> None:
        sim.at(sim.now + sim.rng.uniform(*self.think), self._next, sim, op.client)


@dataclass
class WriteThenRead:
    """A writer writes; ``gap`` ms after the acknowledgement a reader on another node reads the key.

    Repeated ``rounds`` times, a round starting every ``spacing`` ms: the probe behind
    "probabilistically bounded staleness" (how likely is a read, t ms after a write, to miss it?).
    """
    writer_node: str = "n1"
    reader_node: str = "n2"
    gap: float = 5.0
    rounds: int = 10
    spacing: float = 500.0
    key: str = "x"

    def __post_init__(self):
        if not 0 < float(self.gap) < math.inf:
            raise ValueError(f"gap must be a positive number of ms (a read at gap 0 is concurrent with the write); got {self.gap!r}")
        if not (isinstance(self.rounds, int) and self.rounds >= 1):
            raise ValueError(f"rounds must be a whole number >= 1; got {self.rounds!r}")
        if not 0 < float(self.spacing) < math.inf:
            raise ValueError(f"spacing must be a positive number of ms; got {self.spacing!r}")

    @property
    def clients(self) -> dict:
        return {"writer": self.writer_node, "reader": self.reader_node}

    def start(self, sim: "Simulator") -> None:
        self._round = 0
        sim.at(0.0, self._write, sim)

    def _write(self, sim: "Simulator") -> None:
        self._round += 1
        self._round_start = sim.now
        sim.invoke("writer", "write", self.key)

    def on_response(self, sim: "Simulator", op: Op) -> None:
        if op.client == "writer":
            sim.at(sim.now + self.gap, sim.invoke, "reader", "read", self.key)
        elif self._round < self.rounds:
            sim.at(max(sim.now, self._round_start + self.spacing), self._write, sim)


@dataclass
class Scripted:
    """Operations at chosen times: ``steps`` are ``(time, client, kind)`` or ``(time, client, kind, key)``.

    A client is sequential: a step due while its previous op is still running starts when that
    op answers. For engineering one precise schedule (a known anomaly) rather than sampling.
    """
    clients: dict
    steps: list
    key: str = "x"

    def __post_init__(self):
        self.clients = {str(c): str(n) for c, n in dict(self.clients).items()}
        checked = []
        for step in self.steps:
            if len(step) not in (3, 4):
                raise ValueError(f"each step must be (time, client, kind[, key]); got {step!r}")
            time, client, kind, *key = step
            if client not in self.clients:
                raise ValueError(f"step names unknown client {client!r}; known clients: {', '.join(self.clients)}")
            if kind not in ("read", "write"):
                raise ValueError(f"a step's kind must be 'read' or 'write'; got {kind!r}")
            if not 0 <= float(time) < math.inf:
                raise ValueError(f"a step's time must be >= 0 ms; got {time!r}")
            checked.append((float(time), client, kind, key[0] if key else self.key))
        self.steps = sorted(checked, key=lambda s: s[0])

    def start(self, sim: "Simulator") -> None:
        self._waiting = {client: [] for client in self.clients}
        self._busy = {client: False for client in self.clients}
        for time, client, kind, key in self.steps:
            sim.at(time, self._due, sim, client, kind, key)

    def _due(self, sim: "Simulator", client: str, kind: str, key: str) -> None:
        if self._busy[client]:
            self._waiting[client].append((kind, key))
            return
        self._busy[client] = True
        sim.invoke(client, kind, key)

    def on_response(self, sim: "Simulator", op: Op) -> None:
        self._busy[op.client] = False
        if self._waiting[op.client]:
            kind, key = self._waiting[op.client].pop(0)
            self._due(sim, op.client, kind, key)


# --- the simulator ---------------------------------------------------------------------------

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


class _Request:
    """A request a node is coordinating: who asked, how many answers it needs, what came back."""
    __slots__ = ("op", "need", "acks", "replies", "done", "lsn", "result")

    def __init__(self, op: dict, need: int, result=None):
        self.op, self.need, self.acks, self.replies, self.done = op, need, 0, [], False
        self.lsn, self.result = None, result  # result: what a read returns once the acks are in


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
            _known("partition", p.nodes(), cluster.nodes)
        _known("workload clients", workload.clients.values(), cluster.nodes)
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
        # leader mode: the leader's log and each node's replay position
        self.log: dict = {}
        self.lsn = 0
        self.applied = {node: 0 for node in cluster.nodes}
        self._inbox: dict = {node: {} for node in cluster.nodes}
        self._replay_free = {node: 0.0 for node in cluster.nodes}
        # what a leader-mode client has seen so far: its last acknowledged write (log position, time)
        # and the highest log position any of its reads was served from (None until the first one)
        self.sessions = {client: {"client": client, "last_write_lsn": None, "last_write_at": None, "last_seen_lsn": None}
                         for client in workload.clients}

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
            position = self.applied[a] if a == self.cluster.leader else None
            for b in self.cluster.nodes:
                if a != b:
                    self.send(a, b, self._merge, b, snapshot, position)

    def _merge(self, node: str, snapshot: dict, leader_position: int | None) -> None:
        for key, (value, version) in sorted(snapshot.items()):
            self.apply(node, key, value, version)
        if leader_position is not None and leader_position > self.applied[node]:
            caught_up = range(self.applied[node] + 1, leader_position + 1)
            self.applied[node] = leader_position  # the snapshot holds every entry up to there
            for lsn in caught_up:
                self._inbox[node].pop(lsn, None)
                self._ack(node, lsn)
            self._replay(node)

    # -- clients --------------------------------------------------------------------------
    def invoke(self, client: str, kind: str, key: str) -> None:
        """A client starts an operation at its node, now."""
        op = {"op_id": len(self.ops), "client": client, "kind": kind, "key": key,
              "value": next(self._values) if kind == "write" else None, "invoke": self.now,
              "response": math.nan, "status": None, "node": self.workload.clients[client], "served_by": None}
        self.ops.append(op)
        mode = self.cluster.mode
        if kind == "write":
            (self._leaderless_write if mode == "leaderless" else self._leader_write)(op)
        else:
            (self._leaderless_read if mode == "leaderless" else self._leader_read)(op)

    def finish(self, op: dict, status: str, value=None, served_by: str | None = None) -> None:
        """The client gets its answer (only the first answer counts)."""
        if op["status"] is not None:
            return
        op["status"], op["response"], op["served_by"] = status, self.now, served_by
        if op["kind"] == "read":
            op["value"] = value if status == "ok" else None
        self.workload.on_response(self, Op(**op))

    def _expire(self, req: _Request, fallback: Callable | None = None) -> None:
        if req.done:
            return
        req.done = True
        if self.cluster.on_partition == "degrade" and fallback is not None:
            fallback()  # available: answer with what we have
        else:
            self.finish(req.op, "timeout")

    # -- leaderless -----------------------------------------------------------------------
    def _quorum(self, node: str, size: int) -> int | None:
        """How many replies to wait for, or None to refuse (no reachable quorum, and told to refuse)."""
        reachable = len(self.reachable(node))
        if reachable >= size:
            return size
        return None if self.cluster.on_partition == "refuse" else reachable

    def _leaderless_write(self, op: dict) -> None:
        home = op["node"]
        need = self._quorum(home, self.cluster.w)
        if need is None:
            self.finish(op, "fail")
            return
        req = _Request(op, need)
        version = self.new_version(home)
        for node in self.cluster.nodes:
            self.send(home, node, self._replica_write, node, home, op["key"], op["value"], version, req)
        self.at(self.now + self.cluster.timeout, self._expire, req, lambda: self.finish(op, "ok"))

    def _replica_write(self, node: str, home: str, key: str, value, version: tuple, req: _Request) -> None:
        self.apply(node, key, value, version)
        self.send(node, home, self._write_acked, req)

    def _write_acked(self, req: _Request) -> None:
        req.acks += 1
        if not req.done and req.acks >= req.need:
            req.done = True
            self.finish(req.op, "ok", req.result)

    def _leaderless_read(self, op: dict) -> None:
        home = op["node"]
        need = self._quorum(home, self.cluster.r)
        if need is None:
            self.finish(op, "fail")
            return
        req = _Request(op, need)
        for node in self.cluster.nodes:
            self.send(home, node, self._replica_read, node, home, op["key"], req)
        self.at(self.now + self.cluster.timeout, self._expire, req, lambda: self._answer_read(req, home))

    def _replica_read(self, node: str, home: str, key: str, req: _Request) -> None:
        value, version = self.store[node].get(key, (None, NO_VERSION))
        self.send(node, home, self._read_reply, req, home, node, value, version)

    def _read_reply(self, req: _Request, home: str, node: str, value, version: tuple) -> None:
        if req.done:
            return
        req.replies.append((version, node, value))
        if len(req.replies) >= req.need:
            req.done = True
            self._answer_read(req, home)

    def _answer_read(self, req: _Request, home: str) -> None:
        op = req.op
        if not req.replies:
            self.finish(op, "timeout")
            return
        version, _, value = max(req.replies)
        repair = self.cluster.read_repair
        if repair == "async" and version != NO_VERSION:
            for older_version, node, _ in req.replies:
                if older_version < version:
                    self.send(home, node, self._replica_write, node, home, op["key"], value, version, _Request(op, 0))
        if repair == "sync" and version != NO_VERSION:
            # ABD: make sure a write quorum holds what we return before returning it
            need = self._quorum(home, self.cluster.w)
            if need is None:
                self.finish(op, "fail")
                return
            back = _Request(op, need, result=value)
            for node in self.cluster.nodes:
                self.send(home, node, self._replica_write, node, home, op["key"], value, version, back)
            self.at(self.now + self.cluster.timeout, self._expire, back, lambda: self.finish(op, "ok", value))
            return
        self.finish(op, "ok", value)

    # -- leader / follower ------------------------------------------------------------------
    def _leader_write(self, op: dict) -> None:
        home, leader = op["node"], self.cluster.leader
        if self.cut(home, leader):
            if self.cluster.on_partition == "refuse":
                self.finish(op, "fail")
            else:
                self._accept_locally(op)
            return
        req = _Request(op, self.cluster.w)
        self.send(home, leader, self._leader_append, req)
        self.at(self.now + self.cluster.timeout, self._expire, req, lambda: self._accept_locally(op))

    def _accept_locally(self, op: dict) -> None:
        """Degraded, without the leader: this node takes the write and tells whoever it can reach."""
        home = op["node"]
        version = self.new_version(home)
        self.apply(home, op["key"], op["value"], version)
        for node in self.cluster.nodes:
            if node != home:
                self.send(home, node, self.apply, node, op["key"], op["value"], version)
        self.finish(op, "ok", served_by=home)

    def _leader_append(self, req: _Request) -> None:
        leader, op = self.cluster.leader, req.op
        copies = len(self.reachable(leader))
        if copies < req.need:
            if self.cluster.on_partition == "refuse":
                self.send(leader, op["node"], self._leader_refused, req)
                return
            req.need = copies
        self.lsn += 1
        req.lsn = self.lsn
        version = self.new_version(leader)
        self.log[self.lsn] = (op["key"], op["value"], version, req)
        self.apply(leader, op["key"], op["value"], version)
        self.applied[leader] = self.lsn
        self._count_copy(req, leader)
        for follower in self.cluster.followers:
            self.send(leader, follower, self._follower_receive, follower, self.lsn)

    def _leader_refused(self, req: _Request) -> None:
        if not req.done:
            req.done = True
            self.finish(req.op, "fail")

    def _count_copy(self, req: _Request, node: str) -> None:
        if node in req.replies:
            return  # a follower may confirm twice (replay, then a snapshot): count copies, not messages
        req.replies.append(node)
        req.acks += 1
        if req.acks == req.need:
            self.send(self.cluster.leader, req.op["node"], self._write_committed, req)

    def _write_committed(self, req: _Request) -> None:
        if req.done:
            return
        req.done = True
        session = self.sessions[req.op["client"]]
        session["last_write_lsn"], session["last_write_at"] = req.lsn, self.now
        self.finish(req.op, "ok", served_by=self.cluster.leader)

    def _follower_receive(self, follower: str, lsn: int) -> None:
        """A log entry arrives; the follower replays entries one after another, in log order."""
        lag = self.rng.expovariate(1.0 / self.cluster.apply_lag) if self.cluster.apply_lag > 0 else 0.0
        ready = max(self.now + lag, self._replay_free[follower])
        self._replay_free[follower] = ready
        self.at(ready, self._follower_ready, follower, lsn)

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
            self.apply(follower, key, value, version)
            self.applied[follower] = lsn
            self._ack(follower, lsn)

    def _ack(self, follower: str, lsn: int) -> None:
        req = self.log[lsn][3]
        self.send(follower, self.cluster.leader, self._count_copy, req, follower)

    def _route(self, op: dict) -> str:
        home, leader, read_from = op["node"], self.cluster.leader, self.cluster.read_from
        if read_from == "leader":
            return leader
        if read_from == "local":
            return home
        follower = home if home != leader else (self.cluster.followers or (None,))[0]
        request = {"follower_lsn": self.applied[follower] if follower else 0, "now": self.now, "key": op["key"]}
        choice = read_from(dict(self.sessions[op["client"]]), request)
        if choice not in ROUTES:
            raise ValueError(f"the router must return 'leader' or 'follower'; got {choice!r}")
        if choice == "follower" and follower is None:
            raise ValueError("the router chose 'follower' but the cluster has no follower")
        return leader if choice == "leader" else follower

    def _leader_read(self, op: dict) -> None:
        home, leader = op["node"], self.cluster.leader
        target = self._route(op)
        if self.cluster.on_partition == "refuse":
            # a follower cut off from its leader cannot tell how far behind it is: it refuses
            if self.cut(home, target) or self.cut(target, leader):
                self.finish(op, "fail")
                return
        elif self.cut(home, target):
            target = home  # degrade: answer from what this node holds
        req = _Request(op, 1)
        self.send(home, target, self._serve_read, target, home, req)
        self.at(self.now + self.cluster.timeout, self._expire, req,
                lambda: self.finish(op, "ok", self.store[home].get(op["key"], (None,))[0], home))

    def _serve_read(self, node: str, home: str, req: _Request) -> None:
        value = self.store[node].get(req.op["key"], (None,))[0]
        self.send(node, home, self._read_served, req, node, value, self.applied[node])

    def _read_served(self, req: _Request, node: str, value, position: int) -> None:
        if not req.done:
            req.done = True
            session = self.sessions[req.op["client"]]
            session["last_seen_lsn"] = max(position, session["last_seen_lsn"] or 0)
            self.finish(req.op, "ok", value, node)


def simulate(cluster: Cluster, workload, seed: int = 0, partitions: Iterable[Partition] = ()) -> Run:
    """Run ``workload`` against ``cluster`` with a seeded network; the same seed gives the same run."""
    return Simulator(cluster, workload, seed, partitions).run()
