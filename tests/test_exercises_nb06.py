"""Exercises of 06-cap-replication, both ways: the reference passes, the usual mistakes fail and say why."""
import pytest

from grader.notebook import evaluate, load_exercises
from grader.specs import nb06_cap_replication as spec
from grader.verdict import Status
from labs.replication import History, stale_reads
from labs.replication.scenarios import window_router


@pytest.fixture(scope="module")
def ex():
    return load_exercises("06-cap-replication")


def test_every_exercise_has_hints_solution_explanation_and_covers(ex):
    assert len(ex) >= 6 and len({e.kind for e in ex.values()}) >= 3
    for e in ex.values():
        assert 2 <= len(e.hints) <= 3 and e.solution and e.explanation and e.covers, e.id
        assert set(e.covers) <= {"Q1.3", "A4", "A6"}, e.id


# --- sloppy_stale_rate ------------------------------------------------------------------------
def test_sloppy_stale_rate(ex):
    e = ex["sloppy_stale_rate"]
    assert evaluate(e, (20 - 8) / (20 - 2)).correct
    assert evaluate(e, e.expected()).correct
    v = evaluate(e, 0.0)  # "a quorum system never serves stale data"
    assert v.status is Status.INCORRECT and "below the accepted range" in v.message
    v = evaluate(e, 8 / 18)  # the chance the message has *arrived*, not that it has not
    assert v.status is Status.INCORRECT and "below the accepted range" in v.message
    v = evaluate(e, 66.7)  # a percentage instead of a fraction
    assert v.status is Status.INCORRECT and "above the accepted range" in v.message
    assert evaluate(e, ...).status is Status.NOT_ATTEMPTED


# --- quorum_rw -----------------------------------------------------------------------------------
def test_quorum_rw(ex):
    e = ex["quorum_rw"]
    assert evaluate(e, {"r": 2, "w": 2}).correct
    v = evaluate(e, {"r": 1, "w": 1})  # fast and wrong
    assert v.status is Status.INCORRECT and v.details == [next(r for r in e.requirements if r.name == "no stale reads").name
                                                           + ": " + e.requirements[1].why]
    v = evaluate(e, {"r": 1, "w": 2})  # R + W = N is not enough
    assert "R + W > N" in v.details[0] and len(v.details) == 1
    v = evaluate(e, {"r": 1, "w": 3})  # consistent, but writes need the cut-off replica
    assert v.status is Status.INCORRECT and len(v.details) == 1
    assert v.details[0].startswith("majority side available") and "all 3 replicas" in v.details[0]
    v = evaluate(e, {"r": 4, "w": 2})
    assert v.details[0].startswith("valid quorums: R and W count replicas")
    v = evaluate(e, {"r": 2})
    assert v.message.startswith("Fill every stage") and v.details == ["no choice for stage 'w'"]
    assert evaluate(e, (2, 2)).status is Status.ERROR  # a tuple is not the asked-for dict


def test_quorum_rw_check_is_fast_enough(ex):
    """The check runs 100 seeded simulations in the grader's process."""
    import time

    spec._quorum_outcome.cache_clear()
    started = time.process_time()
    evaluate(ex["quorum_rw"], {"r": 2, "w": 2})
    assert time.process_time() - started < 2.0


# --- stale_reads_sql -------------------------------------------------------------------------------
def test_the_sql_fixture_agrees_with_the_lab():
    history = History.from_frame(spec.sql_fixture_history())
    assert sorted(read.op_id for read, _ in stale_reads(history)) == [3, 7, 21]


MISTAKES = {
    # a refused write counted as if it had overwritten the value
    "refused writes count": (spec.STALE_READS_SQL.replace("w.kind = 'write' AND w.status = 'ok'", "w.kind = 'write'"),
                             ["unexpected: op_id=9"]),
    # comparing values (or versions) instead of real time: overlapping writes may land in either order
    "by value": ("""SELECT r.op_id FROM history r WHERE r.kind = 'read' AND r.status = 'ok'
                    AND coalesce(r.value, 0) < (SELECT max(w.value) FROM history w WHERE w.kind = 'write'
                        AND w.status = 'ok' AND w.key = r.key AND w.response < r.invoke)""",
                 ["unexpected: op_id=6", "unexpected: op_id=13", "unexpected: op_id=15"]),
    # a write that ended while the read was running is concurrent, not earlier
    "read end instead of start": (spec.STALE_READS_SQL.replace("w.response < r.invoke", "w.response < r.response"),
                                  ["unexpected: op_id=18", "unexpected: op_id=17"]),
    # a timed-out write may still land after the later write
    "timed-out source as done": (spec.STALE_READS_SQL.replace("src.status = 'ok' AND ", ""), ["unexpected: op_id=15"]),
    # an inner join drops reads of nothing
    "inner join": (spec.STALE_READS_SQL.replace("LEFT JOIN", "JOIN"), ["missing: op_id=3", "missing: op_id=21"]),
    # a write to another key does not overwrite this one
    "any key": (spec.STALE_READS_SQL.replace("w.status = 'ok' AND w.key = r.key", "w.status = 'ok'"),
                ["unexpected: op_id=20"]),
}


def test_stale_reads_sql_reference_passes(ex):
    v = evaluate(ex["stale_reads_sql"], spec.STALE_READS_SQL)
    assert v.correct and v.message == "Your query returns the right 3 rows."


@pytest.mark.parametrize("mistake", MISTAKES)
def test_stale_reads_sql_mistakes_fail(ex, mistake):
    sql, rows = MISTAKES[mistake]
    v = evaluate(ex["stale_reads_sql"], sql)
    assert v.status is Status.INCORRECT, mistake
    assert v.message.startswith("Your query's result differs")
    assert ("should not be there" if rows[0].startswith("unexpected") else "missing") in v.message
    assert sorted(v.details) == sorted(rows)  # names the very reads the mistake gets wrong


def test_stale_reads_sql_errors(ex):
    assert evaluate(ex["stale_reads_sql"], "SELECT op_id FROM histroy").status is Status.ERROR
    assert evaluate(ex["stale_reads_sql"], "SELECT FROM WHERE").status is Status.ERROR


# --- linearizable_histories ---------------------------------------------------------------------------
def test_linearizable_histories(ex):
    e = ex["linearizable_histories"]
    assert evaluate(e, {"A", "D"}).correct
    v = evaluate(e, {"A"})  # forgot that a timed-out write may land late
    assert v.message == "What you chose is right, but not complete. 1 more option should be chosen."
    v = evaluate(e, {"A", "B", "D"})  # "reads during a write may see anything"
    assert v.message.startswith("B is not right.") and "cannot see the older" in v.details[0]
    v = evaluate(e, {"A", "C", "D"})
    assert v.message.startswith("C is not right.")


def test_the_quiz_histories_match_the_answer():
    from labs.replication import check
    from labs.replication.scenarios import quiz_histories

    assert {k for k, h in quiz_histories().items() if check(h).ok} == {"A", "D"}


# --- read_your_writes_router ------------------------------------------------------------------------
def test_router_reference_passes(ex):
    v = evaluate(ex["read_your_writes_router"], spec._lsn_router)
    assert v.correct and "1 behaviour check" in v.message


def test_router_always_follower_fails_on_the_lagging_case(ex):
    v = evaluate(ex["read_your_writes_router"], lambda state, request: "follower")
    assert v.status is Status.INCORRECT and "returned 'follower'; expected 'leader'" in v.message


def test_router_short_time_window_breaks_read_your_writes(ex):
    v = evaluate(ex["read_your_writes_router"], window_router(100))
    assert v.status is Status.INCORRECT
    assert "reads missed the client's own earlier write (read-your-writes broken)" in v.message
    assert "then read" in v.message  # an example the learner can look up


def test_router_long_time_window_wastes_the_follower(ex):
    v = evaluate(ex["read_your_writes_router"], window_router(300))
    assert v.status is Status.INCORRECT and "of reads were served by the follower" in v.message


def test_router_always_leader_fails(ex):
    v = evaluate(ex["read_your_writes_router"], lambda state, request: "leader")
    assert v.status is Status.INCORRECT and "returned 'leader'; expected 'follower'" in v.message


def test_router_forgetting_clients_that_never_wrote_is_their_error(ex):
    def router(state, request):
        return "follower" if request["follower_lsn"] >= state["last_write_lsn"] else "leader"

    v = evaluate(ex["read_your_writes_router"], router)
    assert v.status is Status.ERROR and "TypeError" in v.message


def test_router_stub_is_not_attempted(ex):
    def router(state, request):
        raise NotImplementedError("your code here")

    assert evaluate(ex["read_your_writes_router"], router).status is Status.NOT_ATTEMPTED


# --- cap_under_partition ------------------------------------------------------------------------------
def test_cap_under_partition(ex):
    e = ex["cap_under_partition"]
    assert evaluate(e, {"A", "B", "D", "G"}).correct
    v = evaluate(e, {"A", "B", "C", "D", "G"})  # "Cassandra is AP, full stop"
    assert v.message == "C is not right." and "per request" in v.details[0]
    v = evaluate(e, {"A", "B", "D", "E", "G"})  # "a single server is CA"
    assert v.message == "E is not right." and "no answer at all" in v.details[0]
    v = evaluate(e, {"A", "D"})  # only CP systems seen as "right"
    assert v.message == "What you chose is right, but not complete. 2 more options should be chosen."


# --- pacelc_write_latency -----------------------------------------------------------------------------
def test_pacelc_write_latency(ex):
    e = ex["pacelc_write_latency"]
    assert evaluate(e, 80).correct
    assert e.expected() == pytest.approx(80, rel=0.05)
    v = evaluate(e, 40)  # one way, not a round trip
    assert v.status is Status.INCORRECT and "below the accepted range" in v.message
    v = evaluate(e, 170)  # waited for every replica
    assert v.status is Status.INCORRECT and "above the accepted range" in v.message
    v = evaluate(e, 1)  # only the local replica
    assert "below the accepted range" in v.message
