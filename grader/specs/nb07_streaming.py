"""Exercises of 07-streaming: watermarks, late data, exactly-once sinks, consumer commits, latency.

The expected answers come from the lab (``labs.streaming``): the watermark model replays the
same scripted feed the notebook streams through Spark (the lab's tests prove the two agree),
and the sink and consumer exercises run the lab's crash harnesses on the learner's function.
"""
from __future__ import annotations

from functools import lru_cache

import pandas as pd

from grader.kinds import Choice, Function, Number, Table

NOTEBOOK = "07-streaming"
WINDOW, DELAY = "5 minutes", "10 minutes"


@lru_cache(maxsize=1)
def _feed():
    from labs.streaming.feed import make_feed

    return make_feed()


def _run():
    from labs.streaming.watermark import simulate

    return simulate(_feed().batches(), WINDOW, DELAY, dedup_key="event_id")


def _expected_counts() -> pd.DataFrame:
    return _run().counts


def _expected_dropped() -> float:
    return float(len(_run().dropped))


# --- the watermark rule, in plain Python -------------------------------------------------------
def dropped_ids_reference(batches, window_minutes, delay_minutes):
    """Event ids a watermarked tumbling-window count drops, for batches of [event_id, minute].

    Plain Python (fast enough for many generated cases); the tests prove it agrees with
    ``labs.streaming.watermark.simulate``, which the lab's tests prove agrees with Spark.
    """
    watermark, top, dropped = None, None, []
    for batch in batches:
        for event_id, minute in batch:
            window_end = (minute // window_minutes + 1) * window_minutes
            if watermark is not None and window_end <= watermark:
                dropped.append(event_id)
        for _, minute in batch:
            top = minute if top is None else max(top, minute)
        if top is not None:
            watermark = top - delay_minutes if watermark is None else max(watermark, top - delay_minutes)
    return sorted(dropped)


def dropped_ids_by_model(batches, window_minutes, delay_minutes):
    """The same answer from the lab's pandas model (slower; used by the tests)."""
    from labs.streaming.watermark import simulate

    origin = pd.Timestamp("2024-06-01", tz="UTC")
    frames = [pd.DataFrame({"event_id": pd.Series([int(e) for e, _ in b], dtype="int64"),
                            "event_time": pd.to_datetime([origin + pd.Timedelta(minutes=m) for _, m in b], utc=True)})
              for b in batches]
    run = simulate(frames, f"{window_minutes} minutes", f"{delay_minutes} minutes")
    return sorted(int(e) for e in run.dropped["event_id"]) if len(run.dropped) else []


def _generate_batches(rng):
    batches, clock, next_id = [], 0, 1
    for _ in range(rng.randint(2, 5)):
        batch = []
        for _ in range(rng.randint(1, 5)):
            clock += rng.randint(0, 4)
            lag = rng.choice([0, 0, 1, 3, 8, 15, 30])
            batch.append([next_id, max(0, clock - lag)])
            next_id += 1
        batches.append(batch)
    return (batches, rng.choice([5, 10]), rng.choice([0, 5, 10]))


_RULE_CASES = (
    # the watermark moves only after a batch: the 3rd event is not late, the 4th is
    ([[[1, 0], [2, 30]], [[3, 26], [4, 2]]], 5, 10),
    # a late row is kept while its window is still open (window end 25 > watermark 22)
    ([[[1, 32]], [[2, 21]]], 5, 10),
    # window end exactly at the watermark: dropped (<=)
    ([[[1, 30]], [[2, 19], [3, 15]]], 5, 10),
    # inside one batch nothing is late, however out of order
    ([[[1, 60], [2, 1]]], 5, 10),
    # the watermark never moves back
    ([[[1, 40]], [[2, 5]], [[3, 27]]], 5, 10),
)


# --- an idempotent sink ---------------------------------------------------------------------------
def _sink_probe(write_batch) -> dict:
    from labs.streaming.sink import audit, replay_with_crash

    feed = _feed()
    batches = feed.batches()[:-1]  # the heartbeat is not a click
    expected = set(feed.real_events()["event_id"])
    # a stub's NotImplementedError reaches the grader, which reports "not attempted"
    con = replay_with_crash(write_batch, batches, crash_batch=1)
    return audit(con, expected)


def _judge_sink(observed: dict) -> str | None:
    if observed["missing"]:
        return (f"{observed['missing']} events never reached the sink: after the crash batch 1 came again with the "
                "same batch id, and your sink skipped rows it had not stored yet. Skipping a whole batch id is only "
                "safe when its rows were committed in the same transaction as the id.")
    if observed["duplicates"]:
        return (f"The sink holds {observed['duplicates']} surplus copies of events ({observed['rows']} rows): the "
                "replayed half of batch 1 and the producer's retries were written twice. Insert only event_ids "
                "the table does not hold yet (and only once per batch).")
    return None


# --- committing offsets ---------------------------------------------------------------------------
def _consumer_probe(run_consumer) -> dict:
    from labs.streaming.log import crash_test

    return crash_test(run_consumer, n_records=30, crash_at=17)


def _judge_consumer(observed: dict) -> str | None:
    if not observed["crashed"]:
        return "The handler's crash never surfaced: do not swallow exceptions from handle(), let the process die."
    if observed["lost"]:
        return (f"{observed['lost']} of 30 records were never handled: the offsets were committed before the "
                "records were handled, so the restarted consumer skipped them (at-most-once).")
    if observed["twice"] > 5:
        return (f"{observed['twice']} records were handled twice after the restart: commit after every poll, "
                "so a crash repeats at most one poll's records.")
    return None


# --- latency ----------------------------------------------------------------------------------------
def _latency_value() -> float:
    from labs.streaming.latency import mean_latency

    return mean_latency(10.0, 2.0)


EXERCISES = [
    Table(
        id="window_counts",
        prompt="Stream the feed through a 5-minute tumbling-window count in append mode, with a watermark on "
               "event_time and producer retries removed, so that exactly the planted late events are dropped. "
               "Pass the memory sink's table (window_start, window_end, count).",
        expected_fn=_expected_counts,
        hints=("withWatermark('event_time', ...) before the aggregation; dropDuplicatesWithinWatermark(['event_id']) "
               "after it; groupBy(F.window('event_time', '5 minutes')).count().",
               "The watermark delay must be longer than the slowest on-time event (about 3.5 minutes) and much shorter "
               "than the planted lateness (25 minutes or more). The sweep plot in the lab shows the safe range.",
               "Append mode emits a window once the watermark passes its end; the feed's last batch is a heartbeat "
               "far in the future, so every real window is emitted. Select window.start and window.end."),
        solution="counts = (stream.withWatermark('event_time', '10 minutes')\n"
                 "          .dropDuplicatesWithinWatermark(['event_id'])\n"
                 "          .groupBy(F.window('event_time', '5 minutes')).count()\n"
                 "          .select(F.col('window.start').alias('window_start'),\n"
                 "                  F.col('window.end').alias('window_end'), 'count'))",
        explanation="The watermark is the engine's guess of how far event time has progressed, minus the lateness "
                    "it tolerates. Rows behind it are dropped and windows behind it are final, so their state can "
                    "go. Too small a delay drops slow-but-honest events; too large a one keeps state (and delays "
                    "append-mode output) for nothing.",
        covers=("A10", "D4"),
    ),
    Number(
        id="dropped_rows",
        prompt="From your query's progress (recentProgress -> stateOperators), how many rows did the watermark drop "
               "in total?",
        value=_expected_dropped,
        abs_tol=0.0,
        unit="rows",
        hints=("Every progress entry has stateOperators, one per stateful operator, each with "
               "numRowsDroppedByWatermark.",
               "Sum it over all progress entries and all operators: sum(op['numRowsDroppedByWatermark'] for p in "
               "q.recentProgress for op in p['stateOperators'])."),
        solution="dropped_rows = sum(op['numRowsDroppedByWatermark'] for p in q.recentProgress for op in p['stateOperators'])",
        explanation="The de-duplication operator sees raw rows, so it counts each late event. A windowed aggregation "
                    "alone counts rows after partial aggregation: several late events of one window in one batch "
                    "show up as one dropped row, which is why that metric undercounts late events.",
        covers=("A10",),
    ),
    Function(
        id="late_rule",
        prompt="Write dropped_ids(batches, window_minutes, delay_minutes): batches is a list of micro-batches, each a "
               "list of [event_id, event_minute]. Return the sorted ids a tumbling-window count with that watermark "
               "drops, following Spark's rule.",
        reference=dropped_ids_reference,
        cases=_RULE_CASES,
        generate=_generate_batches,
        n_generated=40,
        call_name="dropped_ids",
        hints=("The watermark a batch runs with is computed from the batches before it only: "
               "max(event minute seen so far) - delay, and it never decreases. The first batch runs with no watermark.",
               "A row is dropped when its window's end is at or before the watermark. Its window starts at "
               "minute // window * window.",
               "Loop over batches: first judge the batch's rows against the current watermark, then update the "
               "watermark from the batch's maximum."),
        solution="def dropped_ids(batches, window_minutes, delay_minutes):\n"
                 "    watermark, top, dropped = None, None, []\n"
                 "    for batch in batches:\n"
                 "        for event_id, minute in batch:          # judged with the watermark of earlier batches\n"
                 "            window_end = (minute // window_minutes + 1) * window_minutes\n"
                 "            if watermark is not None and window_end <= watermark:\n"
                 "                dropped.append(event_id)\n"
                 "        for _, minute in batch:                 # then the watermark moves, never back\n"
                 "            top = minute if top is None else max(top, minute)\n"
                 "        if top is not None:\n"
                 "            watermark = top - delay_minutes if watermark is None else max(watermark, top - delay_minutes)\n"
                 "    return sorted(dropped)",
        explanation="Two facts decide it: the watermark moves only between micro-batches (so the same events can be "
                    "late or not depending on how they were batched), and a windowed aggregation judges a row by "
                    "its window's end, not by its own time.",
        covers=("A10", "D4"),
    ),
    Function(
        id="idempotent_sink",
        prompt="Write write_batch(con, rows, batch_id) for a foreachBatch sink into the DuckDB table clicks "
               "(event_id, session_id, event_type, page, device, event_time, batch_id). A crash mid-batch replays "
               "the batch; producers sometimes send an event twice. No duplicate, no lost event.",
        probes=(("crash and replay", _sink_probe, _judge_sink),),
        timeout_s=30.0,
        hints=("A replayed batch has the same batch_id and the same rows; a producer retry has the same event_id in "
               "another batch. The event_id is the key that covers both.",
               "INSERT only rows WHERE event_id NOT IN (SELECT event_id FROM clicks), and keep one row per event_id "
               "inside the batch (QUALIFY row_number() OVER (PARTITION BY event_id ...) = 1).",
               "con.register('incoming', rows) makes the pandas frame a table; wrap the insert in BEGIN/COMMIT so a "
               "crash inside it leaves nothing half-written."),
        solution="def write_batch(con, rows, batch_id):\n"
                 "    con.register('incoming', rows)\n"
                 "    con.execute('BEGIN TRANSACTION')\n"
                 "    con.execute('''INSERT INTO clicks\n"
                 "        SELECT event_id, session_id, event_type, page, device, event_time, ? FROM incoming\n"
                 "        WHERE event_id NOT IN (SELECT event_id FROM clicks)\n"
                 "        QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY event_time) = 1''', [batch_id])\n"
                 "    con.execute('COMMIT')",
        explanation="Spark's checkpoint gives replay, not exactly-once: the sink must turn at-least-once delivery "
                    "into an exactly-once effect. A natural key (event_id) handles replays and producer retries; "
                    "a batch-id ledger handles replays only, and only if it commits with the rows.",
        covers=("A10", "D2", "D4"),
    ),
    Function(
        id="consumer_loop",
        prompt="Write run_consumer(consumer, handle): poll up to 5 records at a time until a poll returns nothing, "
               "call handle(record) on each, and commit so that a crash loses nothing and repeats as little as "
               "possible.",
        probes=(("crash and restart", _consumer_probe, _judge_consumer),),
        hints=("consumer.poll(5) returns a list (empty at the end); consumer.commit() stores the positions of "
               "everything polled so far.",
               "Where the commit sits decides the guarantee: before handling is at-most-once, after is "
               "at-least-once.",
               "while records := consumer.poll(5): handle each, then consumer.commit()."),
        solution="def run_consumer(consumer, handle):\n"
                 "    while records := consumer.poll(5):\n"
                 "        for record in records:\n"
                 "            handle(record)\n"
                 "        consumer.commit()",
        explanation="A committed offset is a promise that everything before it is done. Commit after the work and "
                    "a crash repeats at most the uncommitted poll (at-least-once, made exactly-once by an "
                    "idempotent handler); commit before and a crash silently skips records.",
        covers=("A12", "D2"),
    ),
    Choice(
        id="state_freeing",
        prompt="A windowed count has run for a week. Which set-ups keep its window state bounded? (choose all)",
        options={
            "A": "complete mode with a 10-minute watermark",
            "B": "append mode with a 10-minute watermark",
            "C": "update mode with a 10-minute watermark",
            "D": "update mode without a watermark",
            "E": "complete mode without a watermark",
        },
        correct=("B", "C"),
        multiple=True,
        hints=("Complete mode re-emits every window on every trigger.",
               "To re-emit a window, the engine must keep it: nothing can be dropped, watermark or not."),
        solution="state_freeing = {'B', 'C'}",
        explanation="Append and update modes with a watermark drop a window's state once the watermark passes its "
                    "end. Complete mode must output the whole result each time, so it keeps every window forever "
                    "(the lab's complete-mode query even counts the late events); without a watermark no window "
                    "is ever known to be final.",
        covers=("A10", "D4"),
    ),
    Number(
        id="trigger_latency",
        prompt="Events arrive steadily; a micro-batch query triggers every 10 s and each batch takes 2 s. What is "
               "the mean end-to-end latency of an event, in seconds?",
        value=_latency_value,
        abs_tol=0.5,
        unit="s",
        hints=("An event arrives at a random moment of the interval and waits for the next trigger.",
               "Average wait for the trigger: half the interval. Then the batch's processing time."),
        solution="trigger_latency = 10 / 2 + 2",
        explanation="Micro-batch latency is bounded below by the trigger interval, however fast the cluster is: "
                    "halving the interval halves the wait but adds per-batch overhead (planning, checkpoint "
                    "commits). Below a few hundred milliseconds, per-event engines (Flink, Kafka Streams, "
                    "Spark's real-time or continuous modes) are the tool.",
        covers=("Q9.1", "A3"),
    ),
]
