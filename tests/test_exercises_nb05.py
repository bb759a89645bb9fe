"""05-sharding-partitioning, every exercise both ways: the reference passes, the mistakes learners
really make fail with a message that says what is wrong."""
from __future__ import annotations

import bisect
import json

import pandas as pd
import pytest

from exercise_helpers import ExerciseTester
from grader.specs import nb05_sharding_partitioning as spec
from grader.verdict import Status
from labs.partitioning import shards
from labs.partitioning.hashing import token

NOTEBOOK = "05-sharding-partitioning"
T = ExerciseTester(NOTEBOOK)
EX = T.exercises
verdict, incorrect = T.verdict, T.incorrect


# --- the spec itself -------------------------------------------------------------------------

def test_spec_shape():
    T.assert_spec_shape(spec.COVERS)


# --- modn_moved_fraction (number) ------------------------------------------------------------

def test_modn_moved_fraction_both_ways():
    assert verdict("modn_moved_fraction", 0.8).correct
    assert verdict("modn_moved_fraction", 0.7999).correct
    # The consistent-hashing figure, 1/(N+1), is the classic mix-up.
    assert "below the accepted range" in incorrect("modn_moved_fraction", 0.2).message
    assert "below the accepted range" in incorrect("modn_moved_fraction", 0.25).message
    assert "above the accepted range" in incorrect("modn_moved_fraction", 80).message  # a percentage
    assert verdict("modn_moved_fraction", "0.8").status is Status.ERROR
    assert verdict("modn_moved_fraction", ...).status is Status.NOT_ATTEMPTED


# --- consistent_ring (function with probes) --------------------------------------------------

class SortedRing:
    """The learner's usual shape: parallel sorted lists; subclasses plant one mistake each."""

    def __init__(self, nodes, vnodes=64):
        self.vnodes = vnodes
        self.tokens, self.owners = [], []
        for node in nodes:
            self.add(node)

    def position(self, text):
        return token(text)

    def add(self, node):
        for i in range(self.vnodes):
            t = self.position(f"{node}#{i}")
            at = bisect.bisect_left(self.tokens, t)
            self.tokens.insert(at, t)
            self.owners.insert(at, node)

    def remove(self, node):
        kept = [(t, o) for t, o in zip(self.tokens, self.owners) if o != node]
        self.tokens = [t for t, _ in kept]
        self.owners = [o for _, o in kept]

    def index(self, key):
        return bisect.bisect_left(self.tokens, self.position(key))

    def node_for(self, key):
        return self.owners[self.index(key) % len(self.owners)]


class PythonHashRing(SortedRing):
    def position(self, text):
        return hash(text) % 2**64


class ModNRing:
    def __init__(self, nodes, vnodes=64):
        self.nodes = list(nodes)

    def add(self, node):
        self.nodes.append(node)

    def remove(self, node):
        self.nodes.remove(node)

    def node_for(self, key):
        return self.nodes[token(key) % len(self.nodes)]


class NoWrapRing(SortedRing):
    def node_for(self, key):
        return self.owners[self.index(key)]


class ClampedRing(SortedRing):
    def node_for(self, key):
        return self.owners[min(self.index(key), len(self.owners) - 1)]


class BisectRightRing(SortedRing):
    def index(self, key):
        return bisect.bisect_right(self.tokens, self.position(key))


class OneTokenPerNodeRing(SortedRing):
    def add(self, node):
        t = self.position(node)
        at = bisect.bisect_left(self.tokens, t)
        self.tokens.insert(at, t)
        self.owners.insert(at, node)


class LazyRemoveRing(SortedRing):
    def remove(self, node):
        at = self.owners.index(node)  # removes one virtual node only
        del self.tokens[at], self.owners[at]


class VnodeNameRing(SortedRing):
    def add(self, node):
        for i in range(self.vnodes):
            t = self.position(f"{node}-{i}")
            at = bisect.bisect_left(self.tokens, t)
            self.tokens.insert(at, t)
            self.owners.insert(at, node)


def test_ring_reference_passes_and_survives_the_batch_round_trip():
    ex = EX["consistent_ring"]
    assert verdict("consistent_ring", spec.ReferenceRing).correct
    assert verdict("consistent_ring", SortedRing).correct
    payload = json.loads(json.dumps(ex.prepare(SortedRing)))  # what batch grading writes and reads
    assert ex.judge(payload).correct


@pytest.mark.parametrize("ring, expected", [
    (PythonHashRing, "Python's hash seed changes"),
    (ModNRing, "Adding a fifth node moved 81% of the keys, as hash-mod-N does"),
    (ClampedRing, "past the last virtual node: it wraps around"),
    (BisectRightRing, "equals a virtual node's token"),
    (OneTokenPerNodeRing, "The load does not even out as virtual nodes grow"),
    (LazyRemoveRing, "After remove('c'), node_for still sends"),
    (VnodeNameRing, "with vnode i of node n at token(f'{n}#{i}')"),
])
def test_ring_mistakes_are_named(ring, expected):
    assert expected in incorrect("consistent_ring", ring).message


def test_ring_without_wrap_around_is_the_learners_error():
    v = verdict("consistent_ring", NoWrapRing)
    assert v.status is Status.ERROR and "IndexError" in v.message


def test_ring_stub_is_not_attempted():
    assert verdict("consistent_ring", ...).status is Status.NOT_ATTEMPTED
    assert verdict("consistent_ring", "Ring").status is Status.ERROR


# --- shard_key_choice and row_key_design (choices) -------------------------------------------

def test_shard_key_choice_both_ways():
    assert verdict("shard_key_choice", "B").correct
    v = incorrect("shard_key_choice", "C")
    assert v.message == "C is not right." and "scatter-gather" in v.details[0]
    v = incorrect("shard_key_choice", "A")
    assert "hot spot" in v.details[0]
    assert verdict("shard_key_choice", {"B", "C"}).status is Status.ERROR  # one option only


def test_row_key_design_both_ways():
    assert verdict("row_key_design", {"B", "C"}).correct
    v = incorrect("row_key_design", {"C"})
    assert v.message == "What you chose is right, but not complete. 1 more option should be chosen."
    v = incorrect("row_key_design", {"A", "B"})
    assert v.message.startswith("A is not right.") and "hot spot" in v.details[0]
    v = incorrect("row_key_design", {"B", "C", "D"})
    assert "full scan" in v.details[0]


# --- salted_aggregation (sql) ----------------------------------------------------------------

ONE_PHASE = """
SELECT merchant_id, count(*) AS n_txns, sum(amount) AS total_amount, count(DISTINCT customer_id) AS n_customers
FROM txns GROUP BY merchant_id
"""

SALT_BY_TXN = spec.SALTED_REFERENCE.replace("customer_id % 4", "txn_id % 4")
COUNTS_BUCKETS = spec.SALTED_REFERENCE.replace("sum(n_txns) AS n_txns", "count(*) AS n_txns")
NO_MERGE = """
SELECT merchant_id, count(*) AS n_txns, sum(amount) AS total_amount, count(DISTINCT customer_id) AS n_customers
FROM txns
GROUP BY merchant_id, CASE WHEN merchant_id IN (1, 2) THEN customer_id % 4 ELSE 0 END
"""


def test_salted_reference_equals_the_plain_aggregation():
    assert verdict("salted_aggregation", spec.SALTED_REFERENCE).correct
    from grader.checkers import sql as sqlc, tables

    fixtures = spec._salting_fixture()
    assert tables.compare(sqlc.run(ONE_PHASE, fixtures), sqlc.run(spec.SALTED_REFERENCE, fixtures)) is None


def test_salted_aggregation_mistakes():
    assert incorrect("salted_aggregation", ONE_PHASE).message == spec.TWO_PHASES.message
    assert incorrect("salted_aggregation", NO_MERGE).message == spec.TWO_PHASES.message
    v = incorrect("salted_aggregation", SALT_BY_TXN)  # a customer counted once per bucket
    assert v.message.startswith("Your query's result differs") and any("n_customers=" in d for d in v.details)
    v = incorrect("salted_aggregation", COUNTS_BUCKETS)
    assert v.message.startswith("Your query's result differs")
    star = "WITH s AS (SELECT *, txn_id % 4 AS salt FROM txns) " + ONE_PHASE.replace("FROM txns", "FROM s")
    assert spec.TWO_PHASES.message in incorrect("salted_aggregation", star).message


# --- pruning_query (sql + plan) --------------------------------------------------------------

ON_TS = """
SELECT txn_date, count(*) AS n_txns, sum(amount) AS revenue FROM txns
WHERE ts >= '2024-03-01' AND ts < '2024-03-08' AND status = 'approved'
GROUP BY txn_date
"""
WRAPPED = """
SELECT txn_date, count(*) AS n_txns, sum(amount) AS revenue FROM txns
WHERE month(txn_date) = 3 AND day(txn_date) <= 7 AND status = 'approved'
GROUP BY txn_date
"""
SUBQUERY = """
SELECT txn_date, count(*) AS n_txns, sum(amount) AS revenue FROM txns
WHERE txn_date IN (SELECT txn_date FROM txns WHERE ts >= '2024-03-01' AND ts < '2024-03-08') AND status = 'approved'
GROUP BY txn_date
"""
OFF_BY_ONE = spec.PRUNING_REFERENCE.replace("BETWEEN DATE '2024-03-01' AND DATE '2024-03-07'",
                                            ">= DATE '2024-03-01' AND txn_date < DATE '2024-03-07'")
ALL_STATUSES = spec.PRUNING_REFERENCE.replace("AND status = 'approved'", "")


def test_pruning_query_reference_passes():
    assert verdict("pruning_query", spec.PRUNING_REFERENCE).correct
    assert verdict("pruning_query", spec.PRUNING_REFERENCE.replace(
        "BETWEEN DATE '2024-03-01' AND DATE '2024-03-07'", ">= '2024-03-01' AND txn_date < '2024-03-08'")).correct


def test_pruning_query_results_that_are_right_but_do_not_prune():
    from grader.checkers import sql as sqlc

    rule = sqlc.filters_on("txn_date").message
    v = incorrect("pruning_query", ON_TS)  # the same rows, read from every folder
    assert v.message == rule and v.details == [spec.PRUNES_ON_DUCKDB.message]
    assert incorrect("pruning_query", WRAPPED).message == rule
    assert incorrect("pruning_query", SUBQUERY).message == spec.PRUNES_ON_DUCKDB.message


def test_pruning_query_wrong_results():
    assert incorrect("pruning_query", OFF_BY_ONE).message.startswith("Your query's result differs: Your table has 6 rows")
    assert incorrect("pruning_query", ALL_STATUSES).message.startswith("Your query's result differs")
    assert verdict("pruning_query", "SELECT txn_date FROM txns_by_day WHERE txn_date = '2024-03-01'").status \
        is Status.ERROR


def test_pruning_reference_prunes_on_spark_too(spark):
    from labs.partitioning import pruning

    pruning.spark_read(spark, spec._partitioned_fixture()).createOrReplaceTempView("txns")
    assert pruning.spark_scan(spark.sql(spec.PRUNING_REFERENCE)).prunes
    assert not pruning.spark_scan(spark.sql(ON_TS)).prunes


# --- scatter_gather (table) ------------------------------------------------------------------

@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return shards.build(tmp_path_factory.mktemp("nb05-shards"))


PARTIAL = "SELECT status, currency, count(*) AS n_txns, sum(amount) AS total_amount FROM txns GROUP BY status, currency"


def test_scatter_gather_reference_passes(store):
    partials = pd.concat(store.scatter(PARTIAL))
    gathered = partials.groupby(["status", "currency"], as_index=False)[["n_txns", "total_amount"]].sum()
    gathered["avg_amount"] = gathered["total_amount"] / gathered["n_txns"]
    assert verdict("scatter_gather", gathered).correct


def test_scatter_gather_mistakes(store):
    with_avg = pd.concat(store.scatter(PARTIAL.replace("FROM", ", avg(amount) AS avg_amount FROM")))
    keys = ["status", "currency"]
    average_of_averages = with_avg.groupby(keys, as_index=False).agg(
        n_txns=("n_txns", "sum"), total_amount=("total_amount", "sum"), avg_amount=("avg_amount", "mean"))
    v = incorrect("scatter_gather", average_of_averages)
    assert v.message.startswith("Column avg_amount is wrong in") and "n_txns" not in v.message

    v = incorrect("scatter_gather", with_avg)  # the partials, never merged
    assert "keys appear more than once in your table (key: status, currency)" in v.message

    counted_shards = with_avg.groupby(keys, as_index=False).agg(
        n_txns=("n_txns", "size"), total_amount=("total_amount", "sum"), avg_amount=("avg_amount", "mean"))
    assert incorrect("scatter_gather", counted_shards).message.startswith("Column n_txns is wrong in 9 rows")
    assert "missing column(s) avg_amount" in incorrect("scatter_gather", with_avg.drop(columns="avg_amount")
                                                        .groupby(keys, as_index=False).sum()).message
    assert verdict("scatter_gather", ...).status is Status.NOT_ATTEMPTED
