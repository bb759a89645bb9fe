"""Exercises of 06-cap-replication: what the answer corpus (tests/answers/nb06.yaml) does not say.

The corpus proves each exercise both ways; these tests pin the spec's shape, the fixtures against
the lab, the expected values against the simulator, and the checks' cost.
"""
import pytest

from exercise_helpers import ExerciseTester
from grader.checkers import sql as sqlc
from grader.specs import nb06_cap_replication as spec
from grader.verdict import Status
from labs.replication import History, stale_reads

T = ExerciseTester("06-cap-replication")


def test_spec_shape_and_covers():
    T.assert_spec_shape(spec.COVERS)


# --- partial_quorum_stale_rate ----------------------------------------------------------------------
def test_the_lab_table_and_the_check_agree():
    """The notebook's staleness table (200 seeds) and any measurement from 100 seeds on are accepted."""
    from labs.replication import experiments, scenarios

    e = T.exercises["partial_quorum_stale_rate"]
    low, high = e.bounds()
    at_8 = scenarios.pbs_curve(gaps=[8]).loc[0, "stale_rate"]
    assert low <= round(at_8, 2) <= high
    for seeds in (range(100), range(100, 200), range(200, 300)):
        assert low <= experiments.measure(*scenarios.pbs_setup(gap=8.0), seeds=seeds)["stale_rate"] <= high


def test_stale_rate_not_attempted_and_not_a_number():
    assert T.verdict("partial_quorum_stale_rate", ...).status is Status.NOT_ATTEMPTED
    assert T.verdict("partial_quorum_stale_rate", "0.67").status is Status.ERROR


# --- quorum_rw -----------------------------------------------------------------------------------
def test_quorum_rw_names_only_the_requirement_that_is_broken():
    v = T.incorrect("quorum_rw", {"r": 1, "w": 2})
    assert len(v.details) == 1 and v.details[0].startswith("no stale reads")
    v = T.incorrect("quorum_rw", {"r": 1, "w": 3})
    assert len(v.details) == 1 and v.details[0].startswith("majority side available")


def test_quorum_rw_check_is_fast_enough():
    """The check runs 100 seeded simulations in the grader's process."""
    import time

    spec._quorum_outcome.cache_clear()
    started = time.process_time()
    T.verdict("quorum_rw", {"r": 2, "w": 2})
    assert time.process_time() - started < 2.0


# --- stale_reads_sql -------------------------------------------------------------------------------
def test_the_sql_fixture_agrees_with_the_lab():
    history = History.from_frame(spec.sql_fixture_history())
    assert sorted(read.op_id for read, _ in stale_reads(history)) == [3, 7, 21]


def test_every_known_mistake_has_a_result_of_its_own():
    """A mistake's sentence is shown when a result equals its result, so no two may collide
    (the fixture has a row for each slip), and none may equal the reference."""
    ex = T.exercises["stale_reads_sql"]
    results = [tuple(sorted(sqlc.run(m.sql, ex._database())["op_id"])) for m in spec.STALE_READS_MISTAKES]
    assert len(set(results)) == len(results)
    assert (3, 7, 21) not in results


def test_stale_reads_sql_errors():
    assert T.verdict("stale_reads_sql", "SELECT op_id FROM histroy").status is Status.ERROR
    assert T.verdict("stale_reads_sql", "SELECT FROM WHERE").status is Status.ERROR


# --- linearizable_histories ---------------------------------------------------------------------------
def test_the_quiz_histories_match_the_answer():
    from labs.replication import check
    from labs.replication.scenarios import quiz_histories

    assert {k for k, h in quiz_histories().items() if check(h).ok} == {"A", "D"}


# --- read_your_writes_router ------------------------------------------------------------------------
def test_router_reference_passes_the_cases_and_the_probe():
    v = T.verdict("read_your_writes_router", spec._lsn_router)
    assert v.correct and v.message == "Your function passes all 3 test cases and 1 behaviour check."


def test_router_stub_is_not_attempted():
    def router(state, request):
        raise NotImplementedError("your code here")

    assert T.verdict("read_your_writes_router", router).status is Status.NOT_ATTEMPTED


# --- pacelc_write_latency -----------------------------------------------------------------------------
def test_pacelc_expected_value_is_one_round_trip_to_eu():
    e = T.exercises["pacelc_write_latency"]
    assert e.expected() == pytest.approx(2 * 85, abs=3)
    low, high = e.bounds()
    assert high - low == pytest.approx(12)
    assert not low <= 80 <= high  # the eu client's figure in the lab's table is not this answer


# --- the notebook claims what it teaches ---------------------------------------------------------
def test_the_notebook_claims_the_ids_its_exercises_cover():
    assert set(T.claimed()) == set(spec.COVERS)
    assert set(T.questions()) == set(spec.COVERS)
