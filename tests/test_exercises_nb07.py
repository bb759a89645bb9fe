"""Exercises of 07-streaming, both ways: the reference passes, the usual mistakes fail and say why."""
import random
import re

import pytest

from exercise_helpers import ExerciseTester
from grader.specs import nb07_streaming as spec
from grader.verdict import Status
from labs.streaming import sink
from labs.streaming.log import commit_after, commit_before
from labs.streaming.watermark import simulate

T = ExerciseTester("07-streaming")


@pytest.fixture(scope="module")
def batches():
    return spec._feed().batches()


def test_spec_shape_and_covers():
    T.assert_spec_shape(spec.COVERS)


# --- window_counts ---------------------------------------------------------------------------
def test_window_counts(batches):
    assert T.verdict("window_counts", simulate(batches, "5 minutes", "10 minutes", dedup_key="event_id").counts).correct
    assert T.verdict("window_counts", simulate(batches, "5 minutes", "5 minutes", dedup_key="event_id").counts).correct
    # no de-duplication: the producer's retries are counted
    v = T.verdict("window_counts", simulate(batches, "5 minutes", "10 minutes").counts)
    assert v.status is Status.INCORRECT and "count" in (v.message + " ".join(v.details))
    # a delay shorter than the honest delays drops on-time events too
    v = T.verdict("window_counts", simulate(batches, "5 minutes", "30 seconds", dedup_key="event_id").counts)
    assert v.status is Status.INCORRECT and "count" in (v.message + " ".join(v.details))
    # complete mode keeps (and counts) the late events and shows the heartbeat's window
    late = simulate(batches, "5 minutes", "1000 minutes", dedup_key="event_id").kept
    complete = late.groupby(["window_start", "window_end"]).size().rename("count").reset_index()
    v = T.verdict("window_counts", complete)
    assert v.status is Status.INCORRECT and "row" in v.message
    assert T.verdict("window_counts", ...).status is Status.NOT_ATTEMPTED


def test_a_safe_delay_range_exists(batches):
    """Every delay in the safe range drops exactly the planted late events; hint 2 quotes its ends."""
    late_ids = set(spec._feed().events.query("is_late")["event_id"])
    shortest, longest = spec.SAFE_DELAYS
    for minutes in (shortest, 4, 10, longest):
        dropped = set(simulate(batches, "5 minutes", f"{minutes * 60:g} seconds", dedup_key="event_id").dropped["event_id"])
        assert dropped == late_ids, minutes
    for minutes in (1, longest + 1):  # just outside: an on-time event dropped, a late one kept
        dropped = set(simulate(batches, "5 minutes", f"{minutes * 60:g} seconds", dedup_key="event_id").dropped["event_id"])
        assert dropped != late_ids, minutes
    assert f"from {shortest:g} to {longest:g} minutes" in T.exercises["window_counts"].hints[1]


def test_window_counts_names_the_usual_mistakes(batches):
    v = T.verdict("window_counts", simulate(batches, "5 minutes", "10 minutes").counts)  # no de-duplication
    assert "retries were counted" in v.message
    v = T.verdict("window_counts", simulate(batches, "5 minutes", "45 seconds", dedup_key="event_id").counts)
    assert "On-time events were dropped" in v.message and v.details  # the row diff follows the sentence
    v = T.verdict("window_counts", simulate(batches, "5 minutes", "25 minutes", dedup_key="event_id").counts)
    assert "late events were counted" in v.message


def test_window_counts_sees_unbounded_dedup_state(batches, tmp_path):
    """The state check works on the payload a query gives, without Spark: the rows alone cannot tell."""
    e = T.exercises["window_counts"]
    rows = simulate(batches, "5 minutes", "10 minutes", dedup_key="event_id").counts
    unbounded = e.prepare(rows).copy()
    unbounded.attrs = {"state": {"operators": ["stateStoreSave", "dedupe"], "dedup_rows": 224}}
    v = e.judge(unbounded)
    assert v.status is Status.INCORRECT and "224 event ids" in v.message and "never forgets" in v.message
    e.dump(unbounded, tmp_path)  # batch grading moves the state with the rows
    assert e.judge(e.load(tmp_path)).status is Status.INCORRECT
    bounded = e.prepare(rows).copy()
    bounded.attrs = {"state": {"operators": ["stateStoreSave", "dedupeWithinWatermark"], "dedup_rows": 1}}
    v = e.judge(bounded)
    assert v.correct and "bounded by the watermark" in v.message
    assert T.verdict("window_counts", rows).correct  # a plain table is judged on its rows


# --- dropped_rows ---------------------------------------------------------------------------------
def test_dropped_rows():
    e = T.exercises["dropped_rows"]
    assert e.expected() == 4
    assert T.verdict("dropped_rows", 4).correct
    # the aggregation's own metric after partial aggregation: one row per window and batch
    v = T.verdict("dropped_rows", 1)
    assert v.status is Status.INCORRECT and "below the accepted range" in v.message and "raw rows" in v.message
    v = T.verdict("dropped_rows", 0)  # lastProgress only, or the aggregation's operator only
    assert v.status is Status.INCORRECT and "below" in v.message and "every operator" in v.message
    # late events plus producer retries: retries are de-duplicated, not dropped as late
    v = T.verdict("dropped_rows", 7)
    assert v.status is Status.INCORRECT and "above the accepted range" in v.message and "retries" in v.message


# --- late_rule ------------------------------------------------------------------------------------
def test_late_rule_reference_agrees_with_the_model():
    rng = random.Random(5)
    cases = list(spec._RULE_CASES) + [spec._generate_batches(rng) for _ in range(60)]
    assert any([] in c[0] for c in cases) and any(all(c[0]) and len(c[0]) > 1 for c in cases)
    for case in cases:
        assert spec.dropped_ids_reference(*case) == spec.dropped_ids_by_model(*case), case


def test_late_rule_cases_tell_every_known_mistake_from_the_rule():
    """Each known wrong rule fails a fixed case (so the learner sees a case), and gets its own sentence."""
    for wrong, says in spec.RULE_MISTAKES:
        assert any(wrong(*case) != spec.dropped_ids_reference(*case) for case in spec._RULE_CASES), says
        v = T.verdict("late_rule", wrong)
        assert v.status is Status.INCORRECT and v.message == says and "expected" in v.details[0], says


def test_late_rule():
    assert T.verdict("late_rule", spec.dropped_ids_reference).correct
    legacy = T.verdict("late_rule", spec.RULE_MISTAKES[0][0])
    assert "before Spark 3.4" in legacy.message
    assert "dropped_ids([[[1, 0], [2, 30]], [[3, 26], [4, 2]]], 5, 10) returned [4]; expected []" in legacy.details[0]
    assert T.verdict("late_rule", ...).status is Status.NOT_ATTEMPTED


# --- idempotent_sink ------------------------------------------------------------------------------
def _skip_seen_batches(con, rows, batch_id):
    """Idempotent by batch id, but the ledger is not in the rows' transaction."""
    if con.execute("SELECT count(*) FROM clicks WHERE batch_id = ?", [batch_id]).fetchall()[0][0]:
        return
    sink.naive_append(con, rows, batch_id)


def _distinct_within_batch(con, rows, batch_id):
    sink.naive_append(con, rows.drop_duplicates("event_id"), batch_id)


def _not_implemented(con, rows, batch_id):
    raise NotImplementedError("your code here")


def test_idempotent_sink():
    assert T.verdict("idempotent_sink", sink.idempotent_write).correct
    v = T.verdict("idempotent_sink", sink.naive_append)
    assert v.status is Status.INCORRECT and "surplus copies" in v.message and "after your function returned" in v.message
    # replays absorbed by the batch check; the retry in the next batch is not
    v = T.verdict("idempotent_sink", _skip_seen_batches)
    assert v.status is Status.INCORRECT and "in another batch" in v.message
    v = T.verdict("idempotent_sink", _distinct_within_batch)
    assert v.status is Status.INCORRECT and "surplus copies" in v.message
    assert T.verdict("idempotent_sink", _not_implemented).status is Status.NOT_ATTEMPTED


def test_the_feed_has_a_retry_in_the_next_batch():
    """Without it, a sink idempotent by batch id alone would pass: its retries would all share a batch."""
    ev = spec._feed().events
    batch_of = ev[~ev["is_duplicate"]].set_index("event_id")["batch"]
    retries = ev[ev["is_duplicate"]]
    assert (retries["batch"].to_numpy() != batch_of[retries["event_id"]].to_numpy()).any()


def test_sink_crashes_before_every_statement(batches):
    ids = set(spec._feed().real_events()["event_id"])
    points = sink.crash_points(sink.idempotent_write, batches[:-1], 1, ids)
    assert [p["statement"] for p in points] == [None, 1, 2, 3] and points[3]["before"] == "COMMIT"
    assert all(p["missing"] == 0 and p["duplicates"] == 0 and not p["swallowed"] for p in points)


# --- consumer_loop --------------------------------------------------------------------------------
def _never_commits(consumer, handle):
    while records := consumer.poll(5):
        for record in records:
            handle(record)


def _swallows_errors(consumer, handle):
    while records := consumer.poll(5):
        for record in records:
            try:
                handle(record)
            except Exception:
                pass
        consumer.commit()


def _commits_each_record(consumer, handle):
    while records := consumer.poll(5):
        for record in records:
            handle(record)
            consumer.commit()


def test_consumer_loop():
    assert T.verdict("consumer_loop", commit_after).correct
    v = T.verdict("consumer_loop", _commits_each_record)  # the same records lost as commit_before, another mistake
    assert v.status is Status.INCORRECT and "whole poll" in v.message and "at-most-once" not in v.message
    v = T.verdict("consumer_loop", commit_before)
    assert v.status is Status.INCORRECT and "never handled" in v.message and "at-most-once" in v.message
    v = T.verdict("consumer_loop", _never_commits)
    assert v.status is Status.INCORRECT and "handled twice" in v.message
    v = T.verdict("consumer_loop", _swallows_errors)
    assert v.status is Status.INCORRECT and "never surfaced" in v.message


# --- state_freeing ----------------------------------------------------------------------------------
def test_state_freeing():
    assert T.verdict("state_freeing", {"B", "C"}).correct
    v = T.verdict("state_freeing", {"A", "B", "C"})  # "a watermark always frees state"
    assert v.status is Status.INCORRECT and "A is not right" in v.message and "complete" in v.details[0]
    v = T.verdict("state_freeing", "B")  # forgets update mode
    assert v.status is Status.INCORRECT and "not complete" in v.message
    assert T.verdict("state_freeing", "Z").status is Status.ERROR


# --- trigger_latency ----------------------------------------------------------------------------------
def test_trigger_latency():
    assert T.verdict("trigger_latency", 7.0).correct
    v = T.verdict("trigger_latency", 12.0)  # a whole interval of waiting
    assert v.status is Status.INCORRECT and "above the accepted range" in v.message
    v = T.verdict("trigger_latency", 2.0)  # processing time only
    assert v.status is Status.INCORRECT and "below the accepted range" in v.message


def test_question_table_names_the_exercises_that_cover_each_id():
    """The notebook's Interview questions table, its metadata and the specs' covers say the same."""
    rows = {qid: set(re.findall(r"`([a-z_]+)`", where)) for qid, where in T.questions().items()}
    assert set(rows) == set(T.claimed())
    for qid, named in rows.items():
        assert named == {e.id for e in T.exercises.values() if qid in e.covers}, qid
