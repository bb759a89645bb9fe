"""Fixed hash slots and a live resharding, the way Redis Cluster does it.

Keys hash to one of 16,384 *slots* (CRC16 of the key, mod 16,384, as in Redis Cluster),
and a slot map says which node owns each slot. Growing the cluster never rehashes a key:
whole slots move to the new node, and only their keys travel.

    >>> key_slot("foo"), key_slot("{user:42}:cart") == key_slot("{user:42}:orders")
    (12182, True)
    >>> three = SlotMap(["a", "b", "c"])
    >>> four, moved = three.with_node("d")
    >>> len(moved), four.slot_counts().tolist()
    (4096, [4096, 4096, 4096, 4096])

A live move of those slots runs on real databases: ``Cluster`` keeps one SQLite database
per node and moves a migrating slot's keys in batches while reads and writes go on. During
the move a read asks the old owner first and, if the key has already left, the new owner
(Redis's ASK redirect); writes of keys that have left go to the new owner. When a slot's
last key has moved, its owner flips in the slot map (the cutover). ``naive_move`` copies
the keys and then flips the owner, with writes still going to the old node meanwhile,
and shows what that loses.
"""
from __future__ import annotations

import binascii
import random
import sqlite3
from dataclasses import dataclass, field
from typing import Sequence

import pandas as pd

from labs._check import is_whole
from labs.partitioning.hashing import check_count, check_nodes

N_SLOTS = 16_384


def key_slot(key) -> int:
    """Redis Cluster's slot of ``key``: CRC16 (XMODEM) of the key, mod 16,384.

    When the key holds a non-empty ``{...}`` (a *hash tag*), only the text inside the first
    one is hashed, so keys that must live together (one user's cart and orders) share a slot.

        >>> key_slot("hello"), key_slot("{}x") == key_slot("{}x"), key_slot(1000) == key_slot("1000")
        (866, True, True)
    """
    if not (isinstance(key, str) or is_whole(key)):
        raise ValueError(f"key must be a str or an int, not {type(key).__name__} {key!r}.")
    text = str(key)
    start = text.find("{")
    if start != -1:
        end = text.find("}", start + 1)
        if end > start + 1:
            text = text[start + 1:end]
    return binascii.crc_hqx(text.encode("utf-8"), 0) % N_SLOTS


class SlotMap:
    """Which node owns each of the 16,384 slots: a placement (``node_for``) for keys.

    A new map gives every node one contiguous, equal run of slots, as a cluster is first
    created.
    """

    def __init__(self, nodes: Sequence[str], owners: Sequence[str] | None = None):
        self.nodes = check_nodes(nodes)
        if owners is None:
            n = len(self.nodes)
            owners = [self.nodes[s * n // N_SLOTS] for s in range(N_SLOTS)]
        if len(owners) != N_SLOTS or not set(owners) <= set(self.nodes):
            raise ValueError(f"owners must name one of the nodes for each of the {N_SLOTS:,} slots.")
        self.owners = list(owners)

    def node_for(self, key) -> str:
        return self.owners[key_slot(key)]

    def slots_of(self, node: str) -> list[int]:
        return [s for s, owner in enumerate(self.owners) if owner == node]

    def slot_counts(self) -> pd.Series:
        counts = pd.Series(self.owners).value_counts().reindex(self.nodes, fill_value=0)
        counts.index.name, counts.name = "node", "slots"
        return counts

    def with_node(self, new_node: str) -> tuple["SlotMap", list[int]]:
        """A map where ``new_node`` owns an equal share, taken from the nodes holding the most
        slots (as a rebalance does), and the list of slots that change owner."""
        if new_node in self.nodes:
            raise ValueError(f"new_node must be a new name; {new_node!r} is already a node.")
        nodes = self.nodes + [new_node]
        owners = list(self.owners)
        held = {node: self.slots_of(node) for node in self.nodes}  # ascending slot numbers
        moved: list[int] = []
        while len(moved) < N_SLOTS // len(nodes):
            donor = max(self.nodes, key=lambda n: (len(held[n]), n))
            slot = held[donor].pop()  # from the end of the donor's run
            owners[slot] = new_node
            moved.append(slot)
        return SlotMap(nodes, owners), sorted(moved)

    def __repr__(self) -> str:
        return f"SlotMap({self.nodes!r})"


def _node_db() -> sqlite3.Connection:
    con = sqlite3.connect(":memory:", isolation_level=None)
    con.execute("CREATE TABLE kv (key TEXT PRIMARY KEY, slot INTEGER NOT NULL, value INTEGER NOT NULL)")
    con.execute("CREATE INDEX kv_slot ON kv (slot)")
    return con


@dataclass
class MoveReport:
    """What happened during a move: keys moved, operations served, and what went wrong."""
    keys_moved: int = 0
    batches: int = 0
    reads: int = 0
    writes: int = 0
    second_lookups: int = 0  # reads that had to ask the new owner too
    wrong_reads: int = 0  # a read that did not return the latest write
    lost_writes: int = 0  # keys whose latest write is gone after the move
    per_node: dict = field(default_factory=dict)

    def sentence(self) -> str:
        return (f"{self.keys_moved:,} keys moved in {self.batches:,} batches while {self.reads:,} reads and "
                f"{self.writes:,} writes ran; {self.second_lookups:,} reads asked the new owner too; "
                f"wrong reads: {self.wrong_reads:,}; writes lost: {self.lost_writes:,}.")


class Cluster:
    """One SQLite database per node, routed by a ``SlotMap``; slots can move while it serves."""

    def __init__(self, slot_map: SlotMap):
        self.map = slot_map
        self.db = {node: _node_db() for node in slot_map.nodes}
        self.migrating: dict[int, tuple[str, str]] = {}  # slot -> (source, target)

    # -- serving ---------------------------------------------------------------------------
    def _has(self, node: str, key: str) -> bool:
        return self.db[node].execute("SELECT 1 FROM kv WHERE key = ?", (key,)).fetchall() != []

    def _put(self, node: str, key: str, slot: int, value: int) -> None:
        self.db[node].execute("INSERT INTO kv VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                              (key, slot, value))

    def set(self, key: str, value: int) -> None:
        slot = key_slot(key)
        if slot in self.migrating:
            source, target = self.migrating[slot]
            # a key still on the old owner is written there (it moves later); one that left, or a new one, on the new
            self._put(source if self._has(source, key) else target, key, slot, value)
        else:
            self._put(self.map.owners[slot], key, slot, value)

    def get(self, key: str) -> tuple[int | None, int]:
        """The value of ``key`` and how many nodes were asked."""
        slot = key_slot(key)
        first = self.migrating[slot][0] if slot in self.migrating else self.map.owners[slot]
        rows = self.db[first].execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchall()
        if rows or slot not in self.migrating:
            return (rows[0][0] if rows else None), 1
        rows = self.db[self.migrating[slot][1]].execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchall()
        return (rows[0][0] if rows else None), 2

    def sizes(self) -> pd.Series:
        sizes = pd.Series({n: self.db[n].execute("SELECT count(*) FROM kv").fetchall()[0][0] for n in self.map.nodes})
        sizes.index.name, sizes.name = "node", "keys"
        return sizes

    # -- moving ----------------------------------------------------------------------------
    def add_node(self, node: str) -> list[int]:
        """Put an empty node in the cluster and mark the slots it will own as migrating to it."""
        new_map, moved = self.map.with_node(node)
        self.db[node] = _node_db()
        self.migrating = {s: (self.map.owners[s], node) for s in moved}
        self.map = SlotMap(new_map.nodes, self.map.owners)  # owners flip slot by slot, at cutover
        return moved

    def move_batch(self, limit: int) -> int:
        """Move up to ``limit`` keys of migrating slots, each key in one transaction on both sides;
        cut over every slot whose old owner has none left. Returns the keys moved."""
        moved = 0
        for slot, (source, target) in sorted(self.migrating.items()):
            if moved >= limit:
                break
            rows = self.db[source].execute("SELECT key, value FROM kv WHERE slot = ? LIMIT ?",
                                           (slot, limit - moved)).fetchall()
            for key, value in rows:
                self._put(target, key, slot, value)
                self.db[source].execute("DELETE FROM kv WHERE key = ?", (key,))
            moved += len(rows)
        for slot, (source, target) in list(self.migrating.items()):
            if not self.db[source].execute("SELECT 1 FROM kv WHERE slot = ? LIMIT 1", (slot,)).fetchall():
                self.map.owners[slot] = target  # cutover: the new owner serves the slot alone
                del self.migrating[slot]
        return moved


def tenant_key(tenant: int, item) -> str:
    """A key of one tenant: the hash tag keeps all of a tenant's keys in one slot.

        >>> tenant_key(7, 1), key_slot(tenant_key(7, 1)) == key_slot(tenant_key(7, 2))
        ('{tenant:7}:item:1', True)
    """
    return f"{{tenant:{tenant}}}:item:{item}"


def _workload(keys: list[str], n_ops: int, rng: random.Random, truth: dict, next_value: list,
              n_tenants: int) -> list:
    """``n_ops`` operations: 70% reads of known keys, 25% updates, 5% new keys."""
    ops = []
    for _ in range(n_ops):
        r = rng.random()
        if r < 0.70:
            ops.append(("get", rng.choice(keys)))
        else:
            key = rng.choice(keys) if r < 0.95 else tenant_key(rng.randrange(n_tenants), f"new{len(keys)}")
            if key not in truth:
                keys.append(key)
            next_value[0] += 1
            truth[key] = next_value[0]
            ops.append(("set", key, next_value[0]))
    return ops


def _loaded(nodes: Sequence[str], n_keys: int, n_tenants: int) -> tuple[Cluster, dict, list]:
    cluster = Cluster(SlotMap(nodes))
    truth = {tenant_key(i % n_tenants, i): i for i in range(n_keys)}
    for key, value in truth.items():
        cluster.set(key, value)
    return cluster, truth, list(truth)


def live_move(nodes: Sequence[str], new_node: str, n_keys: int = 20_000, n_tenants: int = 200, batch: int = 250,
              ops_per_batch: int = 100, seed: int = 7) -> tuple[Cluster, MoveReport]:
    """Add ``new_node`` to a cluster of ``nodes`` holding ``n_keys`` keys of ``n_tenants`` tenants and
    move its slots live: batches of ``batch`` keys, with ``ops_per_batch`` reads and writes between batches."""
    check_count(n_keys, "n_keys")
    check_count(batch, "batch")
    cluster, truth, keys = _loaded(nodes, n_keys, check_count(n_tenants, "n_tenants"))
    rng, counter, report = random.Random(seed), [n_keys], MoveReport()
    cluster.add_node(new_node)
    while cluster.migrating:
        for op in _workload(keys, ops_per_batch, rng, truth, counter, n_tenants):
            if op[0] == "set":
                cluster.set(op[1], op[2])
                report.writes += 1
            else:
                value, asked = cluster.get(op[1])
                report.reads += 1
                report.second_lookups += asked == 2
                report.wrong_reads += value != truth[op[1]]
        report.keys_moved += cluster.move_batch(batch)
        report.batches += 1
    report.lost_writes = sum(cluster.get(k)[0] != v for k, v in truth.items())
    report.per_node = cluster.sizes().to_dict()
    return cluster, report


def naive_move(nodes: Sequence[str], new_node: str, n_keys: int = 20_000, n_tenants: int = 200, batch: int = 250,
               ops_per_batch: int = 100, seed: int = 7) -> MoveReport:
    """The same move done the naive way: copy the slots' keys batch by batch while every read
    and write still goes to the old owner, then flip all the slots at once."""
    cluster, truth, keys = _loaded(nodes, n_keys, check_count(n_tenants, "n_tenants"))
    rng, counter, report = random.Random(seed), [n_keys], MoveReport()
    new_map, moved = cluster.map.with_node(new_node)
    cluster.db[new_node] = _node_db()
    to_copy = [(row[0], row[1], row[2], cluster.map.owners[row[1]])
               for slot in moved
               for row in cluster.db[cluster.map.owners[slot]].execute(
                   "SELECT key, slot, value FROM kv WHERE slot = ?", (slot,)).fetchall()]
    for start in range(0, len(to_copy), batch):
        for op in _workload(keys, ops_per_batch, rng, truth, counter, n_tenants):
            if op[0] == "set":
                cluster.set(op[1], op[2])
                report.writes += 1
            else:
                report.reads += 1
                report.wrong_reads += cluster.get(op[1])[0] != truth[op[1]]
        for key, slot, _, source in to_copy[start:start + batch]:
            value = cluster.db[source].execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchall()[0][0]
            cluster._put(new_node, key, slot, value)
        report.keys_moved += len(to_copy[start:start + batch])
        report.batches += 1
    cluster.map = new_map  # the cutover, all at once; the copies on the old owners are dropped
    for slot in moved:
        for node in nodes:
            cluster.db[node].execute("DELETE FROM kv WHERE slot = ?", (slot,))
    report.lost_writes = sum(cluster.get(k)[0] != v for k, v in truth.items())
    report.per_node = cluster.sizes().to_dict()
    return report
