"""The streaming lab on real engines: the feed, the watermark model against Spark, sinks, the log."""
import pandas as pd
import pytest

from labs.streaming import feed as feeds
from labs.streaming import latency, log, outbox, queries, sink, txn
from labs.streaming.watermark import duration, simulate, sweep

# one worker runs the module: its Spark replay (a module fixture) is then run once, not once per worker
pytestmark = pytest.mark.xdist_group("streaming")


@pytest.fixture(scope="module")
def feed():
    return feeds.make_feed()


# --- the feed -------------------------------------------------------------------------------------
def test_feed_is_deterministic_and_planted(feed):
    again = feeds.make_feed()
    pd.testing.assert_frame_equal(feed.events, again.events)
    ev = feed.events
    lag = ev["arrival_time"] - ev["event_time"]
    assert (lag[ev["is_late"]] >= feeds.LATE_LAG).all()
    honest = ~ev["is_late"] & (ev["event_type"] != "heartbeat")
    assert (lag[honest] <= pd.Timedelta(minutes=3) + feeds.RETRY_AFTER).all()
    assert ev["is_duplicate"].sum() == 3 and ev["event_id"][ev["is_duplicate"]].isin(ev["event_id"][~ev["is_duplicate"]]).all()
    assert feed.batch(feed.n_batches - 1)["event_type"].tolist() == ["heartbeat"]
    assert sum(len(b) for b in feed.batches()) == len(ev)


def test_bad_feed_parameters_are_named():
    with pytest.raises(ValueError, match="batch_minutes must be an integer >= 1"):
        feeds.make_feed(batch_minutes=0)
    with pytest.raises(ValueError, match="k must be between 0 and"):
        feeds.make_feed().batch(99)
    with pytest.raises(ValueError, match="delay must be a duration"):
        simulate([], delay="ten minutes")
    with pytest.raises(ValueError, match="mode must be one of append, update, complete"):
        queries.start(None, "x", "ck", mode="replace")


def test_drifted_batch_file_is_quarantined_whole(tmp_path, feed):
    landing, source, quarantine = tmp_path / "landing", tmp_path / "source", tmp_path / "quarantine"
    good = feeds.drop_file(landing, "batch-0000.jsonl", feeds.to_jsonl(feed.batch(0)))
    assert feeds.admit(good, source, quarantine) and (source / "batch-0000.jsonl").exists()
    drifted = feed.batch(1).rename(columns={"event_time": "ts"})
    bad = feeds.drop_file(landing, "batch-0001.jsonl", feeds.to_jsonl(drifted))
    assert not feeds.admit(bad, source, quarantine)
    assert not (source / "batch-0001.jsonl").exists() and (quarantine / "batch-0001.jsonl").exists()
    why = (quarantine / "batch-0001.jsonl.why.txt").read_text()
    assert "missing column(s) event_time" in why and "unexpected column(s) ts" in why
    retyped = feed.batch(2).assign(event_id=lambda f: f["event_id"].astype(str))
    problems = feeds.check_batch_file(feeds.drop_file(landing, "batch-0002.jsonl", feeds.to_jsonl(retyped)))
    assert problems and "event_id should be int, got str" in problems[0]


# --- the watermark model ----------------------------------------------------------------------------
def test_model_drops_exactly_the_late_events_for_a_sensible_delay(feed):
    run = simulate(feed.batches(), "5 minutes", "10 minutes", dedup_key="event_id")
    assert set(run.dropped["event_id"]) == set(feed.events.query("is_late")["event_id"])
    assert run.counts["count"].sum() == len(feed.real_events()) - feed.events["is_late"].sum()
    table = sweep(feed.batches(), ["30 seconds", "10 minutes", "20 minutes"], is_late=set(feed.events.query("is_late").event_id))
    assert table["on_time_dropped"].tolist()[0] > 0 and table["late_dropped"].tolist() == [4, 4, 1]
    assert duration("10 minutes") == pd.Timedelta(minutes=10)


def test_model_without_no_data_batches_is_one_batch_more_lenient(feed):
    """Back to back, each batch judges late rows against the previous batch's watermark."""
    quiet = simulate(feed.batches(), "5 minutes", "10 minutes", dedup_key="event_id")
    busy = simulate(feed.batches(), "5 minutes", "10 minutes", dedup_key="event_id", no_data_batches=False)
    assert quiet.late_watermarks[1:] == quiet.watermarks[1:]
    assert busy.late_watermarks[1:] == busy.watermarks[:-1]
    assert len(busy.dropped) <= len(quiet.dropped)


# --- Spark ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def spark_run(feed):
    from labs import engines

    spark = engines.spark()
    ws = queries.workspace("test-streaming")
    stream = queries.source(spark, ws / "source")
    q_append = queries.start(queries.window_counts(stream), "t_counts", ws / "ck-append")
    q_raw = queries.start(queries.window_counts(stream, dedup=False), "t_raw", ws / "ck-raw")
    q_complete = queries.start(queries.window_counts(stream, dedup=False), "t_complete", ws / "ck-complete", "complete")
    try:
        queries.replay(feed, ws / "source", [q_append, q_raw, q_complete])
        yield {"spark": spark, "append": q_append, "raw": q_raw, "complete": q_complete, "ws": ws}
    finally:
        for q in (q_append, q_raw, q_complete):
            q.stop()


def test_spark_agrees_with_the_model(spark_run, feed):
    got = queries.table(spark_run["spark"], "t_counts")
    want = simulate(feed.batches(), "5 minutes", "10 minutes", dedup_key="event_id").counts
    pd.testing.assert_frame_equal(got.astype({"count": "int64"}), want.astype({"count": "int64"}), check_dtype=False)
    assert queries.dropped_by_watermark(spark_run["append"]) == 4


def test_pre_aggregation_undercounts_drops_and_complete_mode_drops_nothing(spark_run):
    # all four late events share one window and one batch: the aggregation drops one partial row
    assert queries.dropped_by_watermark(spark_run["raw"]) == 1
    assert queries.dropped_by_watermark(spark_run["complete"]) == 0
    complete = queries.table(spark_run["spark"], "t_complete")
    assert complete["count"].sum() == 231  # every row, late, retried and the heartbeat, is counted
    progress = queries.progress_table(spark_run["complete"])
    states = progress["state_rows"].tolist()
    assert states == sorted(states)  # never shrinks
    assert progress["batch_id"].tolist() == list(range(len(progress)))  # one row per batch that ran, idle reports left out
    append = queries.progress_table(spark_run["raw"])
    shrinks = append[append["state_rows"].diff() < 0]
    assert len(shrinks) and (shrinks["input_rows"] == 0).all()  # state is freed in no-data batches


def test_operators_say_which_one_dropped_the_late_rows(spark_run):
    ops = queries.operators(spark_run["append"]).set_index("operator")
    assert ops.loc["dedupeWithinWatermark", "dropped_by_watermark"] == 4
    assert ops.loc["stateStoreSave", "dropped_by_watermark"] == 0
    assert ops["state_rows_at_end"].max() <= 1  # only the heartbeat's id and window are left


def test_spark_applies_the_late_rule_of_the_exercise():
    """The plain-Python rule of ``late_rule`` agrees with Spark 4 itself, with and without no-data batches."""
    import random

    from grader.specs import nb07_streaming as spec
    from labs import engines

    spark = engines.spark()
    rng = random.Random(11)
    cases = list(spec._RULE_CASES[:4]) + [spec._RULE_CASES[6]] + [spec._generate_batches(rng) for _ in range(3)]
    for k, case in enumerate(cases):
        assert queries.late_rule_on_spark(spark, *case, name=f"rule{k}") == spec.dropped_ids_reference(*case), case
    # the legacy single-watermark rule disagrees with Spark on back-to-back batches
    legacy = spec.RULE_MISTAKES[0][0]
    assert legacy(*spec._RULE_CASES[1]) != queries.late_rule_on_spark(spark, *spec._RULE_CASES[1], name="rule_legacy")


def test_foreach_batch_sink_survives_a_crash(feed, tmp_path):
    from labs import engines

    spark = engines.spark()
    ws = queries.workspace("test-sink")
    db = ws / "sink.duckdb"
    restarts = sink.stream_into(spark, feed, ws / "source", ws / "ck", sink.SparkSink(db, crash_batch=1, crash_before=3),
                                batches=range(3))
    assert len(restarts) == 1 and "injected crash before statement 3: COMMIT" in restarts[0]
    con = engines.duckdb(db)
    expected = set(feed.events[feed.events["batch"] < 3]["event_id"])
    assert sink.audit(con, expected) == {"rows": len(expected), "duplicates": 0, "missing": 0}


# --- the sink without Spark ------------------------------------------------------------------------------
def test_replay_harness(feed):
    batches = feed.batches()[:-1]
    ids = set(feed.real_events()["event_id"])
    assert sink.audit(sink.replay_with_crash(sink.idempotent_write, batches, crash_batch=1), ids) == \
        {"rows": len(ids), "duplicates": 0, "missing": 0}
    naive = sink.audit(sink.replay_with_crash(sink.naive_append, batches, crash_batch=1), ids)
    assert naive["duplicates"] == len(feed.batch(1)) + 3 and naive["missing"] == 0  # the whole batch again, and the retries
    with pytest.raises(ValueError, match="crash_batch must be None or between 0 and"):
        sink.replay_with_crash(sink.naive_append, batches, crash_batch=42)
    with pytest.raises(ValueError, match="crash_before must be None or an integer >= 1"):
        sink.replay_with_crash(sink.naive_append, batches, crash_batch=1, crash_before=0)


def test_a_crash_inside_a_transaction_rolls_it_back(feed):
    """Crashing before COMMIT leaves nothing of the batch; the replay then writes it whole, once."""
    batches = feed.batches()[:-1]
    con = sink.open_sink()
    sink.naive_append(con, batches[0], 0)
    dead = sink.CrashingConnection(con, crash_before=3)
    with pytest.raises(sink.InjectedCrash, match="before statement 3: COMMIT"):
        sink.idempotent_write(dead, batches[1], 1)
    assert dead.crashed and dead.ran[0] == "BEGIN TRANSACTION"
    with pytest.raises(sink.InjectedCrash, match="connection is gone"):
        dead.execute("SELECT 1")
    sink._roll_back(con)
    assert con.execute("SELECT count(*) FROM clicks").fetchall()[0][0] == len(batches[0])


def test_crash_points_spread_over_many_statements(feed):
    def row_by_row(con, rows, batch_id):
        for r in rows.itertuples():
            con.execute("INSERT INTO clicks SELECT ?, ?, ?, ?, ?, ?, ? WHERE ? NOT IN (SELECT event_id FROM clicks)",
                        [r.event_id, r.session_id, r.event_type, r.page, r.device, r.event_time, batch_id, r.event_id])

    batches = [b.head(30) for b in feed.batches()[:2]]
    ids = set(pd.concat(batches)["event_id"])
    points = sink.crash_points(row_by_row, batches, 1, ids, limit=5)
    assert [p["statement"] for p in points] == [None, 1, 8, 16, 23, 30]
    assert all(p["missing"] == 0 and p["duplicates"] == 0 for p in points)


# --- the log -----------------------------------------------------------------------------------------------
def test_log_keeps_key_order_and_replays():
    lg = log.Log()
    lg.create_topic("t", 3)
    for i in range(30):
        lg.produce("t", f"k{i % 4}", i)
    c = log.Consumer(lg, "g", "t")
    got = c.poll(100)
    by_key = {}
    for r in got:
        by_key.setdefault(r.key, []).append(r.value)
    assert all(v == sorted(v) for v in by_key.values()) and len(got) == 30
    assert lg.lag("g", "t") == 30
    c.commit()
    assert lg.lag("g", "t") == 0 and log.Consumer(lg, "other", "t").poll(100) == got  # another group replays all
    with pytest.raises(ValueError, match="partitions must be an integer >= 1"):
        lg.create_topic("u", 0)
    with pytest.raises(ValueError, match="topic must be one of"):
        lg.produce("nope", "k", 1)


def test_commit_placement_decides_the_guarantee():
    assert log.crash_test(log.commit_after) == {"crashed": True, "handled": 31, "lost": 0, "twice": 1,
                                                "uncommitted": 0, "early_commit": ""}
    before = log.crash_test(log.commit_before)
    assert before["lost"] > 0 and before["twice"] == 0 and before["early_commit"] == "before handling"


def test_explicit_offsets_are_the_next_record_to_read():
    lg = log.Log()
    lg.create_topic("t", 2)
    for i in range(6):
        lg.produce("t", f"k{i}", i)
    c = log.Consumer(lg, "g", "t")
    first = c.poll(1)[0]
    c.poll(3)
    c.commit({first.partition: first.offset + 1})  # only the handled record, not the whole poll
    again = log.Consumer(lg, "g", "t").poll(10)
    assert first not in again and len(again) == 5
    with pytest.raises(ValueError, match="partition must be one of"):
        c.commit({7: 0})
    with pytest.raises(ValueError, match="offset for partition 0 must be an integer between 0"):
        c.commit({0: 99})


# --- Kafka transactions --------------------------------------------------------------------------------------
def test_zombie_is_fenced_and_read_committed_sees_each_record_once():
    out, story = txn.zombie_scenario()
    assert any("rejected" in line and "fenced by epoch 1" in line for line in story)
    seen = {row["isolation.level"]: row for row in txn.what_consumers_see(out)}
    assert txn.read(out, "read_committed") == ["e1", "e2", "e3", "e4", "e5"]
    assert seen["read_committed"]["read twice"] == 0 and seen["read_committed"]["from aborted transactions"] == 0
    assert seen["read_uncommitted"]["from aborted transactions"] == 4 and seen["read_uncommitted"]["read twice"] == 4
    assert seen["read_uncommitted"]["from open transactions"] == 3
    assert "audit-1" in txn.read(out, "read_uncommitted")  # held back from read_committed by the open transaction
    assert out.group_offsets == {"enricher-input": 5}  # the aborted transaction's offsets never applied


def test_outbox_announces_every_payment_that_the_dual_write_loses():
    dual = outbox.dual_write(10, crash_at=4)
    assert dual["orders paid"] == 10 and dual["paid, never announced"] == 1
    boxed = outbox.with_outbox(10, crash_at=4, relay_crash_at=7)
    assert boxed["paid, never announced"] == 0 and boxed["announced twice"] == 1 and boxed["distinct events"] == 10
    with pytest.raises(ValueError, match="n_orders must be an integer >= 1"):
        outbox.dual_write(0)
    with pytest.raises(ValueError, match="a crash point must be None or between 1 and n_orders=3"):
        outbox.with_outbox(3, relay_crash_at=9)


def test_transactions_reject_misuse():
    lg = txn.TxLog()
    p = txn.TransactionalProducer(lg, "t")
    with pytest.raises(ValueError, match="must begin"):
        p.send("x")
    p.begin()
    with pytest.raises(ValueError, match="open already"):
        p.begin()
    with pytest.raises(ValueError, match="isolation must be one of"):
        txn.read(lg, "serializable")


# --- latency -------------------------------------------------------------------------------------------------
def test_latency_model_matches_simulation():
    for trigger, work in ((1.0, 0.2), (10.0, 2.0), (5.0, 4.0), (0.5, 2.0)):
        sim = latency.simulate(trigger, work)
        assert abs(sim["mean_s"] - latency.mean_latency(trigger, work)) < 0.05 * max(trigger, work)
    assert latency.mean_latency(1.0, 2.0) == 3.0  # back to back: the interval no longer matters
    assert abs(latency.simulate(1.0, 2.0)["mean_s"] - 3.0) < 0.1
    with pytest.raises(ValueError, match="trigger_s must be a number >= 0"):
        latency.mean_latency(-1, 1)
