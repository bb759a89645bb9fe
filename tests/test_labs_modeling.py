"""The data-modelling labs on real engines (DuckDB, SQLite) with small generated data."""
from __future__ import annotations

import pandas as pd
import pytest

from labs.data import ecommerce
from labs.engines import duckdb, sqlite
from labs.modeling import bridge, feature_store, physical, scd, star, table_log, tenancy, timing, vault, wide_vs_long


@pytest.fixture(scope="module")
def shop():
    return ecommerce.tables(scale=0.1, seed=5)


@pytest.fixture(scope="module")
def star_con(shop):
    con = duckdb()
    star.load_sources(con, shop)
    star.build_star(con)
    return con


# -- star ---------------------------------------------------------------------------------
def test_fact_keeps_the_order_line_grain(star_con, shop):
    fact = star_con.sql("SELECT * FROM fact_sales").df()
    assert len(fact) == len(shop["order_items"])
    assert not fact.duplicated(["order_id", "line_no"]).any()
    assert fact["amount"].sum() == pytest.approx(shop["orders"]["total_amount"].sum())
    assert fact["customer_sk"].notna().all() and fact["product_sk"].notna().all()


def test_three_shapes_give_the_same_answer_until_a_customer_changes(star_con):
    assert star.same_answer(star_con)
    assert len(star.answer(star_con, "star")) > 10


def test_copies_replay_the_year_with_fresh_order_ids(shop):
    con = duckdb()
    star.load_sources(con, shop, copies=3)
    counts = star.build_star(con, wide=False)
    assert counts["fact_sales"] == 3 * len(shop["order_items"])
    assert counts["dim_customer"] == len(shop["customers"]) + 1  # and the unknown member
    assert con.sql("SELECT count(DISTINCT order_id) FROM src_orders").fetchall()[0][0] == 3 * len(shop["orders"])


def test_wide_table_costs_more_bytes_than_the_fact(star_con):
    sizes = star.storage(star_con).set_index("table")
    assert sizes.loc["sales_wide", "parquet_kb"] > sizes.loc["fact_sales", "parquet_kb"]
    assert sizes.loc["sales_wide", "columns"] > sizes.loc["fact_sales", "columns"]
    # the same rows give the same bytes, run after run
    assert star.parquet_bytes(star_con, "fact_sales", "order_id, line_no") == \
        star.parquet_bytes(star_con, "fact_sales", "order_id, line_no")


def test_star_inputs_are_validated(shop):
    con = duckdb()
    with pytest.raises(ValueError, match="copies must be a whole number >= 1"):
        star.load_sources(con, shop, copies=0)
    with pytest.raises(ValueError, match="missing table\\(s\\) payments"):
        star.load_sources(con, {k: v for k, v in shop.items() if k != "payments"})
    with pytest.raises(ValueError, match=r"source\['orders'\] must be a Parquet path or a pandas DataFrame"):
        star.load_sources(con, {**shop, "orders": 42})
    with pytest.raises(ValueError, match="shape must be one of normalised, star, wide"):
        star.answer(con, "snowflake")


# -- physical -------------------------------------------------------------------------------
def test_zone_maps_skip_row_groups_only_when_rows_are_sorted_by_the_filter(star_con):
    grid = physical.zone_map_grid(
        star_con, "fact_sales",
        {"date": "date_key, order_id", "customer": "customer_sk, order_id"},
        {"week": ("date_key", 20240601, 20240607), "customer": ("customer_sk", star.SK_START + 4, star.SK_START + 4)},
        row_group_size=500)
    total = grid.loc["date", "week"].split(" of ")[1]
    assert grid.loc["date", "week"] != f"{total} of {total}"
    assert grid.loc["customer", "week"] == f"{total} of {total}"
    assert grid.loc["customer", "customer"].startswith("1 of")


def test_zone_map_arguments_are_validated(star_con):
    with pytest.raises(ValueError, match="where must be a tuple"):
        physical.row_groups_read(star_con, "fact_sales", "order_id", "date_key > 1")
    with pytest.raises(ValueError, match="row_group_size must be a whole number >= 1"):
        physical.row_groups_read(star_con, "fact_sales", "order_id", ("date_key", 1, 2), row_group_size=0)


def test_sqlite_plan_switches_from_scan_to_index_search(shop):
    db = sqlite()
    shop["orders"][["order_id", "customer_id", "total_amount"]].to_sql("orders", db, index=False)
    query = "SELECT order_id FROM orders WHERE customer_id = 7"
    assert physical.query_plan(db, query) == ["SCAN orders"]
    db.execute("CREATE INDEX orders_customer ON orders (customer_id)")
    assert physical.query_plan(db, query) == ["SEARCH orders USING INDEX orders_customer (customer_id=?)"]


# -- scd ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def batches(shop):
    return scd.change_batches(shop["customers"], seed=9)


def test_change_batches_are_deterministic_and_well_formed(shop, batches):
    again = scd.change_batches(shop["customers"], seed=9)
    assert all(a.equals(b) for a, b in zip(batches, again))
    assert not scd.change_batches(shop["customers"], seed=10)[0].equals(batches[0])
    start = pd.Timestamp("2024-04-01", tz="UTC")
    for k, batch in enumerate(batches):
        assert list(batch.columns) == list(scd.BATCH_COLUMNS)
        assert batch["customer_id"].is_unique
        window = (start + pd.DateOffset(months=3 * k), start + pd.DateOffset(months=3 * (k + 1)))
        assert batch["effective_ts"].between(*window, inclusive="left").all()


def test_sql_merge_builds_clean_history_and_is_idempotent(shop, batches):
    con = duckdb()
    con.register("dim_df", scd.initial_dimension(shop["customers"]))
    con.execute("CREATE TABLE dim_customer AS SELECT * FROM dim_df")
    first = scd.scd2_merge_sql(con, batches[0])
    assert first["inserted"] == first["expired"] + 2  # two brand-new customers
    assert scd.scd2_merge_sql(con, batches[0]) == {"expired": 0, "inserted": 0, "late": 0}
    for batch in batches[1:]:
        scd.scd2_merge_sql(con, batch)
    dim = con.sql("SELECT * FROM dim_customer").df()
    assert scd.scd2_problems(dim) == []
    # the current versions equal the source values after the last batch
    latest = pd.concat(batches).sort_values("effective_ts").groupby("customer_id").last()
    current = dim[dim["is_current"]].set_index("customer_id")
    for column in scd.TRACKED:
        assert (current.loc[latest.index, column] == latest[column]).all()


def test_facts_follow_the_version_valid_at_order_time(shop, batches):
    con = duckdb()
    star.load_sources(con, shop)
    star.build_star(con)
    for batch in batches:
        scd.scd2_merge_sql(con, batch)
    star.build_fact(con)
    check = con.sql("""
        SELECT count(*) AS n, count(*) FILTER (WHERE o.order_ts >= c.valid_from
                                   AND (c.valid_to IS NULL OR o.order_ts < c.valid_to)) AS inside
        FROM fact_sales f JOIN src_orders o USING (order_id) JOIN dim_customer c USING (customer_sk)
    """).fetchall()[0]
    assert check[0] == check[1] == len(shop["order_items"])
    assert not star.same_answer(con)  # the sources know today's segment only


def test_scd2_problems_name_each_kind_of_damage(shop):
    dim = scd.initial_dimension(shop["customers"].head(3))
    extra = dim.iloc[[0]].assign(customer_sk=99, valid_from=dim["valid_from"].iloc[0] + pd.Timedelta(days=10))
    # two current versions of customer 1
    assert "more than one current version" in scd.scd2_problems(pd.concat([dim, extra]))[0]
    # closed a day early: a gap
    closed = dim.copy()
    closed.loc[0, ["valid_to", "is_current"]] = [extra["valid_from"].iloc[0] - pd.Timedelta(days=1), False]
    assert any("gap" in p for p in scd.scd2_problems(pd.concat([closed, extra])))
    # closed a day late: an overlap
    closed.loc[0, "valid_to"] = extra["valid_from"].iloc[0] + pd.Timedelta(days=1)
    assert any("overlap" in p for p in scd.scd2_problems(pd.concat([closed, extra])))
    assert scd.scd2_problems(dim.drop(columns="is_current")) == ["the dimension has no column(s) is_current."]


def test_types_1_and_3_keep_no_or_one_step_of_history(shop, batches):
    current = shop["customers"][["customer_id", *scd.TRACKED]]
    type1 = scd.scd1_overwrite(current, batches[0])
    assert type1["customer_id"].is_unique and len(type1) == len(current) + 2
    type3 = scd.scd3_update(current, batches[0])
    moved = type3[type3["previous_segment"].notna()]
    assert len(moved) > 0 and (moved["previous_segment"] != moved["segment"]).all()
    with pytest.raises(ValueError, match="column must be one of address, city, segment, email"):
        scd.scd3_update(current, batches[0], column="name")


def test_as_of_gives_one_version_per_customer(shop, batches):
    dim = scd.initial_dimension(shop["customers"])
    con = duckdb()
    con.register("dim_df", dim)
    con.execute("CREATE TABLE dim_customer AS SELECT * FROM dim_df")
    for batch in batches:
        scd.scd2_merge_sql(con, batch)
    history = con.sql("SELECT * FROM dim_customer").df()
    view = scd.as_of(history, "2024-08-15")
    assert view["customer_id"].is_unique
    changed = batches[0]["customer_id"].iloc[0]
    assert len(scd.history(history, changed)) >= 1


def test_scd_inputs_are_validated(shop):
    with pytest.raises(ValueError, match="n_batches must be a whole number >= 1"):
        scd.change_batches(shop["customers"], n_batches=0)
    with pytest.raises(ValueError, match="change_share must be a fraction between 0 and 1"):
        scd.change_batches(shop["customers"], change_share=2)
    with pytest.raises(ValueError, match="customers is missing column\\(s\\) signup_date"):
        scd.initial_dimension(shop["customers"].drop(columns="signup_date"))
    with pytest.raises(ValueError, match="batch must be a pandas DataFrame"):
        scd.scd2_merge_sql(duckdb(), [1, 2])


# -- tenancy --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tenant_data(shop):
    return tenancy.tenant_tables(shop["customers"], shop["orders"])


def test_ids_are_tenant_local(tenant_data):
    customers = tenant_data["customers"]
    assert not customers.duplicated(["tenant_id", "customer_id"]).any()
    assert customers["customer_id"].duplicated().any()  # the same number in several tenants
    assert len(tenant_data["orders"]) == len(tenant_data["orders"].drop_duplicates(["tenant_id", "order_id"]))


def test_shared_views_show_one_tenant_and_fail_closed(tenant_data):
    con = duckdb()
    tenancy.build_shared(con, tenant_data)
    assert con.sql("SELECT count(*) FROM my_orders").fetchall() == [(0,)]  # no tenant set: nothing
    tenancy.set_tenant(con, 3)
    assert con.sql("SELECT DISTINCT tenant_id FROM my_customers").fetchall() == [(3,)]
    expected = (tenant_data["orders"]["tenant_id"] == 3).sum()
    assert con.sql("SELECT count(*) FROM my_orders").fetchall() == [(expected,)]
    with pytest.raises(ValueError, match="tenant_id must be a whole number"):
        tenancy.set_tenant(con, "3; DROP TABLE orders")


def test_other_layouts_hold_the_same_rows(tenant_data, tmp_path):
    con = duckdb()
    tenancy.build_schema_per_tenant(con, tenant_data)
    total = sum(con.sql(f"SELECT count(*) FROM tenant_{t}.orders").fetchall()[0][0]
                for t in tenancy.tenants(tenant_data))
    assert total == len(tenant_data["orders"])
    report = con.sql(tenancy.cross_tenant_sql("schema per tenant", tenancy.tenants(tenant_data))).df()
    assert report["revenue"].sum() == pytest.approx(tenant_data["orders"]["amount"].sum())
    paths = tenancy.build_database_per_tenant(tmp_path, tenant_data)
    assert [p.name for p in paths] == [f"tenant_{t}.sqlite" for t in tenancy.tenants(tenant_data)]
    counts = [sqlite(p).execute("SELECT count(*) FROM orders").fetchall()[0][0] for p in paths]
    assert sum(counts) == len(tenant_data["orders"])


def test_layout_costs_grow_as_expected():
    costs = tenancy.layout_costs((2, 8)).set_index(["layout", "tenants"])
    assert costs.loc[("shared tables", 2), "catalogue_objects"] == costs.loc[("shared tables", 8), "catalogue_objects"]
    assert costs.loc[("schema per tenant", 8), "catalogue_objects"] == 8 * 3  # schema + 2 tables each
    assert costs.loc[("database per tenant", 8), "files"] == 8
    assert costs.loc[("database per tenant", 8), "report_statements"] == 8
    with pytest.raises(ValueError, match="tenant_counts must hold whole numbers >= 1"):
        tenancy.layout_costs((0,))
    with pytest.raises(ValueError, match="layout must be one of"):
        tenancy.cross_tenant_sql("pooled", [1])


def test_sqlite_attaches_ten_databases_at_most(tmp_path):
    paths = tenancy.build_database_per_tenant(tmp_path, tenant_ids=range(1, 13))
    attached, message = tenancy.sqlite_attach_limit(paths)
    assert attached == 10 and "too many attached databases" in message


def test_leak_detector(tenant_data):
    assert tenancy.leaks("SELECT c.name FROM orders o JOIN customers c ON c.customer_id = o.customer_id "
                         "WHERE o.tenant_id = 1", tenant_data, 1)
    assert not tenancy.leaks("SELECT name FROM my_customers", tenant_data, 1)


# -- high-dimensional layouts ---------------------------------------------------------------
def test_four_layouts_hold_the_same_numbers(shop):
    con = duckdb()
    views = wide_vs_long.product_views(con, shop["clickstream"])
    assert (views["value"] > 0).all() and not views.duplicated(["entity_id", "feature"]).any()
    con.register("views_long", views)
    wide_vs_long.build_layouts(con, "views_long")
    feature = views["feature"].value_counts().index[0]
    group = sorted(views["feature"].unique())[:5]
    queries = wide_vs_long.access_queries(int(views["entity_id"].iloc[0]), feature, group)
    for pattern in ("one feature, every entity", "sum of a feature group"):
        answers = [con.sql(sql).df().sort_values("entity_id", ignore_index=True).astype("int64")
                   for sql in queries[pattern].values()]
        assert all(a.equals(answers[0]) for a in answers[1:]), pattern
    sizes = wide_vs_long.layout_sizes(con).set_index("layout")
    assert sizes.loc["long", "rows"] == len(views)
    assert sizes.loc["wide", "columns"] == views["feature"].nunique() + 1


def test_sparse_features_follow_the_density():
    frame = wide_vs_long.sparse_features(n_entities=200, n_features=50, density=0.2, seed=3)
    assert len(frame) / (200 * 50) == pytest.approx(0.2, abs=0.02)
    assert frame.equals(wide_vs_long.sparse_features(n_entities=200, n_features=50, density=0.2, seed=3))
    with pytest.raises(ValueError, match="density must be a fraction in \\(0, 1\\]"):
        wide_vs_long.sparse_features(density=0)
    with pytest.raises(ValueError, match="n_features must be a whole number"):
        wide_vs_long.sparse_features(n_features=0)


def test_density_sweep_reports_both_sizes():
    sweep = wide_vs_long.size_by_density((0.05, 1.0), n_entities=100, n_features=20)
    assert set(sweep["layout"]) == set(wide_vs_long.LAYOUTS)
    memory = sweep.set_index(["density", "layout"])["memory_kb"]
    # in memory, long rows cost more than wide cells once most cells are filled
    assert memory[(1.0, "long")] > memory[(1.0, "wide")]


# -- feature store --------------------------------------------------------------------------
def test_point_in_time_join_never_reads_the_future(shop):
    con = duckdb()
    feature_store.build_order_features(con, shop["orders"])
    n_labels = feature_store.build_session_labels(con, shop["clickstream"])
    pit = feature_store.training_set(con)
    assert len(pit) == n_labels
    assert not (pit["feature_ts"] > pit["label_ts"]).any()
    report = feature_store.leakage(con).set_index("join")
    assert report.loc["point in time", "rows_using_future"] == 0
    assert report.loc["latest", "rows_using_future"] > 0


# -- timing ---------------------------------------------------------------------------------
def test_best_of_validates_its_arguments():
    assert timing.best_of(lambda: None, repeat=2) >= 0
    with pytest.raises(ValueError, match="repeat must be a whole number >= 1"):
        timing.best_of(lambda: None, repeat=0)
    with pytest.raises(ValueError, match="warmup must be a whole number >= 0"):
        timing.best_of(lambda: None, warmup=-1)


# -- late arrivals ---------------------------------------------------------------------------
def _history_db(shop, batches):
    con = duckdb()
    star.load_sources(con, shop)
    star.build_star(con, wide=False)
    for batch in batches:
        scd.scd2_merge_sql(con, batch)
    star.build_fact(con)
    return con


def test_surrogate_keys_never_equal_the_source_ids(star_con):
    dim = star_con.sql("SELECT customer_sk, customer_id FROM dim_customer WHERE customer_sk > 0").df()
    assert dim["customer_sk"].min() == star.SK_START and not (dim["customer_sk"] == dim["customer_id"]).any()
    unknown = star_con.sql(f"SELECT * FROM dim_customer WHERE customer_sk = {star.UNKNOWN_SK}").df()
    assert len(unknown) == 1 and unknown["segment"].item() == "unknown"


def test_a_late_change_splits_the_version_it_falls_into_and_facts_follow(shop, batches):
    con = _history_db(shop, batches)
    closed = con.sql("""SELECT c.customer_sk, c.customer_id, c.valid_from, c.valid_to, count(*) AS lines
        FROM fact_sales f JOIN dim_customer c USING (customer_sk)
        WHERE c.valid_to IS NOT NULL GROUP BY ALL ORDER BY lines DESC LIMIT 1""").df().iloc[0]
    when = closed["valid_from"] + (closed["valid_to"] - closed["valid_from"]) / 2
    version = con.sql(f"SELECT * FROM dim_customer WHERE customer_sk = {closed['customer_sk']}").df()
    late = version[["customer_id", *scd.TRACKED]].assign(city="Nowhere", effective_ts=when)
    before = scd.history(con.sql("SELECT * FROM dim_customer").df(), closed["customer_id"])
    assert scd.scd2_merge_sql(con, late) == {"expired": 0, "inserted": 0, "late": 1}
    after = scd.history(con.sql("SELECT * FROM dim_customer").df(), closed["customer_id"])
    assert len(after) == len(before) + 1
    assert after["is_current"].sum() == 1 and after.loc[after["is_current"], "city"].item() != "Nowhere"
    assert scd.scd2_problems(con.sql("SELECT * FROM dim_customer").df()) == []
    moved = star.repoint_facts(con)
    check = con.sql("""SELECT count(*) FILTER (WHERE NOT (o.order_ts >= c.valid_from
                              AND (c.valid_to IS NULL OR o.order_ts < c.valid_to)))
        FROM fact_sales f JOIN src_orders o USING (order_id) JOIN dim_customer c USING (customer_sk)""").fetchall()
    assert moved > 0 and check == [(0,)]
    assert scd.scd2_merge_sql(con, late) == {"expired": 0, "inserted": 0, "late": 0}  # replayed: nothing
    assert star.repoint_facts(con) == 0


def test_an_early_fact_waits_on_the_unknown_member_and_is_re_pointed(shop, batches):
    con = _history_db(shop, batches)
    newcomer = con.execute("SELECT max(customer_id) FROM dim_customer").fetchall()[0][0] + 1
    con.execute(f"""INSERT INTO src_orders (order_id, customer_id, order_ts, order_date, status, channel,
                                            item_count, total_amount)
                    VALUES (999999, {newcomer}, TIMESTAMPTZ '2024-11-20 10:00:00+00', DATE '2024-11-20',
                            'completed', 'web', 1, 5.0)""")
    con.execute("INSERT INTO src_order_items VALUES (999999, 1, 1, 1, 5.0)")
    star.build_fact(con)
    assert star.fact_check(con) | {"source_lines": 0, "fact_rows": 0} == \
        {"source_lines": 0, "fact_rows": 0, "dropped": 0, "on_unknown": 1}
    arrives = shop["customers"].head(1)[["customer_id", *scd.TRACKED]].assign(
        customer_id=newcomer, effective_ts=pd.Timestamp("2024-11-01", tz="UTC"))
    scd.scd2_merge_sql(con, arrives)
    assert star.repoint_facts(con) == 1 and star.fact_check(con)["on_unknown"] == 0


def test_the_pandas_merge_is_null_safe_and_matches_sql(shop, batches):
    customers = shop["customers"].copy()
    who = int(customers["customer_id"].iloc[0])
    customers.loc[customers["customer_id"] == who, "email"] = None
    dim = scd.initial_dimension(customers)
    resend = dim.loc[dim["customer_id"] == who, ["customer_id", *scd.TRACKED]].assign(
        effective_ts=pd.Timestamp("2024-05-01", tz="UTC"))
    assert len(scd.scd2_merge_pandas(dim, resend)) == len(dim)  # NULL against NULL: no change
    filled = resend.assign(email="back@example.com")
    assert len(scd.scd2_merge_pandas(dim, filled)) == len(dim) + 1  # NULL against a value: a change


# -- bridge, vault, transaction log ------------------------------------------------------------
def test_weights_make_tag_revenue_add_up(star_con, shop):
    rows = bridge.build_bridge(star_con, bridge.product_tags(shop["products"]))
    weights = star_con.sql("SELECT product_sk, sum(weight) AS w FROM bridge_product_tag GROUP BY 1").df()
    assert rows > len(shop["products"]) and weights["w"].round(9).eq(1).all()
    totals = bridge.totals(star_con)
    assert totals["allocated"] == pytest.approx(totals["revenue"]) and totals["impact"] > 1.5 * totals["revenue"]
    assert bridge.product_tags(shop["products"]).equals(bridge.product_tags(shop["products"]))


def test_the_vault_rebuilds_the_type2_dimension_and_loads_idempotently(shop, batches):
    con = _history_db(shop, batches)
    dv = duckdb()
    star.load_sources(dv, shop)
    vault.build(dv)
    for batch in batches:
        vault.load_customer_batch(dv, batch)
    assert vault.load_customer_batch(dv, batches[-1]) == {"hub_customer": 0, "sat_customer": 0}
    kimball = (con.sql("SELECT * FROM dim_customer WHERE customer_sk > 0").df()
               [["customer_id", *scd.TRACKED, "valid_from", "valid_to", "is_current"]]
               .sort_values(["customer_id", "valid_from"], ignore_index=True))
    assert vault.dimension(dv).equals(kimball)
    assert dv.sql("SELECT count(DISTINCT length(customer_hk)) FROM hub_customer").fetchall() == [(1,)]


def test_a_log_hides_unfinished_jobs_and_keeps_versions(tmp_path):
    con = duckdb()
    table = table_log.LogTable(tmp_path / "t")
    frame = pd.DataFrame({"id": range(6), "amount": [1.5] * 6})
    staged = [table.stage(frame.iloc[:3]), table.stage(frame.iloc[3:])]
    assert table.rows(con) == 0 and table.version() == -1  # staged files are in no version
    assert table.commit(-1, staged) == 0 and table.rows(con) == 6
    with pytest.raises(table_log.Conflict, match="version 0 was committed by another writer"):
        table.commit(-1, [table.stage(frame.iloc[:1])])
    assert table.write(frame.iloc[:2], mode="overwrite") == 1
    assert (table.rows(con), table.rows(con, version=0)) == (2, 6)
    with pytest.raises(ValueError, match="column amount is string"):
        table.write(frame.astype({"amount": str}))
    with pytest.raises(ValueError, match="version 5 does not exist"):
        table.files(5)
    plain = tmp_path / "plain"
    plain.mkdir()
    frame.iloc[:3].to_parquet(plain / "part-1.parquet")
    assert table_log.folder_rows(con, plain) == 3  # a plain reader sees half a job
