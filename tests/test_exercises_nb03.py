"""03-etl-elt-pipelines: every exercise both ways. The reference passes; the mistakes learners
really make fail, with a message that says what is wrong."""
from __future__ import annotations

import copy

import pandas as pd
import pytest

from exercise_helpers import ExerciseTester
from grader.notebook import judge_exported
from grader.specs import nb03_etl_elt_pipelines as spec
from grader.verdict import Status
from labs import engines
from labs.pipelines import quality_gates, sources

T = ExerciseTester("03-etl-elt-pipelines")


def test_spec_shape_and_covers():
    T.assert_spec_shape(spec.COVERS)


# --- etl_or_elt ----------------------------------------------------------------------------------
def test_etl_or_elt():
    assert T.verdict("etl_or_elt", {"A", "C", "E"}).correct
    message = T.feedback("etl_or_elt", {"A", "B", "C", "E"})  # keeping raw data for new questions is ELT's argument
    assert "B is not right" in message and "ELT: analysts keep asking" in message
    assert "1 more option should be chosen" in T.feedback("etl_or_elt", {"A", "C"})  # forgot the Python-only transform


# --- elt_model_sql -------------------------------------------------------------------------------
def test_elt_model_sql():
    assert T.verdict("elt_model_sql", spec.ELT_MODEL_SQL.solution).correct
    lines_not_orders = ("SELECT o.order_date, o.channel, count(*) AS n_orders, sum(i.quantity * i.unit_price) AS revenue "
                        "FROM raw_orders o JOIN raw_order_items i ON i.order_id = o.order_id "
                        "WHERE o.status = 'completed' GROUP BY 1, 2")
    message = T.feedback("elt_model_sql", lines_not_orders)
    assert "result differs" in message and "n_orders=3" in message
    no_quantity = lines_not_orders.replace("count(*)", "count(DISTINCT o.order_id)").replace("i.quantity * ", "")
    assert "revenue=" in T.feedback("elt_model_sql", no_quantity)
    every_status = spec.ELT_MODEL_SQL.solution.replace("WHERE o.status = 'completed'\n", "")
    assert "should not be there" in T.feedback("elt_model_sql", every_status)
    star = "SELECT * FROM raw_orders JOIN raw_order_items USING (order_id)"
    assert "List the columns" in T.feedback("elt_model_sql", star)


# --- upsert_sql ----------------------------------------------------------------------------------
ON_CONFLICT = """INSERT INTO orders_dw
SELECT * FROM orders_batch QUALIFY row_number() OVER (PARTITION BY order_id ORDER BY updated_at DESC) = 1
ON CONFLICT (order_id) DO UPDATE SET status = excluded.status, amount = excluded.amount, updated_at = excluded.updated_at
WHERE excluded.updated_at > orders_dw.updated_at;"""


def test_upsert_sql_reference_and_an_on_conflict_variant_pass():
    assert T.verdict("upsert_sql", spec.UPSERT_REFERENCE).correct
    assert T.verdict("upsert_sql", ON_CONFLICT).correct


def test_upsert_sql_catches_a_missing_version_check():
    blind = spec.UPSERT_REFERENCE.replace("WHEN MATCHED AND s.updated_at > t.updated_at THEN", "WHEN MATCHED THEN")
    message = T.feedback("upsert_sql", blind)
    assert "After one run" in message and "order_id=2: status is 'placed', expected 'shipped'" in message


def test_upsert_sql_catches_a_batch_with_two_versions_of_a_key():
    undeduped = ("MERGE INTO orders_dw t USING orders_batch s ON t.order_id = s.order_id "
                 "WHEN MATCHED AND s.updated_at > t.updated_at THEN "
                 "UPDATE SET status = s.status, amount = s.amount, updated_at = s.updated_at "
                 "WHEN NOT MATCHED THEN INSERT VALUES (s.order_id, s.status, s.amount, s.updated_at)")
    verdict = T.verdict("upsert_sql", undeduped)  # the new order 6 has two versions: inserted twice
    assert verdict.status is Status.ERROR and "two versions of one order" in verdict.message


def test_upsert_sql_plain_insert_and_a_query_are_refused():
    verdict = T.verdict("upsert_sql", "INSERT INTO orders_dw SELECT * FROM orders_batch")
    assert verdict.status is Status.ERROR and "Duplicate key" in verdict.message
    assert "this is a SELECT" in T.feedback("upsert_sql", "SELECT * FROM orders_batch")
    assert T.verdict("upsert_sql", ...).status is Status.NOT_ATTEMPTED


def test_a_statement_right_once_but_not_twice_is_not_idempotent():
    """Without a key constraint a plain INSERT is right the first time only."""
    e = spec.StatementRunTwice(
        id="append", fixtures=lambda: {"t": pd.DataFrame({"k": [1]}).iloc[:0], "b": pd.DataFrame({"k": [1]})},
        reference="MERGE INTO t USING b ON t.k = b.k WHEN NOT MATCHED THEN INSERT VALUES (b.k)",
        state_query="SELECT k FROM t", table_name="t")
    assert T.verdict(e, e.reference).correct
    message = T.feedback(e, "INSERT INTO t SELECT k FROM b")
    assert "running the same batch again changes t: the statement is not idempotent" in message


def test_upsert_sql_survives_the_batch_export_round_trip(tmp_path):
    e = T.exercises["upsert_sql"]
    e.dump(e.prepare(spec.UPSERT_REFERENCE), tmp_path)
    (tmp_path / "status.json").write_text('{"status": "prepared", "message": ""}')
    assert judge_exported(e, tmp_path).correct


# --- next_increment ------------------------------------------------------------------------------
def test_next_increment_reference():
    assert T.verdict("next_increment", spec.next_increment_reference).correct


def test_next_increment_without_look_back():
    def no_look_back(rows, mark, lookback):
        return spec.next_increment_reference(rows, mark, 0)

    assert T.feedback("next_increment", no_look_back).endswith(
        "next_increment([[1, 100], [2, 105], [3, 110]], 105, 10) returned [[3], 110]; expected [[1, 2, 3], 110].")


def test_next_increment_whose_mark_moves_back():
    def mark_from_batch(rows, mark, lookback):
        chosen = rows if mark is None else [r for r in rows if r[1] > mark - lookback]
        return [sorted({k for k, _ in chosen}), max((t for _, t in chosen), default=mark)]

    assert "next_increment([[1, 100], [2, 105]], 110, 10) returned [[2], 105]; expected [[2], 110]." in \
        T.feedback("next_increment", mark_from_batch)


def test_next_increment_with_repeated_keys_or_a_lost_mark():
    def every_row(rows, mark, lookback):
        chosen = rows if mark is None else [r for r in rows if r[1] > mark - lookback]
        return [[k for k, _ in chosen], spec.next_increment_reference(rows, mark, lookback)[1]]

    assert "returned [[7, 7, 8], 30]; expected [[7, 8], 30]" in T.feedback("next_increment", every_row)

    def forgets_mark(rows, mark, lookback):
        keys, new = spec.next_increment_reference(rows, mark, lookback)
        return [keys, new if keys else None]

    assert "next_increment([[1, 100]], 100, 0) returned [[], None]; expected [[], 100]." in \
        T.feedback("next_increment", forgets_mark)


# --- backfill_plan -------------------------------------------------------------------------------
def test_backfill_plan_reference():
    assert T.verdict("backfill_plan", spec.backfill_plan_reference).correct


def test_backfill_plan_that_ignores_depends_on_past():
    def only_holes(start, end, done, depends_on_past):
        return spec.backfill_plan_reference(start, end, done, False)

    assert "returned ['2024-01-03']; expected ['2024-01-03', '2024-01-04', '2024-01-05']" in \
        T.feedback("backfill_plan", only_holes)


def test_backfill_plan_with_end_excluded():
    def end_excluded(start, end, done, depends_on_past):
        return [d for d in spec.backfill_plan_reference(start, end, done, depends_on_past) if d != end]

    assert "True) returned ['2024-01-03', '2024-01-04']; expected ['2024-01-03', '2024-01-04', '2024-01-05']" in \
        T.feedback("backfill_plan", end_excluded)


def test_backfill_plan_must_refuse_a_reversed_range():
    def never_raises(start, end, done, depends_on_past):
        if end < start:
            return []
        return spec.backfill_plan_reference(start, end, done, depends_on_past)

    assert "should raise ValueError" in T.feedback("backfill_plan", never_raises)


# --- onboard_metadata ----------------------------------------------------------------------------
REFERENCE_META = {
    "name": "returns",
    "source": {"type": "csv", "path": "data/returns.csv", "schema": dict(sources.RETURN_SCHEMA)},
    "transforms": [
        {"op": "filter", "condition": "status <> 'void'"},
        {"op": "dedupe", "keys": ["return_id"], "order_by": "updated_at"},
        {"op": "drop", "columns": ["agent_note"]},
        {"op": "add_column", "name": "return_date", "expr": "to_date(requested_at)"},
    ],
    "destination": {"type": "parquet", "path": "out/returns", "partition_by": ["return_date"]},
}


def _meta(change):
    meta = copy.deepcopy(REFERENCE_META)
    change(meta)
    return meta


def test_onboard_metadata_reference():
    assert T.verdict("onboard_metadata", REFERENCE_META).correct
    assert T.verdict("onboard_metadata", ...).status is Status.NOT_ATTEMPTED


def test_onboard_metadata_the_pipeline_would_refuse():
    message = T.feedback("onboard_metadata", _meta(lambda m: m["destination"].update(partition_by=["return_day"])))
    assert "would refuse this metadata before reading any data (1 problem)" in message
    assert "partition column 'return_day' is not a column in the output (did you mean 'return_date'?)" in message
    unknown_op = _meta(lambda m: m["transforms"].append({"op": "remove", "columns": ["x"]}))
    message = T.feedback("onboard_metadata", unknown_op)
    assert "unknown op 'remove'" in message


def test_onboard_metadata_that_misses_requirements():
    no_dedupe_keeps_note = _meta(lambda m: (m["transforms"].pop(2), m["transforms"].pop(1)))
    message = T.feedback("onboard_metadata", no_dedupe_keeps_note)
    assert "3 of 8 requirements are not met" in message
    assert "one row per return: a return appears more than once" in message and "no personal data" in message
    untyped = _meta(lambda m: m["source"].update(schema=list(sources.RETURN_COLUMNS)))
    assert "typed schema: declare all eight columns" in T.feedback("onboard_metadata", untyped)
    no_name = _meta(lambda m: m.pop("name"))
    assert "no choice for stage 'name'" in T.feedback("onboard_metadata", no_name)


def test_onboard_metadata_steps_are_judged_by_what_they_do_on_the_sample():
    """A filter that mentions void but keeps only the void rows, and a return_date that names
    requested_at but is a timestamp, used to pass a check that read the text."""
    keeps_void = _meta(lambda m: m["transforms"][0].update(condition="status = 'void'"))
    assert "test rows dropped: your steps keep the sample's test row" in T.feedback("onboard_metadata", keeps_void)
    a_timestamp = _meta(lambda m: m["transforms"][3].update(expr="requested_at"))
    assert "return_date is a timestamp" in T.feedback("onboard_metadata", a_timestamp)
    by_value = _meta(lambda m: m["transforms"][0].update(condition="status IN ('requested', 'approved', 'rejected')"))
    assert T.verdict("onboard_metadata", by_value).correct


def test_onboard_metadata_without_spark_is_not_checked_rather_than_blamed(monkeypatch):
    from grader.checkers import spark_sql
    from grader.errors import KitUnavailable

    def no_spark():
        raise KitUnavailable("Spark is not available here (no Java)")

    monkeypatch.setattr(spark_sql, "_session", no_spark)
    verdict = T.verdict("onboard_metadata", REFERENCE_META)
    assert verdict.status is Status.UNCHECKED and "not available" in verdict.message
    no_note_drop = _meta(lambda m: m["transforms"].pop(2))  # a requirement read from the dict still fails
    assert "no personal data" in T.feedback("onboard_metadata", no_note_drop)


def test_the_sample_holds_the_edges_the_behaviours_rely_on():
    sample = spec.returns_sample()
    versions = sample.drop_duplicates().groupby("return_id")["status"].nunique()
    assert (versions > 1).sum() == 2, "two returns re-sent with a newer status"
    newest_first = sample[sample["return_id"] == "2"]["updated_at"].tolist()
    assert newest_first == sorted(newest_first, reverse=True), "return 2 arrives newest first"
    assert (sample["status"] == "void").sum() == 1 and sample.duplicated().sum() == 1


# --- onboard_output ------------------------------------------------------------------------------
def test_onboard_output():
    clean = sources.returns_clean()
    assert T.verdict("onboard_output", clean.sample(frac=1, random_state=1)).correct
    raw = sources.returns_export()
    with_void = sources.returns_clean(raw.assign(status=raw["status"].replace("void", "VOID")))
    assert "unexpected key" in T.feedback("onboard_output", with_void)
    resent = pd.concat([clean, clean.iloc[:3]])
    assert "3 keys appear more than once in your table (key: return_id)" in T.feedback("onboard_output", resent)
    with_note = clean.assign(agent_note="")
    assert "unexpected column(s) agent_note" in T.feedback("onboard_output", with_note)


# --- quarantine ----------------------------------------------------------------------------------
RULES = {
    "has_customer": "customer_id BETWEEN 1 AND 2000",
    "valid_amount": "total_amount > 0 AND total_amount < 5000",
    "known_status": "status IN ('completed', 'shipped', 'returned', 'cancelled', 'pending')",
    "known_channel": "channel IN ('web', 'mobile', 'store')",
    "has_date": "order_date IS NOT NULL",
}


@pytest.fixture(scope="module")
def batch_con():
    con = engines.duckdb()
    con.register("dirty", sources.dirty_orders())
    con.execute("CREATE TABLE batch AS SELECT * FROM dirty")
    return con


def _quarantine(con, rules):
    quality_gates.gate_duckdb(con, "batch", rules, passed="clean", quarantine="q")
    return con.sql("SELECT * FROM q").df()


def test_quarantine_reference(batch_con):
    assert T.verdict("quarantine", _quarantine(batch_con, RULES)).correct


def test_quarantine_that_forgives_stray_spaces(batch_con):
    lenient = dict(RULES, known_status="trim(status) IN ('completed', 'shipped', 'returned', 'cancelled', 'pending')")
    assert "keys missing" in T.feedback("quarantine", _quarantine(batch_con, lenient))


def test_quarantine_with_a_loose_amount_rule(batch_con):
    loose = dict(RULES, valid_amount="total_amount >= 0")
    assert "missing key: row_id=" in T.feedback("quarantine", _quarantine(batch_con, loose))


def test_quarantine_split_by_hand_loses_nulls(batch_con):
    """WHERE NOT (rule) is NULL, not TRUE, for a NULL value: those rows vanish."""
    cases = ", ".join(f"CASE WHEN NOT ({c}) THEN '{n}' END" for n, c in RULES.items())
    naive = batch_con.sql(f"SELECT *, concat_ws(',', {cases}) AS failed_rules FROM batch "
                          f"WHERE NOT ({' AND '.join(f'({c})' for c in RULES.values())})").df()
    message = T.feedback("quarantine", naive)
    assert "keys missing" in message and "row_id=" in message


def test_quarantine_listing_only_the_first_broken_rule(batch_con):
    full = _quarantine(batch_con, RULES)
    first_only = full.assign(failed_rules=full["failed_rules"].str.split(",").str[0])
    message = T.feedback("quarantine", first_only)
    assert "failed_rules is wrong in" in message and "failed_rules is 'valid_amount', expected 'valid_amount,has_date'" in message


# --- tool_choice ---------------------------------------------------------------------------------
BEST = {"nightly_report": "cron + spark-submit", "platform_200_dags": "Airflow", "assets_and_lineage": "Dagster",
        "aws_serverless": "AWS Glue + Step Functions", "azure_many_sources": "Azure Data Factory",
        "gcp_existing_airflow": "Cloud Composer"}


def test_tool_choice():
    assert T.verdict("tool_choice", BEST).correct
    assert T.verdict("tool_choice", dict(BEST, platform_200_dags="Dagster")).correct
    message = T.feedback("tool_choice", dict(BEST, nightly_report="Airflow", platform_200_dags="Luigi"))
    assert "2 of 6 requirements are not met" in message and "nightly_report: one job, no dependencies" in message
    assert "not in the catalogue" in T.feedback("tool_choice", dict(BEST, aws_serverless="Lambda"))
    assert "no choice for stage 'gcp_existing_airflow'" in T.feedback(
        "tool_choice", {k: v for k, v in BEST.items() if k != "gcp_existing_airflow"})


# --- the solution text shown to learners is itself a right answer ------------------------------------
@pytest.mark.parametrize("exercise_id", ["etl_or_elt", "elt_model_sql", "upsert_sql", "next_increment",
                                         "backfill_plan", "onboard_metadata", "tool_choice"])
def test_the_shown_solution_passes_its_own_check(exercise_id, tmp_path):
    e = T.exercises[exercise_id]
    if e.kind == "sql":
        answer = e.solution
    elif e.kind == "function":
        names = {}
        exec(e.solution, names)
        answer = names[exercise_id]
    elif exercise_id == "onboard_metadata":
        names = {"returns_csv": tmp_path / "returns.csv", "work": tmp_path}
        exec(e.solution, names)
        answer = names["returns_pipeline"]
    else:
        answer = eval(e.solution)
    assert T.verdict(e, answer).correct, exercise_id
