"""02-data-modeling: every exercise both ways. The reference passes; the mistakes learners
really make fail with a message that says what is wrong."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import grader
from grader.checkers import sql as sqlc
from grader.notebook import evaluate
from grader.specs import nb02_data_modeling as spec
from grader.verdict import Status
from labs.engines import duckdb
from labs.modeling import scd, star, tenancy
from labs.modeling.scd import DIM_COLUMNS, TRACKED


@pytest.fixture(scope="module")
def ex():
    return grader.start("02-data-modeling").exercises


def incorrect(exercise, answer) -> str:
    verdict = evaluate(exercise, answer)
    assert verdict.status is Status.INCORRECT, verdict
    return verdict.message + " " + " ".join(verdict.details)


def test_the_spec_is_well_formed(ex):
    assert len(ex) >= 6 and len({e.kind for e in ex.values()}) >= 3
    for exercise in ex.values():
        assert exercise.hints and exercise.solution and exercise.explanation and exercise.covers, exercise.id
        assert 2 <= len(exercise.hints) <= 3, exercise.id


# -- fact_orders (table) -------------------------------------------------------------------
@pytest.fixture(scope="module")
def sources():
    con = duckdb()
    star.load_sources(con, spec._paths())
    return con


ITEMS = "(SELECT order_id, count(*) AS n_lines, sum(quantity) AS units, sum(quantity * unit_price) AS amount " \
        "FROM src_order_items GROUP BY order_id) i ON i.order_id = o.order_id"
HEAD = "SELECT o.order_id, CAST(strftime(o.order_date, '%Y%m%d') AS INTEGER) AS date_key, o.customer_id, " \
       "o.channel, o.status, "


def test_fact_orders_reference_passes(ex, sources):
    assert evaluate(ex["fact_orders"], sources.sql(spec.FACT_ORDERS_SQL).df()).correct


def test_fact_orders_fan_out_from_failed_payments(ex, sources):
    wrong = sources.sql(HEAD + "i.n_lines, i.units, i.amount, p.method AS payment_method FROM src_orders o JOIN "
                        + ITEMS + " JOIN src_payments p ON p.order_id = o.order_id").df()
    assert "appear more than once in your table (key: order_id)" in incorrect(ex["fact_orders"], wrong)


def test_fact_orders_inner_join_drops_pending_orders(ex, sources):
    wrong = sources.sql(HEAD + "i.n_lines, i.units, i.amount, p.method AS payment_method FROM src_orders o JOIN "
                        + ITEMS + " JOIN src_payments p ON p.order_id = o.order_id AND p.status <> 'failed'").df()
    assert "keys missing" in incorrect(ex["fact_orders"], wrong)


def test_fact_orders_summing_after_joining_payments_multiplies_lines(ex, sources):
    wrong = sources.sql(HEAD + """count(*) AS n_lines, sum(i.quantity) AS units,
               sum(i.quantity * i.unit_price) AS amount, max(p.method) AS payment_method
        FROM src_orders o JOIN src_order_items i ON i.order_id = o.order_id
        LEFT JOIN src_payments p ON p.order_id = o.order_id
        GROUP BY ALL""").df()
    message = incorrect(ex["fact_orders"], wrong)
    assert message.startswith("Column n_lines is wrong in") and "column amount is wrong in" in message


# -- as_was_revenue_sql (sql) -----------------------------------------------------------------
def test_as_was_reference_passes(ex):
    assert evaluate(ex["as_was_revenue_sql"], spec.AS_WAS_SQL).correct


def test_as_is_report_is_a_different_answer(ex):
    as_is = """SELECT d.quarter, cur.segment, round(sum(f.amount), 2) AS revenue
        FROM fact_sales f JOIN dim_customer c ON c.customer_sk = f.customer_sk
        JOIN dim_customer cur ON cur.customer_id = c.customer_id AND cur.is_current
        JOIN dim_date d ON d.date_key = f.date_key
        WHERE f.status = 'completed' GROUP BY ALL"""
    assert "Your query's result differs" in incorrect(ex["as_was_revenue_sql"], as_is)


def test_filtering_current_versions_drops_history(ex):
    current_only = """SELECT d.quarter, c.segment, round(sum(f.amount), 2) AS revenue
        FROM fact_sales f JOIN dim_customer c ON c.customer_sk = f.customer_sk AND c.is_current
        JOIN dim_date d ON d.date_key = f.date_key
        WHERE f.status = 'completed' GROUP BY ALL"""
    assert "Your query's result differs" in incorrect(ex["as_was_revenue_sql"], current_only)


def test_as_was_needs_the_join_and_named_columns(ex):
    no_join = "SELECT 1 AS quarter, 'consumer' AS segment, round(sum(amount), 2) AS revenue FROM fact_sales"
    assert incorrect(ex["as_was_revenue_sql"], no_join) == sqlc.USES_JOIN.message + " "
    star_select = "SELECT * FROM fact_sales f JOIN dim_date d ON d.date_key = f.date_key"
    assert incorrect(ex["as_was_revenue_sql"], star_select) == sqlc.NO_SELECT_STAR.message + " "


# -- scd2_merge (function) ----------------------------------------------------------------------
def test_scd2_reference_and_written_solution_pass(ex):
    assert evaluate(ex["scd2_merge"], spec.scd2_merge_reference).correct
    namespace = {"np": np, "pd": pd, "TRACKED": TRACKED}
    exec(spec.SCD2_SOLUTION, namespace)
    assert evaluate(ex["scd2_merge"], namespace["scd2_merge"]).correct


def test_scd2_reference_agrees_with_the_sql_merge():
    dim, batches = spec._scd_fixture()
    con = duckdb()
    con.register("dim_df", dim)
    con.execute("CREATE TABLE dim_customer AS SELECT * FROM dim_df")
    frame = dim
    for batch in batches:
        scd.scd2_merge_sql(con, batch)
        frame = spec.scd2_merge_reference(frame, batch)
    assert spec._canonical(con.sql("SELECT * FROM dim_customer").df()) == spec._canonical(frame)


def overwrite_type1(dim, batch):
    """Type 1 by mistake: the current row is updated in place, history is lost."""
    dim = dim.copy()
    for row in batch.itertuples(index=False):
        hit = dim["customer_id"] == row.customer_id
        if hit.any():
            for column in TRACKED:
                dim.loc[hit, column] = getattr(row, column)
        else:
            new = pd.DataFrame([{"customer_sk": dim["customer_sk"].max() + 1, "customer_id": row.customer_id,
                                 **{c: getattr(row, c) for c in TRACKED}, "valid_from": row.effective_ts,
                                 "is_current": True}])
            new["valid_to"] = pd.Series([pd.NaT], dtype=dim["valid_to"].dtype)
            dim = pd.concat([dim, new[list(DIM_COLUMNS)]], ignore_index=True)
    return dim


def versions_without_expiry(dim, batch):
    """New versions appended, old ones never closed."""
    changed = spec.scd2_merge_reference(dim, batch)
    new_rows = changed.iloc[len(dim):]
    return pd.concat([dim, new_rows], ignore_index=True)


def versions_for_every_row(dim, batch):
    """No change detection: every batch row closes the current version and opens a new one."""
    dim = dim.copy()
    ends = dict(zip(batch["customer_id"], batch["effective_ts"]))
    hit = dim["is_current"] & dim["customer_id"].isin(list(ends))
    if hit.any():
        dim.loc[hit, "valid_to"] = dim.loc[hit, "customer_id"].map(ends)
        dim.loc[hit, "is_current"] = False
    if batch.empty:
        return dim
    first = (int(dim["customer_sk"].max()) if len(dim) else 0) + 1
    new = batch[["customer_id", *TRACKED]].assign(
        customer_sk=range(first, first + len(batch)), valid_from=batch["effective_ts"],
        valid_to=pd.Series(pd.NaT, index=batch.index, dtype=dim["valid_to"].dtype), is_current=True)
    return pd.concat([dim, new[list(DIM_COLUMNS)]], ignore_index=True)


def closed_a_day_early(dim, batch):
    """Closed intervals thinking: the old version ends the day before the new one starts."""
    merged = spec.scd2_merge_reference(dim, batch)
    closed_now = merged["valid_to"].notna() & (dim["valid_to"].reindex(merged.index).isna())
    merged.loc[closed_now, "valid_to"] = merged.loc[closed_now, "valid_to"] - pd.Timedelta(days=1)
    return merged


def changes_its_input(dim, batch):
    """Right result, but the caller's frame is altered in place."""
    result = spec.scd2_merge_reference(dim, batch)
    dim["is_current"] = result["is_current"].iloc[:len(dim)].to_numpy()  # forgot dim = dim.copy()
    return result


def test_scd2_type1_overwrite_loses_point_in_time_answers(ex):
    message = incorrect(ex["scd2_merge"], overwrite_type1)
    assert message.startswith("As of ") and "should be (" in message and "your dimension gives (" in message


def test_scd2_without_expiry_leaves_two_current_versions(ex):
    message = incorrect(ex["scd2_merge"], versions_without_expiry)
    assert "more than one current version" in message and "close the old version" in message


def test_scd2_without_change_detection_is_not_idempotent(ex):
    message = incorrect(ex["scd2_merge"], versions_for_every_row)
    assert message.startswith("Applying the first batch a second time changed the dimension")


def test_scd2_closing_a_day_early_leaves_gaps(ex):
    message = incorrect(ex["scd2_merge"], closed_a_day_early)
    assert "leaving a gap" in message and "valid_to = the change's effective_ts" in message


def test_scd2_must_not_change_its_input(ex):
    assert "changed the DataFrame passed to it" in incorrect(ex["scd2_merge"], changes_its_input)


def test_scd2_wrong_columns_and_unwritten_stub(ex):
    message = incorrect(ex["scd2_merge"], lambda d, b: spec.scd2_merge_reference(d, b).drop(columns="is_current"))
    assert "yours lacks is_current" in message

    def stub(dim, batch):
        raise NotImplementedError("your code here")

    assert evaluate(ex["scd2_merge"], stub).status is Status.NOT_ATTEMPTED


def test_scd2_crash_on_empty_input_is_the_learners_error(ex):
    def no_empty(dim, batch):
        return spec.scd2_merge_reference(dim, batch) if len(batch) else dim.iloc[0]
    verdict = evaluate(ex["scd2_merge"], no_empty)
    assert verdict.status is Status.ERROR
    assert verdict.message.startswith("Your function failed on scd2_merge(empty dimension, empty batch): IndexError")


def test_scd2_payload_survives_batch_export(ex, tmp_path):
    exercise = ex["scd2_merge"]
    payload = exercise.prepare(spec.scd2_merge_reference)
    exercise.dump(payload, tmp_path)
    assert exercise.judge(exercise.load(tmp_path)).correct
    assert json.loads((tmp_path / "payload.json").read_text())["probes"]


# -- scd_types (design) ----------------------------------------------------------------------------
RIGHT_TYPES = {"signup_channel": "type 0", "email": "type 1", "address": "type 2",
               "segment_reorg": "type 3", "loyalty_score": "type 4"}


def test_scd_types_both_ways(ex):
    assert evaluate(ex["scd_types"], RIGHT_TYPES).correct
    assert evaluate(ex["scd_types"], {**RIGHT_TYPES, "address": "type 6"}).correct
    message = incorrect(ex["scd_types"], dict.fromkeys(RIGHT_TYPES, "type 2"))
    assert message.startswith("4 of 5 requirements are not met.") and "email: no history is wanted" in message
    message = incorrect(ex["scd_types"], {**RIGHT_TYPES, "loyalty_score": "type 2"})
    assert "loyalty_score: a score that changes daily" in message
    assert "not in the catalogue" in incorrect(ex["scd_types"], {**RIGHT_TYPES, "email": "type 5"})
    assert "no choice for stage 'email'" in incorrect(ex["scd_types"], {k: v for k, v in RIGHT_TYPES.items() if k != "email"})


# -- scd2_rows_estimate (number) ----------------------------------------------------------------------
def test_scd2_rows_estimate_both_ways(ex):
    assert evaluate(ex["scd2_rows_estimate"], 2_000_000 + 2_000_000 * 0.03 * 36).correct
    assert "below the accepted range" in incorrect(ex["scd2_rows_estimate"], 2_000_000)  # type 1 thinking
    assert "above the accepted range" in incorrect(ex["scd2_rows_estimate"], 2_000_000 * 1.03 ** 36)  # compounding
    assert "below the accepted range" in incorrect(ex["scd2_rows_estimate"], 2_000_000 * 0.03 * 36)  # changes only


# -- leaky_queries (choice) -------------------------------------------------------------------------------
def test_the_leak_answer_key_is_measured_not_assumed():
    from labs.data import ensure

    paths = ensure("ecommerce", progress=False)
    data = tenancy.tenant_tables(pd.read_parquet(paths["customers"]), pd.read_parquet(paths["orders"]))
    measured = {key for key, sql in spec.LEAK_SNIPPETS.items() if tenancy.leaks(sql, data, 2)}
    assert measured == set(grader.start("02-data-modeling").exercises["leaky_queries"].correct)


def test_leaky_queries_both_ways(ex):
    assert evaluate(ex["leaky_queries"], {"A", "C", "E"}).correct
    message = incorrect(ex["leaky_queries"], {"A"})
    assert "What you chose is right, but not complete. 2 more options should be chosen." in message
    message = incorrect(ex["leaky_queries"], {"A", "C", "D", "E"})
    assert message.startswith("D is not right.") and "D: Safe: the view filters" in message
    assert "B is not right" in incorrect(ex["leaky_queries"], {"B"})


# -- lakehouse_choice (choice) -------------------------------------------------------------------------------
def test_lakehouse_choice_both_ways(ex):
    assert evaluate(ex["lakehouse_choice"], "A").correct
    assert "give no atomic commits" in incorrect(ex["lakehouse_choice"], "B")
    assert "two copies" in incorrect(ex["lakehouse_choice"], "C")


# -- point_in_time_sql (sql) --------------------------------------------------------------------------------
def test_point_in_time_reference_passes(ex):
    assert evaluate(ex["point_in_time_sql"], spec.POINT_IN_TIME_SQL).correct


def test_latest_features_leak_the_future(ex):
    latest = """SELECT l.session_id, l.customer_id, l.label_ts, f.orders_to_date, f.spend_to_date, l.purchased
        FROM labels l LEFT JOIN (SELECT * FROM customer_features
            QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY feature_ts DESC) = 1) f
        ON f.customer_id = l.customer_id"""
    message = incorrect(ex["point_in_time_sql"], latest)
    assert "Your query's result differs" in message and "should not be there" in message


def test_inner_asof_join_drops_sessions_before_the_first_order(ex):
    inner = spec.POINT_IN_TIME_SQL.replace("ASOF LEFT JOIN", "ASOF JOIN")
    message = incorrect(ex["point_in_time_sql"], inner)
    assert "rows are missing" in message and "should not be there" not in message


def test_features_from_after_the_label_are_wrong(ex):
    future = spec.POINT_IN_TIME_SQL.replace("f.feature_ts <= l.label_ts", "f.feature_ts >= l.label_ts")
    assert "Your query's result differs" in incorrect(ex["point_in_time_sql"], future)
