"""labs.pipelines on the real engines (DuckDB, SQLite, Spark), with small generated data."""
from __future__ import annotations

import copy
import datetime as dt
import itertools
import random

import pandas as pd
import pytest

from labs import engines
from labs.data import ensure
from labs.pipelines import backfill, etl_vs_elt, incremental, quality_gates, sources
from labs.pipelines import metadata_pipeline as mp
from labs.pipelines.fingerprint import content_hash, duckdb_table_hash


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """A small e-commerce data set of its own (a quarter of the default size)."""
    return ensure("ecommerce", scale=0.25, seed=3, out=tmp_path_factory.mktemp("data"), progress=False)


# --- fingerprint -------------------------------------------------------------------------------
def test_hash_ignores_row_and_column_order_but_not_values():
    a = pd.DataFrame({"k": [1, 2, 3], "v": ["x", "y", None]})
    assert content_hash(a) == content_hash(a.iloc[::-1][["v", "k"]])
    assert content_hash(a) != content_hash(a.assign(v=["x", "y", "z"]))
    assert content_hash(a) != content_hash(pd.concat([a, a.iloc[:1]])), "a duplicated row must change the hash"
    assert content_hash(a) != content_hash(a.rename(columns={"v": "w"}))


def test_hash_tolerates_float_noise_and_engine_types():
    a = pd.DataFrame({"day": [dt.date(2024, 1, 1)], "revenue": [0.1 + 0.2], "n": [3]})
    b = pd.DataFrame({"day": [pd.Timestamp("2024-01-01")], "revenue": [0.3], "n": [3.0]})
    assert content_hash(a) == content_hash(b)
    utc = pd.DataFrame({"t": [pd.Timestamp("2024-01-01 12:00", tz="UTC")]})
    paris = pd.DataFrame({"t": [pd.Timestamp("2024-01-01 13:00", tz="Europe/Paris")]})
    assert content_hash(utc) == content_hash(paris)
    assert content_hash(pd.DataFrame({"x": [float("nan")]})) == content_hash(pd.DataFrame({"x": [None]}))


def test_hash_of_a_duckdb_table_and_bad_input():
    con = engines.duckdb()
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES (2, 'b'), (1, 'a')) v(k, s)")
    assert duckdb_table_hash(con, "t") == content_hash(pd.DataFrame({"k": [1, 2], "s": ["a", "b"]}))
    with pytest.raises(TypeError, match="needs a pandas, Spark or DuckDB table"):
        content_hash([(1, "a")])


# --- quality gates -----------------------------------------------------------------------------
@pytest.fixture()
def batch_con():
    con = engines.duckdb()
    con.execute("""CREATE TABLE batch AS SELECT * FROM (VALUES
        (1, 20.0, 'web'), (2, -5.0, 'web'), (3, NULL, 'store'), (4, 10.0, 'fax'), (5, -1.0, 'fax'))
        t(id, amount, channel)""")
    return con


RULES = {"positive_amount": "amount > 0", "known_channel": "channel IN ('web', 'mobile', 'store')"}


def test_gate_quarantines_nulls_and_reconciles(batch_con):
    report = quality_gates.gate_duckdb(batch_con, "batch", RULES, passed="clean", quarantine="bad")
    assert (report.rows_in, report.rows_passed, report.rows_quarantined) == (5, 1, 4) and report.reconciled
    assert report.failures == {"positive_amount": 3, "known_channel": 2}
    bad = dict(batch_con.execute("SELECT id, failed_rules FROM bad").fetchall())
    assert bad == {2: "positive_amount", 3: "positive_amount", 4: "known_channel", 5: "positive_amount,known_channel"}
    assert batch_con.execute("SELECT id FROM clean").fetchall() == [(1,)]
    assert str(report) == "5 in = 1 passed + 4 quarantined"
    assert report.table().to_dict("list") == {"rule": ["positive_amount", "known_channel"], "rows_failing": [3, 2]}


def test_gate_names_the_bad_rule_before_writing(batch_con):
    with pytest.raises(ValueError, match=r"rule 'typo' \(amountt > 0\) does not run on batch"):
        quality_gates.gate_duckdb(batch_con, "batch", {"ok": "amount > 0", "typo": "amountt > 0"}, "clean", "bad")
    tables = {r[0] for r in batch_con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert tables == {"batch"}


@pytest.mark.parametrize("rules, message", [
    ({}, "rules is empty"),
    ({"has space": "x > 0"}, "must be a plain identifier"),
    ({"r": ""}, "needs a SQL condition"),
    ([("r", "x > 0"), ("r", "x < 9")], "appears twice"),
    (42, "must be a dict"),
])
def test_rules_are_validated(rules, message):
    with pytest.raises(ValueError, match=message):
        quality_gates.normalise_rules(rules)


def test_gate_refuses_a_column_named_like_its_output(batch_con):
    batch_con.execute("CREATE TABLE b2 AS SELECT *, '' AS failed_rules FROM batch")
    with pytest.raises(ValueError, match="failed_column"):
        quality_gates.gate_duckdb(batch_con, "b2", RULES, "clean", "bad")


def test_spark_gate_splits_like_duckdb(spark, batch_con):
    frame = batch_con.sql("SELECT * FROM batch").df()
    passed, quarantined = quality_gates.gate_spark(spark.createDataFrame(frame), RULES)
    assert sorted(r["id"] for r in passed.collect()) == [1]
    assert {r["id"]: r["failed_rules"] for r in quarantined.collect()}[5] == "positive_amount,known_channel"


def test_the_gate_is_a_layer_over_the_one_rule_engine(batch_con):
    from labs.quality import rules as engine

    assert quality_gates.Rule is engine.Rule and quality_gates.FAILED_RULES is engine.FAILED_RULES
    assert quality_gates.normalise_rules({"has_id": "id IS NOT NULL"}) == [engine.Rule("has_id", condition="id IS NOT NULL")]
    quality_gates.gate_duckdb(batch_con, "batch", RULES, passed="clean", quarantine="bad")
    tagged = batch_con.sql(engine.tagged_sql("batch", quality_gates.normalise_rules(RULES), order_by="id")).df()
    passed, quarantined = engine.split_tagged(tagged)
    assert passed["id"].tolist() == [r[0] for r in batch_con.execute("SELECT id FROM clean").fetchall()]
    assert quarantined[["id", "failed_rules"]].values.tolist() == [
        list(r) for r in batch_con.execute("SELECT id, failed_rules FROM bad ORDER BY id").fetchall()]
    typed = engine.Rule("amount_present", table="batch", column="amount", check="not_null")
    with pytest.raises(ValueError, match="needs a SQL condition as text"):
        quality_gates.normalise_rules([typed])


# --- sources -----------------------------------------------------------------------------------
def test_order_versions_are_seeded_and_ordered_per_order():
    v = sources.order_versions(n_orders=60, seed=5)
    assert v.equals(sources.order_versions(n_orders=60, seed=5))
    assert not v.equals(sources.order_versions(n_orders=60, seed=6))
    assert (v["visible_at"] >= v["updated_at"]).all() and (v["visible_at"] > v["updated_at"]).any()
    for _, history in v.sort_values("updated_at").groupby("order_id"):
        assert history["visible_at"].is_monotonic_increasing, "a later version became visible first"
    with pytest.raises(ValueError, match="late_share"):
        sources.order_versions(late_share=2)


def test_returns_export_has_the_planted_mess():
    raw = sources.returns_export(n_returns=200, seed=2)
    assert raw.duplicated().sum() > 0 and (raw["status"] == "void").sum() > 0
    clean = sources.returns_clean(raw)
    assert clean["return_id"].is_unique and "agent_note" not in clean and (clean["status"] != "void").all()
    # some returns are re-sent with their decision: the clean table keeps that latest version
    redone = raw.drop_duplicates().groupby("return_id").filter(lambda g: g["status"].nunique() > 1)
    assert len(redone) > 0
    latest = redone.sort_values("updated_at").groupby("return_id").tail(1).set_index("return_id")["status"]
    assert (clean.set_index("return_id").loc[latest.index, "status"] == latest).all()
    assert (redone.groupby("return_id")["status"].first() == "requested").all(), "the older copy comes first"


def test_dirty_orders_carry_values_on_the_rules_edges():
    batch = sources.dirty_orders()
    for column, value in sources.EDGE_VALUES:
        assert (batch[column] == value).sum() == 1, (column, value)
    assert (batch["customer_id"] == 2000).any(), "the last valid customer id is there too"
    with pytest.raises(ValueError, match="n_returns"):
        sources.returns_export(n_returns=0)


# --- incremental loads and upserts ---------------------------------------------------------------
VERSIONS = sources.order_versions(n_orders=120, seed=4)


def test_without_look_back_late_commits_are_missed():
    report = incremental.simulate(VERSIONS, lookback="0min")
    assert report.missed > 0 and not report.identical and report.duplicates == 0


@pytest.mark.parametrize("strategy", ["merge", "insert_or_replace", "delete_insert"])
def test_look_back_plus_upsert_matches_the_source(strategy):
    report = incremental.simulate(VERSIONS, lookback="2h", strategy=strategy)
    assert report.identical and report.missed == 0 and report.duplicates == 0


def test_a_look_back_as_long_as_the_longest_delay_misses_no_version():
    delay = (VERSIONS["visible_at"] - VERSIONS["updated_at"]).max()
    safe = incremental.simulate(VERSIONS, lookback=delay.ceil("1min"))
    assert safe.missed == safe.missed_versions == 0
    for lookback in ("0min", "30min"):
        report = incremental.simulate(VERSIONS, lookback=lookback)
        assert report.missed_versions >= report.missed > 0, "a missed final state is a missed version too"


def test_append_is_not_idempotent():
    report = incremental.simulate(VERSIONS, lookback="2h", strategy="append")
    assert report.duplicates > 0 and report.target_rows > report.source_rows


def _target(strategy):
    con = engines.duckdb()
    incremental.create_target(con, "orders", strategy=strategy)
    con.execute("INSERT INTO orders VALUES (1, 'paid', 10.0, '2024-03-01 10:00:00'), (2, 'shipped', 20.0, '2024-03-01 12:00:00')")
    return con


BATCH = pd.DataFrame({
    "order_id": [2, 3, 1, 1],
    "status": ["placed", "placed", "shipped", "completed"],  # order 2: a stale replay; order 1: two versions
    "amount": [20.0, 30.0, 10.0, 10.0],
    "updated_at": pd.to_datetime(["2024-03-01 09:00", "2024-03-01 11:00", "2024-03-01 13:00", "2024-03-01 15:00"]),
})
EXPECTED = {1: "completed", 2: "shipped", 3: "placed"}


@pytest.mark.parametrize("strategy", ["merge", "insert_or_replace", "delete_insert"])
def test_upsert_keeps_the_latest_version_and_is_idempotent(strategy):
    con = _target(strategy)
    for batch in (BATCH, BATCH.iloc[::-1]):  # twice, and in the other order
        incremental.upsert(con, "orders", batch, strategy=strategy)
        assert dict(con.execute("SELECT order_id, status FROM orders").fetchall()) == EXPECTED


def test_a_crash_before_commit_leaves_target_and_mark_untouched():
    source = incremental.SourceDB(VERSIONS)
    loader = incremental.IncrementalLoader(source, lookback="1h")
    source.advance("2024-03-01 06:00")
    first = loader.run()
    assert first.mark_before is None and first.pulled > 0
    rows = loader.con.execute("SELECT count(*) FROM orders").fetchall()[0][0]
    source.advance("2024-03-01 12:00")
    with pytest.raises(incremental.SimulatedCrash):
        loader.run(crash_before_commit=True)
    assert loader.mark() == first.mark_after
    assert loader.con.execute("SELECT count(*) FROM orders").fetchall()[0][0] == rows
    assert loader.run().pulled > 0 and loader.mark() > first.mark_after


def test_the_mark_never_moves_back():
    source = incremental.SourceDB(VERSIONS)
    loader = incremental.IncrementalLoader(source, lookback="3h")
    source.advance("2024-03-01 08:00")
    mark = loader.run().mark_after
    again = loader.run()  # only re-reads rows inside the look-back
    assert again.pulled > 0 and again.mark_after == mark


@pytest.mark.parametrize("kwargs, message", [
    ({"strategy": "upsertify"}, "strategy must be one of merge, insert_or_replace"),
    ({"lookback": "-5min"}, "lookback must not be negative"),
])
def test_loader_validates_its_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        incremental.IncrementalLoader(incremental.SourceDB(VERSIONS), **kwargs)


# --- backfills ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def days_and_source(shop):
    return backfill.days_between("2024-01-01", "2024-01-06"), shop["orders_by_day"]


def test_partition_overwrite_gives_the_same_table_in_any_order(days_and_source):
    days, source = days_and_source
    want = content_hash(backfill.run_days(backfill.DailyRevenueJob, source, days))
    orders = [days[::-1], days[:2] + days[3:] + days[2:3], days + days[1:3]]
    orders += [random.Random(seed).sample(days, len(days)) for seed in range(3)]
    for order in orders:
        assert content_hash(backfill.run_days(backfill.DailyRevenueJob, source, order)) == want, order


def test_a_stateful_job_needs_every_later_day_rerun(days_and_source):
    days, source = days_and_source
    want = content_hash(backfill.run_days(backfill.RevenueToDateJob, source, days))
    late = days[:2] + days[3:] + days[2:3]                    # day 3 arrives last
    assert content_hash(backfill.run_days(backfill.RevenueToDateJob, source, late)) != want
    repaired = late + days[3:]                                 # rerun everything after the hole, in order
    assert content_hash(backfill.run_days(backfill.RevenueToDateJob, source, repaired)) == want


def test_missing_source_day_and_bad_range(days_and_source):
    _, source = days_and_source
    job = backfill.DailyRevenueJob(source)
    with pytest.raises(FileNotFoundError, match="no source data for 2025-01-01"):
        job.run("2025-01-01")
    with pytest.raises(ValueError, match="is before start"):
        backfill.days_between("2024-01-05", "2024-01-01")


# --- ETL and ELT -------------------------------------------------------------------------------
def test_etl_and_elt_build_the_same_mart(spark, shop):
    elt, etl = engines.duckdb(), engines.duckdb()
    etl_vs_elt.run_elt(elt, shop)
    etl_vs_elt.run_etl(spark, etl, shop)
    assert len(etl_vs_elt.mart(elt)) > 0
    assert content_hash(etl_vs_elt.mart(elt)) == content_hash(etl_vs_elt.mart(etl))
    assert list(etl_vs_elt.inventory(etl)["table"]) == ["daily_category_revenue"]
    assert set(etl_vs_elt.inventory(elt)["table"]) == {"daily_category_revenue", "raw_orders", "raw_order_items", "raw_products"}


def test_load_raw_names_missing_tables():
    with pytest.raises(ValueError, match="lacks the source table"):
        etl_vs_elt.load_raw(engines.duckdb(), {"orders": "x"})


# --- metadata: checked without Spark ------------------------------------------------------------
def _returns_meta(src="in/returns.csv", out="out/returns"):
    return {
        "name": "returns",
        "source": {"type": "csv", "path": str(src), "schema": dict(sources.RETURN_SCHEMA)},
        "transforms": [
            {"op": "filter", "condition": "status <> 'void'"},
            {"op": "dedupe", "keys": ["return_id"], "order_by": "updated_at"},
            {"op": "drop", "columns": ["agent_note"]},
            {"op": "add_column", "name": "return_date", "expr": "to_date(requested_at)"},
        ],
        "destination": {"type": "parquet", "path": str(out), "partition_by": ["return_date"]},
    }


def test_good_metadata_has_no_problems_and_known_output_columns():
    meta = _returns_meta()
    assert mp.metadata_problems(meta) == []
    assert mp.check_metadata(meta) == ["return_id", "order_id", "requested_at", "reason", "refund_amount",
                                       "status", "updated_at", "return_date"]
    plan = mp.plan_table(meta)
    assert list(plan["op"]) == ["read", "filter", "dedupe", "drop", "add_column", "write"]
    assert plan["detail"].iloc[-1] == "parquet returns, partitioned by return_date"


def _mutate(fn):
    meta = _returns_meta()
    fn(meta)
    return meta


@pytest.mark.parametrize("change, message", [
    (lambda m: m.pop("destination"), "the metadata lacks the key 'destination'"),
    (lambda m: m.update(destinaton={}), "unknown key 'destinaton'"),
    (lambda m: m["source"].update(type="xml"), "source.type 'xml' is not supported; choose from csv, json, parquet"),
    (lambda m: m["source"].update(type="parquett"), "(did you mean 'parquet'?)"),
    (lambda m: m["source"].update(schema=[]), "source.schema must be a non-empty list"),
    (lambda m: m["transforms"].append({"op": "renam", "columns": {"a": "b"}}), "unknown op 'renam'"),
    (lambda m: m["transforms"].append({"op": "filter"}), "transforms[4] (filter) lacks the parameter 'condition'"),
    (lambda m: m["transforms"].append({"op": "filter", "condition": "x", "where": 1}), "unknown parameter 'where'"),
    (lambda m: m["transforms"].append({"op": "rename", "columns": {"reasn": "why"}}), "column 'reasn' is not a column here (did you mean 'reason'?)"),
    (lambda m: m["transforms"].append({"op": "add_column", "name": "status", "expr": "1"}), "column 'status' already exists"),
    (lambda m: m["transforms"].append({"op": "drop", "columns": ["agent_note"]}), "'agent_note' is not a column here"),
    (lambda m: m["transforms"].append({"op": "dedupe", "order_by": "requested_at"}), "order_by needs keys"),
    (lambda m: m["transforms"].append({"op": "quality_gate", "rules": {"r": "x > 0"}}), "destination.quarantine_path is needed"),
    (lambda m: m["transforms"].append({"op": "quality_gate", "rules": {"r": "x"}, "max_failed_fraction": 5}), "max_failed_fraction must be a number from 0 to 1"),
    (lambda m: m["transforms"].append({"op": "select", "columns": "return_id"}), "columns must be a non-empty list"),
    (lambda m: m["destination"].update(partition_by=["return_day"]), "partition column 'return_day' is not a column in the output (did you mean 'return_date'?)"),
    (lambda m: m["destination"].update(partition_by="return_date"), "partition_by must be a list of column names"),
    (lambda m: m["destination"].update(mode="upsert"), "destination.mode 'upsert' is not supported"),
    (lambda m: m["destination"].update(mode="overwrite_partitions", partition_by=[]), "'overwrite_partitions' needs partition_by"),
    (lambda m: m["destination"].update(max_partitions=0), "max_partitions must be a positive whole number"),
])
def test_malformed_metadata_is_named_precisely(change, message):
    problems = mp.metadata_problems(_mutate(change))
    assert any(message in p for p in problems), problems


def test_every_problem_is_reported_at_once_as_a_value_error():
    meta = _mutate(lambda m: (m["source"].update(type="xml"), m["destination"].update(partition_by=["nope"])))
    with pytest.raises(ValueError) as info:
        mp.check_metadata(meta)
    assert isinstance(info.value, mp.MetadataError) and len(info.value.problems) == 2
    assert str(info.value).startswith("pipeline 'returns': 2 problems in the metadata:")
    assert mp.metadata_problems("not a dict") == ["the metadata must be a dict; got str"]


# --- metadata pipelines on Spark ---------------------------------------------------------------
@pytest.fixture(scope="module")
def returns_csv(tmp_path_factory):
    return sources.write_returns_csv(tmp_path_factory.mktemp("src"))


def test_onboarding_by_metadata_gives_the_clean_table(spark, returns_csv, tmp_path, capfd):
    out = tmp_path / "returns"
    result = mp.run_pipeline(spark, _returns_meta(returns_csv, out))
    table = result.table()
    assert list(table["op"]) == ["read", "filter", "dedupe", "drop", "add_column", "write"]
    raw = sources.returns_export()
    assert table["rows"].iloc[0] == len(raw)
    assert table["rows"].iloc[-1] == result.rows_written == len(sources.returns_clean())
    assert result.partitions == 14 and len(list(out.glob("return_date=*"))) == 14
    written = spark.read.parquet(str(out)).toPandas()
    assert content_hash(written) == content_hash(sources.returns_clean())
    assert "seconds" not in table and "seconds" in result.table(timings=True)
    assert "SQLQueryContextLogger" not in capfd.readouterr().err


def _csv_meta(returns_csv, tmp_path, change):
    meta = _returns_meta(returns_csv, tmp_path / "out")
    change(meta)
    return meta


@pytest.mark.parametrize("change, phase, message", [
    (lambda m: m["source"]["schema"].pop("reason"), "source schema",
     "returns.csv: unexpected column reason (declare them, or set source.allow_extra_columns"),
    (lambda m: m["source"]["schema"].update(channel="string"), "source schema", "returns.csv: missing column channel"),
    (lambda m: m["transforms"][0].update(condition="statuss <> 'void'"), "plan",
     "transforms[0] (filter): condition \"statuss <> 'void'\" is not valid here: unknown column `statuss`"),
    (lambda m: m["transforms"][0].update(condition="refund_amount + 1"), "plan", "not a boolean"),
    (lambda m: m["transforms"][3].update(expr="to_dat(requested_at)"), "plan", "unknown function `to_dat`"),
    (lambda m: m["transforms"].append({"op": "cast", "columns": {"refund_amount": "decimall(10,2)"}}), "plan",
     "unknown type"),
])
def test_bad_plans_fail_before_any_data_moves(spark, returns_csv, tmp_path, change, phase, message, capfd):
    meta = _csv_meta(returns_csv, tmp_path, change)
    with pytest.raises(mp.MetadataError) as info:
        mp.run_pipeline(spark, meta)
    assert info.value.phase == phase and message in str(info.value), str(info.value)
    assert not (tmp_path / "out").exists()
    assert "SQLQueryContextLogger" not in capfd.readouterr().err


def test_parquet_types_are_checked(spark, shop, tmp_path):
    meta = {"source": {"type": "parquet", "path": str(shop["orders"]), "schema": {"order_id": "int"},
                       "allow_extra_columns": True},
            "transforms": [], "destination": {"type": "parquet", "path": str(tmp_path / "o")}}
    with pytest.raises(mp.MetadataError, match="column order_id is bigint in the source, not int"):
        mp.validate(spark, meta)
    meta["source"]["schema"] = {"order_id": "long"}  # an alias of bigint
    assert mp.validate(spark, meta).columns == ["order_id"]


def _orders_meta(shop, tmp_path, **dest):
    return {
        "name": "orders_gate",
        "source": {"type": "parquet", "path": str(shop["orders"]), "allow_extra_columns": True,
                   "schema": ["order_id", "order_date", "status", "channel", "total_amount"]},
        "transforms": [
            {"op": "add_column", "name": "order_month", "expr": "date_format(order_date, 'yyyy-MM')"},
            {"op": "quality_gate", "rules": {"big_order": "total_amount < 200", "web_only": "channel = 'web'"}},
        ],
        "destination": {"type": "parquet", "path": str(tmp_path / "out"), "partition_by": ["order_month"],
                        "quarantine_path": str(tmp_path / "quarantine"), **dest},
    }


def test_quality_gate_quarantines_and_reconciles(spark, shop, tmp_path):
    result = mp.run_pipeline(spark, _orders_meta(shop, tmp_path))
    read, _, gate, write = result.steps
    assert read.rows == gate.rows + result.rows_quarantined and result.rows_quarantined > 0
    quarantined = spark.read.parquet(str(tmp_path / "quarantine"))
    assert quarantined.count() == result.rows_quarantined and "failed_rules" in quarantined.columns
    assert spark.read.parquet(str(tmp_path / "out")).count() == write.rows == gate.rows


def test_a_gate_over_its_limit_stops_the_run(spark, shop, tmp_path):
    meta = _orders_meta(shop, tmp_path)
    meta["transforms"][1]["max_failed_fraction"] = 0.05
    with pytest.raises(mp.QualityGateFailed, match=r"broke the rules of transforms\[1\] \(quality_gate\), "
                                                   r"more than max_failed_fraction=0.05; nothing was written"):
        mp.run_pipeline(spark, meta)
    assert not (tmp_path / "out").exists()


def test_too_many_partitions_are_refused(spark, shop, tmp_path):
    meta = _orders_meta(shop, tmp_path, max_partitions=5)
    with pytest.raises(mp.PipelineRunError, match="would write 12 partitions, more than max_partitions=5"):
        mp.run_pipeline(spark, meta)


def test_a_bad_value_fails_the_run_and_names_the_step(spark, tmp_path):
    src = tmp_path / "bad.csv"
    src.write_text("id,amount\n1,2.5\nx,3.0\n")
    meta = {"source": {"type": "csv", "path": str(src), "schema": {"id": "bigint", "amount": "double"}},
            "transforms": [], "destination": {"type": "parquet", "path": str(tmp_path / "o")}}
    # Spark evaluates the cast only when a value is needed: a count skips it, the write does not
    with pytest.raises(mp.PipelineRunError, match=r"write failed while running: the value 'x' cannot be cast to \"BIGINT\""):
        mp.run_pipeline(spark, meta)
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").glob("*.parquet"))


def test_steps_run_on_hand_made_rows_without_reading_or_writing(spark, tmp_path):
    meta = _returns_meta(tmp_path / "never_read.csv", tmp_path / "never_written")
    rows = pd.DataFrame([
        ["1", "9", "2024-03-01 23:59:59", "other", "5.0", "requested", "2024-03-01 23:59:59", None],
        ["1", "9", "2024-03-01 23:59:59", "other", "5.0", "approved", "2024-03-02 08:00:00", "call me"],
        ["2", "9", "2024-03-02 10:00:00", "other", "5.0", "void", "2024-03-02 10:00:00", None],
    ], columns=list(sources.RETURN_COLUMNS))
    out = mp.run_on_rows(spark, meta, rows)
    assert dict(out.dtypes)["return_date"] == "date"
    got = [(r["return_id"], r["status"], r["return_date"]) for r in out.collect()]
    assert got == [(1, "approved", dt.date(2024, 3, 1))]
    assert not (tmp_path / "never_written").exists()
    bad = _mutate(lambda m: m["transforms"][3].update(expr="to_dat(requested_at)"))
    with pytest.raises(mp.MetadataError, match="unknown function `to_dat`"):
        mp.run_on_rows(spark, bad, rows)
    with pytest.raises(ValueError, match="rows lack the declared column"):
        mp.run_on_rows(spark, meta, rows.drop(columns="reason"))


def test_dedupe_keeps_the_latest_and_dynamic_overwrite_keeps_other_partitions(spark, tmp_path):
    src = tmp_path / "events.json"
    src.write_text("\n".join([
        '{"id": 1, "v": "old", "ts": 1, "day": "d1"}', '{"id": 1, "v": "new", "ts": 2, "day": "d1"}',
        '{"id": 2, "v": "only", "ts": 1, "day": "d2"}']))
    meta = {"source": {"type": "json", "path": str(src), "schema": {"id": "bigint", "v": "string", "ts": "bigint", "day": "string"}},
            "transforms": [{"op": "dedupe", "keys": ["id"], "order_by": "ts"}],
            "destination": {"type": "parquet", "path": str(tmp_path / "o"), "partition_by": ["day"],
                            "mode": "overwrite_partitions"}}
    mp.run_pipeline(spark, meta)
    src.write_text('{"id": 1, "v": "fixed", "ts": 3, "day": "d1"}')  # a backfill of day d1 only
    mp.run_pipeline(spark, meta)
    rows = {(r["id"], r["v"], r["day"]) for r in spark.read.parquet(str(tmp_path / "o")).collect()}
    assert rows == {(1, "fixed", "d1"), (2, "only", "d2")}


# --- atomic publishing ----------------------------------------------------------------------------
def _write_rows(n):
    def write(folder):
        folder.mkdir()
        pd.DataFrame({"x": range(n)}).to_parquet(folder / "part-0.parquet")
    return write


def test_a_failed_write_or_audit_leaves_readers_on_the_last_good_version(tmp_path):
    from labs.pipelines.publish import AuditFailed, VersionedTable

    table = VersionedTable(tmp_path / "t")
    first = table.publish(_write_rows(10))
    assert table.current() == first and len(pd.read_parquet(first)) == 10

    def dies_halfway(folder):
        _write_rows(3)(folder)
        raise RuntimeError("executor lost")

    with pytest.raises(RuntimeError):
        table.publish(dies_halfway)

    def too_few(folder):
        if len(pd.read_parquet(folder)) < 5:
            raise AuditFailed("fewer than 5 rows")

    with pytest.raises(AuditFailed):
        table.publish(_write_rows(2), audit=too_few)
    assert table.current() == first and table.versions() == [first.name], "unpublished folders are removed"
    second = table.publish(_write_rows(20), audit=too_few)
    assert table.current() == second and len(pd.read_parquet(table.current())) == 20
    table.publish(_write_rows(30))
    assert table.vacuum(keep=2) == [first.name] and len(table.versions()) == 2
    with pytest.raises(ValueError, match="keep must be at least 1"):
        table.vacuum(keep=0)


def test_a_failed_spark_overwrite_leaves_no_table_but_a_pointer_swap_does(spark, tmp_path):
    """The lab's claim, on the kit's Spark: plain overwrite deletes first, then writes."""
    from labs.pipelines.publish import VersionedTable

    good = spark.range(100).selectExpr("id", "id % 4 AS part")
    bad = spark.range(100).selectExpr("id", "id % 4 AS part",
                                      "CAST(CASE WHEN id = 99 THEN 'x' ELSE '1' END AS INT) AS v")
    plain = tmp_path / "plain"
    good.write.partitionBy("part").parquet(str(plain))
    with mp.quiet_spark_errors(), pytest.raises(Exception):
        bad.write.mode("overwrite").partitionBy("part").parquet(str(plain))
    assert not list(plain.glob("part=*")), "the old partitions are gone"
    table = VersionedTable(tmp_path / "versioned")
    table.publish(lambda folder: good.write.partitionBy("part").parquet(str(folder)))
    with mp.quiet_spark_errors(), pytest.raises(Exception):
        table.publish(lambda folder: bad.write.partitionBy("part").parquet(str(folder)))
    assert spark.read.parquet(str(table.current())).count() == 100


# --- change data capture --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def logged():
    from labs.pipelines import cdc

    src = cdc.LoggedSource()
    src.random_changes(200, seed=5)
    rows, lsn = src.snapshot()
    src.random_changes(80, seed=6)
    return src, rows, lsn


def test_the_log_holds_every_change_with_deletes_as_keys_only(logged):
    src, rows, lsn = logged
    log = src.changes_after(0)
    assert list(log["lsn"]) == list(range(1, len(log) + 1)) and src.position() == len(log) == 280
    deletes = log[log["op"] == "d"]
    assert len(deletes) > 0 and deletes["status"].isna().all() and deletes["amount"].isna().all()
    assert set(rows.columns) == {"order_id", "status", "amount"}


def test_the_stream_must_start_at_the_snapshots_position(logged):
    from labs.pipelines import cdc

    src, rows, lsn = logged
    right = cdc.handoff(src, rows, lsn, start_after=lsn)
    assert right.identical and right.replayed == right.lost == 0 and right.applied == 80
    early = cdc.handoff(src, rows, lsn, start_after=lsn - 30)
    assert early.identical and early.replayed == 30, "an upsert copy absorbs a replay; the changes came twice"
    late = cdc.handoff(src, rows, lsn, start_after=lsn + 20)
    assert late.lost == 20 and not late.identical
    assert not cdc.handoff(src, rows, lsn, start_after=lsn, tombstones=False).identical
    assert cdc.handoff(src, rows, lsn, start_after=lsn, tombstones=False).deleted_alive > 0
    with pytest.raises(ValueError, match="order must be one of"):
        cdc.handoff(src, rows, lsn, start_after=lsn, order="by_key")


def test_rows_that_differ_counts_missing_extra_and_changed_rows():
    from labs.pipelines.cdc import rows_that_differ

    a = pd.DataFrame({"order_id": [1, 2, 3], "status": ["paid", "placed", None], "amount": [1.0, 2.0, 3.0]})
    b = pd.DataFrame({"order_id": [1, 2, 4], "status": ["paid", "paid", None], "amount": [1.0, 2.0, 4.0]})
    assert rows_that_differ(a, a) == 0
    assert rows_that_differ(a, b) == 3  # 2 changed, 3 only in a, 4 only in b


# --- the ops table -------------------------------------------------------------------------------
def _upper(df, params):
    from pyspark.sql import functions as F

    return df.withColumn(params["column"], F.upper(params["column"])), None


def _upper_op():
    """A new op, written as one entry: what adding an operation to the pipeline takes."""
    from labs.pipelines.metadata_ops import OpSpec, missing_columns

    return OpSpec({"column": str}, {}, False, "upper-case a text column",
                  columns_after=lambda p, columns: (list(columns), missing_columns([p["column"]], columns, "column")),
                  describe=lambda p: f"upper({p['column']})",
                  apply=_upper)


def _upper_meta(tmp_path, column="reason"):
    return {"source": {"type": "csv", "path": str(tmp_path / "r.csv"), "schema": ["id", "reason"]},
            "transforms": [{"op": "upper", "column": column}],
            "destination": {"type": "parquet", "path": str(tmp_path / "out")}}


def test_every_op_is_one_entry_of_the_ops_table():
    from labs.pipelines import metadata_ops

    assert mp.OPS is metadata_ops.OPS
    for name, spec in mp.OPS.items():
        assert callable(spec.columns_after) and callable(spec.describe) and callable(spec.apply), name
        assert spec.doc, name


def test_adding_an_op_is_adding_one_entry(monkeypatch, tmp_path):
    monkeypatch.setitem(mp.OPS, "upper", _upper_op())
    meta = _upper_meta(tmp_path)
    assert mp.check_metadata(meta) == ["id", "reason"]
    assert mp.plan_table(meta)["detail"].tolist()[1] == "upper(reason)"
    assert mp.metadata_problems(_upper_meta(tmp_path, "reasn")) == [
        "transforms[0] (upper): column 'reasn' is not a column here (did you mean 'reason'?); columns: id, reason"]
    assert "quality_gate, upper" in mp.metadata_problems({**meta, "transforms": [{"op": "uper"}]})[0]


def test_an_added_op_runs_on_spark(monkeypatch, spark, tmp_path):
    monkeypatch.setitem(mp.OPS, "upper", _upper_op())
    rows = pd.DataFrame({"id": ["1", "2"], "reason": ["late", None]})
    out = mp.run_on_rows(spark, _upper_meta(tmp_path), rows)
    assert [(r["id"], r["reason"]) for r in out.collect()] == [("1", "LATE"), ("2", None)]
