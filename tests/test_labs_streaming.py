"""The streaming lab on real engines: the feed, the watermark model against Spark, sinks, the log."""
import pandas as pd
import pytest

from labs.streaming import feed as feeds
from labs.streaming import latency, log, queries, sink
from labs.streaming.watermark import duration, simulate, sweep


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
    states = progress[progress["input_rows"] > 0]["state_rows"].tolist()
    assert states == sorted(states)  # never shrinks


def test_foreach_batch_sink_survives_a_crash(feed, tmp_path):
    from labs import engines

    spark = engines.spark()
    ws = queries.workspace("test-sink")
    db = ws / "sink.duckdb"
    restarts = sink.stream_into(spark, feed, ws / "source", ws / "ck", sink.SparkSink(db, crash_batch=1),
                                batches=range(3))
    assert len(restarts) == 1 and "injected crash in batch 1" in restarts[0]
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
    assert naive["duplicates"] == len(feed.batch(1)) // 2 + 3 and naive["missing"] == 0
    with pytest.raises(ValueError, match="crash_batch must be None or between 0 and"):
        sink.replay_with_crash(sink.naive_append, batches, crash_batch=42)


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
    assert log.crash_test(log.commit_after) == {"crashed": True, "handled": 31, "lost": 0, "twice": 1}
    before = log.crash_test(log.commit_before)
    assert before["lost"] > 0 and before["twice"] == 0


# --- latency -------------------------------------------------------------------------------------------------
def test_latency_model_matches_simulation():
    for trigger, work in ((1.0, 0.2), (10.0, 2.0), (5.0, 4.0), (0.5, 2.0)):
        sim = latency.simulate(trigger, work)
        assert abs(sim["mean_s"] - latency.mean_latency(trigger, work)) < 0.05 * max(trigger, work)
    assert latency.mean_latency(1.0, 2.0) == 3.0  # back to back: the interval no longer matters
    assert abs(latency.simulate(1.0, 2.0)["mean_s"] - 3.0) < 0.1
    with pytest.raises(ValueError, match="trigger_s must be a number >= 0"):
        latency.mean_latency(-1, 1)
