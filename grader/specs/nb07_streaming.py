"""Exercises of 07-streaming: watermarks, late data, exactly-once sinks, consumer commits, latency.

The expected answers come from the lab (``labs.streaming``): the watermark model replays the
same scripted feed the notebook streams through Spark (the lab's tests show the two agree on
this feed, and that the plain-Python rule of ``late_rule`` agrees with Spark itself), and the
sink and consumer exercises run the lab's crash harnesses on the learner's function.

    >>> [ex.id for ex in EXERCISES]
    ['window_counts', 'dropped_rows', 'late_rule', 'idempotent_sink', 'consumer_loop',
     'state_freeing', 'trigger_latency']
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import pandas as pd

from grader.checkers import Problem
from grader.checkers import functions as fnc
from grader.errors import LearnerError
from grader.kinds import Choice, Function, Mistake, Number, Table
from grader.verdict import Status

NOTEBOOK = "07-streaming"
COVERS = ("Q9.1", "A3", "A10", "A12", "D2", "D4")  # the question ids the exercises prepare for

WINDOW, DELAY = "5 minutes", "10 minutes"
SAFE_DELAYS = (1.5, 16)  # minutes: the shortest and longest delay the lab's sweep finds safe (hint 2 quotes them)
SINK_CRASH_BATCH = 1
CONSUMER_RECORDS, CONSUMER_CRASH_AT, POLL = 30, 17, 5


@lru_cache(maxsize=1)
def scripted_feed():
    """The lab's scripted feed (built once): the events every expected answer here is computed from."""
    from labs.streaming.feed import make_feed

    return make_feed()


_feed = scripted_feed  # the name tests used before


def _run(delay=DELAY, dedup_key="event_id", window=WINDOW):
    from labs.streaming.watermark import simulate

    return simulate(scripted_feed().batches(), window, delay, dedup_key=dedup_key)


def _expected_counts() -> pd.DataFrame:
    return _run().counts


def _expected_dropped() -> float:
    return float(len(_run().dropped))


# --- window_counts: the rows, and the state the query keeps ------------------------------------
DEDUP_OPERATORS = ("dedupe", "dedupeWithinWatermark")
BOUNDED_STATE_ROWS = 5  # after the heartbeat, a bounded de-duplication keeps the heartbeat's id at most


def _complete_mode(dedup_key):
    kept = _run("1000 minutes" if dedup_key is None else DELAY, dedup_key).kept
    counts = kept.groupby(["window_start", "window_end"]).size().rename("count").reset_index()
    for column in ("window_start", "window_end"):
        counts[column] = counts[column].dt.tz_localize(None)
    return counts


def _delay_mistakes() -> tuple[Mistake, ...]:
    """A sentence for every table a too-short or too-long watermark delay gives (the lab's sweep)."""
    expected = _expected_counts()
    late_ids = set(scripted_feed().events.loc[scripted_feed().events["is_late"], "event_id"])
    short = ("On-time events were dropped: the watermark delay is shorter than how far honest events trail the "
             "stream (up to 3 minutes here), so the watermark overtook them. The lab's sweep shows the safe range.")
    long = ("Some planted late events were counted: with so long a delay their window was still open when they "
            "arrived 25 minutes late. The lab's sweep shows the safe range.")
    out, seen = [], []
    for seconds in range(0, 40 * 60 + 1, 30):
        run = _run(f"{seconds} seconds")
        if run.counts.equals(expected) or any(run.counts.equals(t) for t in seen):
            continue
        seen.append(run.counts)
        dropped = set(run.dropped["event_id"]) if len(run.dropped) else set()
        says = short if dropped - late_ids else long
        out.append(Mistake(says, table=lambda counts=run.counts: counts))
    return tuple(out)


@lru_cache(maxsize=1)
def _window_mistakes() -> tuple[Mistake, ...]:
    retries = ("The producer's retries were counted: an event sent twice has the same event_id, and a count "
               "without de-duplication sees it twice. Drop duplicates on event_id (within the watermark).")
    complete = ("This is what complete mode shows: every window, the heartbeat's too, which append mode never "
                "emits because no later event moves the watermark past it. Start the query in append mode.")
    return (Mistake(retries, table=lambda: _run(DELAY, None).counts),
            Mistake(complete, table=lambda: _complete_mode("event_id")),
            Mistake(complete, table=lambda: _complete_mode(None)),
            *_delay_mistakes())


def _is_query(answer) -> bool:
    return all(hasattr(answer, a) for a in ("recentProgress", "lastProgress", "name", "processAllAvailable"))


def _query_state(query) -> dict:
    """The de-duplication operators' state rows after the last batch, from the query's progress."""
    from labs.streaming.queries import operators

    ops = operators(query)
    dedup = ops[ops["operator"].isin(DEDUP_OPERATORS)]
    return {"operators": ops["operator"].tolist(),
            "dedup_rows": int(dedup["state_rows_at_end"].sum()) if len(dedup) else None}


@dataclass(kw_only=True)
class _StreamTable(Table):
    """A streaming query's result table; given the query itself, its de-duplication state is checked too.

    ``mistakes_fn`` builds the known wrong tables on first use (the sweep behind them runs the
    model many times, which no import should pay for).
    """
    mistakes_fn: Callable[[], tuple] | None = None

    def diagnose(self, result, problem):
        if self.mistakes_fn is not None and not self.mistakes:
            self.mistakes = tuple(self.mistakes_fn())
        return super().diagnose(result, problem)

    def prepare(self, answer):
        state = None
        if _is_query(answer):
            if not answer.name:
                raise LearnerError("Pass the query the cell above started (a memory sink with a queryName).")
            from labs import engines

            state = _query_state(answer)
            answer = engines.spark().table(answer.name)
        frame = super().prepare(answer).copy(deep=False)
        frame.attrs = {"state": state}
        return frame

    def find_problem(self, payload):
        problem = super().find_problem(payload)
        if problem is not None:
            return problem
        state = payload.attrs.get("state")
        if state and state["dedup_rows"] is not None and state["dedup_rows"] > BOUNDED_STATE_ROWS:
            return Problem(
                f"Your rows are right, but your de-duplication still holds {state['dedup_rows']:,} event ids after "
                "the watermark passed them all: dropDuplicates(['event_id']) never forgets a key, so its state grows "
                "with every event for as long as the stream runs. Use dropDuplicatesWithinWatermark(['event_id']), "
                "or put event_time among the keys.")
        return None

    def praise(self, payload):
        state = payload.attrs.get("state")
        bounded = " and the de-duplication's state is bounded by the watermark" if state and state["dedup_rows"] is not None else ""
        return f"All {len(payload):,} rows match{bounded}."

    def dump(self, payload, folder):
        super().dump(payload, folder)
        (folder / "state.json").write_text(json.dumps(payload.attrs.get("state")))

    def load(self, folder):
        frame = super().load(folder)
        state_file = folder / "state.json"
        frame.attrs = {"state": json.loads(state_file.read_text()) if state_file.exists() else None}
        return frame


# --- the watermark rule, in plain Python -------------------------------------------------------
def dropped_ids_reference(batches, window_minutes, delay_minutes):
    """Event ids a watermarked tumbling-window count drops, for batches of [event_id, minute].

    Spark 4's rule: batch k runs with the watermark from batches 0..k-1 (it evicts state), but
    judges late rows against the watermark of batch k-1. An empty batch is a no-data batch.
    Plain Python (fast enough for many generated cases); the tests prove it agrees with
    ``labs.streaming.watermark.simulate`` and with Spark itself.
    """
    current = previous = None  # the watermark of the batch about to run, and of the one before it
    top, dropped = None, []
    for batch in batches:
        for event_id, minute in batch:
            window_end = (minute // window_minutes + 1) * window_minutes
            if previous is not None and window_end <= previous:
                dropped.append(event_id)
        previous = current
        for _, minute in batch:
            top = minute if top is None else max(top, minute)
        if top is not None:
            current = top - delay_minutes if current is None else max(current, top - delay_minutes)
    return sorted(dropped)


def dropped_ids_by_model(batches, window_minutes, delay_minutes):
    """The same answer from the lab's pandas model, batches run back to back (slower; used by the tests)."""
    from labs.streaming.watermark import simulate

    origin = pd.Timestamp("2024-06-01", tz="UTC")
    frames = [pd.DataFrame({"event_id": pd.Series([int(e) for e, _ in b], dtype="int64"),
                            "event_time": pd.to_datetime([origin + pd.Timedelta(minutes=m) for _, m in b], utc=True)})
              for b in batches]
    run = simulate(frames, f"{window_minutes} minutes", f"{delay_minutes} minutes", no_data_batches=False)
    return sorted(int(e) for e in run.dropped["event_id"]) if len(run.dropped) else []


def _rule_variant(*, legacy=False, skip_empty=False, strict=False, by_event_time=False, per_batch_max=False,
                  inside_batch=False):
    """A known wrong version of the rule, to recognise it in an answer and name the mistake."""
    def dropped_ids(batches, window_minutes, delay_minutes):
        current = previous = None
        top, dropped = None, []
        for batch in [b for b in batches if b] if skip_empty else batches:
            if inside_batch:
                for _, minute in batch:
                    top = minute if top is None else max(top, minute)
                current = None if top is None else top - delay_minutes
            mark = current if legacy or inside_batch else previous
            for event_id, minute in batch:
                edge = minute if by_event_time else (minute // window_minutes + 1) * window_minutes
                if mark is not None and (edge < mark if strict else edge <= mark):
                    dropped.append(event_id)
            if inside_batch:
                continue
            previous = current
            if batch:
                top = max(m for _, m in batch) if per_batch_max else max([m for _, m in batch] + ([top] if top is not None else []))
                current = top - delay_minutes if current is None or per_batch_max else max(current, top - delay_minutes)
        return sorted(dropped)
    return dropped_ids


RULE_MISTAKES = (
    (_rule_variant(legacy=True),
     "You judged late rows against the watermark the batch itself runs with: that was the rule before Spark 3.4. "
     "Spark 4 evicts state with the current watermark but judges late rows against the previous batch's, so "
     "back-to-back data batches keep rows your rule drops."),
    (_rule_variant(skip_empty=True),
     "An empty list is a no-data batch, and it counts as a batch: it runs with the new watermark, so the data "
     "batch after it judges its rows against that one."),
    (_rule_variant(strict=True),
     "A window that ends exactly at the watermark is already final: drop a row when its window's end is <= the "
     "watermark, not only when it is below."),
    (_rule_variant(by_event_time=True),
     "A windowed count judges a row by its window's end, not by its own time: a late row still counts while its "
     "window is open."),
    (_rule_variant(per_batch_max=True),
     "The watermark is the largest event minute seen so far (in every earlier batch) minus the delay: it never "
     "moves back, even when a batch brings only old events."),
    (_rule_variant(inside_batch=True),
     "The watermark never moves inside a batch: a batch's own events move it only for the batches after it."),
)


@dataclass(kw_only=True)
class _RuleFunction(Function):
    """A function exercise that recognises known wrong versions and says what each gets wrong.

    ``mistakes`` are ``(function, sentence)``; an answer that returns what a mistake returns on
    every case gets that sentence, with the first differing case after it.
    """
    mistakes: tuple = ()

    def _mistake_outputs(self) -> list:
        if getattr(self, "_mistake_cache", None) is None:
            cases = self.all_cases()
            self._mistake_cache = [[fnc.jsonable(fn(*args)) for args in cases] for fn, _ in self.mistakes]
        return self._mistake_cache

    def judge(self, payload):
        verdict = super().judge(payload)
        if verdict.status is not Status.INCORRECT or not self.mistakes:
            return verdict
        values = [o["value"] for o in payload["observations"]]
        for (_, says), outputs in zip(self.mistakes, self._mistake_outputs()):
            if len(values) == len(outputs) and all(fnc.same(v, w) for v, w in zip(values, outputs)):
                return self.verdict(Status.INCORRECT, says, [verdict.message])
        return verdict


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
        if rng.random() < 0.4:
            batches.append([])  # a no-data batch: the source had nothing new after this one
    return (batches, rng.choice([5, 10]), rng.choice([0, 5, 10]))


_RULE_CASES = (
    # a no-data batch between the two: it carries the watermark 20, so the 4th event is late
    ([[[1, 0], [2, 30]], [], [[3, 26], [4, 2]]], 5, 10),
    # back to back: the second batch judges late rows against the first batch's watermark (none)
    ([[[1, 0], [2, 30]], [[3, 26], [4, 2]]], 5, 10),
    # a late row is kept while its window is still open (window end 25 > watermark 22)
    ([[[1, 32]], [], [[2, 21]]], 5, 10),
    # window end exactly at the watermark: dropped (<=)
    ([[[1, 30]], [], [[2, 19], [3, 15]]], 5, 10),
    # inside one batch nothing is late, however out of order
    ([[[1, 60], [2, 1]]], 5, 10),
    # the watermark never moves back
    ([[[1, 40]], [], [[2, 5]], [], [[3, 27]]], 5, 10),
    # back to back three times: each batch one watermark behind
    ([[[1, 20]], [[2, 40]], [[3, 12], [4, 27]], [[5, 14]]], 5, 10),
    # a row judged by its window's end, not its own time (event 2 at minute 19 is behind 20, its window is not)
    ([[[1, 30]], [], [[2, 19]]], 10, 10),
    # no batches at all
    ([], 5, 10),
)


# --- an idempotent sink ---------------------------------------------------------------------------
def _sink_probe(write_batch) -> list:
    from labs.streaming.sink import crash_points

    feed = scripted_feed()
    batches = feed.batches()[:-1]  # the heartbeat is not a click
    expected = set(feed.real_events()["event_id"])
    retries = set(feed.events.loc[feed.events["is_duplicate"], "event_id"])
    # a stub's NotImplementedError reaches the grader, which reports "not attempted"
    return crash_points(write_batch, batches, SINK_CRASH_BATCH, expected, retries)


def _judge_sink(observed: list) -> str | None:
    for point in observed:
        where = ("after your function returned" if point["statement"] is None else
                 f"before statement {point['statement']} of your function ({point['before']})")
        if point["missing"] and point["swallowed"]:
            return (f"A crash {where} in batch {SINK_CRASH_BATCH} was caught inside your function, which then "
                    f"returned normally: the engine took the batch as stored and moved on, so {point['missing']} "
                    "events never reached the sink. Let errors propagate (roll back if you must, then raise again).")
        if point["missing"]:
            return (f"{point['missing']} events never reached the sink after a crash {where} in batch "
                    f"{SINK_CRASH_BATCH}: when the batch came again, your sink skipped rows it had not stored. "
                    "Skipping a batch id is only safe when the id is committed in the same transaction as its rows.")
        if point["duplicates"] and point["duplicates"] == point["retry_duplicates"]:
            return (f"Replays are absorbed, but {point['duplicates']} event(s) a producer sent twice are stored twice: "
                    "the retry came in another batch with the same event_id, which a batch-id check cannot see. "
                    "Insert only event_ids the table does not hold yet.")
        if point["duplicates"]:
            return (f"The sink holds {point['duplicates']} surplus copies of events ({point['rows']} rows) after a "
                    f"crash {where} in batch {SINK_CRASH_BATCH}: the replayed rows and the producer's retries were "
                    "written twice. Insert only event_ids the table does not hold yet (and only once per batch).")
    return None


# --- committing offsets ---------------------------------------------------------------------------
def _consumer_probe(run_consumer) -> dict:
    from labs.streaming.log import crash_test

    return crash_test(run_consumer, n_records=CONSUMER_RECORDS, crash_at=CONSUMER_CRASH_AT)


def _judge_consumer(observed: dict) -> str | None:
    n = CONSUMER_RECORDS
    if not observed["crashed"]:
        return "The handler's crash never surfaced: do not swallow exceptions from handle(), let the process die."
    if observed["lost"]:
        if observed.get("early_commit") == "part-way through the poll":
            return (f"{observed['lost']} of {n} records were never handled: commit() stores the position after the "
                    "whole poll, including records you have not handled yet, so committing after each record marked "
                    "the rest of the poll done before the crash. Commit once after the poll's records are handled, "
                    "or commit explicit offsets: consumer.commit({record.partition: record.offset + 1}).")
        if observed.get("early_commit") == "before handling":
            return (f"{observed['lost']} of {n} records were never handled: the offsets were committed before the "
                    "records were handled, so the restarted consumer skipped them (at-most-once).")
        return (f"{observed['lost']} of {n} records were never handled: the restarted consumer resumed past records "
                "that were not handled. Commit only what has been handled.")
    if observed["twice"] > POLL - 1:
        return (f"{observed['twice']} records were handled twice after the restart: commit after every poll, "
                "so a crash repeats at most one poll's records.")
    if observed.get("uncommitted"):
        return (f"After your consumer finished, {observed['uncommitted']} records were still uncommitted, so a "
                "restart would handle them again: a committed offset is the position of the next record to read, "
                "record.offset + 1, not the offset of the record just handled.")
    return None


# --- latency ----------------------------------------------------------------------------------------
def _latency_value() -> float:
    from labs.streaming.latency import mean_latency

    return mean_latency(10.0, 2.0)


EXERCISES = [
    _StreamTable(
        id="window_counts",
        prompt="Stream the feed through a 5-minute tumbling-window count in append mode, with a watermark on "
               "event_time and producer retries removed (with state the watermark can free), so that exactly the "
               "planted late events are dropped. Pass the query; its memory sink's table has window_start, "
               "window_end, count.",
        expected_fn=_expected_counts,
        mistakes_fn=_window_mistakes,
        hints=("withWatermark('event_time', ...) before the aggregation; dropDuplicatesWithinWatermark(['event_id']) "
               "after it; groupBy(F.window('event_time', '5 minutes')).count().",
               "The delay must cover how far honest events trail the stream (3 minutes at most here) and stay well "
               "under the planted lateness (25 minutes). Because the watermark moves only once per ten-minute file, "
               "the lab's sweep finds every delay from 1.5 to 16 minutes safe.",
               "Append mode emits a window once the watermark passes its end; the feed's last batch is a heartbeat "
               "far in the future, so every real window is emitted. Select window.start and window.end."),
        solution="my_counts = (ex_stream.withWatermark('event_time', '10 minutes')\n"
                 "             .dropDuplicatesWithinWatermark(['event_id'])\n"
                 "             .groupBy(F.window('event_time', '5 minutes')).count()\n"
                 "             .select(F.col('window.start').alias('window_start'),\n"
                 "                     F.col('window.end').alias('window_end'), 'count'))",
        explanation="The watermark is the engine's guess of how far event time has progressed, minus the lateness "
                    "it tolerates. Rows behind it are dropped and windows behind it are final, so their state can "
                    "go. Too small a delay drops slow-but-honest events; too large a one keeps state (and delays "
                    "append-mode output) for nothing. The de-duplication needs the same bound: "
                    "dropDuplicatesWithinWatermark forgets an id once the watermark has passed it, while "
                    "dropDuplicates on event_id alone remembers every id for ever.",
        covers=("A10", "D4"),
    ),
    Number(
        id="dropped_rows",
        prompt="From your query's progress (recentProgress -> stateOperators), how many rows did the watermark drop "
               "in total?",
        value=_expected_dropped,
        abs_tol=0.0,
        unit="rows",
        mistakes=((1, "1 is what a windowed aggregation reports when it drops the late rows itself (the lab's first "
                      "query, without de-duplication): it counts rows after partial aggregation. In your query the "
                      "de-duplication runs first and drops each late event as one of its raw rows; add up every "
                      "operator."),
                  (0, "0 is what lastProgress alone says (the last batch dropped nothing), and what the aggregation's "
                      "operator alone says (the de-duplication dropped the late rows before it saw them): sum over "
                      "recentProgress and every operator."),
                  (7, "7 counts the 3 producer retries too: the de-duplication removes them as duplicates, and the "
                      "watermark's metric counts only rows dropped as late.")),
        hints=("Every progress entry has stateOperators, one per stateful operator, each with "
               "numRowsDroppedByWatermark.",
               "Sum it over all progress entries and all operators: sum(op['numRowsDroppedByWatermark'] for p in "
               "my_query.recentProgress for op in p['stateOperators'])."),
        solution="dropped_rows = sum(op['numRowsDroppedByWatermark'] for p in my_query.recentProgress "
                 "for op in p['stateOperators'])",
        explanation="The de-duplication operator sees raw rows, so it counts each late event (4 here). A windowed "
                    "aggregation alone counts rows after partial aggregation: several late events of one window in "
                    "one batch show up as one dropped row, which is why the lab's first query reported 1.",
        covers=("A10",),
    ),
    _RuleFunction(
        id="late_rule",
        prompt="Write dropped_ids(batches, window_minutes, delay_minutes): batches is the list of micro-batches Spark "
               "ran, each a list of [event_id, event_minute]; an empty list is a no-data batch. Return the sorted ids "
               "a tumbling-window count with that watermark drops, by Spark 4's rule: batch k runs with the watermark "
               "max(event minute of batches 0..k-1) - delay (never decreasing; none before any event), and judges "
               "late rows against the watermark of batch k-1. A row is late when its window's end is at or before it.",
        reference=dropped_ids_reference,
        cases=_RULE_CASES,
        generate=_generate_batches,
        n_generated=40,
        call_name="dropped_ids",
        mistakes=RULE_MISTAKES,
        hints=("Keep two watermarks as you loop: the one the current batch runs with, and the previous batch's. Rows "
               "are judged against the previous one; an empty batch still shifts them.",
               "A row's window ends at (minute // window + 1) * window; it is dropped when that is <= the previous "
               "batch's watermark. Nothing is dropped while that watermark is still none.",
               "For each batch: judge its rows, then previous = current, then move current with the batch's "
               "largest minute (max with the old value, so it never goes back)."),
        solution="def dropped_ids(batches, window_minutes, delay_minutes):\n"
                 "    current = previous = None      # the watermark of this batch, and of the one before it\n"
                 "    top, dropped = None, []\n"
                 "    for batch in batches:\n"
                 "        for event_id, minute in batch:          # late rows meet the previous batch's watermark\n"
                 "            window_end = (minute // window_minutes + 1) * window_minutes\n"
                 "            if previous is not None and window_end <= previous:\n"
                 "                dropped.append(event_id)\n"
                 "        previous = current\n"
                 "        for _, minute in batch:                 # then the watermark moves, never back\n"
                 "            top = minute if top is None else max(top, minute)\n"
                 "        if top is not None:\n"
                 "            current = top - delay_minutes if current is None else max(current, top - delay_minutes)\n"
                 "    return sorted(dropped)",
        explanation="Three facts decide it: the watermark moves only between micro-batches; since Spark 3.4 late rows "
                    "are judged against the previous batch's watermark while state is evicted with the current one "
                    "(one batch of grace); and a no-data batch, which Spark runs when the watermark moved and nothing "
                    "new is waiting, counts as a batch, so on a quiet source the two watermarks agree. A windowed "
                    "aggregation judges a row by its window's end, not by its own time.",
        covers=("A10", "D4"),
    ),
    Function(
        id="idempotent_sink",
        prompt="Write write_batch(con, rows, batch_id) for a foreachBatch sink into the DuckDB table clicks "
               "(event_id, session_id, event_type, page, device, event_time, batch_id). The check crashes batch 1 "
               "before each statement your function runs and after it returns; the batch then comes again with the "
               "same id and rows. Producers sometimes send an event twice, in the same batch or the next. No "
               "duplicate, no lost event.",
        probes=(("crash and replay", _sink_probe, _judge_sink),),
        timeout_s=30.0,
        hints=("A replayed batch has the same batch_id and the same rows; a producer retry has the same event_id in "
               "another batch. The event_id is the key that covers both.",
               "INSERT only rows WHERE event_id NOT IN (SELECT event_id FROM clicks), and keep one row per event_id "
               "inside the batch (QUALIFY row_number() OVER (PARTITION BY event_id ...) = 1).",
               "con.register('incoming', rows) makes the pandas frame a table. Several statements that must "
               "happen together (a batch ledger and the rows) go in one BEGIN/COMMIT: a crash between them is "
               "rolled back. Let errors propagate, or the engine takes the batch as stored."),
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
                    "a batch-id ledger handles replays only, and only if it commits with the rows. A write that "
                    "swallows its own failure loses the batch: the engine only replays what failed.",
        covers=("A10", "D2", "D4"),
    ),
    Function(
        id="consumer_loop",
        prompt="Write run_consumer(consumer, handle): poll up to 5 records at a time until a poll returns nothing, "
               "call handle(record) on each, and commit so that a crash in handle loses nothing and repeats at most "
               "one poll's records. consumer.commit() stores the position after the whole poll, handled or not, as "
               "Kafka's commitSync() does; consumer.commit({partition: offset}) stores explicit offsets (the next "
               "record to read).",
        probes=(("crash and restart", _consumer_probe, _judge_consumer),),
        hints=("consumer.poll(5) returns a list (empty at the end); consumer.commit() stores the positions of "
               "everything polled so far, so call it only when all of them are handled.",
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
        mistakes=((12, "That is a whole interval of waiting plus the batch: an event arrives at a random moment, so on "
                       "average it waits half the interval for the next trigger."),
                  (2, "That is the processing time alone: an event first has to wait for the next trigger, on average "
                      "half the interval."),
                  (5, "That is the wait alone: add the 2 s of processing of the batch the event lands in.")),
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
