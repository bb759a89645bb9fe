"""The failure-and-recovery lab: planted faults, retries, dead letters, checkpoints and backfill plans."""
import ast
import pathlib
import sqlite3
import warnings

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from labs.data import ensure  # noqa: E402
from labs.pipelines.backfill import days_between  # noqa: E402
from labs.recovery import (AckLost, CrashingConnection, DownSource, FlakySource, InjectedCrash,  # noqa: E402
                           PoisonRecord, RetryPolicy, SimClock, SourceUnavailable, TransientError, delays,
                           run_with_retry)
from labs.recovery import backfill_plan, checkpoint, dead_letter, herd, plots, retry_cases  # noqa: E402
from labs.recovery.faults import order_records, parse_order, parse_order_fixed  # noqa: E402

NO_JITTER = RetryPolicy(max_attempts=6, base_s=1, factor=2, max_s=10, jitter="none")


# --- faults -----------------------------------------------------------------------------------
def _pattern(source, calls):
    out = []
    for _ in range(calls):
        try:
            source.fetch()
            out.append("ok")
        except TransientError:
            out.append("fail")
    return out


def test_flaky_source_fails_its_first_calls_then_answers():
    source = FlakySource(["a"], fail_first=3)
    assert _pattern(source, 5) == ["fail"] * 3 + ["ok"] * 2
    assert source.calls == 5


def test_flaky_source_with_a_rate_is_seeded():
    first = _pattern(FlakySource([], fail_rate=0.4, seed=7), 200)
    assert first == _pattern(FlakySource([], fail_rate=0.4, seed=7), 200)
    assert first != _pattern(FlakySource([], fail_rate=0.4, seed=8), 200)
    assert 0.3 < first.count("fail") / 200 < 0.5


def test_down_source_refuses_only_inside_its_window():
    clock = SimClock()
    source = DownSource("rows", clock, down_from=2, down_until=5)
    seen = []
    for _ in range(7):
        try:
            seen.append(source.fetch())
        except SourceUnavailable:
            seen.append(None)
        clock.sleep(1)
    assert seen == ["rows", "rows", None, None, None, "rows", "rows"]


def test_a_poison_record_fails_every_time_and_the_fix_reads_it_but_not_a_garbled_one():
    records = order_records(6, poison=(2,), garbled=(4,))
    for _ in range(3):
        with pytest.raises(PoisonRecord, match=r"record 2: amount '12,50 EUR' is not a number"):
            parse_order(records[2])
    assert parse_order_fixed(records[2])["amount"] == 12.5
    with pytest.raises(PoisonRecord, match="record 4"):
        parse_order_fixed(records[4])
    assert order_records(6, seed=3) == order_records(6, seed=3)


def test_crashing_connection_dies_before_the_nth_statement_and_loses_the_open_transaction():
    raw = sqlite3.connect(":memory:")
    raw.isolation_level = None
    raw.execute("CREATE TABLE t (x INTEGER)")
    con = CrashingConnection(raw, crash_before=5)
    con.execute("BEGIN")
    con.execute("INSERT INTO t VALUES (1)")
    con.execute("COMMIT")
    con.execute("BEGIN")
    with pytest.raises(InjectedCrash, match="before statement 5: INSERT INTO t VALUES \\(2\\)"):
        con.execute("INSERT INTO t VALUES (2)")
    with pytest.raises(InjectedCrash, match="the connection is gone"):
        con.execute("SELECT 1")
    assert con.ran == ["BEGIN", "INSERT INTO t VALUES (1)", "COMMIT", "BEGIN"]
    assert not raw.in_transaction
    assert raw.execute("SELECT x FROM t").fetchall() == [(1,)]


# --- retry policy and loop --------------------------------------------------------------------
def test_delays_without_jitter_grow_exponentially_up_to_the_cap():
    assert delays(NO_JITTER) == [1.0, 2.0, 4.0, 8.0, 10.0]


@pytest.mark.parametrize("jitter, low_share", [("full", 0.0), ("equal", 0.5)])
def test_jittered_delays_stay_under_the_ceiling_and_depend_on_the_seed(jitter, low_share):
    policy = RetryPolicy(max_attempts=8, base_s=0.5, factor=3, max_s=30, jitter=jitter)
    for seed in range(20):
        for retry, wait in enumerate(delays(policy, seed), start=1):
            assert low_share * policy.ceiling(retry) <= wait <= policy.ceiling(retry)
    assert delays(policy, 1) == delays(policy, 1) != delays(policy, 2)


def test_run_with_retry_succeeds_after_transient_failures_and_sleeps_the_backoff():
    clock = SimClock()
    result = run_with_retry(FlakySource(["row"], fail_first=3), NO_JITTER, clock)
    assert (result.outcome, result.n_attempts, result.value) == ("succeeded", 4, ["row"])
    assert clock.slept == [1.0, 2.0, 4.0] and result.elapsed_s == 7.0
    frame = result.frame()
    assert frame["at_s"].tolist() == [0.0, 1.0, 3.0, 7.0]
    assert frame["error"].isna().tolist() == [False, False, False, True]


def test_run_with_retry_gives_up_and_does_not_retry_what_the_policy_excludes():
    gave_up = run_with_retry(FlakySource([], fail_first=10), NO_JITTER)
    assert (gave_up.outcome, gave_up.n_attempts) == ("gave up", 6)
    assert gave_up.error.startswith("TransientError")
    calls = []

    def bad():
        calls.append(1)
        raise KeyError("no such column")

    result = run_with_retry(bad, NO_JITTER)
    assert (result.outcome, result.n_attempts, len(calls), result.elapsed_s) == ("not retryable", 1, 1, 0.0)


def test_retry_outlasts_an_outage_only_if_its_backoff_is_long_enough():
    for max_s, expected in ((2, "gave up"), (60, "succeeded")):
        clock = SimClock()
        source = DownSource("rows", clock, down_from=0, down_until=20)
        policy = RetryPolicy(max_attempts=6, base_s=1, max_s=max_s, jitter="none")
        result = run_with_retry(source, policy, clock)
        assert result.outcome == expected
        if expected == "succeeded":
            assert clock.now >= 20


@pytest.mark.parametrize("make, message", [
    (lambda: RetryPolicy(max_attempts=0), r"max_attempts must be a whole number >= 1, not 0\."),
    (lambda: RetryPolicy(max_attempts=True), r"max_attempts must be a whole number >= 1, not True\."),
    (lambda: RetryPolicy(max_attempts=2.0), r"max_attempts must be a whole number"),
    (lambda: RetryPolicy(base_s=-1), r"base_s must be a number > 0, not -1\."),
    (lambda: RetryPolicy(base_s=True), r"base_s must be a number > 0, not True\."),
    (lambda: RetryPolicy(factor=0.5), r"factor must be a number >= 1"),
    (lambda: RetryPolicy(base_s=5, max_s=1), r"max_s \(1.0\) must be at least base_s \(5.0\)\."),
    (lambda: RetryPolicy(jitter="sometimes"), r"jitter must be one of none, full, equal; got 'sometimes'\."),
    (lambda: RetryPolicy(jitter=True), r"jitter must be one of"),
    (lambda: RetryPolicy(retry_on=("TransientErrror",)), r"retry_on names an unknown exception 'TransientErrror'"),
    (lambda: RetryPolicy(retry_on=(int,)), r"retry_on names an unknown exception"),
    (lambda: RetryPolicy(retry_on=("print",)), r"retry_on names an unknown exception 'print'"),
    (lambda: RetryPolicy(retry_on=5), r"retry_on must be exception names or classes"),
    (lambda: delays(NO_JITTER, seed=-1), r"seed must be a whole number >= 0, not -1\."),
    (lambda: delays(NO_JITTER, seed=True), r"seed must be a whole number >= 0, not True\."),
    (lambda: delays({"max_attempts": 3}), r"policy must be a RetryPolicy, not dict\."),
    (lambda: run_with_retry("fetch", NO_JITTER), r"fn must be a function to call, not str\."),
    (lambda: run_with_retry(print, NO_JITTER, clock="now"), r"clock must have a numeric 'now'"),
    (lambda: SimClock().sleep(-1), r"seconds must be a number >= 0, not -1\."),
    (lambda: FlakySource([], fail_first=-1), r"fail_first must be a whole number >= 0"),
    (lambda: FlakySource([], fail_rate=1.5), r"fail_rate must be a number from 0 to 1, not 1.5\."),
    (lambda: DownSource([], SimClock(), 5, 2), r"down_until \(2\) must not be before down_from \(5\)\."),
    (lambda: order_records(0), r"n must be a whole number >= 1, not 0\."),
    (lambda: order_records(5, poison=(5,)), r"poison must list record ids from 0 to 4; got 5\."),
    (lambda: order_records(5, poison=(True,)), r"poison must list record ids from 0 to 4; got True\."),
    (lambda: order_records(5, poison=(1,), garbled=(1,)), r"a record cannot be both poison and garbled\."),
    (lambda: DownSource([], clock="noon", down_from=0, down_until=1), r"clock must have a numeric 'now'"),
    (lambda: order_records(5, poison=3), r"poison must be a list of record ids, such as \(3, 8\); got 3\."),
    (lambda: retry_cases.success_by_attempts(attempts=3), r"attempts must be a list of attempt counts"),
    (lambda: retry_cases.success_by_attempts(attempts=(0,)), r"attempts must be a whole number >= 1, not 0\."),
    (lambda: retry_cases.outage_case(caps=()), r"caps must be a list of backoff caps"),
    (lambda: retry_cases.outage_case(caps=(0,)), r"max_s must be a number > 0, not 0\."),
    (lambda: herd.compare_jitter(10, jitters="full"), r"jitters must be a list such as"),
    (lambda: CrashingConnection("db"), r"con must be a sqlite3 connection, not str\."),
    (lambda: CrashingConnection(sqlite3.connect(":memory:"), crash_before=0), r"crash_before must be a whole"),
])
def test_bad_input_is_refused_with_one_sentence(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_retry_on_accepts_classes_and_builtin_names():
    policy = RetryPolicy(retry_on=(AckLost, "OSError"))
    assert policy.retries(AckLost("late")) and policy.retries(FileNotFoundError("x"))
    assert not policy.retries(ValueError("x"))
    assert RetryPolicy(retry_on="TimeoutError").retry_on == ("TimeoutError",)


# --- retries that help and that hurt -------------------------------------------------------------
def test_a_transient_fault_needs_a_retry():
    case = retry_cases.transient_case(fail_first=2)
    assert case["without retry"] == "gave up" and case["with retry"] == "succeeded" and case["attempts"] == 3


def test_success_within_k_attempts_matches_independence():
    table = retry_cases.success_by_attempts(0.3, attempts=(1, 2, 4), n_calls=3000, seed=1)
    assert table["measured"].is_monotonic_increasing
    assert (table["measured"] - table["predicted"]).abs().max() < 0.03


def test_a_backoff_cap_too_low_gives_up_inside_the_outage_and_one_too_high_notices_recovery_late():
    table = retry_cases.outage_case(35, caps=(2, 8, 64), max_attempts=10)
    assert table["outcome"].tolist() == ["gave up", "succeeded", "succeeded"]
    assert (table["succeeded_at_s"].dropna() >= 35).all()
    assert table["late_by_s"].iloc[1] < table["late_by_s"].iloc[2]


def test_retrying_a_poison_record_wastes_hours_and_loads_nothing():
    table = retry_cases.poison_case(n=20, poison=(7,), forever=200).set_index("policy")
    every = table.loc["retry every error"]
    assert (every["outcome"], every["attempts"], every["rows_loaded"]) == ("gave up", 200, 0)
    assert every["hours_spent"] > 3
    transient = table.loc["retry transient errors only"]
    assert (transient["outcome"], transient["attempts"], transient["hours_spent"]) == ("not retryable", 1, 0)


@pytest.mark.parametrize("n, every", [(20, 5), (12, 4), (7, 1)])
def test_a_retried_write_after_a_lost_ack_duplicates_unless_idempotent(n, every):
    plain = retry_cases.duplicate_writes(n, every)
    assert plain["duplicates"] == n // every == plain["retries"]
    assert plain["rows"] == n + n // every and plain["overcharged"] > 0
    keyed = retry_cases.duplicate_writes(n, every, idempotent=True)
    assert (keyed["rows"], keyed["duplicates"], keyed["overcharged"], keyed["failed"]) == (n, 0, 0, 0)
    assert plain["failed"] == 0
    assert keyed["retries"] == plain["retries"]  # the same retries happened; the key absorbed them


def test_duplicate_writes_refuses_a_non_boolean_flag():
    with pytest.raises(ValueError, match=r"idempotent must be True or False, not 1\."):
        retry_cases.duplicate_writes(5, 2, idempotent=1)


# --- the thundering herd ---------------------------------------------------------------------------
POLICY = RetryPolicy(max_attempts=10, base_s=1, factor=2, max_s=60)


def test_lock_step_retries_hit_the_recovering_source_with_the_whole_herd():
    none = herd.herd(200, herd.replace(POLICY, jitter="none"), recover_at_s=10, capacity_per_s=20)
    full = herd.herd(200, POLICY, recover_at_s=10, capacity_per_s=20)
    assert none.summary["peak_after_recovery_per_s"] == 200
    assert full.summary["peak_after_recovery_per_s"] < 200 / 4
    assert none.summary["gave_up"] > 0 and full.summary["gave_up"] == 0
    assert full.summary["calls"] < none.summary["calls"]
    for result in (none, full):
        load = result.load
        assert (load["served"] <= 20).all()
        assert (load.loc[load["second"] < 10, "served"] == 0).all()
        assert load["calls"].sum() == result.summary["calls"]
        assert result.summary["served"] + result.summary["gave_up"] == 200


def test_herd_is_deterministic_and_compare_jitter_has_one_row_per_jitter():
    assert herd.herd(50, POLICY, seed=3).load.equals(herd.herd(50, POLICY, seed=3).load)
    table = herd.compare_jitter(100, POLICY, recover_at_s=5, capacity_per_s=10)
    assert table["jitter"].tolist() == ["none", "equal", "full"]
    assert table.set_index("jitter").loc["none", "peak_after_recovery_per_s"] == 100


@pytest.mark.parametrize("kwargs, message", [
    ({"n_clients": 0}, r"n_clients must be a whole number >= 1, not 0\."),
    ({"capacity_per_s": 2.5}, r"capacity_per_s must be a whole number >= 1, not 2.5\."),
    ({"recover_at_s": -1}, r"recover_at_s must be a number >= 0, not -1\."),
    ({"policy": "full"}, r"policy must be a RetryPolicy, not str\."),
])
def test_herd_refuses_bad_input(kwargs, message):
    args = {"n_clients": 10, "policy": POLICY, **kwargs}
    with pytest.raises(ValueError, match=message):
        herd.herd(**args)


# --- dead letters ------------------------------------------------------------------------------
def test_bad_records_go_aside_and_the_rest_of_the_batch_loads():
    con = dead_letter.open_store()
    records = order_records(30, poison=(4, 17), garbled=(9,))
    assert dead_letter.load(con, records, parse_order) == {"records": 30, "loaded": 27, "dead_lettered": 3}
    letters = dead_letter.dead_letters(con)
    assert letters["record_id"].tolist() == [4, 9, 17] and (letters["attempts"] == 1).all()
    assert letters["error"].str.startswith("PoisonRecord: record").all()
    assert dead_letter.load_all_or_nothing(dead_letter.open_store(), records, parse_order)["loaded"] == 0


def test_replay_after_the_fix_moves_what_now_parses_and_counts_attempts_for_the_rest():
    con = dead_letter.open_store()
    records = order_records(30, poison=(4, 17), garbled=(9,))
    dead_letter.load(con, records, parse_order)
    assert dead_letter.replay(con, parse_order) == {"replayed": 3, "loaded": 0, "still_failing": 3}
    assert dead_letter.replay(con, parse_order_fixed) == {"replayed": 3, "loaded": 2, "still_failing": 1}
    letters = dead_letter.dead_letters(con)
    assert letters[["record_id", "attempts", "first_failed_batch", "last_failed_batch"]].values.tolist() == [
        [9, 3, 1, 3]]
    amounts = dict(con.execute("SELECT record_id, amount FROM orders").fetchall())
    assert len(amounts) == 29 and amounts[4] == 12.5
    assert dead_letter.counts(con) == {"orders": 29, "dead_letter": 1}


def test_a_policy_retries_a_transient_parse_failure_but_sends_a_poison_record_aside_at_once():
    failures = {2: 2, 5: 9}  # record 2 fails twice then parses; record 5 never gets through

    def parse_with_lookup(record):
        left = failures.get(record["record_id"], 0)
        if left:
            failures[record["record_id"]] = left - 1
            raise TransientError(f"the customer lookup timed out for record {record['record_id']}")
        return parse_order(record)

    con = dead_letter.open_store()
    policy = RetryPolicy(max_attempts=4, base_s=0.1, jitter="none")
    report = dead_letter.load(con, order_records(8, poison=(6,)), parse_with_lookup, policy)
    assert report == {"records": 8, "loaded": 6, "dead_lettered": 2, "attempts": 8 + 2 + 3}
    letters = dead_letter.dead_letters(con).set_index("record_id")
    assert letters.loc[5, "attempts"] == 4 and letters.loc[5, "error"].startswith("TransientError")
    assert letters.loc[6, "attempts"] == 1 and letters.loc[6, "error"].startswith("PoisonRecord")


def test_loading_the_same_batch_twice_keeps_one_row_per_record():
    con = dead_letter.open_store()
    records = order_records(10, poison=(3,))
    dead_letter.load(con, records, parse_order)
    dead_letter.load(con, records, parse_order)
    assert dead_letter.counts(con) == {"orders": 9, "dead_letter": 1}
    assert dead_letter.dead_letters(con)["attempts"].tolist() == [2]


def test_a_dead_letter_store_in_a_file_survives_reopening(tmp_path):
    path = tmp_path / "orders.db"
    con = dead_letter.open_store(path)
    dead_letter.load(con, order_records(5, poison=(1,)), parse_order)
    con.close()
    again = dead_letter.open_store(path)
    assert dead_letter.counts(again) == {"orders": 4, "dead_letter": 1}
    again.close()


@pytest.mark.parametrize("call, message", [
    (lambda: dead_letter.load("db", [], parse_order), r"con must be a sqlite3 connection from open_store\(\), not str\."),
    (lambda: dead_letter.load(dead_letter.open_store(), [], "parse"), r"parse must be a function"),
    (lambda: dead_letter.load(dead_letter.open_store(), [{"amount": "1"}], parse_order),
     r"every record must be a dict with a 'record_id'"),
    (lambda: dead_letter.load(dead_letter.open_store(), {"record_id": 1}, parse_order), r"records must be a list"),
    (lambda: dead_letter.load(dead_letter.open_store(), [], parse_order, policy=3), r"policy must be a RetryPolicy or None"),
])
def test_dead_letter_refuses_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- checkpoint and restart ------------------------------------------------------------------------
FILES = checkpoint.input_files(n_files=5, rows_per_file=4, seed=2)


def test_only_a_checkpoint_in_the_same_transaction_survives_every_crash_point():
    table = checkpoint.compare_modes(FILES).set_index("mode")
    assert table.loc["same_transaction", ["with_duplicates", "with_gaps"]].tolist() == [0, 0]
    assert table.loc["same_transaction", "files_loaded_worst"] == 5  # no file loaded twice
    after = table.loc["checkpoint_after"]
    assert after["with_duplicates"] > 0 and after["with_gaps"] == 0 and after["worst_duplicates"] == 4
    before = table.loc["checkpoint_before"]
    assert before["with_gaps"] > 0 and before["with_duplicates"] == 0 and before["worst_missing"] == 4
    assert table.loc["no_checkpoint", "worst_duplicates"] == 16  # four files committed, all loaded again
    assert table.loc["overwrite", ["with_duplicates", "with_gaps"]].tolist() == [0, 0]
    assert table.loc["overwrite", "files_loaded_worst"] > 5  # correct, but it redoes work


def test_every_crash_point_is_tried_and_the_restart_finishes_the_job():
    sweep = checkpoint.crash_sweep("same_transaction", FILES)
    assert len(sweep) == checkpoint.statements("same_transaction", FILES) == 1 + 5 * (1 + 4 + 1 + 1)
    assert sweep["crashed_at"].notna().all()
    assert (sweep["rows"] == 20).all()


def test_a_crash_after_the_last_statement_is_no_crash():
    n = checkpoint.statements("checkpoint_after", FILES)
    report = checkpoint.crash_and_restart("checkpoint_after", FILES, crash_before=n + 1)
    assert report["crashed_at"] is None and report["files_loaded"] == 5
    assert (report["duplicates"], report["missing"]) == (0, 0)


def test_a_restart_that_reopens_the_database_file_sees_the_same(tmp_path):
    # statement 8 opens the first checkpoint transaction after the rows committed; statement 7 is
    # the second row insert, after the checkpoint committed
    for mode, key, point in (("checkpoint_after", "duplicates", 8), ("checkpoint_before", "missing", 7)):
        on_disk = checkpoint.crash_and_restart(mode, FILES, point, path=tmp_path / f"{mode}.db")
        in_memory = checkpoint.crash_and_restart(mode, FILES, point)
        assert on_disk == in_memory and on_disk[key] == 4
    same = checkpoint.crash_and_restart("same_transaction", FILES, 7, path=tmp_path / "same.db")
    assert (same["duplicates"], same["missing"]) == (0, 0)
    con = sqlite3.connect(tmp_path / "same.db")
    assert con.execute("SELECT count(*), sum(rows) FROM checkpoint").fetchall() == [(5, 20)]
    con.close()


@pytest.mark.parametrize("call, message", [
    (lambda: checkpoint.crash_and_restart("exactly_once", FILES, 3), r"mode must be one of same_transaction, "),
    (lambda: checkpoint.crash_and_restart("overwrite", FILES, 0), r"crash_before must be a whole number >= 1"),
    (lambda: checkpoint.crash_and_restart("overwrite", FILES, True), r"crash_before must be a whole number"),
    (lambda: checkpoint.crash_and_restart("overwrite", {}, 3), r"files must be a non-empty dict"),
    (lambda: checkpoint.crash_and_restart("overwrite", {"a.csv": [1, 2]}, 3), r"'a.csv' does not\."),
    (lambda: checkpoint.input_files(n_files=-2), r"n_files must be a whole number >= 1, not -2\."),
    (lambda: checkpoint.input_files(first_day=1), r"first_day must be a date or a timestamp"),
])
def test_checkpoint_refuses_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- logical dates, catch-up, backfill, idempotent reruns ---------------------------------------------
def _days(frame):
    return frame["logical_date"].dt.strftime("%Y-%m-%d").tolist()


def test_catch_up_creates_every_missed_interval_and_without_it_only_the_latest():
    args = ("2024-03-01", "2024-03-02", "2024-03-06 00:00")
    assert _days(backfill_plan.runs_to_create(*args)) == ["2024-03-03", "2024-03-04", "2024-03-05"]
    latest = backfill_plan.runs_to_create(*args, catchup=False)
    assert _days(latest) == ["2024-03-05"] and latest["kind"].tolist() == ["latest"]
    first = backfill_plan.runs_to_create("2024-03-01", None, "2024-03-03 09:00")
    assert _days(first) == ["2024-03-01", "2024-03-02"]
    assert (first["interval_end"] - first["interval_start"] == pd.Timedelta(days=1)).all()


def test_a_run_is_not_due_before_its_interval_ends():
    assert backfill_plan.runs_to_create("2024-03-01", None, "2024-03-01 23:59").empty
    assert _days(backfill_plan.runs_to_create("2024-03-01", None, "2024-03-02 00:00")) == ["2024-03-01"]
    assert backfill_plan.runs_to_create("2024-03-01", "2024-03-04", "2024-03-05 12:00").empty


def test_hourly_schedule():
    runs = backfill_plan.runs_to_create("2024-03-01 00:00", "2024-03-01 02:00", "2024-03-01 05:30", schedule="hourly")
    assert runs["logical_date"].dt.hour.tolist() == [3, 4]


@pytest.mark.parametrize("kwargs, message", [
    ({"schedule": "weekly"}, r"schedule must be one of daily, hourly; got 'weekly'\."),
    ({"catchup": "yes"}, r"catchup must be True or False, not 'yes'\."),
    ({"start": True}, r"start must be a date or a timestamp such as '2024-03-01', not True\."),
    ({"start": 20240301}, r"start must be a date or a timestamp"),
    ({"now": "yesterday-ish"}, r"now must be a date or a timestamp"),
    ({"last_success": "2024-02-01"}, r"last_success \(2024-02-01\) is before start \(2024-03-01\)\."),
    ({"last_success": "2024-03-09"}, r"cannot have run yet at now"),
])
def test_runs_to_create_refuses_bad_input(kwargs, message):
    args = {"start": "2024-03-01", "last_success": None, "now": "2024-03-06", **kwargs}
    with pytest.raises(ValueError, match=message):
        backfill_plan.runs_to_create(**args)


@pytest.mark.parametrize("limit", [1, 2, 4, 31])
def test_a_backfill_never_runs_more_than_max_active_runs(limit):
    plan = backfill_plan.backfill("2024-01-01", "2024-01-31", max_active_runs=limit, seed=4)
    assert plan.summary["runs"] == 31
    assert plan.summary["peak_active"] == min(limit, 31)
    assert plan.runs["logical_date"].is_monotonic_increasing
    assert plan.runs["start_min"].is_monotonic_increasing  # oldest day first


def test_more_slots_finish_sooner_but_a_job_that_depends_on_its_past_goes_one_day_at_a_time():
    one = backfill_plan.backfill("2024-01-01", "2024-01-20", 1)
    four = backfill_plan.backfill("2024-01-01", "2024-01-20", 4)
    chained = backfill_plan.backfill("2024-01-01", "2024-01-20", 4, depends_on_past=True)
    assert four.summary["makespan_min"] < one.summary["makespan_min"] / 2
    assert chained.summary["peak_active"] == 1
    assert chained.summary["makespan_min"] == one.summary["makespan_min"]
    runs = chained.runs
    assert (runs["start_min"].iloc[1:].values >= runs["end_min"].iloc[:-1].values).all()


@pytest.mark.parametrize("kwargs, message", [
    ({"max_active_runs": 0}, r"max_active_runs must be a whole number >= 1, not 0\."),
    ({"max_active_runs": True}, r"max_active_runs must be a whole number >= 1, not True\."),
    ({"depends_on_past": "no"}, r"depends_on_past must be True or False"),
    ({"minutes": (10, 5)}, r"minutes must be \(low, high\) with low <= high"),
    ({"minutes": 5}, r"minutes must be a \(low, high\) pair"),
    ({"end": "2023-12-01"}, r"end \(2023-12-01\) is before start \(2024-01-01\)\."),
])
def test_backfill_refuses_bad_input(kwargs, message):
    args = {"start": "2024-01-01", "end": "2024-01-05", **kwargs}
    with pytest.raises(ValueError, match=message):
        backfill_plan.backfill(**args)


@pytest.fixture(scope="module")
def orders_by_day():
    return ensure("ecommerce", progress=False)["orders_by_day"]


def test_rerunning_a_day_overwrites_its_partition_but_an_append_doubles_it(orders_by_day):
    table = backfill_plan.rerun_check(orders_by_day, days_between("2024-02-01", "2024-02-04"), "2024-02-03")
    table = table.set_index("job")
    overwrite, append = table.loc["overwrite partition"], table.loc["append"]
    assert overwrite["unchanged"] and overwrite["rows_after"] == overwrite["rows_before"]
    assert overwrite["revenue_after"] == overwrite["revenue_before"] > 0
    assert not append["unchanged"] and append["rows_after"] > append["rows_before"]
    assert append["revenue_after"] == pytest.approx(2 * append["revenue_before"], abs=0.02)


@pytest.mark.parametrize("args, message", [
    ((None, ["2024-02-01"], "2024-02-01"), r"source must be the folder of daily partitions, not NoneType\."),
    (("folder", "2024-02-01", "2024-02-01"), r"days must be a list of days"),
    (("folder", [], "2024-02-01"), r"days must list at least one day"),
    (("folder", ["2024-02-01"], False), r"rerun must be a date or a timestamp"),
])
def test_rerun_check_refuses_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        backfill_plan.rerun_check(*args)


def test_rerun_check_names_a_missing_day_without_a_machine_path(tmp_path):
    with pytest.raises(FileNotFoundError) as caught:
        backfill_plan.rerun_check(tmp_path, ["2024-02-01"], "2024-02-01")
    assert "no source data for 2024-02-01" in str(caught.value) and str(tmp_path) not in str(caught.value)


# --- pictures and hygiene ----------------------------------------------------------------------------
def test_each_plot_draws_on_the_axes_it_is_given():
    fig, axes = plt.subplots(2, 2)
    results = {"none": herd.herd(30, herd.replace(POLICY, jitter="none"), 5, 10), "full": herd.herd(30, POLICY, 5, 10)}
    drawn = [plots.plot_delays(POLICY, axes[0, 0]),
             plots.plot_load(results, axes[0, 1], capacity_per_s=10, recover_at_s=5, from_s=1),
             plots.plot_crash_sweep(checkpoint.crash_sweep("checkpoint_after", FILES), axes[1, 0]),
             plots.plot_backfill(backfill_plan.backfill("2024-01-01", "2024-01-08", 3), axes[1, 1])]
    assert drawn == [axes[0, 0], axes[0, 1], axes[1, 0], axes[1, 1]]
    assert all(ax.has_data() for ax in drawn)
    plt.close(fig)


def test_the_lab_is_quiet(capfd):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        checkpoint.compare_modes(checkpoint.input_files(3, 2))
        herd.compare_jitter(40)
        retry_cases.poison_case(forever=20)
        dead_letter.replay(dead_letter.open_store(), parse_order_fixed)
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_recovery_never_imports_the_grader_nor_an_orchestrator():
    folder = pathlib.Path(checkpoint.__file__).parent
    for module in sorted(folder.glob("*.py")):
        imported = set()
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
        assert not imported & {"grader", "drills", "airflow", "dagster", "luigi", "prefect"}, module.name
