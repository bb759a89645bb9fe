"""Exercises of 05-sharding-partitioning: moved keys, a consistent-hash ring, shard and row keys,
salting a hot key, a query that prunes, and a scatter-gather average.

The reference consistent-hash ring lives here (and in the tests), not in ``labs``: the learner
writes their own in the notebook. The ring's probes run the learner's class in the learner's
kernel and return plain observations; the ``_judge_*`` functions read them in the grader.

    >>> [ex.id for ex in EXERCISES]
    ['modn_moved_fraction', 'consistent_ring', 'shard_key_choice', 'row_key_design',
     'salted_aggregation', 'pruning_query', 'scatter_gather']
"""
from __future__ import annotations

import bisect
import builtins
import contextlib
import tempfile
from collections import Counter
from pathlib import Path

import pandas as pd
from sqlglot import exp

from grader.checkers import Problem
from grader.checkers import sql as sqlc
from grader.kinds import Choice, Function, Mistake, Number, Sql, Table

NOTEBOOK = "05-sharding-partitioning"
COVERS = ("Q4.3", "Q4.4", "A8", "Q1.5", "Q9.2")  # the question ids the exercises prepare for


# --- Exercise: keys moved by hash-mod-N ----------------------------------------------------

MODN = Number(
    id="modn_moved_fraction",
    prompt="Four shards place keys with token(key) % 4. A fifth shard is added and placement becomes "
           "token(key) % 5. What fraction of the keys must move to another shard (a number from 0 to 1)?",
    value=0.8,
    abs_tol=0.03,
    mistakes=(
        (0.2, "1/5 is the share of keys that stay, and what a consistent-hash ring would move; with mod-N "
              "every other key changes shard."),
        (0.75, "3/4 is what moves going from 3 to 4 shards; redo the residues for 4 and 5."),
        (80, "Give the fraction from 0 to 1, not a percentage.", 3),
    ),
    hints=(
        "A key stays put only if token % 4 and token % 5 are the same number. Try a few tokens by hand: 0..19.",
        "token % 4 == token % 5 holds exactly when token % 20 is 0, 1, 2 or 3: four residues out of twenty. "
        "Or measure it: hashing.moved_fraction(keys, ModN(four_nodes), ModN(five_nodes)).",
    ),
    solution="modn_moved_fraction = hashing.moved_fraction(keys, ModN(['s0', 's1', 's2', 's3']), "
             "ModN(['s0', 's1', 's2', 's3', 's4']))   # about 0.8",
    explanation="A key keeps its shard only when token % 4 == token % 5, which is true for 4 residues out of "
                "every 20, so 80% of the data crosses the network. Going from N to N+1 shards moves N/(N+1) of "
                "the keys; the ideal is 1/(N+1), only what the new shard must own. That gap is why stores that "
                "grow online use consistent hashing or a fixed, large number of partitions.",
    covers=("Q4.4", "A8"),
)


# --- Exercise: a consistent-hash ring ------------------------------------------------------

def _token(key) -> int:
    from labs.partitioning.hashing import token

    return token(key)


class ReferenceRing:
    """The reference ring: vnode i of node n sits at token(f"{n}#{i}"); a key belongs to the first
    virtual node at or after its token, wrapping past the top of the ring."""

    def __init__(self, nodes, vnodes=64):
        self.vnodes = vnodes
        self._tokens: list[int] = []
        self._owners: list[str] = []
        for node in nodes:
            self.add(node)

    def add(self, node):
        if node in self._owners:
            raise ValueError(f"{node!r} is already on the ring")
        for i in range(self.vnodes):
            t = _token(f"{node}#{i}")
            at = bisect.bisect_left(self._tokens, t)
            self._tokens.insert(at, t)
            self._owners.insert(at, node)

    def remove(self, node):
        if node not in self._owners:
            raise ValueError(f"{node!r} is not on the ring")
        kept = [(t, o) for t, o in zip(self._tokens, self._owners) if o != node]
        self._tokens = [t for t, _ in kept]
        self._owners = [o for _, o in kept]

    def node_for(self, key):
        if not self._tokens:
            raise LookupError("the ring has no nodes")
        at = bisect.bisect_left(self._tokens, _token(key))
        return self._owners[at % len(self._owners)]


NODES4 = ("a", "b", "c", "d")
NODES5 = ("a", "b", "c", "d", "e")
TEN = tuple(f"n{i}" for i in range(10))
SPREAD_VNODES = (1, 16, 128)
# Adding a fifth node to a ring moves about 1/5 of the keys, all to the new node; hash-mod-N moves
# about 4/5. A ring moving more than this has the mod-N symptom.
MOST_MOVED_ON_ADD = 0.4
# The new node's fair share is 1/5; under this it cannot have all of its virtual nodes on the ring.
LEAST_NEW_NODE_SHARE = 0.08
# (name, nodes, vnodes) of the rings compared key by key with the reference.
LOOKUP_RINGS = (("3 nodes x 1 vnode", ("a", "b", "c"), 1), ("6 nodes x 8 vnodes", tuple("uvwxyz"), 8))


def _keys(n: int) -> list[str]:
    return [f"user:{i}" for i in range(n)]


def _lookup_keys() -> list[str]:
    # Keys named like a virtual node sit exactly on its token: they test "at or after".
    return _keys(1000) + ["a#0", "b#0", "c#0", "u#3", "z#7"]


@contextlib.contextmanager
def _another_hash_seed():
    """Make builtins.hash behave as in another process (strings hash differently per process)."""
    real = builtins.hash
    builtins.hash = lambda obj: real((obj, "another process"))
    try:
        yield
    finally:
        builtins.hash = real


def _probe_stable(Ring):
    keys = _keys(500)
    ring = Ring(list(NODES4), 16)
    first = [ring.node_for(k) for k in keys]
    again = [ring.node_for(k) for k in keys]
    fresh = Ring(list(NODES4), 16)
    fresh_lookups = [fresh.node_for(k) for k in keys]
    with _another_hash_seed():
        other = Ring(list(NODES4), 16)
        other_lookups = [other.node_for(k) for k in keys]
    return {"unknown": sorted({repr(n) for n in first if n not in NODES4})[:3],
            "calls_agree": first == again, "fresh_agrees": first == fresh_lookups,
            "other_seed_agrees": first == other_lookups}


def _judge_stable(obs):
    if obs["unknown"]:
        return (f"node_for returned {obs['unknown'][0]}, which is not one of the ring's nodes "
                f"{', '.join(NODES4)}: return the node that owns the virtual node, not the virtual node.")
    if not obs["calls_agree"]:
        return "node_for gave different nodes for the same key in two calls: a lookup must not change the ring."
    if not obs["fresh_agrees"]:
        return ("Two rings built from the same nodes place keys differently: positions must depend only on "
                "the names of the nodes and keys.")
    if not obs["other_seed_agrees"]:
        return ("Your ring places keys differently when Python's hash seed changes, as it does in every new "
                "process: two servers would disagree on where a key lives. Use token(), not hash().")
    return None


def _probe_add(Ring):
    keys = _keys(4000)
    ring = Ring(list(NODES4), 64)
    before = [ring.node_for(k) for k in keys]
    ring.add("e")
    after = [ring.node_for(k) for k in keys]
    moved = [(b, a) for b, a in zip(before, after) if b != a]
    return {"moved": len(moved) / len(keys),
            "to_old": sum(a != "e" for _, a in moved),
            "new_share": after.count("e") / len(keys)}


def _judge_add(obs):
    if obs["moved"] > MOST_MOVED_ON_ADD:
        return (f"Adding a fifth node moved {obs['moved']:.0%} of the keys, as hash-mod-N does; on a ring only "
                f"the keys the new node takes over move, about 1/5.")
    if obs["to_old"]:
        return (f"After add('e'), {obs['to_old']} keys moved from one old node to another; only the new node "
                f"should gain keys.")
    if obs["new_share"] < LEAST_NEW_NODE_SHARE:
        return (f"After add('e'), the new node owns {obs['new_share']:.1%} of the keys, far below its fair 20%: "
                f"does add() put all of its virtual nodes on the ring?")
    return None


def _probe_remove(Ring):
    keys = _keys(4000)
    ring = Ring(list(NODES5), 64)
    before = [ring.node_for(k) for k in keys]
    ring.remove("c")
    after = [ring.node_for(k) for k in keys]
    ring.add("c")
    restored = [ring.node_for(k) for k in keys]
    return {"still_on_removed": after.count("c"),
            "others_moved": sum(b != a for b, a in zip(before, after) if b != "c"),
            "restored": restored == before}


def _judge_remove(obs):
    if obs["still_on_removed"]:
        return (f"After remove('c'), node_for still sends {obs['still_on_removed']} keys to 'c': remove every "
                f"virtual node of the removed node.")
    if obs["others_moved"]:
        return (f"After remove('c'), {obs['others_moved']} keys that were not on 'c' moved: only the removed "
                f"node's keys should find a new home.")
    if not obs["restored"]:
        return ("Removing 'c' and adding it back did not give the original placement: after add() and "
                "remove() the ring must look as if it had been built from the current nodes.")
    return None


def _probe_vnodes(Ring):
    keys = _keys(5000)
    spreads = {}
    for vnodes in SPREAD_VNODES:
        ring = Ring(list(TEN), vnodes)
        counts = Counter(ring.node_for(k) for k in keys)
        spreads[str(vnodes)] = max(counts.get(n, 0) for n in TEN) / (len(keys) / len(TEN))
    return spreads


def _judge_vnodes(obs):
    shown = ", ".join(f"{obs[str(v)]:.2f}" for v in SPREAD_VNODES)
    if obs[str(SPREAD_VNODES[-1])] >= 0.9 * obs[str(SPREAD_VNODES[0])]:
        return (f"The load does not even out as virtual nodes grow (busiest node / mean = {shown} with "
                f"{', '.join(map(str, SPREAD_VNODES))} vnodes): give each node `vnodes` positions, "
                f"token(f'{{node}}#{{i}}') for i in range(vnodes).")
    if obs[str(SPREAD_VNODES[-1])] > 1.35:
        return (f"With {SPREAD_VNODES[-1]} virtual nodes per node the busiest node still carries "
                f"{obs[str(SPREAD_VNODES[-1])]:.2f}x its share (expected under 1.35).")
    return None


def _probe_lookups(Ring):
    keys = _lookup_keys()
    return {name: _lookups(Ring(list(nodes), vnodes), keys) for name, nodes, vnodes in LOOKUP_RINGS}


def _lookups(ring, keys):
    return [ring.node_for(k) for k in keys]


def _judge_lookups(obs):
    keys = _lookup_keys()
    for name, nodes, vnodes in LOOKUP_RINGS:
        reference = ReferenceRing(nodes, vnodes)
        want = _lookups(reference, keys)
        got = obs.get(name, [])
        tokens, owners = reference._tokens, reference._owners
        wrong = [(key, g, w) for key, g, w in zip(keys, got, want) if g != w]
        before = [(_token(k), g == owners[(bisect.bisect_left(tokens, _token(k)) - 1) % len(owners)])
                  for k, g, _ in wrong]
        if wrong and all(prev for _, prev in before) and any(t <= tokens[-1] for t, _ in before):
            key, g, w = wrong[0]
            return (f"On a ring of {name}, node_for({key!r}) returned {g!r}; expected {w!r}: that is the owner of "
                    f"the virtual node before the key. A key belongs to the first virtual node clockwise, at or "
                    f"after its token.")
        for key, g, w in zip(keys, got, want):
            if g == w:
                continue
            call = f"On a ring of {name}, node_for({key!r}) returned {g!r}; expected {w!r}."
            t, tokens, owners = _token(key), reference._tokens, reference._owners
            if t > tokens[-1] and g == owners[-1]:
                return call + (" This key's token is past the last virtual node: it wraps around to the first "
                               "virtual node of the ring.")
            if t in tokens and g == owners[(tokens.index(t) + 1) % len(owners)]:
                return call + (" This key's token equals a virtual node's token: a key belongs to the first "
                               "virtual node at or after its token (bisect_left), that one itself.")
            return call + (" A key belongs to the first virtual node clockwise, at or after its token, with "
                           "vnode i of node n at token(f'{n}#{i}').")
        if len(got) != len(want):
            return f"On a ring of {name}, node_for did not answer for every key."
    return None


RING = Function(
    id="consistent_ring",
    prompt="Write class Ring(nodes, vnodes=64) with node_for(key), add(node) and remove(node): a consistent-hash "
           "ring where virtual node i of node n sits at token(f'{n}#{i}') and a key belongs to the first "
           "virtual node at or after token(key), wrapping around past the top of the ring.",
    call_name="Ring",
    probes=(
        ("same answer in every process", _probe_stable, _judge_stable),
        ("adding a node", _probe_add, _judge_add),
        ("removing a node", _probe_remove, _judge_remove),
        ("virtual nodes even out the load", _probe_vnodes, _judge_vnodes),
        ("lookups agree with the reference ring", _probe_lookups, _judge_lookups),
    ),
    timeout_s=30.0,
    hints=(
        "Keep two lists side by side, sorted by token: the tokens of all virtual nodes and the node owning each.",
        "node_for: i = bisect.bisect_left(tokens, token(key)); the owner is owners[i % len(owners)] (the modulo is "
        "the wrap-around past the top of the ring).",
        "add(node): insert each token(f'{node}#{i}') at its bisect position in both lists; remove(node): keep the "
        "pairs whose owner is not node.",
    ),
    solution='''class Ring:
    def __init__(self, nodes, vnodes=64):
        self.vnodes = vnodes
        self.tokens, self.owners = [], []
        for node in nodes:
            self.add(node)

    def add(self, node):
        for i in range(self.vnodes):
            t = token(f"{node}#{i}")
            at = bisect.bisect_left(self.tokens, t)
            self.tokens.insert(at, t)
            self.owners.insert(at, node)

    def remove(self, node):
        kept = [(t, o) for t, o in zip(self.tokens, self.owners) if o != node]
        self.tokens = [t for t, _ in kept]
        self.owners = [o for _, o in kept]

    def node_for(self, key):
        at = bisect.bisect_left(self.tokens, token(key))
        return self.owners[at % len(self.owners)]''',
    explanation="Every node owns the arcs that end at its virtual nodes. Adding a node cuts new arcs out of "
                "existing ones, so only the keys on those arcs move, all of them to the new node (about 1/(N+1) "
                "of the keys); removing one hands its arcs to the next virtual nodes clockwise. Many virtual "
                "nodes per node make the arcs many and small, so every node's share is close to 1/N, and a "
                "bigger machine can simply get more virtual nodes. A stable hash (not Python's hash()) keeps "
                "every process agreeing on where a key lives.",
    covers=("Q4.4", "A8"),
)


# --- Exercise: choose a shard key ----------------------------------------------------------

SHARD_KEY = Choice(
    id="shard_key_choice",
    prompt="A ride-hailing service stores trips in a sharded database: 20,000 new trips a second, all with the "
           "current time; the hottest query is one rider's trip history. Which shard key?",
    options={
        "A": "trip date, in ranges: every new trip has today's date, so all writes hit the one shard holding "
             "today (a moving hot spot).",
        "B": "a hash of rider_id: writes spread over all shards because riders are many and similar in size, and "
             "a rider's whole history sits on one shard, so the hot query touches one shard.",
        "C": "a hash of trip_id: writes spread perfectly, but one rider's trips are scattered over every shard, so "
             "the hot query becomes a scatter-gather across all of them.",
        "D": "city: a few dozen values of very different sizes; the biggest city overloads its shard and a "
             "single value can never be split.",
    },
    correct=("B",),
    hints=(
        "Ask two questions of every candidate: do the writes spread evenly, and does the hottest query read one shard?",
        "Time-ordered keys concentrate writes; low-cardinality keys cannot be split; a key unrelated to the query "
        "turns it into scatter-gather.",
    ),
    solution="B",
    explanation="A good shard key has many values of similar weight (even writes), does not grow with time "
                "(no moving hot spot), and matches the access pattern, so the common query is routed to one "
                "shard. rider_id does all three; trip_id loses the last, trip date and city lose the first two.",
    covers=("Q4.4", "A8"),
)


ROW_KEY = Choice(
    id="row_key_design",
    prompt="A wide-column store (Bigtable, HBase) keeps readings of 200,000 sensors, 50,000 writes a second. Rows "
           "are sorted by row key and split into tablets (regions) by key range. A dashboard shows the latest 10 "
           "readings of one sensor and does not know when that sensor last reported. Which row keys avoid a write "
           "hot spot and serve that read with one forward scan that stops after 10 rows? Choose all that apply.",
    options={
        "A": "timestamp#sensor_id: every write of the same moment shares a prefix, so all writes land on the "
             "tablet at the end of the key range (hot spot), and one sensor's readings are scattered.",
        "B": "sensor_id#timestamp: writes spread and one sensor's readings are contiguous, but oldest first: the "
             "latest 10 sit at the end of the sensor's range, and without their time a forward scan reads the "
             "sensor's whole history to reach them. It serves a known window (the last hour) in one scan.",
        "C": "sensor_id#reversed timestamp (max - ts): writes spread across sensors, and one sensor's newest "
             "readings come first, so the latest 10 are the first 10 rows of a scan from the sensor's prefix.",
        "D": "hash(sensor_id, timestamp): writes spread perfectly, but neighbouring readings of a sensor land far "
             "apart: every dashboard read is a full scan.",
        "E": "sensor_id alone, one new column per reading: the row grows forever (past the advised size of a "
             "row) and a chatty sensor is one hot row that cannot be split.",
    },
    correct=("C",),
    multiple=True,
    hints=(
        "Rows are stored in key order and split by ranges: what does the first part of the key decide?",
        "Put the field you query by first (so its rows are contiguous) and keep time out of the front of the key "
        "(so writes do not all go to the newest range). Then ask where in the sensor's rows the newest ones are, "
        "when the scan does not know their time.",
    ),
    solution="{'C'}",
    explanation="Range-split stores place rows by key order, so the key's first part decides where writes go "
                "and which rows are neighbours. Leading with sensor_id spreads writes over many tablets and keeps "
                "each sensor's readings together; the timestamp after it orders them. Reversed, the newest come "
                "first, so 'the latest 10' is the start of a scan from the sensor's prefix. Oldest first "
                "(sensor_id#timestamp) serves a known time window just as well, but the latest readings of a "
                "sensor that may have gone quiet are at an unknown point near the end of its range: a forward "
                "scan must read its whole history (HBase has reversed scans, and Bigtable added them lately, but "
                "the reversed timestamp needs neither). A timestamp first creates the classic hot spot; a hash "
                "first destroys the range scan; an unbounded row breaks size limits.",
    covers=("Q4.3",),
)


# --- Exercise: salting a hot key -----------------------------------------------------------

HOT_MERCHANTS = (1, 2)
N_SALTS = 4


def _salting_fixture() -> dict:
    from labs.data import transactions
    from labs.engines import duckdb

    query = transactions.sql(2_000, seed=11, skew=1.3, n_merchants=12, n_customers=40)
    frame = duckdb().execute(f"SELECT txn_id, merchant_id, customer_id, amount FROM ({query}) ORDER BY txn_id").df()
    return {"txns": frame}


def _group_keys(group: exp.Group) -> list:
    """The expressions a GROUP BY groups on, with ``GROUP BY 1, 2`` and ``GROUP BY ALL`` read from the select list."""
    select = group.parent if isinstance(group.parent, exp.Select) else None
    items = [e.unalias() for e in select.expressions] if select else []
    if group.args.get("all"):
        return [e for e in items if not e.find(exp.AggFunc)]
    keys = []
    for key in group.expressions:
        if isinstance(key, exp.Literal) and not key.is_string and key.this.isdigit() and 0 < int(key.this) <= len(items):
            keys.append(items[int(key.this) - 1])
        else:
            keys.append(key)
    return keys


def _groups_by_merchant_and_salt(tree) -> bool:
    for group in tree.find_all(exp.Group):
        keys = _group_keys(group)
        if len(keys) >= 2 and any(isinstance(k, exp.Column) and k.name.lower() == "merchant_id" for k in keys):
            return True
    return False


def _aggregates_twice(tree) -> bool:
    groups = list(tree.find_all(exp.Group))
    return len(groups) >= 2


TWO_PHASES = sqlc.SqlRule(_aggregates_twice,
                       "Aggregate in two phases: first GROUP BY merchant_id and a salt, then GROUP BY merchant_id "
                       "alone over that result.")
NO_RANDOM_SALT = sqlc.SqlRule(
    lambda tree: tree.find(exp.Rand) is None,
    "A random salt puts one customer's transactions into several buckets, so the distinct counts of the buckets "
    "add up to too many customers (and every run gives another answer): derive the salt from customer_id.")
def _phase_one_selects(tree) -> list:
    """The innermost grouped SELECTs: the phase that reads the rows."""
    grouped = [s for s in tree.find_all(exp.Select) if s.args.get("group")]
    return [s for s in grouped if not any(o is not s and o.args.get("group") for o in s.find_all(exp.Select))]


def _splits_hot_merchants(tree) -> bool:
    """Run phase 1 on the fixture and count its groups per hot merchant: there must be N_SALTS of each."""
    ctes = tree.find(exp.With)
    prefix = ctes.sql(dialect="duckdb") + " " if ctes else ""
    hot = ", ".join(map(str, HOT_MERCHANTS))
    for phase_one in _phase_one_selects(tree):
        probe = (f"{prefix}SELECT merchant_id, count(*) AS n FROM ({phase_one.sql(dialect='duckdb')}) AS phase_one "
                 f"WHERE merchant_id IN ({hot}) GROUP BY merchant_id")
        try:
            groups = sqlc.run(probe, SALTED._database(), 10.0)
        except Exception:
            return True  # a phase 1 that cannot run on its own is judged by running the whole query
        if len(groups) == len(HOT_MERCHANTS) and (groups["n"] == N_SALTS).all():
            return True
    return False


SPLITS_HOT_MERCHANTS = sqlc.SqlRule(
    _splits_hot_merchants,
    f"Phase 1 must cut each hot merchant into {N_SALTS} buckets (salt 0 to {N_SALTS - 1}): your first GROUP BY "
    f"does not give merchants 1 and 2 {N_SALTS} rows each. A salt from merchant_id is the same on all of a "
    f"merchant's rows, so it splits nothing.")
SALTED_FIRST_PHASE = sqlc.SqlRule(_groups_by_merchant_and_salt,
                               "The first phase must group by merchant_id and a salt column, so a hot merchant's "
                               "rows are split into several groups (tasks).")

SALTED_REFERENCE = f"""
WITH salted AS (
    SELECT merchant_id,
           CASE WHEN merchant_id IN {HOT_MERCHANTS} THEN customer_id % {N_SALTS} ELSE 0 END AS salt,
           count(*) AS n_txns,
           sum(amount) AS total_amount,
           count(DISTINCT customer_id) AS n_customers
    FROM txns
    GROUP BY merchant_id, salt
)
SELECT merchant_id, sum(n_txns) AS n_txns, sum(total_amount) AS total_amount, sum(n_customers) AS n_customers
FROM salted
GROUP BY merchant_id
"""

SALTED = Sql(
    id="salted_aggregation",
    prompt="On table txns (txn_id, merchant_id, customer_id, amount), merchants 1 and 2 are hot. Write a two-phase "
           "salted aggregation with columns merchant_id, n_txns, total_amount, n_customers (distinct customers): "
           "phase 1 groups by merchant_id and a salt (4 buckets for the hot merchants, 0 for the others), phase 2 "
           "merges the buckets per merchant.",
    fixtures=_salting_fixture,
    reference=SALTED_REFERENCE,
    rules=(TWO_PHASES, SALTED_FIRST_PHASE, NO_RANDOM_SALT, SPLITS_HOT_MERCHANTS, sqlc.NO_SELECT_STAR),
    mistakes=(
        Mistake(sql=SALTED_REFERENCE.replace("customer_id % 4", "txn_id % 4"),
                says="n_customers counts a customer once per bucket: a salt from txn_id spreads one customer's "
                     "transactions over several buckets. Salt with customer_id, so each customer stays in one."),
        Mistake(sql=SALTED_REFERENCE.replace("sum(n_txns) AS n_txns", "count(*) AS n_txns"),
                says="n_txns counts the buckets of each merchant: phase 2 must add up phase 1's counts, "
                     "sum(n_txns), not count(*)."),
    ),
    hints=(
        "Phase 1 in a CTE: SELECT merchant_id, <salt> AS salt, count(*) ..., sum(amount) ..., count(DISTINCT "
        "customer_id) ... GROUP BY merchant_id, salt. Phase 2: GROUP BY merchant_id over the CTE.",
        "Phase 2 adds up phase-1 results: sum(n_txns), not count(*), which would count buckets.",
        "Distinct customers add up across buckets only if each customer falls in one bucket: salt with "
        "customer_id % 4, not txn_id % 4 or random().",
    ),
    solution=SALTED_REFERENCE.strip(),
    explanation="Phase 1 splits each hot merchant into four groups that different tasks can work on; phase 2 "
                "merges at most four rows per merchant, which is cheap. Counts and sums merge by adding. A distinct "
                "count merges by adding only when the salt keeps each customer in one bucket, so the salt is "
                "derived from customer_id; a salt from txn_id would count a customer once per bucket.",
    covers=("Q9.2",),
)


# --- Exercise: a query that prunes ---------------------------------------------------------

_PARTITIONED: dict = {}


def _pruning_fixture() -> dict:
    from labs.data import transactions
    from labs.engines import duckdb

    query = transactions.sql(3_660, seed=5)  # ten transactions a day
    frame = duckdb().execute(
        f"SELECT txn_id, ts, txn_date, merchant_id, amount, status FROM ({query}) "
        "WHERE txn_date BETWEEN DATE '2024-02-20' AND DATE '2024-03-15' ORDER BY txn_id").df()
    frame["txn_date"] = frame["txn_date"].dt.date  # python dates register as DATE, not TIMESTAMP
    return {"txns": frame}


def _partitioned_fixture() -> Path:
    """The fixture as hive-partitioned Parquet, one folder per day, written once per process."""
    if "folder" not in _PARTITIONED:
        from labs.engines import duckdb
        from labs.partitioning import pruning

        holder = tempfile.TemporaryDirectory(prefix="nb05-pruning-")
        con = duckdb()
        con.register("fixture", PRUNE.fixtures()["txns"])
        folder = pruning.write_partitioned(con, "SELECT * FROM fixture", Path(holder.name) / "txns", "txn_date")
        con.close()
        _PARTITIONED.update(holder=holder, folder=folder)  # the holder deletes the folder at exit
    return _PARTITIONED["folder"]


def _prunes_on_duckdb(tree) -> bool:
    from labs.engines import duckdb
    from labs.partitioning import pruning

    con = duckdb()
    try:
        pruning.duckdb_view(con, _partitioned_fixture(), "txns")
        return pruning.duckdb_scan(con, tree.sql(dialect="duckdb"), analyze=False).prunes
    except Exception:
        return True  # a query DuckDB cannot plan fails when it runs, with the engine's own message
    finally:
        con.close()


def _filters_bare_txn_date(tree) -> bool:
    """txn_date itself compared in WHERE, or in a HAVING of a query grouped by it (engines push that down too)."""
    if sqlc.filters_on_bare_column(tree, "txn_date"):
        return True
    for having in tree.find_all(exp.Having):
        for pred in having.find_all(exp.Predicate):
            for side in (pred.args.get("this"), pred.args.get("expression")):
                if isinstance(side, exp.Column) and side.name.lower() == "txn_date":
                    return True
    return False


FILTERS_ON_TXN_DATE = sqlc.SqlRule(_filters_bare_txn_date, sqlc.filters_on("txn_date").message)

PRUNES_ON_DUCKDB = sqlc.SqlRule(
    _prunes_on_duckdb,
    "On txns stored as one Parquet folder per txn_date, DuckDB's plan for your query opens every folder: compare "
    "txn_date itself with constants (no function around it, no OR with another column, no subquery) so the "
    "engine skips whole days before reading.")

PRUNING_REFERENCE = """
SELECT txn_date, count(*) AS n_txns, sum(amount) AS revenue
FROM txns
WHERE txn_date BETWEEN DATE '2024-03-01' AND DATE '2024-03-07'
  AND status = 'approved'
GROUP BY txn_date
"""

_WEEK = "BETWEEN DATE '2024-03-01' AND DATE '2024-03-07'"
_APPROVED_ONLY = ("Count approved transactions only (status = 'approved'): declined and reversed payments are not "
                  "revenue.")
_INCLUSIVE = ("Both ends are inclusive: 2024-03-01 to 2024-03-07 is seven days, txn_date BETWEEN the two, or "
              ">= the first and < the day after the last.")
PRUNING_MISTAKES = (
    Mistake(sql=PRUNING_REFERENCE.replace("AND status = 'approved'", ""), says=_APPROVED_ONLY),
    Mistake(sql=PRUNING_REFERENCE.replace("status = 'approved'", "status <> 'declined'"), says=_APPROVED_ONLY),
    Mistake(sql=PRUNING_REFERENCE.replace("status = 'approved'", "status <> 'reversed'"), says=_APPROVED_ONLY),
    Mistake(sql=PRUNING_REFERENCE.replace(_WEEK, ">= DATE '2024-03-01' AND txn_date < DATE '2024-03-07'"),
            says=_INCLUSIVE),
    Mistake(sql=PRUNING_REFERENCE.replace(_WEEK, "> DATE '2024-03-01' AND txn_date <= DATE '2024-03-07'"),
            says=_INCLUSIVE),
    Mistake(sql=PRUNING_REFERENCE.replace(_WEEK, "BETWEEN DATE '2024-03-01' AND DATE '2024-03-08'"),
            says=_INCLUSIVE),
    Mistake(sql=PRUNING_REFERENCE.replace(_WEEK, "BETWEEN DATE '2024-02-29' AND DATE '2024-03-07'"),
            says=_INCLUSIVE),
)

PRUNE = Sql(
    id="pruning_query",
    prompt="txns is partitioned by txn_date (one folder per day). Write a query for approved transactions per day "
           "from 2024-03-01 to 2024-03-07 inclusive, columns txn_date, n_txns, revenue (sum of amount), that "
           "prunes: it must skip every other day's folder.",
    fixtures=_pruning_fixture,
    reference=PRUNING_REFERENCE,
    rules=(FILTERS_ON_TXN_DATE, PRUNES_ON_DUCKDB),
    mistakes=PRUNING_MISTAKES,
    hints=(
        "Which column names the folders? Filter on that one, not on ts.",
        "Compare the bare column with constants: txn_date BETWEEN DATE '2024-03-01' AND DATE '2024-03-07'. "
        "month(txn_date) = 3 reads the same rows but hides the column inside a function.",
        "Both ends are inclusive, and only status = 'approved' counts.",
    ),
    solution=PRUNING_REFERENCE.strip(),
    explanation="The engine decides which folders to open from the filter alone, before reading data. A range "
                "on the bare partition column can be checked against each folder name; a filter on ts (a data "
                "column) cannot, so every folder is opened and its row groups tested one by one. Wrapping the "
                "column (month(txn_date)) hides it from DuckDB's pruning, and from many warehouses'; Spark "
                "happens to evaluate such expressions on partition values, but the bare comparison prunes "
                "everywhere.",
    covers=("Q1.5", "Q4.4"),
)


# --- Exercise: scatter-gather an average ---------------------------------------------------

def _single_database_answer() -> pd.DataFrame:
    from labs.data import transactions
    from labs.engines import duckdb
    from labs.partitioning import shards

    query = transactions.sql(shards.DEFAULT_ROWS, shards.DEFAULT_SEED, shards.DEFAULT_SKEW)
    return duckdb().execute(
        f"SELECT status, currency, count(*) AS n_txns, sum(amount) AS total_amount, avg(amount) AS avg_amount "
        f"FROM ({query}) GROUP BY status, currency").df()


def _shard_partials() -> pd.DataFrame:
    """Per shard and group, what one shard's partial aggregate returns (with its own average), from the same rows
    as the notebook's store: row -> shard token(customer_id) % 4, as ``shards.build`` routes them."""
    if "partials" not in _GATHER_CACHE:
        from labs.data import transactions
        from labs.engines import duckdb
        from labs.partitioning import shards

        query = transactions.sql(shards.DEFAULT_ROWS, shards.DEFAULT_SEED, shards.DEFAULT_SKEW)
        con = duckdb()
        try:
            con.execute(f"CREATE TEMP TABLE t AS {query}")
            customers = con.execute("SELECT DISTINCT customer_id FROM t").df()["customer_id"].tolist()
            con.register("routing", pd.DataFrame({"customer_id": customers, "shard": [
                _token(int(c)) % shards.DEFAULT_SHARDS for c in customers]}))
            _GATHER_CACHE["partials"] = con.execute(
                "SELECT shard, status, currency, count(*) AS n, avg(amount) AS shard_avg "
                "FROM t JOIN routing USING (customer_id) GROUP BY ALL").df()
        finally:
            con.close()
    return _GATHER_CACHE["partials"]


_GATHER_CACHE: dict = {}
_GATHER_KEY = ["status", "currency"]


class _GatherTable(Table):
    """The scatter-gather table, with a sentence for each column that holds a known wrong merge."""

    def diagnose(self, result, problem):
        problem = super().diagnose(result, problem)
        names = {str(c).lower(): c for c in result.columns}
        if not all(k in names for k in _GATHER_KEY):
            return problem
        per_group = _shard_partials().groupby(_GATHER_KEY).agg(n_shards=("n", "size"), mean_avg=("shard_avg", "mean"))
        mine = result.rename(columns={v: k for k, v in names.items()})
        try:
            joined = mine.merge(per_group.reset_index(), on=_GATHER_KEY, how="inner")
        except (ValueError, TypeError):
            return problem
        if joined.empty or len(joined) != len(per_group):
            return problem
        said = []
        if "avg_amount" in joined and pd.api.types.is_numeric_dtype(joined["avg_amount"]) and \
                ((joined["avg_amount"] - joined["mean_avg"]).abs() < 0.005 + 1e-9).all():
            said.append("avg_amount is the average of the shards' averages, which weighs a shard of 10 rows like one "
                        "of 10,000: bring back a sum and count from every shard and divide after merging.")
        if "n_txns" in joined and pd.api.types.is_numeric_dtype(joined["n_txns"]) and \
                (joined["n_txns"] == joined["n_shards"]).all():
            said.append("n_txns counts the shards' partial rows (one per shard): sum the shards' counts instead.")
        if not said:
            return problem
        return Problem(" ".join(said), [problem.message, *problem.details])


GATHER = _GatherTable(
    id="scatter_gather",
    prompt="The store holds the transactions in 4 shards. Per status and currency, compute n_txns, total_amount "
           "and avg_amount over all shards: run a partial aggregate on every shard (store.scatter) and merge the "
           "partials in pandas. The answer must equal the single-database result (amounts to the cent, or finer).",
    expected_fn=_single_database_answer,
    decimals={"total_amount": 2, "avg_amount": 2},
    key=("status", "currency"),
    hints=(
        "Each shard returns one row per (status, currency); the same group appears on every shard, so merge by "
        "grouping the concatenated partials again.",
        "Counts and sums add up across shards. Averages do not: a shard with 10 rows and one with 10,000 would "
        "weigh the same.",
        "Return count(*) and sum(amount) from every shard; after merging, avg_amount = total_amount / n_txns.",
    ),
    solution='''partials = pd.concat(store.scatter("""
    SELECT status, currency, count(*) AS n_txns, sum(amount) AS total_amount
    FROM txns GROUP BY status, currency
"""))
gathered = partials.groupby(["status", "currency"], as_index=False)[["n_txns", "total_amount"]].sum()
gathered["avg_amount"] = gathered["total_amount"] / gathered["n_txns"]''',
    explanation="A scatter-gather query can only merge what is mergeable: counts, sums, minima and maxima combine "
                "across shards; an average must travel as (sum, count) and be divided at the end. The same rule "
                "holds for Spark's partial aggregation and for any pre-aggregated rollup: store sums and counts, "
                "never averages.",
    covers=("A8", "Q4.4"),
)


EXERCISES = [MODN, RING, SHARD_KEY, ROW_KEY, SALTED, PRUNE, GATHER]
