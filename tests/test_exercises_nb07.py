"""Exercises of 07-streaming, both ways: the reference passes, the usual mistakes fail and say why."""
import random

import pandas as pd
import pytest

from grader.notebook import evaluate, load_exercises
from grader.specs import nb07_streaming as spec
from grader.verdict import Status
from labs.streaming import sink
from labs.streaming.log import commit_after, commit_before
from labs.streaming.watermark import simulate


@pytest.fixture(scope="module")
def ex():
    return load_exercises("07-streaming")


@pytest.fixture(scope="module")
def batches():
    return spec._feed().batches()


def test_every_exercise_has_hints_solution_explanation_and_covers(ex):
    assert len(ex) >= 6 and len({e.kind for e in ex.values()}) >= 3
    for e in ex.values():
        assert 2 <= len(e.hints) <= 3 and e.solution and e.explanation and e.covers, e.id
        assert set(e.covers) <= {"Q9.1", "A3", "A10", "A12", "D2", "D4"}, e.id


# --- window_counts ---------------------------------------------------------------------------
def test_window_counts(ex, batches):
    e = ex["window_counts"]
    assert evaluate(e, simulate(batches, "5 minutes", "10 minutes", dedup_key="event_id").counts).correct
    assert evaluate(e, simulate(batches, "5 minutes", "5 minutes", dedup_key="event_id").counts).correct
    # no de-duplication: the producer's retries are counted
    v = evaluate(e, simulate(batches, "5 minutes", "10 minutes").counts)
    assert v.status is Status.INCORRECT and "count" in (v.message + " ".join(v.details))
    # a delay shorter than the honest delays drops on-time events too
    v = evaluate(e, simulate(batches, "5 minutes", "30 seconds", dedup_key="event_id").counts)
    assert v.status is Status.INCORRECT and "count" in (v.message + " ".join(v.details))
    # complete mode keeps (and counts) the late events and shows the heartbeat's window
    late = simulate(batches, "5 minutes", "1000 minutes", dedup_key="event_id").kept
    complete = late.groupby(["window_start", "window_end"]).size().rename("count").reset_index()
    v = evaluate(e, complete)
    assert v.status is Status.INCORRECT and "row" in v.message
    assert evaluate(e, ...).status is Status.NOT_ATTEMPTED


def test_a_safe_delay_range_exists(batches):
    """Every delay between 2 and 16 minutes drops exactly the planted late events."""
    late_ids = set(spec._feed().events.query("is_late")["event_id"])
    for minutes in (2, 4, 10, 16):
        dropped = set(simulate(batches, "5 minutes", f"{minutes} minutes", dedup_key="event_id").dropped["event_id"])
        assert dropped == late_ids, minutes


# --- dropped_rows ---------------------------------------------------------------------------------
def test_dropped_rows(ex):
    e = ex["dropped_rows"]
    assert e.expected() == 4
    assert evaluate(e, 4).correct
    v = evaluate(e, 1)  # the aggregation's own metric after partial aggregation: one row per window and batch
    assert v.status is Status.INCORRECT and "below the accepted range" in v.message
    v = evaluate(e, 0)  # complete mode: nothing is ever dropped
    assert v.status is Status.INCORRECT and "below" in v.message
    v = evaluate(e, 7)  # late events plus producer retries: retries are de-duplicated, not dropped as late
    assert v.status is Status.INCORRECT and "above the accepted range" in v.message


# --- late_rule ------------------------------------------------------------------------------------
def test_late_rule_reference_agrees_with_the_model():
    rng = random.Random(5)
    cases = list(spec._RULE_CASES) + [spec._generate_batches(rng) for _ in range(60)]
    for case in cases:
        assert spec.dropped_ids_reference(*case) == spec.dropped_ids_by_model(*case), case


def _rule(watermark_from_current=False, by_event_time=False, strict=False):
    def dropped_ids(batches, window_minutes, delay_minutes):
        watermark, top, dropped = None, None, []
        for batch in batches:
            if watermark_from_current:  # the watermark moving inside the batch
                for _, minute in batch:
                    top = minute if top is None else max(top, minute)
                watermark = top - delay_minutes
            for event_id, minute in batch:
                edge = minute if by_event_time else (minute // window_minutes + 1) * window_minutes
                if watermark is not None and (edge < watermark if strict else edge <= watermark):
                    dropped.append(event_id)
            for _, minute in batch:
                top = minute if top is None else max(top, minute)
            if top is not None:
                watermark = max(watermark if watermark is not None else top - delay_minutes, top - delay_minutes)
        return sorted(dropped)
    return dropped_ids


def test_late_rule(ex):
    e = ex["late_rule"]
    assert evaluate(e, spec.dropped_ids_reference).correct
    v = evaluate(e, _rule(watermark_from_current=True))
    assert v.status is Status.INCORRECT and "dropped_ids([[[1, 0], [2, 30]]" in v.message and "expected [4]" in v.message
    v = evaluate(e, _rule(by_event_time=True))  # judging the row's own time, not its window's end
    assert v.status is Status.INCORRECT and "returned [2]; expected []" in v.message
    v = evaluate(e, _rule(strict=True))  # a window ending exactly at the watermark is already closed
    assert v.status is Status.INCORRECT and "returned []; expected [2, 3]" in v.message
    assert evaluate(e, ...).status is Status.NOT_ATTEMPTED


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


def test_idempotent_sink(ex):
    e = ex["idempotent_sink"]
    assert evaluate(e, sink.idempotent_write).correct
    v = evaluate(e, sink.naive_append)
    assert v.status is Status.INCORRECT and "surplus copies" in v.message
    v = evaluate(e, _skip_seen_batches)
    assert v.status is Status.INCORRECT and "never reached the sink" in v.message
    v = evaluate(e, _distinct_within_batch)
    assert v.status is Status.INCORRECT and "surplus copies" in v.message
    assert evaluate(e, _not_implemented).status is Status.NOT_ATTEMPTED


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


def test_consumer_loop(ex):
    e = ex["consumer_loop"]
    assert evaluate(e, commit_after).correct
    v = evaluate(e, commit_before)
    assert v.status is Status.INCORRECT and "never handled" in v.message and "at-most-once" in v.message
    v = evaluate(e, _never_commits)
    assert v.status is Status.INCORRECT and "handled twice" in v.message
    v = evaluate(e, _swallows_errors)
    assert v.status is Status.INCORRECT and "never surfaced" in v.message


# --- state_freeing ----------------------------------------------------------------------------------
def test_state_freeing(ex):
    e = ex["state_freeing"]
    assert evaluate(e, {"B", "C"}).correct
    v = evaluate(e, {"A", "B", "C"})  # "a watermark always frees state"
    assert v.status is Status.INCORRECT and "A is not right" in v.message and "complete" in v.details[0]
    v = evaluate(e, "B")  # forgets update mode
    assert v.status is Status.INCORRECT and "not complete" in v.message
    assert evaluate(e, "Z").status is Status.ERROR


# --- trigger_latency ----------------------------------------------------------------------------------
def test_trigger_latency(ex):
    e = ex["trigger_latency"]
    assert evaluate(e, 7.0).correct
    v = evaluate(e, 12.0)  # a whole interval of waiting
    assert v.status is Status.INCORRECT and "above the accepted range" in v.message
    v = evaluate(e, 2.0)  # processing time only
    assert v.status is Status.INCORRECT and "below the accepted range" in v.message
