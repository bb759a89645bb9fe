"""The data generators: determinism, sizes, consistent keys, planted labels, safe writing."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from labs import data
from labs.data import _io, ecommerce, iot, transactions
from labs.data._checks import DataGenError
from labs.engines import duckdb

SMALL = {"ecommerce": 0.02, "transactions": 0.2, "iot": 0.05}


@pytest.fixture(autouse=True)
def kit_data_dir(tmp_path, monkeypatch):
    folder = tmp_path / "kit-data"
    monkeypatch.setenv("KIT_DATA_DIR", str(folder))
    return folder


@pytest.fixture(scope="module")
def shop():
    return ecommerce.tables(scale=1.0, seed=42)


@pytest.fixture(scope="module")
def fleet():
    return iot.tables(scale=0.25, seed=42)


def digests(paths: dict) -> dict:
    return {table: _io.digest(path) for table, path in paths.items()}


def folder_of(paths: dict):
    return next(iter(paths.values())).parent  # every table sits in the data set's folder


MODULES = ["labs.data", "labs.data._checks", "labs.data._hash", "labs._atomic", "labs.data._io",
           "labs.data.ecommerce", "labs.data.transactions", "labs.data.iot", "labs.data.defects",
           "labs.data.samples"]


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_run(module):
    import doctest
    import importlib

    assert doctest.testmod(importlib.import_module(module)).failed == 0


# -- generate / ensure --------------------------------------------------------

@pytest.mark.parametrize("name", data.DATASETS)
def test_same_seed_same_bytes_other_seed_other_bytes(name, tmp_path):
    first = data.generate(name, SMALL[name], seed=1, out=tmp_path / "a", progress=False)
    again = data.generate(name, SMALL[name], seed=1, out=tmp_path / "b", progress=False)
    other = data.generate(name, SMALL[name], seed=2, out=tmp_path / "c", progress=False)
    assert digests(first) == digests(again)
    # The whole folder too: the manifest included, and nothing else written.
    assert _io.digest(folder_of(first)) == _io.digest(folder_of(again))
    main_table = {"ecommerce": "orders", "transactions": "transactions", "iot": "readings"}[name]
    assert _io.digest(other[main_table]) != _io.digest(first[main_table])


def test_default_location_follows_kit_data_dir(kit_data_dir):
    paths = data.generate("iot", 0.01, progress=False)
    folder = kit_data_dir / "iot" / "scale0.01-seed42"
    assert all(path.parent == folder for path in paths.values())
    assert all(path.exists() for path in paths.values())


def test_manifest_records_what_was_written(kit_data_dir):
    paths = data.generate("ecommerce", 0.02, seed=5, progress=False)
    manifest = json.loads((paths["orders"].parent / "manifest.json").read_text())
    assert (manifest["name"], manifest["scale"], manifest["seed"]) == ("ecommerce", 0.02, 5)
    assert manifest["kit_data_version"] == data.KIT_DATA_VERSION
    assert manifest["row_counts"]["orders"] == 400
    assert manifest["row_counts"]["customers"] == 40
    on_disk = duckdb().execute(f"select count(*) from '{paths['order_items']}'").fetchone()[0]
    assert manifest["row_counts"]["order_items"] == on_disk


def test_ensure_reuses_a_complete_copy_and_repairs_a_broken_one(kit_data_dir):
    paths = data.ensure("iot", 0.01, progress=False)
    stamp = paths["readings"].stat().st_mtime_ns
    assert data.ensure("iot", 0.01, progress=False) == paths
    assert paths["readings"].stat().st_mtime_ns == stamp  # not rewritten

    before = _io.digest(paths["readings"])
    paths["readings"].unlink()  # a missing table is regenerated, not an error
    assert data.ensure("iot", 0.01, progress=False) == paths
    assert _io.digest(paths["readings"]) == before

    with open(paths["planted"], "r+b") as handle:  # a truncated file too
        handle.truncate(10)
    data.ensure("iot", 0.01, progress=False)
    assert paths["planted"].stat().st_size > 10


def test_files_hold_the_same_rows_as_memory(tmp_path):
    paths = data.generate("ecommerce", 0.05, seed=3, out=tmp_path, progress=False)
    memory = ecommerce.tables(0.05, seed=3)
    con = duckdb()
    for table in ecommerce.TABLES:
        assert con.execute(f"select count(*) from '{paths[table]}'").fetchone()[0] == len(memory[table])
    by_day = con.execute(
        f"select order_id, order_date from read_parquet('{paths['orders_by_day']}/*/*.parquet',"
        " hive_partitioning = true) order by order_id").df()
    assert by_day["order_id"].tolist() == memory["orders"]["order_id"].tolist()
    assert (pd.to_datetime(by_day["order_date"]) == memory["orders"]["order_date"]).all()
    lines = con.execute(
        f"select event_id, event_time from read_json('{paths['clickstream_json']}/*.jsonl',"
        " columns = {event_id: 'BIGINT', event_time: 'TIMESTAMPTZ'})").df()
    assert lines["event_id"].tolist() == memory["clickstream"]["event_id"].tolist()  # arrival order
    assert (lines["event_time"] == memory["clickstream"]["event_time"]).all()
    schema = con.execute(f"describe select * from '{paths['orders']}'").df().set_index("column_name")
    assert schema.loc["order_ts", "column_type"] == "TIMESTAMP WITH TIME ZONE"
    assert schema.loc["order_date", "column_type"] == "DATE"


# -- sizes ----------------------------------------------------------------------

def test_row_counts_grow_linearly_with_scale(shop):
    half, double = ecommerce.tables(0.5), ecommerce.tables(2.0)
    for table in ecommerce.TABLES:
        n1 = len(shop[table])
        assert len(half[table]) / n1 == pytest.approx(0.5, rel=0.05), table
        assert len(double[table]) / n1 == pytest.approx(2.0, rel=0.05), table
    assert len(shop["orders"]) == 20_000 and len(shop["customers"]) == 2_000
    assert 90_000 <= len(shop["clickstream"]) <= 110_000
    sizes = {s: len(iot.readings(s)) for s in (0.25, 0.5, 1.0)}  # smaller: IoT rows are many
    assert sizes[0.25] / sizes[0.5] == pytest.approx(0.5, rel=0.02)
    assert sizes[1.0] / sizes[0.5] == pytest.approx(2.0, rel=0.02)
    con = duckdb()
    for scale in (0.5, 1.0, 2.0):
        n_rows = int(scale * transactions.ROWS_PER_SCALE)
        assert con.execute(f"select count(*) from ({transactions.sql(n_rows)})").fetchone()[0] == n_rows


# -- e-commerce ----------------------------------------------------------------------

def test_ecommerce_keys_are_consistent(shop):
    customers, products, orders = shop["customers"], shop["products"], shop["orders"]
    items, payments, clicks = shop["order_items"], shop["payments"], shop["clickstream"]
    for frame, key in ((customers, "customer_id"), (products, "product_id"), (orders, "order_id"),
                       (payments, "payment_id"), (clicks, "event_id")):
        assert frame[key].is_unique, key
    assert not items.duplicated(["order_id", "line_no"]).any()
    assert not items.duplicated(["order_id", "product_id"]).any()
    assert items["order_id"].isin(orders["order_id"]).all()
    assert items["product_id"].isin(products["product_id"]).all()
    assert orders["customer_id"].isin(customers["customer_id"]).all()
    assert payments["order_id"].isin(orders["order_id"]).all()
    assert clicks["customer_id"].dropna().isin(customers["customer_id"]).all()
    assert clicks["product_id"].dropna().isin(products["product_id"]).all()
    purchases = clicks.dropna(subset=["order_id"]).merge(orders, on="order_id", suffixes=("", "_order"))
    assert (purchases["customer_id"] == purchases["customer_id_order"]).all()
    assert (purchases["event_time"] == purchases["order_ts"]).all()


def test_order_totals_equal_the_sum_of_their_items(shop):
    orders, items = shop["orders"], shop["order_items"]
    cents = (items["quantity"] * (items["unit_price"] * 100).round()).groupby(items["order_id"]).sum()
    assert (cents.reindex(orders["order_id"]).to_numpy() == (orders["total_amount"] * 100).round().to_numpy()).all()
    lines = items.groupby("order_id")["line_no"].agg(["count", "min", "max"]).reindex(orders["order_id"])
    assert (lines["count"].to_numpy() == orders["item_count"].to_numpy()).all()
    assert (lines["min"] == 1).all() and (lines["max"] == lines["count"]).all()
    captured = shop["payments"].query("status == 'captured'").merge(orders, on="order_id")
    assert (captured["amount"] == captured["total_amount"]).all()
    assert not captured["status_y"].eq("pending").any()


def test_ecommerce_dates_are_2024_utc_and_after_signup(shop):
    orders = shop["orders"].merge(shop["customers"][["customer_id", "signup_date"]], on="customer_id")
    assert str(orders["order_ts"].dt.tz) == "UTC"
    assert orders["order_ts"].dt.year.eq(2024).all()
    assert shop["payments"]["paid_ts"].dt.year.eq(2024).all()
    assert shop["clickstream"]["event_time"].dt.year.eq(2024).all()
    assert (orders["order_ts"].dt.tz_localize(None) >= orders["signup_date"]).all()
    assert (orders["order_date"] == orders["order_ts"].dt.tz_localize(None).dt.normalize()).all()
    prices = shop["products"]["price"]
    assert ((prices * 100).round() / 100 == prices).all() and (prices > 0).all()


def test_clickstream_late_and_out_of_order_labels_are_exact(shop):
    clicks = shop["clickstream"]
    lag = clicks["ingestion_time"] - clicks["event_time"]
    assert (clicks["is_late"] == (lag > ecommerce.LATE_AFTER)).all()
    assert 0.015 < clicks["is_late"].mean() < 0.025
    assert clicks["ingestion_time"].is_monotonic_increasing  # stored in arrival order
    assert not clicks["event_id"].is_monotonic_increasing  # ...which is not event order

    # Brute force on a sample of sessions: pair every event with every other of its session.
    sample = clicks.loc[clicks["session_id"] % 20 == 0, ["event_id", "session_id", "event_time",
                                                          "ingestion_time", "is_out_of_order"]]
    pairs = sample.merge(sample, on="session_id", suffixes=("", "_other"))
    overtaken = pairs[(pairs["event_time_other"] > pairs["event_time"])
                      & (pairs["ingestion_time_other"] < pairs["ingestion_time"])]
    expected = sample["event_id"].isin(overtaken["event_id"])
    assert (expected == sample["is_out_of_order"]).all()
    assert expected.any()
    assert 0.03 < clicks["is_out_of_order"].mean() < 0.10


# -- IoT ----------------------------------------------------------------------------

def _keys(frame, kind):
    rows = frame[frame["kind"] == kind]
    return set(zip(rows["device_id"], rows["seq"].astype("Int64")))


def test_iot_planted_labels_match_the_data(fleet):
    readings, planted, devices = fleet["readings"], fleet["planted"], fleet["devices"]
    assert set(planted["kind"]) == {"late", "duplicate", "missing", "drift"}

    lag = readings["ingestion_time"] - readings["event_time"]
    late = readings[lag > iot.LATE_AFTER]
    assert set(zip(late["device_id"], late["seq"])) == _keys(planted, "late")

    counts = readings.groupby(["device_id", "seq"]).size()
    assert counts.max() == 2
    assert set(counts[counts == 2].index) == _keys(planted, "duplicate")
    payload = ["device_id", "seq", "event_time", "temperature", "humidity", "battery"]
    twice = readings[readings.duplicated(["device_id", "seq"], keep=False)]
    assert len(twice.drop_duplicates(payload)) == len(twice) // 2  # copies carry the same payload

    seen = set(zip(readings["device_id"], readings["seq"]))
    every = {(d, s) for d in devices["device_id"] for s in range(iot.MINUTES)}
    assert every - seen == _keys(planted, "missing")

    ordered = readings.drop_duplicates(["device_id", "seq"]).sort_values(["device_id", "seq"])
    step = ordered.groupby("device_id")["event_time"].diff() / ordered.groupby("device_id")["seq"].diff()
    off_beat = step[(step - pd.Timedelta(seconds=60)).abs() > pd.Timedelta(milliseconds=5)]
    assert set(ordered.loc[off_beat.index, "device_id"]) == set(planted.loc[planted["kind"] == "drift", "device_id"])
    assert planted.loc[planted["kind"] == "drift", "seq"].isna().all()

    cells = [_keys(planted, kind) for kind in ("late", "duplicate", "missing")]
    assert not (cells[0] & cells[1] or cells[0] & cells[2] or cells[1] & cells[2])


def test_iot_is_stored_in_arrival_order_and_deterministic(fleet):
    assert fleet["readings"]["ingestion_time"].is_monotonic_increasing
    again = iot.tables(scale=0.25, seed=42)
    for name in iot.TABLES:
        pd.testing.assert_frame_equal(fleet[name], again[name])
    assert not iot.readings(0.05, seed=1).equals(iot.readings(0.05, seed=2))


# -- transactions ------------------------------------------------------------------

def test_transactions_sql_is_deterministic_and_seeded():
    con = duckdb()
    one = con.execute(f"{transactions.sql(3_000, seed=9)} order by txn_id").fetchall()
    assert one == con.execute(f"{transactions.sql(3_000, seed=9)} order by txn_id").fetchall()
    assert one != con.execute(f"{transactions.sql(3_000, seed=10)} order by txn_id").fetchall()
    assert [row[0] for row in one] == list(range(1, 3_001))
    # Split across threads or not, sliced or not: the same rows.
    big = 1_200_000
    whole = ("select sum(hash(txn_id, ts, txn_date, merchant_id, customer_id, amount, status))"
             " from ({})")
    serial = con.execute(whole.format(transactions.sql(big, seed=9, parallel=False))).fetchone()
    threaded = con.execute(whole.format(transactions.sql(big, seed=9))).fetchone()
    assert serial == threaded
    # The threaded rows come one range() per day: each day must start at the same row.
    first_of_day = "select min(txn_id) from ({}) group by txn_date order by 1"
    days = con.execute(first_of_day.format(transactions.sql(big, seed=9, parallel=False))).fetchall()
    assert [row[0] - 1 for row in days] == transactions._day_starts(big)[:-1]
    sliced = {"start": 100_123, "stop": 1_150_456}  # over PARALLEL_FROM rows: cut by day
    assert (con.execute(whole.format(transactions.sql(big, seed=9, parallel=False, **sliced))).fetchone()
            == con.execute(whole.format(transactions.sql(big, seed=9, **sliced))).fetchone())
    tail = con.execute(f"{transactions.sql(3_000, seed=9, start=2_000)} order by txn_id").fetchall()
    assert tail == one[2_000:]


def test_sql_hash_matches_the_python_hash():
    from labs.data._hash import mix32_array, sql_stages, stream_key

    key = stream_key(7, 0)
    stages = sql_stages("i", {"r": key})
    query = "WITH s0 AS (SELECT range AS i FROM range(1, 2001))"
    for number, select_list in enumerate(stages, start=1):
        query += f", s{number} AS (SELECT i, {select_list} FROM s{number - 1})"
    from_sql = duckdb().execute(query + f" SELECT r FROM s{len(stages)} ORDER BY i").fetchnumpy()["r"]
    assert (from_sql.astype(np.uint64) == mix32_array(np.arange(1, 2001) ^ key)).all()


def test_duckdb_hash_is_the_pinned_murmur64():
    # Transactions take their random bits from DuckDB's hash(); if a DuckDB release
    # changed it, every generated table would change. This is the alarm.
    from labs.data._hash import murmur64

    values = np.concatenate([np.arange(0, 5_000), np.arange(2**32 - 2_500, 2**32 + 2_500),
                             np.array([2**62 + 12_345, 2**63 - 1])]).astype(np.int64)
    con = duckdb()
    con.register("v", pd.DataFrame({"x": values}))
    from_sql = con.execute("SELECT hash(x) AS h FROM v ORDER BY x").fetchnumpy()["h"]
    assert (from_sql.astype(np.uint64) == murmur64(np.sort(values).astype(np.uint64))).all()
    transactions.check_engine_hash(con)  # and the guard agrees


def test_a_different_engine_hash_is_refused_before_writing(tmp_path):
    class OtherHash:
        """A real DuckDB connection whose hash() means something else."""
        def __init__(self):
            self.con = duckdb()

        def execute(self, query):
            return self.con.execute(query.replace("hash(", "abs("))

    with pytest.raises(RuntimeError, match="hash\\(\\) is not MurmurHash64"):
        transactions.write(100, tmp_path / "t.parquet", con=OtherHash())
    assert list(tmp_path.iterdir()) == []


def test_skew_concentrates_merchants():
    con = duckdb()
    share = "select max(n) / sum(n) from (select merchant_id, count(*) n from ({}) group by all)"
    flat = con.execute(share.format(transactions.sql(200_000, seed=1))).fetchone()[0]
    skewed = con.execute(share.format(transactions.sql(200_000, seed=1, skew=1.1))).fetchone()[0]
    assert flat < 0.001 and 0.12 < skewed < 0.22
    for skew in (1.0, 2.0):  # s == 1 takes its own formula
        low, high = con.execute(
            f"select min(merchant_id), max(merchant_id) from ({transactions.sql(50_000, skew=skew)})").fetchone()
        assert low == 1 and high <= transactions.DEFAULT_MERCHANTS


def test_transactions_columns_look_like_payments():
    frame = duckdb().execute(f"select * from ({transactions.sql(100_000, seed=4)})").df()
    assert list(frame.columns) == list(transactions.COLUMNS)
    assert set(frame["currency"]) == {"USD", "EUR", "GBP"}
    assert set(frame["status"]) == {"approved", "declined", "reversed"}
    assert 0.001 < frame["is_fraud"].mean() < 0.004
    assert (frame["amount"].astype(float) > 0).all()
    assert frame["ts"].dt.year.eq(2024).all() and frame["ts"].is_monotonic_increasing
    assert (frame["ts"].dt.tz_convert(None).dt.normalize() == pd.to_datetime(frame["txn_date"])).all()


def test_transactions_write_is_atomic_and_byte_identical(tmp_path):
    first = transactions.write(20_000, tmp_path / "a.parquet", seed=3, skew=1.1)
    second = transactions.write(20_000, tmp_path / "b.parquet", seed=3, skew=1.1)
    assert _io.digest(first) == _io.digest(second)
    by_day = transactions.write(20_000, tmp_path / "by_day", seed=3, partition_by="day")
    assert len(list(by_day.glob("txn_date=2024-*"))) == 366
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.parquet", "b.parquet", "by_day"]
    with pytest.raises(ValueError, match="cannot partition by"):
        transactions.write(10, tmp_path / "c", partition_by="nope")
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize("bad", [{"n_rows": -1}, {"n_rows": 2**33}, {"n_rows": "ten"}, {"skew": 0},
                                 {"skew": -1.5}, {"skew": float("nan")}, {"seed": -3}])
def test_transactions_reject_bad_arguments(bad):
    arguments = {"n_rows": 10, **bad}
    with pytest.raises(ValueError):
        transactions.sql(**arguments)


def test_too_big_a_transactions_scale_is_refused_before_writing(tmp_path):
    with pytest.raises(ValueError, match="the data set stops at"):
        data.generate("transactions", scale=100_000, out=tmp_path, progress=False)
    assert list(tmp_path.iterdir()) == []


# -- bad input ---------------------------------------------------------------------

def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError) as error:
        data.generate("shop", progress=False)
    for name in data.DATASETS:
        assert name in str(error.value)
    with pytest.raises(ValueError, match="ecommerce, transactions, iot"):
        data.ensure("nope")


@pytest.mark.parametrize("scale", [0, -1, "abc", math.nan, math.inf, True, None, "1"])
def test_bad_scale_is_a_clear_value_error(scale, kit_data_dir):
    with pytest.raises(ValueError, match="scale must be a positive number"):
        data.generate("iot", scale=scale, progress=False)
    with pytest.raises(ValueError, match="scale must be a positive number"):
        ecommerce.tables(scale=scale)
    assert not kit_data_dir.exists()


@pytest.mark.parametrize("seed", [-1, 1.5, "7", False])
def test_bad_seed_is_a_clear_value_error(seed):
    with pytest.raises(ValueError, match="seed must be a whole number"):
        data.generate("iot", 0.01, seed=seed, progress=False)


def test_unwritable_folder_is_a_clear_error_and_leaves_nothing(tmp_path):
    (tmp_path / "afile").write_text("not a folder")
    with pytest.raises(DataGenError, match="cannot"):
        data.generate("ecommerce", 0.01, out=tmp_path / "afile" / "sub", progress=False)
    assert [p.name for p in tmp_path.iterdir()] == ["afile"]


def test_a_failure_midway_keeps_the_old_copy_and_no_temp_files(tmp_path, monkeypatch):
    good = data.generate("iot", 0.01, out=tmp_path / "out", progress=False)
    before = _io.digest(good["readings"].parent)

    def broken(folder, scale, seed, bar):
        (folder / "readings.parquet").write_bytes(b"half")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(iot, "write_dataset", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        data.generate("iot", 0.01, out=tmp_path / "out", progress=False)
    assert _io.digest(good["readings"].parent) == before
    assert [p.name for p in (tmp_path / "out" / "iot").iterdir()] == ["scale0.01-seed42"]

    with pytest.raises(RuntimeError):
        data.generate("iot", 0.02, out=tmp_path / "fresh" / "deep", progress=False)
    assert not (tmp_path / "fresh").exists()  # folders it created are gone too


def test_committed_samples_match_the_generators(tmp_path):
    from labs.data import samples
    from labs.paths import root

    written = samples.write(tmp_path)
    committed = root() / "datasets" / "samples"
    for path in written:
        relative = path.relative_to(tmp_path)
        assert (committed / relative).read_bytes() == path.read_bytes(), (
            f"{relative} is out of date: run `python -m labs.data samples`")
    assert sum(p.stat().st_size for p in committed.rglob("*") if p.is_file()) < 200_000
