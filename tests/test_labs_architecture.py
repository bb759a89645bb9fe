"""labs.architecture on real engines and small generated data (notebook 01-architecture)."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from labs.architecture import batch_stream, consumers, engine_choice, estimates, events, lake_warehouse, lambda_kappa
from labs.architecture import scaling, serving


@pytest.fixture(scope="module")
def orders():
    return events.make_events(3_000, seed=11)


# --- events ------------------------------------------------------------------------------------
def test_events_are_seeded_and_slices_cover_every_event_once(orders):
    assert orders.equals(events.make_events(3_000, seed=11))
    assert not orders.equals(events.make_events(3_000, seed=12))
    parts = events.slices(orders, 7)
    assert sum(len(p) for p in parts) == len(orders)
    assert pd.concat(parts)["event_id"].is_unique
    assert all(p["event_time"].max() < q["event_time"].min() for p, q in zip(parts, parts[1:]) if len(p) and len(q))


def test_drop_files_writes_json_lines_that_read_back(orders, tmp_path):
    paths = events.drop_files(orders, tmp_path, n_files=5)
    assert [p.name for p in paths] == [events.file_name(k) for k in range(5)]
    back = pd.concat(pd.read_json(p, lines=True) for p in paths)
    assert len(back) == len(orders) and set(back["event_id"]) == set(orders["event_id"])
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_bad_arguments_get_one_sentence(orders):
    with pytest.raises(ValueError, match="n must be a whole number"):
        events.make_events(0)
    with pytest.raises(ValueError, match="n_files"):
        events.slices(orders, 0)


# --- batch and stream: the cost model ----------------------------------------------------------------
def test_trigger_sweep_is_consistent_with_the_crossover():
    costs = batch_stream.TriggerCosts(overhead_s=0.5, per_row_s=2e-6, rows_per_day=100_000_000)
    t = costs.crossover_s()
    assert batch_stream.DAY_S / t * costs.overhead_s == pytest.approx(costs.rows_per_day * costs.per_row_s)
    sweep = batch_stream.trigger_sweep(costs, [1, 60, 3600, 86_400])
    assert sweep["compute_s_per_day"].is_monotonic_decreasing
    assert sweep["mean_staleness_s"].is_monotonic_increasing
    assert (sweep["worst_staleness_s"] > sweep["mean_staleness_s"]).all()
    with pytest.raises(ValueError, match="trigger interval"):
        batch_stream.trigger_sweep(costs, [0])


def test_fit_costs_recovers_a_known_overhead():
    progress = pd.DataFrame({"batch_id": range(4), "rows": [1000] * 4, "ms": [900, 300, 310, 290]})
    run = batch_stream.StreamRun(pd.DataFrame(), progress, rows=4_000)
    costs = batch_stream.fit_costs(run, per_row_s=1e-4, rows_per_day=10_000)
    assert costs.overhead_s == pytest.approx(0.305 - 0.1)  # median 305 ms less 1,000 rows x 0.1 ms
    with pytest.raises(ValueError, match="no micro-batches"):
        batch_stream.fit_costs(batch_stream.StreamRun(pd.DataFrame(), progress.head(0), 0), 1e-4, 10)


def test_batch_and_stream_agree_with_pandas(orders, tmp_path, spark):
    events.drop_files(orders, tmp_path / "landing", n_files=6)
    batch = batch_stream.batch_metric(spark, tmp_path / "landing")
    run = batch_stream.stream_metric(spark, orders, n_files=3, workdir=tmp_path / "stream", name="test_revenue")
    reference = events.revenue_by_country(orders)
    assert batch.equals(reference) and run.result.equals(reference)
    assert len(run.progress) == 3 and run.rows == len(orders)


# --- Lambda and Kappa --------------------------------------------------------------------------------
def test_lambda_drifts_when_one_path_changes_and_kappa_does_not(orders):
    cut = 2_000
    truth = lambda_kappa.kappa_view(orders, "v2")
    refunds = orders.iloc[cut:].query("status == 'refunded'")["amount"].sum()
    half = lambda_kappa.lambda_view(orders, cut, batch_rule="v2", speed_rule="v1")
    assert lambda_kappa.mismatch(half, truth) == pytest.approx(refunds, abs=0.01)  # exactly the speed layer's refunds
    assert lambda_kappa.mismatch(lambda_kappa.lambda_view(orders, cut, "v2", "v2"), truth) == 0
    v1 = lambda_kappa.kappa_view(orders, "v1")
    paid = orders[orders["status"] == "paid"].groupby("country")["amount"].sum().round(2)
    assert v1.set_index("country")["revenue"].to_dict() == pytest.approx(paid.to_dict())
    with pytest.raises(ValueError, match="rule must be one of"):
        lambda_kappa.batch_layer(orders, "v3")


# --- consumers ------------------------------------------------------------------------------------
def _events(n=30):
    return [{"event_id": i, "customer_id": i % 4, "amount_cents": 50 + i} for i in range(1, n + 1)]


def test_deliveries_hold_every_event_and_some_twice():
    stream = consumers.deliveries(_events(), redeliver=0.5, seed=2)
    ids = [e["event_id"] for e in stream]
    assert set(ids) == set(range(1, 31)) and len(ids) > 30
    assert consumers.deliveries(_events(), redeliver=0.0) == _events()


def test_naive_consumer_overcounts_exactly_the_redeliveries():
    stream = consumers.deliveries(_events(), redeliver=0.5, seed=2)
    extra = sum(e["amount_cents"] for e in stream) - sum(e["amount_cents"] for e in _events())
    assert consumers.run(consumers.naive_consumer, stream)["overcounted_cents"] == extra > 0
    assert consumers.run(consumers.idempotent_consumer, stream)["overcounted_cents"] == 0


def test_a_crash_between_two_writes_tears_two_transactions_but_not_one():
    def two_commits(con, event):
        if con.execute("SELECT 1 FROM processed WHERE event_id = ?", (event["event_id"],)).fetchall():
            return
        con.execute("INSERT INTO totals VALUES (?, ?) ON CONFLICT (customer_id) DO UPDATE "
                    "SET total_cents = total_cents + excluded.total_cents", (event["customer_id"], event["amount_cents"]))
        con.commit()
        con.execute("INSERT INTO processed VALUES (?)", (event["event_id"],))
        con.commit()

    torn = consumers.run(two_commits, _events(), crash_at=5)
    assert torn["crashes"] == 1 and torn["overcounted_cents"] == _events()[5]["amount_cents"]
    whole = consumers.run(consumers.idempotent_consumer, _events(), crash_at=5)
    assert whole["crashes"] == 1 and whole["overcounted_cents"] == 0 and whole["deliveries"] == 31


# --- lake and warehouse -----------------------------------------------------------------------------
def test_schema_on_read_fails_or_lies_and_the_warehouse_quarantines(orders, tmp_path):
    lake_warehouse.write_lake(orders, tmp_path / "raw", n_files=3)
    readers = lake_warehouse.read_lake(tmp_path / "raw")
    assert [r["outcome"] for r in readers] == ["error", "error", "answer"]
    assert not any(str(tmp_path) in r["message"] for r in readers)  # no machine path in a message
    right = round(events.revenue_by_country(orders)["revenue"].sum(), 2)
    assert readers[2]["revenue"] == pytest.approx(right - 45.0)  # kept the negative amount, dropped the text one
    loaded = lake_warehouse.load_warehouse(tmp_path / "raw")
    assert loaded["loaded"] == len(orders) and loaded["quarantined"] == len(lake_warehouse.BAD_RECORDS)
    assert loaded["revenue"] == pytest.approx(right) and "12,50" in loaded["strict load"]


def test_json_reads_more_bytes_than_parquet(orders, tmp_path):
    lake_warehouse.write_lake(orders, tmp_path / "raw", n_files=2)
    costs = lake_warehouse.scan_costs(tmp_path / "raw", repeat=1)
    assert costs["bytes_read"].iloc[0] > 5 * costs["bytes_read"].iloc[1]


# --- scaling ------------------------------------------------------------------------------------------
def test_amdahl_and_its_inverse():
    assert scaling.amdahl(0.0, 8) == pytest.approx(8)
    assert scaling.amdahl(1.0, 8) == pytest.approx(1)
    for s in (0.05, 0.3, 0.9):
        assert scaling.serial_share(scaling.amdahl(s, 2), p=2) == pytest.approx(s)
    assert scaling.serial_share(0.5, 2) == 1.0 and scaling.serial_share(3.0, 2) == 0.0  # clipped
    with pytest.raises(ValueError, match="serial"):
        scaling.amdahl(1.5, 2)


def test_threads_timing_and_memory_limit_run_and_agree():
    t = scaling.threads_timing(rows=200_000, repeat=1)
    assert t["threads"].tolist() == [1, 2] and t["speedup"].iloc[0] == 1.0
    m = scaling.memory_limit_timing(rows=1_000_000, limit_mb=20, repeat=1)
    assert m["finished"].tolist() == [True, True, False]
    assert m["same_result"].iloc[1] and m["error"].iloc[2] == "OutOfMemoryException"


# --- engines and serving ------------------------------------------------------------------------------
def test_duckdb_aggregate_is_right():
    rows = engine_choice.duckdb_aggregate(1_000)
    assert len(rows) == 100 and sum(n for _, n, _ in rows) == 1_000
    assert sum(t for _, _, t in rows) == sum(i % 7 for i in range(1_000))


def test_spark_and_duckdb_agree(spark):
    assert engine_choice.spark_aggregate(spark, 5_000) == engine_choice.duckdb_aggregate(5_000)


def test_every_store_serves_the_same_answers(orders):
    stores = serving.build_stores(orders)
    served = serving.lookup_latency(stores, customers=int(orders["customer_id"].max()), lookups=50)
    assert served["same_answers"].all() and len(served) == 4
    paid = orders[orders["status"] == "paid"].groupby("customer_id")["amount"].sum()
    some = int(paid.index[0])
    assert all(math.isclose(ask(some), paid.loc[some], abs_tol=1e-6) for ask in stores.values())
    assert all(ask(10**9) == 0.0 for ask in stores.values())  # a customer with no orders


# --- estimates ---------------------------------------------------------------------------------------
def test_storage_and_rate_estimates():
    assert estimates.storage_tb(1e12, 1) == pytest.approx(1.0)
    assert estimates.storage_tb(200e6, 500, compression=5, replication=3, days=90) == pytest.approx(5.4)
    assert estimates.peak_rate(86_400, peak_to_mean=3) == pytest.approx(3.0)
    with pytest.raises(ValueError, match="compression"):
        estimates.storage_tb(1, 1, compression=0.5)


@pytest.mark.parametrize("need, pick", [
    (87_000, ("batch", 86_400)), (86_999, ("batch", 3_600)), (4_200, ("batch", 3_600)), (4_199, ("stream", 300)),
    (65, ("stream", 60)), (64, ("stream", 10)), (6, ("stream", 1)), (5.9, ("per-event", 0)),
])
def test_schedule_boundaries(need, pick):
    assert estimates.schedule(need) == pick


def test_schedule_refuses_nonsense():
    with pytest.raises(ValueError, match="max_staleness_s"):
        estimates.schedule(0)
