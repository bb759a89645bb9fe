"""labs.storage on real engines and small generated data: each answer agrees across engines and formats."""
import math

import pytest

from labs.storage import formats, graph, nosql, orders, replica, widecolumn, workloads


# --- orders and the OLTP/OLAP workloads ---------------------------------------------------------------
def test_orders_are_seeded_and_in_time_order():
    a, b = orders.orders(2000, seed=4), orders.orders(2000, seed=4)
    assert a.equals(b) and not a.equals(orders.orders(2000, seed=5))
    assert a["order_ts"].is_monotonic_increasing and a["order_id"].is_unique


def test_both_engines_answer_the_same():
    frame = orders.orders(3000, seed=2)
    db, con = orders.to_sqlite(frame), orders.to_duckdb(frame)
    assert workloads.revenue_by_country(db) == workloads.revenue_by_country(con)
    assert workloads.point_lookups(db, [1, 3000, 3001]) == workloads.point_lookups(con, [1, 3000, 3001]) == 2
    db.isolation_level = None
    workloads.single_updates(db, [5, 6], "cancelled")
    workloads.single_updates(con, [5, 6], "cancelled")
    assert workloads.revenue_by_country(db) == workloads.revenue_by_country(con)


def test_compare_gives_a_ratio_per_workload():
    table = workloads.compare(n=2000, ops=20, repeat=1)
    assert len(table) == 3 and (table["SQLite / DuckDB"] > 0).all()


def test_sqlite_locks_the_database_and_duckdb_only_the_row(tmp_path):
    table = workloads.writer_conflicts(tmp_path)
    got = {(r.engine, r._2): r._3 for r in table.itertuples()}
    assert "database is locked" in got[("SQLite", False)] and "database is locked" in got[("SQLite", True)]
    assert got[("DuckDB", False)] == "committed"
    assert "Conflict" in got[("DuckDB", True)]


def test_bad_sizes_get_one_sentence():
    with pytest.raises(ValueError, match="n must be a whole number"):
        orders.orders(0)


# --- the CDC replica ------------------------------------------------------------------------------------
def test_replica_converges_and_lag_is_bounded_by_the_poll():
    run = replica.simulate(writes_per_s=100, poll_ms=250, batch_limit=10_000, duration_ms=4000, seed=3)
    assert run.matches_source()
    assert set(run.changes["op"]) == {"insert", "update", "delete"}
    assert run.changes["lag_ms"].between(0, 250).all()
    assert run.changes["lag_ms"].max() > 200  # a change just after a poll waits almost a whole interval


def test_a_batch_limit_below_the_write_rate_builds_a_backlog():
    slow = replica.simulate(writes_per_s=400, poll_ms=1000, batch_limit=200, duration_ms=5000, seed=1)
    assert slow.matches_source()  # drained in the end
    assert slow.summary()["max_lag_ms"] > 3000


def test_without_draining_the_last_changes_are_not_applied():
    run = replica.simulate(writes_per_s=100, poll_ms=1000, batch_limit=50, duration_ms=3000, seed=2, drain=False)
    assert run.changes["lag_ms"].isna().any() and not run.matches_source()


def test_a_replayed_batch_changes_nothing():
    """The applier deletes then inserts the latest image: applying the same changes again is harmless."""
    run = replica.simulate(writes_per_s=50, poll_ms=500, batch_limit=1000, duration_ms=2000, seed=5)
    batch = run.source.execute("SELECT seq, op, order_id, status, amount FROM changes").fetchall()
    import pandas as pd
    run.replica.register("batch", pd.DataFrame(batch, columns=["seq", "op", "order_id", "status", "amount"]))
    run.replica.execute(replica._APPLY)
    assert run.matches_source()


def test_lag_by_poll_grows_with_the_interval():
    table = replica.lag_by_poll(polls=(100, 1000), writes_per_s=50, duration_ms=3000)
    assert table["max_lag_ms"].is_monotonic_increasing and table["replica_matches"].all()


# --- key-value and document ------------------------------------------------------------------------------
def test_document_and_relational_agree_even_after_a_rename():
    db = nosql.build(500, seed=2)
    assert nosql.get_order_relational(db, 17) == nosql.get_order_document(db, 17)
    assert nosql.get_order_document(db, 10_000) == {}
    touched = nosql.rename_product(db, 3, "Blender")
    assert touched["relational rows"] == 1 and touched["documents"] > 50
    assert nosql.revenue_by_product_relational(db) == nosql.revenue_by_product_document(db)
    assert "Blender" in {name for name, _ in nosql.revenue_by_product_document(db)}


# --- wide column ---------------------------------------------------------------------------------------
def test_a_query_naming_the_partition_key_reads_one_partition_in_order():
    t = widecolumn.WideTable(("sensor_id", "day"), (("reading_ts", "desc"),))
    readings = widecolumn.sensor_readings(sensors=4, days=2, per_day=100)
    t.insert(readings)
    r = t.query({"sensor_id": 3, "day": "2024-03-02"}, order=(("reading_ts", "desc"),), limit=5)
    want = readings.query("sensor_id == 3 and day == '2024-03-02'").sort_values("reading_ts", ascending=False)
    assert [x["reading_ts"] for x in r.rows] == list(want["reading_ts"][:5])
    assert (r.partitions_read, r.rows_read, r.sorted_in_storage) == (1, 5, True)
    reverse = t.query({"sensor_id": 3, "day": "2024-03-02"}, order=(("reading_ts", "asc"),), limit=5)
    assert reverse.sorted_in_storage and reverse.rows[0]["reading_ts"] == want["reading_ts"].iloc[-1]


def test_a_query_without_the_partition_key_scatters_and_sorts():
    t = widecolumn.WideTable(("sensor_id", "reading_ts"))
    t.insert(widecolumn.sensor_readings(sensors=2, days=1, per_day=10))
    r = t.query({"sensor_id": 1, "day": "2024-03-01"}, order=(("reading_ts", "desc"),), limit=3)
    assert r.partitions_read == 20 and r.rows_read == 20 and not r.sorted_in_storage
    assert [x["reading_ts"] for x in r.rows] == sorted((x["reading_ts"] for x in r.rows), reverse=True)


def test_a_primary_key_that_is_not_unique_loses_rows():
    t = widecolumn.WideTable(("sensor_id", "day"))  # no clustering column: one row per partition
    t.insert(widecolumn.sensor_readings(sensors=2, days=2, per_day=10))
    assert sum(len(p) for p in t.partitions.values()) == 4


def test_partition_growth():
    assert widecolumn.partition_rows_per_year(("sensor_id",), sensors=500) == math.inf
    assert widecolumn.partition_rows_per_year(("sensor_id", "day"), sensors=500) == 86_400
    assert widecolumn.partition_rows_per_year(("day",), sensors=500) == 500 * 86_400


def test_wide_table_refuses_bad_designs():
    with pytest.raises(ValueError, match="at least one column"):
        widecolumn.WideTable(())
    with pytest.raises(ValueError, match="both in the partition key"):
        widecolumn.WideTable(("day",), (("day", "asc"),))
    with pytest.raises(ValueError, match="'asc' or 'desc'"):
        widecolumn.WideTable(("day",), (("reading_ts", "newest"),))


# --- graph ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("start,k", [(1, 1), (1, 3), (150, 2), (399, 4)])
def test_recursive_sql_and_networkx_agree_on_k_hops(start, k):
    edges = graph.follows(400, seed=3)
    con, db, g = graph.to_duckdb(edges), graph.to_sqlite(edges), graph.to_networkx(edges)
    assert graph.k_hop_sql(con, start, k) == graph.k_hop_sql(db, start, k) == graph.k_hop_nx(g, start, k)


def test_shortest_paths_agree_including_no_path():
    edges = graph.follows(400, seed=3)
    con, g = graph.to_duckdb(edges), graph.to_networkx(edges)
    for b in (2, 50, 333, 400):
        assert graph.shortest_sql(con, 300, b) == graph.shortest_nx(g, 300, b)
    assert graph.shortest_sql(con, 300, 10_000) is None and graph.shortest_nx(g, 300, 10_000) is None


def test_the_walk_does_more_work_than_the_answer():
    edges = graph.follows(400, seed=3)
    con = graph.to_duckdb(edges)
    assert graph.walk_rows(con, 300, 3) > len(graph.k_hop_sql(con, 300, 3))


# --- formats -------------------------------------------------------------------------------------------
def test_every_format_gives_the_same_answer_and_parquet_reads_less(tmp_path):
    table = formats.sizes(orders.orders(20_000, seed=1), tmp_path, row_group_size=2000)
    assert table["day revenue"].nunique() == 1
    sorted_ = table.loc["parquet zstd-9 sorted"]
    shuffled = table.loc["parquet zstd-9 shuffled"]
    assert sorted_["bytes on disk"] < shuffled["bytes on disk"] < table.loc["csv", "bytes on disk"]
    assert sorted_["bytes read by the query"] < shuffled["bytes read by the query"]
    assert sorted_["row groups read"] <= 2 and shuffled["row groups read"] == 10
    assert table.loc["csv", "bytes read by the query"] == table.loc["csv", "bytes on disk"]


def test_small_files_cost_bytes_and_agree(tmp_path):
    table = formats.small_files(orders.orders(10_000, seed=1), tmp_path, counts=(1, 200), repeat=1)
    assert table["day revenue"].nunique() == 1
    assert table.loc[1, "bytes on disk"] > table.loc[0, "bytes on disk"]
    assert len(list((tmp_path / "files-200").glob("*.parquet"))) == 200
