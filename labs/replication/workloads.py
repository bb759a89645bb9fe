"""Who talks to the store, and when: the clients of a simulated run.

A workload names its clients (``clients``: client -> the node it talks to) and has two hooks
the simulator calls: ``start(sim)`` once at time 0, and ``on_response(sim, op)`` each time a
client gets its answer. In between it schedules operations with ``sim.at(time, ...)`` and
starts them with ``sim.invoke(client, kind, key)``; random choices come from ``sim.rng``, so
a seed replays them.

- ``RandomClients``: closed-loop clients reading and writing at random (the usual load);
- ``WriteThenRead``: one write, then a read elsewhere a fixed gap later (staleness probes);
- ``Scripted``: operations at chosen times, to build one precise schedule.

    >>> Scripted({"a": "n1", "b": "n2"}, [(5, "b", "read"), (0, "a", "write")]).steps
    [(0.0, 'a', 'write', 'x'), (5.0, 'b', 'read', 'x')]
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from labs._check import is_number, is_whole
from labs.replication.config import ms_range
from labs.replication.history import Op

if TYPE_CHECKING:
    from labs.replication.simulator import Simulator


def _positive_ms(name: str, value, why: str = "") -> None:
    if not (is_number(value) and value > 0):
        raise ValueError(f"{name} must be a positive number of ms{why}; got {value!r}")


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
        _positive_ms("duration", self.duration)
        if not (is_number(self.write_ratio) and 0 <= self.write_ratio <= 1):
            raise ValueError(f"write_ratio must be between 0 and 1; got {self.write_ratio!r}")
        self.think = ms_range("think", self.think)
        if self.think[1] <= 0:
            raise ValueError("think must allow some time between operations (high > 0), or a client never lets time pass")
        self.keys = tuple(self.keys)
        if not self.keys:
            raise ValueError("keys must name at least one key")

    def start(self, sim: Simulator) -> None:
        for client in self.clients:
            sim.at(sim.rng.uniform(*self.think), self._next, sim, client)

    def _next(self, sim: Simulator, client: str) -> None:
        if sim.now >= self.duration:
            return
        kind = "write" if sim.rng.random() < self.write_ratio else "read"
        key = self.keys[0] if len(self.keys) == 1 else sim.rng.choice(self.keys)
        sim.invoke(client, kind, key)

    def on_response(self, sim: Simulator, op: Op) -> None:
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
        _positive_ms("gap", self.gap, why=" (a read at gap 0 is concurrent with the write)")
        if not (is_whole(self.rounds) and self.rounds >= 1):
            raise ValueError(f"rounds must be a whole number >= 1; got {self.rounds!r}")
        _positive_ms("spacing", self.spacing)

    @property
    def clients(self) -> dict:
        return {"writer": self.writer_node, "reader": self.reader_node}

    def start(self, sim: Simulator) -> None:
        self._round = 0
        sim.at(0.0, self._write, sim)

    def _write(self, sim: Simulator) -> None:
        self._round += 1
        self._round_start = sim.now
        sim.invoke("writer", "write", self.key)

    def on_response(self, sim: Simulator, op: Op) -> None:
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
            if not (is_number(time) and time >= 0):
                raise ValueError(f"a step's time must be >= 0 ms; got {time!r}")
            checked.append((float(time), client, kind, key[0] if key else self.key))
        self.steps = sorted(checked, key=lambda s: s[0])

    def start(self, sim: Simulator) -> None:
        self._waiting = {client: [] for client in self.clients}
        self._busy = {client: False for client in self.clients}
        for time, client, kind, key in self.steps:
            sim.at(time, self._due, sim, client, kind, key)

    def _due(self, sim: Simulator, client: str, kind: str, key: str) -> None:
        if self._busy[client]:
            self._waiting[client].append((kind, key))
            return
        self._busy[client] = True
        sim.invoke(client, kind, key)

    def on_response(self, sim: Simulator, op: Op) -> None:
        self._busy[op.client] = False
        if self._waiting[op.client]:
            kind, key = self._waiting[op.client].pop(0)
            self._due(sim, op.client, kind, key)
