"""What a simulated run is set up with: the cluster, its message delays and the partitions.

Everything here is checked when it is built, so a typo fails at once with one sentence
instead of as an odd result later. The simulator (``simulator.py``) only reads these.

    >>> cluster = Cluster.leaderless(3, r=2, w=2, dcs={"n1": "eu", "n2": "eu", "n3": "us"})
    >>> cluster.describe(), cluster.delays.range("eu", "us")
    ('leaderless N=3 R=2 W=2, on partition: refuse', (30.0, 60.0))
    >>> Partition(100, 400, [{"n3"}]).separates("n1", "n3", t=250)
    True
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Iterable

from labs._check import is_number, is_whole

MODES = ("leaderless", "leader")
ON_PARTITION = ("refuse", "degrade")
READ_REPAIR = ("off", "async", "sync")
READ_FROM = ("leader", "local")
ROUTES = ("leader", "follower")


def ms_range(name: str, value) -> tuple[float, float]:
    """``value`` as a (low, high) pair of milliseconds, or ValueError naming ``name``.

        >>> ms_range("think", [0, 20])
        (0.0, 20.0)
    """
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a (low, high) pair of milliseconds; got {value!r}") from None
    if not 0 <= lo <= hi < math.inf:
        raise ValueError(f"{name} must satisfy 0 <= low <= high (milliseconds; delays cannot be negative); got {value!r}")
    return lo, hi


def node_names(nodes) -> tuple[str, ...]:
    """A number of nodes (named n1, n2, ...) or a list of names, as a tuple of distinct names.

        >>> node_names(3), node_names(["eu-1", "us-1"])
        (('n1', 'n2', 'n3'), ('eu-1', 'us-1'))
    """
    if is_whole(nodes):
        if nodes < 1:
            raise ValueError(f"nodes must be at least 1 (a number of nodes or a list of names); got {nodes}")
        return tuple(f"n{i}" for i in range(1, int(nodes) + 1))
    if isinstance(nodes, (bool, str)) or not hasattr(nodes, "__iter__"):
        raise ValueError(f"nodes must be a number of nodes or a list of names; got {nodes!r}")
    names = tuple(str(n) for n in nodes)
    if not names:
        raise ValueError("nodes must name at least one node; got none")
    if len(set(names)) != len(names):
        raise ValueError(f"nodes must be distinct; got {', '.join(names)}")
    return names


def refuse_unknown_nodes(what: str, names: Iterable[str], nodes: tuple[str, ...]) -> None:
    """Raise ValueError if ``names`` (what ``what`` refers to) has a node the cluster lacks.

        >>> refuse_unknown_nodes("skew", ["n4"], ("n1", "n2", "n3"))
        Traceback (most recent call last):
        ...
        ValueError: skew names unknown node 'n4'; known nodes: n1, n2, n3
    """
    unknown = sorted(set(names) - set(nodes))
    if unknown:
        raise ValueError(f"{what} names unknown node {', '.join(map(repr, unknown))}; known nodes: {', '.join(nodes)}")


def _one_of(name: str, value, choices: tuple[str, ...], more: str = "") -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}{more}; got {value!r}")


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
        object.__setattr__(self, "local", ms_range("delays.local", self.local))
        object.__setattr__(self, "remote", ms_range("delays.remote", self.remote))
        checked = {}
        for pair, value in dict(self.between).items():
            if not (isinstance(pair, tuple) and len(pair) == 2):
                raise ValueError(f"delays.between keys must be (dc, dc) pairs; got {pair!r}")
            checked[tuple(sorted(map(str, pair)))] = ms_range(f"delays.between[{pair!r}]", value)
        object.__setattr__(self, "between", checked)

    def range(self, dc_a: str, dc_b: str) -> tuple[float, float]:
        if dc_a == dc_b:
            return self.local
        return self.between.get(tuple(sorted((dc_a, dc_b))), self.remote)

    def draw(self, rng, dc_a: str, dc_b: str) -> float:
        """One delay from ``rng`` (a ``random.Random``); a fixed delay draws nothing."""
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
        if not (is_number(self.start) and is_number(self.end) and 0 <= self.start < self.end):
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
        self.nodes = node_names(self.nodes)
        n = len(self.nodes)
        _one_of("mode", self.mode, MODES)
        _one_of("on_partition", self.on_partition, ON_PARTITION)
        for name in ("r", "w"):
            value = getattr(self, name)
            if not (is_whole(value) and 1 <= value <= n):
                raise ValueError(f"{name} must be a whole number from 1 to N={n} (the number of replicas); got {value!r}")
        _one_of("read_repair", self.read_repair, READ_REPAIR)
        if self.mode == "leader":
            self._check_leader_mode()
        elif self.leader is not None:
            raise ValueError("leader applies to leader mode only; a leaderless cluster has none")
        elif self.read_from != "leader":
            raise ValueError("read_from applies to leader mode only; a leaderless read asks R replicas")
        self.dcs = {node: "dc1" for node in self.nodes} if self.dcs is None else {str(k): str(v) for k, v in self.dcs.items()}
        refuse_unknown_nodes("dcs", self.dcs, self.nodes)
        missing = [node for node in self.nodes if node not in self.dcs]
        if missing:
            raise ValueError(f"dcs must give a data centre for every node; missing {', '.join(missing)}")
        if not isinstance(self.delays, Delays):
            raise ValueError(f"delays must be a Delays(...); got {type(self.delays).__name__}")
        if not (is_number(self.apply_lag) and self.apply_lag >= 0):
            raise ValueError(f"apply_lag must be a mean delay in ms, >= 0; got {self.apply_lag!r}")
        if not (is_number(self.timeout) and self.timeout > 0):
            raise ValueError(f"timeout must be a positive number of ms; got {self.timeout!r}")
        self.skew = {} if self.skew is None else {str(k): float(v) for k, v in self.skew.items()}
        refuse_unknown_nodes("skew", self.skew, self.nodes)

    def _check_leader_mode(self) -> None:
        if self.r != 1:
            raise ValueError(f"r applies to leaderless mode only (a leader-mode read asks one node); got r={self.r}")
        if self.read_repair != "off":
            raise ValueError("read_repair applies to leaderless mode only")
        self.leader = self.nodes[0] if self.leader is None else str(self.leader)
        refuse_unknown_nodes("leader", [self.leader], self.nodes)
        if not callable(self.read_from):
            _one_of("read_from", self.read_from, READ_FROM, more=" or a router function")

    @classmethod
    def leaderless(cls, n: int = 3, r: int = 1, w: int = 1, **options) -> "Cluster":
        """N replicas, read and write quorums R and W: ``Cluster.leaderless(3, r=2, w=2)``."""
        return cls(nodes=options.pop("nodes", n), mode="leaderless", r=r, w=w, **options)

    @classmethod
    def leader_follower(cls, n: int = 3, sync: bool = False, w: int | None = None, **options) -> "Cluster":
        """A leader (the first node) and followers; ``sync=True`` waits for every follower."""
        nodes = node_names(options.pop("nodes", n))
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
