"""Exercises of 01-architecture: what the answer corpus (tests/answers/nb01.yaml) does not say.

The corpus proves each exercise both ways; these tests pin the spec's shape, the fixtures' edge
cases against the checks that rely on them, and the expected values against the lab code.
"""
import pytest

from exercise_helpers import ExerciseTester
from grader.checkers import sql as sqlc
from grader.checkers import tables
from grader.specs import nb01_architecture as spec
from grader.verdict import Status
from labs.architecture import consumers, estimates

T = ExerciseTester("01-architecture")


def test_spec_shape_and_covers():
    T.assert_spec_shape(spec.COVERS)
    assert len(T.exercises) >= 8 and len({e.kind for e in T.exercises.values()}) >= 4


# --- capacity_estimate ----------------------------------------------------------------------------
def test_capacity_is_the_labs_estimate_and_tib_is_outside_the_range():
    e = T.exercises["capacity_estimate"]
    assert e.expected() == pytest.approx(5.4)
    low, high = e.bounds()
    assert not low <= 5.4e12 / 2**40 <= high


# --- batch_or_stream -------------------------------------------------------------------------------
def test_every_boundary_of_the_rule_has_a_row_on_it():
    needs = dict(spec.USE_CASES)
    worst = {i + estimates.BATCH_RUN_S for i in estimates.BATCH_INTERVALS_S}
    assert worst <= set(needs.values())  # a daily and an hourly batch met exactly
    assert 60 + estimates.STREAM_RUN_S in needs.values()  # a trigger met exactly
    assert min(needs.values()) < min(estimates.STREAM_TRIGGERS_S) + estimates.STREAM_RUN_S  # per-event
    assert 86_400 in needs.values()  # a day, which a daily batch does not meet


def test_every_decision_mistake_differs_from_the_reference_and_from_each_other():
    ref = spec._reference_decisions()
    made = [m.table() for m in spec.DECISION_MISTAKES]
    for i, table in enumerate(made):
        assert tables.compare(table, ref, decimals=0) is not None, i
        for other in made[i + 1:]:
            assert tables.compare(table, other, decimals=0) is not None


def test_a_stub_table_is_not_attempted():
    assert T.verdict("batch_or_stream", ...).status is Status.NOT_ATTEMPTED


# --- freshness_sql -----------------------------------------------------------------------------------
def test_the_freshness_fixture_has_every_trap():
    loads = spec.sql_fixture_loads()
    names = set(spec.sql_fixture_datasets()["name"])
    assert names - set(loads["name"])  # a dataset never loaded at all
    ok = loads[loads["status"] == "success"]
    assert names - set(ok["name"]) - (names - set(loads["name"]))  # one with failed loads only
    orders = ok[ok["name"] == "orders"]  # a backfill finished last with older events
    assert orders.sort_values("finished_at")["max_event_time"].is_monotonic_decreasing


def test_every_freshness_mistake_has_a_result_of_its_own():
    ex = T.exercises["freshness_sql"]
    db = ex._database()
    key = lambda frame: tuple(map(tuple, frame.sort_values("name").fillna(-1).round(2).values.tolist()))  # noqa: E731
    reference = key(sqlc.run(spec.FRESHNESS_SQL, db))
    results = [key(sqlc.run(m.sql, db)) for m in spec.FRESHNESS_MISTAKES]
    assert len(set(results)) == len(results) and reference not in results


def test_the_reference_says_which_datasets_breached():
    got = sqlc.run(spec.FRESHNESS_SQL, T.exercises["freshness_sql"]._database()).set_index("name")
    assert got["breached"].to_dict() == {"orders": False, "payments": True, "clicks": False, "refunds": True,
                                         "customers": True}
    assert got.loc["clicks", "staleness_minutes"] == 10  # exactly at its SLA


# --- idempotent_consumer -------------------------------------------------------------------------------
def test_the_consumer_fixture_has_two_alike_events():
    events = spec.consumer_events()
    alike = {(e["customer_id"], e["amount_cents"]) for e in events}
    assert len(alike) < len(events) and len({e["event_id"] for e in events}) == len(events)


def test_the_crash_probe_really_crashes_a_two_write_consumer():
    observed = spec._crash_probe(consumers.idempotent_consumer)
    assert observed["crashes"] == 2 and observed["overcounted_cents"] == 0


def test_consumer_stub_is_not_attempted_and_a_crash_is_the_learners_error():
    def stub(con, event):
        raise NotImplementedError("your code here")

    def broken(con, event):
        con.execute("INSERT INTO nowhere VALUES (1)")

    assert T.verdict("idempotent_consumer", stub).status is Status.NOT_ATTEMPTED
    assert T.verdict("idempotent_consumer", broken).status is Status.ERROR


# --- the cloud numbers ---------------------------------------------------------------------------------
def test_cloud_expected_values_follow_the_price_list():
    from labs.cloud import functions, prices, transfer

    p = prices.load()
    per_call = 0.3 * p["lambda.gb_second"].value + p["lambda.requests_million"].value / 1e6
    assert T.exercises["serverless_break_even"].expected() == pytest.approx(730 * p["vm.node_hour"].value / per_call)
    assert functions.function_cost(T.exercises["serverless_break_even"].expected(), 300, 1.0) == pytest.approx(
        functions.always_on_cost(730))
    assert T.exercises["initial_load_days"].expected() == pytest.approx(150e12 * 8 / 0.8e9 / 86_400)
    assert transfer.device_days(150) < T.exercises["initial_load_days"].expected()  # the prompt's lesson holds


def test_forgetting_the_request_fee_is_outside_the_range():
    e = T.exercises["serverless_break_even"]
    low, high = e.bounds()
    assert not low <= spec._break_even_without_requests() <= high


# --- pipeline_design ------------------------------------------------------------------------------------
GOOD = {"ingestion": "log-based CDC", "log_retention_days": 90, "processing": "stream",
        "delivery": "at-least-once + idempotent sink", "storage": "lakehouse tables",
        "serving": "pre-aggregated key-value table"}


@pytest.mark.parametrize("stage, value, requirement", [
    ("ingestion", "nightly full export", "every change"),
    ("log_retention_days", 89, "replay 90 days"),
    ("log_retention_days", True, "replay 90 days"),
    ("log_retention_days", 90.0, "replay 90 days"),
    ("processing", "nightly batch", "fresh within a minute"),
    ("delivery", "at-most-once", "no double counting"),
    ("storage", "raw JSON files", "history in SQL"),
    ("serving", "query the lake per request", "millisecond lookups"),
])
def test_design_names_only_the_requirement_that_is_broken(stage, value, requirement):
    v = T.incorrect("pipeline_design", {**GOOD, stage: value})
    assert len(v.details) == 1 and v.details[0].startswith(requirement)


def test_design_with_a_missing_stage_says_so():
    design = dict(GOOD)
    del design["serving"]
    assert "no choice for stage 'serving'" in T.feedback("pipeline_design", design)


# --- the notebook claims what it teaches ---------------------------------------------------------------
def test_the_notebook_claims_the_ids_its_exercises_cover():
    assert set(T.claimed()) == set(spec.COVERS)
    assert set(T.questions()) == set(spec.COVERS)
    assert all(where for where in T.questions().values())
