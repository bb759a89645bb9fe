"""Exercises of 04-storage-oltp-olap: what the answer corpus (tests/answers/nb04.yaml) does not say.

The corpus proves each exercise both ways; these tests pin the spec's shape, the fixtures' traps,
the expected values against the lab code they mirror, and that no two known mistakes collide.
"""
import tempfile

import networkx as nx
import pandas as pd
import pytest

from exercise_helpers import ExerciseTester
from grader.checkers import sql as sqlc
from grader.specs import nb04_storage_oltp_olap as spec
from grader.verdict import Status

T = ExerciseTester("04-storage-oltp-olap")


def test_spec_shape_and_covers():
    T.assert_spec_shape(spec.COVERS)
    assert len(T.exercises) >= 8 and len({e.kind for e in T.exercises.values()}) >= 4


def test_the_notebook_claims_the_ids_its_exercises_cover():
    assert set(T.claimed()) == set(spec.COVERS)
    assert set(T.questions()) == set(spec.COVERS)


def _distinct_mistakes(exercise_id, mistakes, key):
    ex = T.exercises[exercise_id]
    db = ex._database()
    want = sqlc.run(ex.reference, db)
    results = [sqlc.run(m.sql, db) for m in mistakes]
    canon = [tuple(sorted(map(tuple, r.astype(str).values.tolist()))) for r in results]
    assert len(set(canon)) == len(canon), "two mistakes give the same result: the fixture cannot tell them apart"
    assert tuple(sorted(map(tuple, want.astype(str).values.tolist()))) not in canon
    return want


# --- replica_lag_sql ---------------------------------------------------------------------------------
def test_replica_fixture_holds_its_traps_and_matches_the_lab_rule():
    f = spec.replica_fixtures()
    changes, applies = f["changes"], f["applies"]
    assert applies["last_seq"].duplicated().any()                      # an empty poll
    assert 1000 in set(changes["committed_at"]) & set(applies["applied_at"])  # a commit as an apply runs
    assert (changes["seq"] > applies["last_seq"].max()).sum() == 2      # not applied yet
    from labs.storage.replica import _first_apply
    lab = (_first_apply(changes["seq"], applies) - changes["committed_at"]).tolist()
    want = _distinct_mistakes("replica_lag_sql", spec.REPLICA_LAG_MISTAKES, "seq").sort_values("seq")
    assert [None if pd.isna(x) else x for x in want["lag_ms"]] == [None if pd.isna(x) else x for x in lab]


def test_replica_lag_on_a_real_replica_run():
    """The reference query, run over a simulated replica's own log, gives the lab's lags."""
    from labs.engines import duckdb
    from labs.storage.replica import simulate

    run = simulate(writes_per_s=80, poll_ms=300, batch_limit=20, duration_ms=3000, seed=4, drain=False)
    con = duckdb()
    con.register("changes", run.changes[["seq", "order_id", "op", "committed_at"]])
    con.register("applies", run.applies)
    got = con.sql(f"SELECT * FROM ({spec.REPLICA_LAG_SQL}\n) ORDER BY seq").df()["lag_ms"]
    assert got.isna().any()
    assert got.fillna(-1).tolist() == run.changes["lag_ms"].fillna(-1).tolist()


# --- wide_column_design ------------------------------------------------------------------------------
def test_the_right_design_reads_exactly_the_query():
    out = spec._design_outcome({"partition_key": ["sensor_id", "hour"], "clustering": [["reading_ts", "desc"]]})
    assert out["partitions_read"] == 1 and out["rows_read"] == spec.QUERY_LIMIT and out["in_storage"]
    assert out["stored"] == out["inserted"] and out["per_year"] == 36_000


def test_wide_column_names_only_what_is_broken():
    v = T.incorrect("wide_column_design", {"partition_key": ["sensor_id"], "clustering": [["reading_ts", "desc"]]})
    assert [d.split(":")[0] for d in v.details] == ["reads only the rows it returns", "no unbounded partition"]
    v = T.incorrect("wide_column_design", {"partition_key": ["sensor_id", "hour"], "clustering": [["reading_ts", "asc"]]})
    assert len(v.details) == 1 and v.details[0].startswith("stored in the query's order")
    v = T.incorrect("wide_column_design", {"partition_key": ["sensor_id", "hour"], "clustering": [["reading_ts", "newest"]]})
    assert v.details[0].startswith("a table that can exist")
    v = T.incorrect("wide_column_design", {"partition_key": ["sensor", "hour"], "clustering": [["reading_ts", "desc"]]})
    assert v.details[0].startswith("a table that can exist")


def test_wide_column_needs_both_stages():
    v = T.incorrect("wide_column_design", {"partition_key": ["sensor_id", "hour"]})
    assert "clustering" in str(v)
    assert T.verdict("wide_column_design", ...).status is Status.NOT_ATTEMPTED


# --- friends_of_friends_sql --------------------------------------------------------------------------
def test_friends_fixture_agrees_with_networkx():
    edges = spec.follows_fixture()["edges"]
    g = nx.DiGraph(list(edges.itertuples(index=False, name=None)))
    exactly_two = sorted(n for n, d in nx.single_source_shortest_path_length(g, 1, cutoff=2).items() if d == 2)
    want = _distinct_mistakes("friends_of_friends_sql", spec.FRIENDS_MISTAKES, "account")
    assert sorted(want["account"]) == exactly_two == [5, 6, 8, 10]


def test_friends_errors_are_the_learners():
    assert T.verdict("friends_of_friends_sql", "SELECT account FROM edgez").status is Status.ERROR


# --- row_groups_to_read ------------------------------------------------------------------------------
def test_row_group_reference_agrees_with_the_footer_of_a_real_file(tmp_path):
    import pyarrow.parquet as pq

    from labs import parquet_facts
    from labs.storage import formats, orders

    path = formats.write_parquet(orders.orders(5000, seed=2), tmp_path / "o.parquet", row_group_size=500)
    meta = pq.ParquetFile(path).metadata
    stats = [[meta.row_group(g).column(0).statistics.min, meta.row_group(g).column(0).statistics.max]
             for g in range(meta.num_row_groups)]
    for low, high in ((1, 1), (500, 501), (4999, 6000), (2200, 2300)):
        assert len(spec.row_groups_reference(stats, low, high)) == parquet_facts.row_groups_needed(path, "order_id", low, high)[0]


def test_row_group_stub_is_not_attempted():
    def stub(stats, low, high):
        raise NotImplementedError("your code here")
    assert T.verdict("row_groups_to_read", stub).status is Status.NOT_ATTEMPTED


# --- tiering_cost -------------------------------------------------------------------------------------
def test_tiering_mistakes_are_the_lab_s_numbers():
    from labs.cloud import tiering

    parts = tiering.tier_breakdown(spec.TIER_GB, "deep_archive", spec.TIER_MONTHS)
    assert parts["early_deletion"] > 0
    assert spec.TIER_STORAGE_ONLY == pytest.approx(parts["storage"])
    assert spec.TIER_STANDARD == pytest.approx(tiering.tier_cost(spec.TIER_GB, "standard", spec.TIER_MONTHS))
    assert T.exercises["tiering_cost"].expected() == pytest.approx(parts["total"])


# --- orders_before_delete -----------------------------------------------------------------------------
def test_the_time_travel_table_has_one_delete_at_version_3():
    from deltalake import DeltaTable

    history = {h["version"]: h["operation"] for h in DeltaTable(str(spec.time_travel_table())).history()}
    assert history == {0: "WRITE", 1: "WRITE", 2: "UPDATE", 3: "DELETE"}


def test_time_travel_mistakes_are_all_different():
    frames = [m.table() for m in spec.TIME_TRAVEL_MISTAKES] + [spec._version(2)()]
    sizes = [(len(f), int((f["status"] == "shipped").sum())) for f in frames]
    assert len(set(sizes)) == len(sizes)


def test_a_spark_free_table_answer_as_arrow_is_accepted():
    from deltalake import DeltaTable

    assert T.verdict("orders_before_delete", DeltaTable(str(spec.time_travel_table()), version=2).to_pyarrow_table()).correct


# --- scd2_merge_sql -----------------------------------------------------------------------------------
def test_scd2_fixture_traps():
    f = spec.scd2_fixtures()
    dim, changes = f["dim_customer"], f["changes"]
    current = dim[dim["is_current"]].set_index("customer_id")["city"]
    same = changes[changes["city"] == changes["customer_id"].map(current)]
    assert list(same["customer_id"]) == [2]                              # an unchanged city
    back = changes.merge(dim[~dim["is_current"]], on=["customer_id", "city"])
    assert list(back["customer_id"]) == [6]                              # a move back to an old city
    assert set(changes["customer_id"]) - set(dim["customer_id"]) == {3}   # a new customer


def test_scd2_mistakes_are_distinct_after_one_run():
    ex = T.exercises["scd2_merge_sql"]
    results = [tuple(sorted(map(tuple, ex.mistake_table(m).astype(str).values.tolist()))) for m in spec.SCD2_MISTAKES]
    want = tuple(sorted(map(tuple, ex.expected().astype(str).values.tolist())))
    assert len(set(results)) == len(results) and want not in results


def test_scd2_a_select_is_refused_in_one_sentence():
    v = T.incorrect("scd2_merge_sql", "SELECT * FROM dim_customer")
    assert "Write one statement that changes dim_customer" in v.message


# --- batch grading: an exported answer is judged the same in another process ------------------------------
@pytest.mark.parametrize("exercise_id, answer", [
    ("orders_before_delete", lambda: spec._version(2)()),
    ("wide_column_design", lambda: {"partition_key": ["sensor_id", "hour"], "clustering": [("reading_ts", "desc")]}),
    ("row_groups_to_read", lambda: spec.row_groups_reference),
    ("scd2_merge_sql", lambda: spec.SCD2_SQL),
])
def test_an_exported_answer_survives_the_round_trip(exercise_id, answer, tmp_path):
    ex = T.exercises[exercise_id]
    ex.dump(ex.prepare(answer()), tmp_path)
    assert ex.judge(ex.load(tmp_path)).correct


def test_an_exported_wrong_table_stays_wrong(tmp_path):
    ex = T.exercises["orders_before_delete"]
    ex.dump(ex.prepare(spec._version(3)()), tmp_path)
    verdict = ex.judge(ex.load(tmp_path))
    assert verdict.status is Status.INCORRECT and "after the delete" in verdict.message
