"""05-sharding-partitioning: what the answer corpus (tests/answers/nb05.yaml) cannot check: stubs, the batch
round trip, the fixtures telling every known mistake apart, and the grader's helpers against the lab code."""
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


# Which answers each check accepts and rejects, with the words of their feedback, is in the corpus
# tests/answers/nb05.yaml. The tests here check what a corpus entry cannot: stubs, the batch round
# trip, the fixtures, and the spec's helpers against the lab code they mirror.


def test_stubs_are_not_attempted():
    for exercise in EX:
        assert verdict(exercise, ...).status is Status.NOT_ATTEMPTED, exercise
    assert verdict("consistent_ring", "Ring").status is Status.ERROR


# --- consistent_ring (function with probes) --------------------------------------------------

class SortedRing:
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
        return self.owners[bisect.bisect_left(self.tokens, token(key)) % len(self.owners)]


def test_ring_reference_passes_and_survives_the_batch_round_trip():
    ex = EX["consistent_ring"]
    assert verdict("consistent_ring", spec.ReferenceRing).correct
    v = verdict("consistent_ring", SortedRing)
    assert v.correct and v.message == "Your class passes 5 behaviour checks."
    payload = json.loads(json.dumps(ex.prepare(SortedRing)))  # what batch grading writes and reads
    assert ex.judge(payload).correct


# --- salted_aggregation and pruning_query (sql): the fixtures tell every known mistake apart ---

@pytest.mark.parametrize("exercise", ["salted_aggregation", "pruning_query"])
def test_every_known_mistake_differs_from_the_reference_on_the_fixture(exercise):
    from grader.checkers import sql as sqlc, tables

    ex = EX[exercise]
    assert ex.mistakes
    for mistake in ex.mistakes:
        wrong = sqlc.run(mistake.sql, ex._database())
        assert tables.compare(wrong, ex.prepared_expected(), decimals=ex.decimals) is not None, mistake.says


def test_salted_reference_equals_the_plain_aggregation():
    from grader.checkers import sql as sqlc, tables

    one_phase = ("SELECT merchant_id, count(*) AS n_txns, sum(amount) AS total_amount, "
                 "count(DISTINCT customer_id) AS n_customers FROM txns GROUP BY merchant_id")
    fixtures = spec._salting_fixture()
    assert tables.compare(sqlc.run(one_phase, fixtures), sqlc.run(spec.SALTED_REFERENCE, fixtures)) is None


def test_pruning_fixture_has_non_approved_rows_and_boundary_days_in_the_week():
    frame = spec._pruning_fixture()["txns"]
    week = frame[(frame["txn_date"].astype(str) >= "2024-03-01") & (frame["txn_date"].astype(str) <= "2024-03-07")]
    assert set(week["status"]) >= {"approved", "declined", "reversed"}
    days = set(frame["txn_date"].astype(str))
    assert {"2024-02-29", "2024-03-01", "2024-03-07", "2024-03-08"} <= days


def test_pruning_reference_prunes_on_spark_too(spark):
    from labs.partitioning import pruning

    on_ts = """
    SELECT txn_date, count(*) AS n_txns, sum(amount) AS revenue FROM txns
    WHERE ts >= '2024-03-01' AND ts < '2024-03-08' AND status = 'approved'
    GROUP BY txn_date
    """
    pruning.spark_read(spark, spec._partitioned_fixture()).createOrReplaceTempView("txns")
    assert pruning.spark_scan(spark.sql(spec.PRUNING_REFERENCE)).prunes
    assert not pruning.spark_scan(spark.sql(on_ts)).prunes


# --- scatter_gather (table) ------------------------------------------------------------------

@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return shards.build(tmp_path_factory.mktemp("nb05-shards"))


def test_scatter_gather_grader_routes_rows_as_the_store_does(store):
    """The grader recomputes the shards' partials without the store: they must be the store's own."""
    mine = spec._shard_partials().sort_values(["shard", "status", "currency"]).reset_index(drop=True)
    theirs = pd.concat([frame.assign(shard=i) for i, frame in enumerate(store.scatter(
        "SELECT status, currency, count(*) AS n, avg(amount) AS shard_avg FROM txns GROUP BY ALL"))])
    theirs = theirs.sort_values(["shard", "status", "currency"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(mine[theirs.columns], theirs, check_dtype=False)
