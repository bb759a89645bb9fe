"""Where does a key live? Placing keys on nodes, and measuring what a placement costs.

A *placement* is any object with a ``node_for(key)`` method. This module has two:

- ``ModN(nodes)``: ``token(key) % N`` picks the node. Even, but adding one node
  moves almost every key.
- ``Ranges(bounds, nodes)``: sorted boundaries cut the key space into ranges. Range
  scans stay on one node, but keys that grow over time (ids, timestamps) all land
  on the last range.

The consistent-hash ring is the third, and the notebook asks you to write it; the
helpers here (``token``, ``vnode_label``, ``vnode_tokens``, ``arc_shares``) give the
positions on the ring so everybody's ring agrees. Two more schemes move as few keys
as a ring without keeping one:

- ``Rendezvous(nodes)``: every node scores the key, the highest score wins
  (highest random weight). One hash per node per lookup.
- ``JumpHash(nodes)``: a short loop picks a bucket number from the key alone;
  nodes can only join or leave at the end of the list.

Measuring a placement:

    >>> keys = [f"user:{i}" for i in range(10_000)]
    >>> three, four = ModN(["a", "b", "c"]), ModN(["a", "b", "c", "d"])
    >>> round(moved_fraction(keys, three, four), 2)
    0.75
    >>> counts = loads(keys, four)
    >>> int(counts.sum()), round(spread(counts), 2)
    (10000, 1.03)
"""
from __future__ import annotations

import bisect
import hashlib
from typing import Iterable, Protocol, Sequence

import pandas as pd

from labs._check import is_whole, whole

RING_BITS = 64
RING_SIZE = 2**RING_BITS


class Placement(Protocol):
    def node_for(self, key) -> str: ...


def token(key) -> int:
    """The position of ``key`` on a ring of ``2**64`` slots: the first 8 bytes of its MD5.

    The same key gives the same token in every process, on every machine, which
    Python's own ``hash()`` does not promise: it salts string hashes per process
    (``PYTHONHASHSEED``), so two workers would disagree on where a key lives.
    MD5 is no longer a safe *cryptographic* hash, but placement only needs keys
    spread evenly and reproducibly, which it does. Integers hash as their text,
    so ``42`` and ``"42"`` are the same key.

        >>> token("user:1") == token("user:1")
        True
        >>> token(42) == token("42")
        True
        >>> 0 <= token("anything") < RING_SIZE
        True
    """
    if isinstance(key, bytes):
        data = key
    elif isinstance(key, str) or is_whole(key):
        data = str(key).encode("utf-8")
    else:
        raise ValueError(f"key must be a str, an int or bytes, not {type(key).__name__} {key!r}.")
    return int.from_bytes(hashlib.md5(data).digest()[:8], "big")


def vnode_label(node: str, i: int) -> str:
    """The name of virtual node ``i`` of ``node``; its position is ``token(vnode_label(node, i))``.

        >>> vnode_label("db1", 0)
        'db1#0'
    """
    return f"{node}#{i}"


def check_nodes(nodes, name: str = "nodes") -> list[str]:
    """``nodes`` as a list of distinct non-empty strings, or a ValueError saying what is wrong."""
    if isinstance(nodes, str) or not isinstance(nodes, Iterable):
        raise ValueError(f"{name} must be a list of node names such as ['db0', 'db1'], not {nodes!r}.")
    nodes = list(nodes)
    if not nodes:
        raise ValueError(f"{name} must name at least one node, not an empty list.")
    bad = [n for n in nodes if not isinstance(n, str) or not n]
    if bad:
        raise ValueError(f"{name} must be non-empty strings; got {bad[0]!r}.")
    if len(set(nodes)) != len(nodes):
        twice = sorted({n for n in nodes if nodes.count(n) > 1})
        raise ValueError(f"{name} must be distinct; {', '.join(map(repr, twice))} appears more than once.")
    return nodes


def check_count(value, name: str, minimum: int = 1) -> int:
    """``value`` as an int of at least ``minimum``: the kit's ``whole`` check, named for a count.

        >>> check_count(4, "n_shards")
        4
    """
    return whole(value, name, at_least=minimum)


class ModN:
    """Hash-mod-N placement: key -> ``nodes[token(key) % len(nodes)]``.

        >>> placement = ModN(["db0", "db1", "db2"])
        >>> placement.node_for("user:1") == placement.node_for("user:1")
        True
    """

    def __init__(self, nodes: Sequence[str]):
        self.nodes = check_nodes(nodes)

    def node_for(self, key) -> str:
        return self.nodes[token(key) % len(self.nodes)]

    def __repr__(self) -> str:
        return f"ModN({self.nodes!r})"


class Ranges:
    """Range placement: ``nodes[0]`` holds keys below ``bounds[0]``, ``nodes[i]`` keys in
    ``[bounds[i-1], bounds[i])``, the last node everything from ``bounds[-1]`` up.

    Keys are compared as they are (numbers with numbers, text with text), which is
    what keeps a range scan on one node.

        >>> r = Ranges([100, 200], ["low", "mid", "high"])
        >>> r.node_for(5), r.node_for(100), r.node_for(10_000)
        ('low', 'mid', 'high')
        >>> r.split("high", 300, "higher").nodes
        ['low', 'mid', 'high', 'higher']
    """

    def __init__(self, bounds: Sequence, nodes: Sequence[str]):
        self.nodes = check_nodes(nodes)
        self.bounds = list(bounds)
        if len(self.bounds) != len(self.nodes) - 1:
            raise ValueError(f"bounds must have one value fewer than nodes: {len(self.nodes)} nodes need "
                             f"{len(self.nodes) - 1} bounds, got {len(self.bounds)}.")
        if any(a >= b for a, b in zip(self.bounds, self.bounds[1:])):
            raise ValueError(f"bounds must be strictly increasing, not {self.bounds!r}.")

    def node_for(self, key) -> str:
        return self.nodes[bisect.bisect_right(self.bounds, key)]

    def split(self, node: str, at, new_node: str) -> "Ranges":
        """A new placement where ``new_node`` takes the upper part of ``node``'s range, from ``at``.

        Only keys of the split range move, which is why range-partitioned stores
        (HBase regions, Bigtable tablets) grow by splitting.
        """
        if node not in self.nodes:
            raise ValueError(f"node must be one of {', '.join(self.nodes)}, not {node!r}.")
        if new_node in self.nodes:
            raise ValueError(f"new_node must be a new name; {new_node!r} is already a node.")
        i = self.nodes.index(node)
        low = self.bounds[i - 1] if i > 0 else None
        high = self.bounds[i] if i < len(self.bounds) else None
        if (low is not None and at <= low) or (high is not None and at >= high):
            raise ValueError(f"at must fall inside {node}'s range [{low}, {high}), not {at!r}.")
        return Ranges(self.bounds[:i] + [at] + self.bounds[i:],
                      self.nodes[:i + 1] + [new_node] + self.nodes[i + 1:])

    def __repr__(self) -> str:
        return f"Ranges({self.bounds!r}, {self.nodes!r})"


class Rendezvous:
    """Rendezvous (highest random weight) hashing: node n scores key k with ``token(f"{n}|{k}")``
    and the key goes to the highest score.

    Nothing to store but the node list. Adding a node moves only the keys it now wins
    (about 1/(N+1) of them, each from whichever node held it), removing one moves only its
    keys, and the load is as even as N independent hashes make it. The price is one hash
    per node on every lookup.

        >>> before, after = Rendezvous(["a", "b", "c"]), Rendezvous(["a", "b", "c", "d"])
        >>> keys = [f"user:{i}" for i in range(4000)]
        >>> all(after.node_for(k) in (before.node_for(k), "d") for k in keys)
        True
    """

    def __init__(self, nodes: Sequence[str]):
        self.nodes = check_nodes(nodes)

    def node_for(self, key) -> str:
        token(key)  # the same key rules as everywhere else
        text = key.decode("utf-8", "replace") if isinstance(key, bytes) else str(key)
        return max(self.nodes, key=lambda node: (token(f"{node}|{text}"), node))

    def __repr__(self) -> str:
        return f"Rendezvous({self.nodes!r})"


def jump_bucket(key_token: int, n_buckets: int) -> int:
    """Jump consistent hash (Lamping and Veach, 2014): a bucket in 0..n_buckets-1 for a 64-bit token.

    The loop jumps forward through bucket numbers with a pseudo-random generator seeded
    by the token; a key moves from n to n+1 buckets only when it jumps onto the new last
    bucket, which happens for 1/(n+1) of the keys.

        >>> [jump_bucket(t, 1) for t in (0, 1, 2**63)]
        [0, 0, 0]
        >>> sum(jump_bucket(token(f"k{i}"), 10) != jump_bucket(token(f"k{i}"), 11) for i in range(11_000)) / 11_000 < 0.12
        True
    """
    n_buckets = check_count(n_buckets, "n_buckets")
    k, b, j = key_token % 2**64, -1, 0
    while j < n_buckets:
        b = j
        k = (k * 2862933555777941757 + 1) % 2**64
        j = int((b + 1) * (float(1 << 31) / float((k >> 33) + 1)))
    return b


class JumpHash:
    """Jump consistent hash over ``nodes``: key -> ``nodes[jump_bucket(token(key), N)]``.

    No state at all, perfectly even in expectation, and a lookup of about ln(N) steps. The
    catch: buckets are numbers, so a node can only be added or removed at the end of the
    list; replacing a failed node in the middle needs a layer that maps bucket numbers to
    machines (which is how storage systems use it).

        >>> JumpHash(["a", "b"]).node_for("user:1") in ("a", "b")
        True
    """

    def __init__(self, nodes: Sequence[str]):
        self.nodes = check_nodes(nodes)

    def node_for(self, key) -> str:
        return self.nodes[jump_bucket(token(key), len(self.nodes))]

    def __repr__(self) -> str:
        return f"JumpHash({self.nodes!r})"


def assign(keys: Iterable, placement: Placement) -> dict:
    """{key: node} for every key."""
    return {key: placement.node_for(key) for key in keys}


def moved_fraction(keys: Iterable, before: Placement, after: Placement) -> float:
    """The share of ``keys`` whose node differs between two placements: the data a
    rebalance must copy over the network.

        >>> moved_fraction(range(1000), ModN(["a", "b"]), ModN(["a", "b"]))
        0.0
    """
    keys = list(keys)
    if not keys:
        raise ValueError("keys must not be empty: there is nothing to measure.")
    moved = sum(before.node_for(k) != after.node_for(k) for k in keys)
    return moved / len(keys)


def loads(keys: Iterable, placement: Placement, nodes: Sequence[str] | None = None,
          weights: Iterable | None = None) -> pd.Series:
    """How many keys (or how much ``weights``) each node holds, as a Series indexed by node.

    ``nodes`` lists the nodes to report, zeros included (default: those of the
    placement, when it has a ``nodes`` attribute, else the ones seen).
    """
    keys = list(keys)
    weights = [1] * len(keys) if weights is None else list(weights)
    if len(weights) != len(keys):
        raise ValueError(f"weights must have one value per key: {len(keys)} keys, {len(weights)} weights.")
    totals: dict[str, float] = {}
    for key, weight in zip(keys, weights):
        node = placement.node_for(key)
        totals[node] = totals.get(node, 0) + weight
    order = list(nodes) if nodes is not None else list(getattr(placement, "nodes", None) or sorted(totals))
    series = pd.Series({node: totals.get(node, 0) for node in order}, name="load")
    series.index.name = "node"
    return series


def spread(node_loads) -> float:
    """max / mean of the loads: 1.0 is perfectly even, 2.0 means the busiest node does twice its share.

        >>> spread([10, 10, 10]), spread([30, 0, 0])
        (1.0, 3.0)
    """
    values = list(pd.Series(node_loads, dtype="float64"))
    if not values or sum(values) <= 0:
        raise ValueError("node_loads must hold at least one positive load.")
    return max(values) / (sum(values) / len(values))


def vnode_tokens(nodes: Sequence[str], vnodes: int) -> pd.DataFrame:
    """Every virtual node on the ring, in token order: node, vnode (its label), token, position.

    ``position`` is the token as a fraction of the ring, from 0 to 1 (clockwise).

        >>> vnode_tokens(["a", "b"], 2)[["node", "vnode"]].shape
        (4, 2)
    """
    nodes = check_nodes(nodes)
    vnodes = check_count(vnodes, "vnodes")
    rows = [(node, vnode_label(node, i), token(vnode_label(node, i)))
            for node in nodes for i in range(vnodes)]
    frame = pd.DataFrame(rows, columns=["node", "vnode", "token"]).sort_values("token", kind="stable")
    frame["position"] = frame["token"] / RING_SIZE
    return frame.reset_index(drop=True)


def arc_shares(nodes: Sequence[str], vnodes: int) -> pd.Series:
    """The share of the ring each node owns, when a key belongs to the first virtual node
    at or after its token (clockwise, wrapping past the top of the ring).

    The arc that ends at a virtual node is that node's: with few virtual nodes the
    arcs, and so the loads, are very uneven.

        >>> shares = arc_shares(["a", "b", "c"], 64)
        >>> round(float(shares.sum()), 9)
        1.0
    """
    ring = vnode_tokens(nodes, vnodes)
    tokens = ring["token"].tolist()
    # The first arc wraps: from the last token, past the top, to the first token.
    arcs = [tokens[0] + RING_SIZE - tokens[-1]] + [b - a for a, b in zip(tokens, tokens[1:])]
    shares = pd.Series(arcs, index=ring["node"], dtype="float64").groupby(level=0).sum() / RING_SIZE
    shares = shares.reindex(check_nodes(nodes))
    shares.index.name, shares.name = "node", "share"
    return shares
