"""The partitioning lab on real engines: placements, skew, pruning plans (DuckDB and Spark), shards,
hash slots moved live between SQLite databases, and row keys on SQLite."""
from __future__ import annotations

import pandas as pd
import pytest

from labs.data import transactions
from labs.engines import duckdb
from labs.partitioning import hashing, pruning, rowkeys, shards, skew, slots
from labs.partitioning.hashing import ModN, Ranges

KEYS = [f"user:{i}" for i in range(20_000)]


# --- hashing ---------------------------------------------------------------------------

def test_token_is_stable_across_processes_and_machines():
    # A pinned value: MD5 is the same everywhere, Python's hash() of a str is not.
    assert hashing.token("user:1") == 0xBDB1DD105679979C
    assert hashing.token(7) == hashing.token("7") == hashing.token(b"7")
    assert all(0 <= hashing.token(k) < hashing.RING_SIZE for k in KEYS[:100])


@pytest.mark.parametrize("bad", [1.5, None, ("a",), True])
def test_token_rejects_keys_it_cannot_hash_the_same_everywhere(bad):
    with pytest.raises(ValueError, match="key must be a str, an int or bytes"):
        hashing.token(bad)


def test_mod_n_moves_almost_every_key_when_a_node_is_added():
    four, five = ModN(["a", "b", "c", "d"]), ModN(["a", "b", "c", "d", "e"])
    # A key stays only if token % 4 == token % 5, i.e. token % 20 < 4: one key in five.
    assert hashing.moved_fraction(KEYS, four, five) == pytest.approx(0.8, abs=0.01)
    assert hashing.moved_fraction(KEYS, ModN(list("abc")), four) == pytest.approx(0.75, abs=0.01)
    assert hashing.moved_fraction(KEYS, four, four) == 0.0


def test_mod_n_spreads_keys_evenly():
    counts = hashing.loads(KEYS, ModN(["a", "b", "c", "d"]))
    assert list(counts.index) == ["a", "b", "c", "d"] and counts.sum() == len(KEYS)
    assert hashing.spread(counts) < 1.05


def test_ranges_put_growing_keys_on_the_last_node_and_split_moves_one_range():
    ranges = Ranges([1_000, 2_000], ["r0", "r1", "r2"])
    assert [ranges.node_for(k) for k in (0, 999, 1_000, 1_999, 2_000, 10**9)] == ["r0", "r0", "r1", "r1", "r2", "r2"]
    newest = range(5_000, 6_000)  # ids handed out today
    assert hashing.loads(newest, ranges).to_dict() == {"r0": 0, "r1": 0, "r2": 1_000}
    split = ranges.split("r2", 5_500, "r3")
    ids = range(0, 6_000)
    moved = [k for k in ids if ranges.node_for(k) != split.node_for(k)]
    assert moved == list(range(5_500, 6_000)) and {split.node_for(k) for k in moved} == {"r3"}


@pytest.mark.parametrize("bounds, nodes, problem", [
    ([5], ["a", "b", "c"], "bounds must have one value fewer than nodes"),
    ([5, 5], ["a", "b", "c"], "strictly increasing"),
    ([5], ["a", "a"], "must be distinct"),
    ([], [], "at least one node"),
    ([], "ab", "list of node names"),
])
def test_ranges_validate_their_input(bounds, nodes, problem):
    with pytest.raises(ValueError, match=problem):
        Ranges(bounds, nodes)


def test_range_split_outside_the_range_is_refused():
    ranges = Ranges([10], ["a", "b"])
    with pytest.raises(ValueError, match=r"at must fall inside a's range \[None, 10\)"):
        ranges.split("a", 10, "c")
    with pytest.raises(ValueError, match="node must be one of a, b"):
        ranges.split("z", 5, "c")
    with pytest.raises(ValueError, match="already a node"):
        ranges.split("a", 5, "b")


@pytest.mark.parametrize("scheme", [hashing.Rendezvous, hashing.JumpHash])
def test_rendezvous_and_jump_move_only_the_new_nodes_share(scheme):
    for n in (4, 10):
        before, after = scheme([f"n{i}" for i in range(n)]), scheme([f"n{i}" for i in range(n + 1)])
        moves = [(before.node_for(k), after.node_for(k)) for k in KEYS]
        moved = [b for b, a in moves if b != a]
        assert all(a == f"n{n}" for b, a in moves if b != a)  # every moved key goes to the new node
        assert len(moved) / len(KEYS) == pytest.approx(1 / (n + 1), abs=0.015)
        assert hashing.spread(hashing.loads(KEYS, after)) < 1.1


def test_rendezvous_removing_a_node_moves_only_its_keys():
    five, four = hashing.Rendezvous(list("abcde")), hashing.Rendezvous(list("abde"))
    assert all(five.node_for(k) == four.node_for(k) for k in KEYS if five.node_for(k) != "c")


def test_jump_bucket_stays_or_jumps_to_the_new_last_bucket():
    assert [hashing.jump_bucket(k, 1) for k in (0, 1, 2**64 - 1)] == [0, 0, 0]
    assert all(0 <= hashing.jump_bucket(k, 7) < 7 for k in range(0, 2**64, 2**59))
    for n in range(1, 40):  # growing by one bucket, a key either stays or jumps to the new last bucket
        for k in range(0, 2**64, 2**58):
            b, a = hashing.jump_bucket(k, n), hashing.jump_bucket(k, n + 1)
            assert a == b or a == n
    with pytest.raises(ValueError, match="n_buckets"):
        hashing.jump_bucket(5, 0)


def test_spread_and_loads_validate():
    assert hashing.spread([1, 1, 4]) == 2.0
    with pytest.raises(ValueError, match="at least one positive load"):
        hashing.spread([0, 0])
    with pytest.raises(ValueError, match="one value per key"):
        hashing.loads(["a", "b"], ModN(["x"]), weights=[1])
    with pytest.raises(ValueError, match="keys must not be empty"):
        hashing.moved_fraction([], ModN(["x"]), ModN(["y"]))
    assert hashing.loads(["a"], ModN(["x"]), weights=[5]).to_dict() == {"x": 5}


def test_vnode_tokens_and_arc_shares():
    ring = hashing.vnode_tokens(["a", "b"], 3)
    assert ring["token"].is_monotonic_increasing and len(ring) == 6
    assert ring.loc[ring["vnode"] == "a#0", "token"].item() == hashing.token("a#0")
    nodes = [f"n{i}" for i in range(10)]
    spreads = [hashing.spread(hashing.arc_shares(nodes, v)) for v in (1, 16, 256)]
    assert spreads[0] > spreads[1] > spreads[2] and spreads[2] < 1.2
    assert hashing.arc_shares(nodes, 4).sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="vnodes must be a whole number >= 1"):
        hashing.vnode_tokens(nodes, 0)


# --- skew ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def con():
    return duckdb()


def test_zipf_keys_put_a_large_share_on_one_key(con):
    counts = skew.key_counts(con, 50_000, skew=1.1)
    assert counts.sum() == 50_000 and counts.index[0] == 1
    assert 0.14 < skew.top_share(counts) < 0.19
    uniform = skew.key_counts(con, 50_000, skew=None)
    assert skew.top_share(uniform) < 0.002


def test_shard_load_follows_the_hottest_key(con):
    nodes = [f"s{i}" for i in range(8)]
    hot = skew.shard_loads(skew.key_counts(con, 50_000, skew=1.1), ModN(nodes))
    flat = skew.shard_loads(skew.key_counts(con, 50_000, skew=None), ModN(nodes))
    assert list(hot.index) == nodes and hot.sum() == flat.sum() == 50_000
    assert hashing.spread(hot) > 1.8 > 1.1 > hashing.spread(flat)


def test_hot_keys_and_validation(con):
    counts = skew.key_counts(con, 50_000, skew=1.1)
    assert skew.hot_keys(counts, 8) == [1, 2]
    with pytest.raises(ValueError, match="fraction must be a number in"):
        skew.hot_keys(counts, 8, fraction=2)
    with pytest.raises(ValueError, match="key must be one of merchant_id"):
        skew.key_counts(con, 10, key="amount")
    with pytest.raises(ValueError, match="k must be a whole number >= 1"):
        skew.top_share(counts, 0)


@pytest.fixture(scope="module")
def spark_txns(spark):
    frame = duckdb().execute(transactions.sql(20_000, seed=3, skew=1.1)).df()
    frame["amount"] = frame["amount"].astype(float)
    return spark.createDataFrame(frame[["txn_id", "merchant_id", "customer_id", "amount"]])


def test_salting_evens_out_the_tasks_of_a_shuffle(spark_txns):
    plain = skew.partition_sizes(spark_txns, 8, "merchant_id")
    assert list(plain.index) == list(range(8)) and plain.sum() == 20_000
    hot = skew.hot_keys(skew.key_counts(duckdb(), 20_000, skew=1.1, seed=3), 8)
    salted = skew.partition_sizes(skew.with_salt(spark_txns, "merchant_id", hot, 8), 8, "merchant_id", "salt")
    assert salted.sum() == 20_000
    assert hashing.spread(salted) < hashing.spread(plain) - 0.5


def test_spark_helpers_validate(spark_txns):
    with pytest.raises(ValueError, match="columns must name at least one column"):
        skew.partition_sizes(spark_txns, 4)
    with pytest.raises(ValueError, match="hot must list at least one key"):
        skew.with_salt(spark_txns, "merchant_id", [], 4)


# --- pruning ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def by_day(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pruning") / "by_day"
    query = transactions.sql(3_660, seed=5)  # ten rows a day for a year
    return pruning.write_partitioned(duckdb(), f"SELECT * FROM ({query}) WHERE txn_date < DATE '2024-02-01'",
                                     folder, "txn_date")


def test_written_layout_has_one_folder_per_day(by_day):
    layout = pruning.partitions(by_day)
    assert len(layout) == 31 and layout["files"].eq(1).all()
    assert layout["partition"].iloc[0] == "txn_date=2024-01-01"


@pytest.mark.parametrize("where, prunes, files", [
    ("txn_date BETWEEN '2024-01-03' AND '2024-01-09'", True, 7),
    ("txn_date = DATE '2024-01-01' + INTERVAL 1 DAY", True, 1),
    ("month(txn_date) = 1 AND day(txn_date) <= 7", False, 31),   # wrapped: DuckDB opens every file
    ("ts >= '2024-01-03' AND ts < '2024-01-10'", False, 31),     # not the partition column
    ("txn_date >= '2024-01-25' OR amount > 100", False, 31),     # an OR with a data column
])
def test_duckdb_prunes_only_on_the_bare_partition_column(by_day, where, prunes, files):
    con = duckdb()
    pruning.duckdb_view(con, by_day, "txns")
    scan = pruning.duckdb_scan(con, f"SELECT count(*) FROM txns WHERE {where}", files_total=31)
    assert (scan.prunes, scan.files_read, scan.files_total) == (prunes, files, 31)
    assert scan.summary().startswith(f"reads {files} of 31 files")


def test_a_subquery_on_the_partition_column_is_not_pruned_while_planning(by_day):
    con = duckdb()
    pruning.duckdb_view(con, by_day, "txns")
    sql = ("SELECT count(*) FROM txns WHERE txn_date IN "
           "(SELECT txn_date FROM txns WHERE ts < '2024-01-03')")
    scan = pruning.duckdb_scan(con, sql, analyze=False)
    assert scan.scans == 2 and not scan.prunes and scan.files_read is None


def test_spark_plans_show_partition_filters(spark, by_day):
    pruning.spark_read(spark, by_day).createOrReplaceTempView("txns_test_pruning")
    bare = pruning.spark_scan(spark.sql(
        "SELECT count(*) FROM txns_test_pruning WHERE txn_date BETWEEN '2024-01-03' AND '2024-01-09'"))
    assert bare.prunes and "(txn_date >= 2024-01-03)" in bare.partition_filters
    assert not any("#" in f for f in bare.partition_filters)  # expression ids are removed
    on_ts = pruning.spark_scan(spark.sql(
        "SELECT count(*) FROM txns_test_pruning WHERE ts >= '2024-01-03' AND ts < '2024-01-10'"))
    assert not on_ts.prunes and on_ts.partition_filters == []
    assert any(f.startswith("GreaterThanOrEqual(ts") for f in on_ts.pushed_filters)


def test_pruning_helpers_validate(tmp_path, spark):
    with pytest.raises(ValueError, match="folder must be an existing folder"):
        pruning.duckdb_view(duckdb(), tmp_path / "missing")
    with pytest.raises(ValueError, match="name must be a plain SQL identifier"):
        pruning.duckdb_view(duckdb(), tmp_path, "txns; drop table x")
    with pytest.raises(ValueError, match="mode must be one of"):
        pruning.plan_text(spark.range(3), "pretty")
    with pytest.raises(ValueError, match="by must name at least one partition column"):
        pruning.write_partitioned(duckdb(), "SELECT 1 AS a", tmp_path / "x", [])


# --- shards ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return shards.build(tmp_path_factory.mktemp("shards"), n_shards=3, n_rows=6_000, seed=9)


def test_every_key_lives_on_exactly_one_shard(store):
    homes = pd.concat([frame.assign(shard=i) for i, frame in
                       enumerate(store.scatter("SELECT DISTINCT customer_id FROM txns"))])
    assert homes["customer_id"].is_unique
    assert all(store.shard_of(int(c)) == s for c, s in zip(homes["customer_id"], homes["shard"]))
    assert store.sizes().sum() == 6_000 and store.sizes().min() > 1_500


def test_scatter_gather_of_sums_and_counts_matches_one_database(store):
    partials = pd.concat(store.scatter(
        "SELECT currency, count(*) AS n, sum(amount) AS total FROM txns GROUP BY currency"))
    gathered = partials.groupby("currency")[["n", "total"]].sum()
    single = duckdb().execute(f"SELECT currency, count(*) AS n, sum(amount) AS total "
                              f"FROM ({store.source_sql()}) GROUP BY currency").df().set_index("currency")
    pd.testing.assert_frame_equal(gathered.sort_index(), single.sort_index(), check_dtype=False)
    # Parallel and one-by-one scatter agree.
    assert [f.to_dict() for f in store.scatter("SELECT count(*) AS n FROM txns", parallel=False)] == \
        [f.to_dict() for f in store.scatter("SELECT count(*) AS n FROM txns")]


def test_store_reopens_and_rebuilds(store, tmp_path):
    again = shards.open_store(store.folder)
    assert again == store
    rebuilt = shards.build(tmp_path, n_shards=4, n_rows=1_000, seed=1)
    assert rebuilt.sizes().sum() == 1_000
    smaller = shards.build(tmp_path, n_shards=2, n_rows=1_000, seed=1)
    assert sorted(p.name for p in tmp_path.glob("shard-*.duckdb")) == ["shard-0.duckdb", "shard-1.duckdb"]
    assert smaller.sizes().sum() == 1_000


def test_shards_validate(store, tmp_path):
    with pytest.raises(ValueError, match="key must be one of customer_id, merchant_id, txn_id"):
        shards.build(tmp_path, key="currency")
    with pytest.raises(ValueError, match="n_shards must be a whole number >= 1"):
        shards.build(tmp_path, n_shards=0)
    with pytest.raises(ValueError, match="shard must be a whole number from 0 to 2"):
        store.on_shard(3, "SELECT 1")
    with pytest.raises(ValueError, match="has no readable shards.json"):
        shards.open_store(tmp_path / "nothing")


# --- plots -----------------------------------------------------------------------------

def test_pictures_draw_without_error():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from labs.partitioning import plots

    fig, axes = plt.subplots(1, 3)
    plots.ring(axes[0], ["a", "b", "c"], vnodes=1, keys=KEYS[:5])
    plots.ring(axes[1], ["a", "b"], vnodes=8)
    plots.loads(axes[2], pd.Series([3, 1, 2], index=["x", "y", "z"]), "load")
    assert [len(ax.get_legend().get_texts()) for ax in axes[:2]] == [3, 2]
    assert len(axes[2].patches) == 3
    plt.close(fig)
    with pytest.raises(ValueError, match="nodes must be distinct"):
        plots.ring(axes[0], ["a", "a"])


# --- slots: fixed hash slots and a live move ------------------------------------------------

def test_key_slot_is_redis_clusters():
    # CLUSTER KEYSLOT values from Redis: CRC16 (XMODEM) mod 16384, hash tags respected.
    assert [slots.key_slot(k) for k in ("foo", "hello", "somekey")] == [12182, 866, 11058]
    assert slots.key_slot("{user1000}.following") == slots.key_slot("{user1000}.followers") == slots.key_slot("user1000")
    assert slots.key_slot("foo{}{bar}") == slots.key_slot("foo{}{bar}") != slots.key_slot("bar")  # empty tag: whole key
    with pytest.raises(ValueError, match="key must be a str or an int"):
        slots.key_slot(1.5)


def test_adding_a_node_moves_whole_slots_and_only_their_keys():
    three = slots.SlotMap(["a", "b", "c"])
    assert three.slot_counts().tolist() == [5462, 5461, 5461]
    four, moved = three.with_node("d")
    assert four.slot_counts().tolist() == [4096, 4096, 4096, 4096] and len(moved) == 4096
    assert set(four.slots_of("d")) == set(moved)
    changed = [k for k in KEYS if three.node_for(k) != four.node_for(k)]
    assert all(four.node_for(k) == "d" and slots.key_slot(k) in set(moved) for k in changed)
    assert len(changed) / len(KEYS) == pytest.approx(0.25, abs=0.02)
    with pytest.raises(ValueError, match="already a node"):
        three.with_node("a")


def test_a_live_move_loses_nothing_and_a_naive_copy_loses_writes():
    cluster, live = slots.live_move(["a", "b", "c"], "d", n_keys=4_000, n_tenants=60, batch=100)
    assert not cluster.migrating and live.keys_moved > 0
    assert live.wrong_reads == 0 and live.lost_writes == 0 and live.second_lookups > 0
    assert sum(live.per_node.values()) >= 4_000 and live.per_node["d"] > 0  # new keys were created meanwhile
    naive = slots.naive_move(["a", "b", "c"], "d", n_keys=4_000, n_tenants=60, batch=100)
    assert naive.keys_moved == live.keys_moved and naive.lost_writes > 0
    assert "writes lost: 0." in live.sentence()


# --- rowkeys: row keys of a range-split store on SQLite ---------------------------------------

def test_row_keys_sort_as_their_layout_says():
    assert rowkeys.row_key("A", 3, 100) < rowkeys.row_key("A", 1, 200)  # time first
    assert rowkeys.row_key("B", 3, 100) < rowkeys.row_key("B", 3, 200)  # oldest first
    assert rowkeys.row_key("C", 3, 200) < rowkeys.row_key("C", 3, 100)  # newest first
    with pytest.raises(ValueError, match="layout must be one of"):
        rowkeys.row_key("Z", 1, 1)


def test_layouts_measured():
    table = rowkeys.compare_layouts(n_sensors=40, n_per_sensor=100, n_tablets=4, sensor=9)
    share = table["busiest tablet's share"]
    read = table["rows read for the latest 10"]
    assert share.iloc[0] == 1.0 and share.iloc[1] < 0.5 and share.iloc[2] < 0.5  # time first: one hot tablet
    assert read.iloc[2] == 10 and read.iloc[1] == 50  # the silent sensor's half day, oldest first
    assert read.iloc[0] == read.iloc[3] == 40 * 100 - 4 * 50  # full scans


def test_latest_readings_agree_across_layouts():
    rows = rowkeys.readings(n_sensors=12, n_per_sensor=40, seed=2)
    answers = {layout: rowkeys.latest_readings(rowkeys.load(layout, rows), layout, sensor=5, n=10)[0]
               for layout in rowkeys.LAYOUTS}
    expected = sorted(((int(t), v) for _, t, v in rows[rows.sensor == 5].itertuples(index=False)), reverse=True)[:10]
    assert all(found == expected for found in answers.values())
