"""02-data-modeling: what the answer corpus (tests/answers/nb02.yaml) cannot say about one answer.

Each answer's verdict lives in the corpus: right forms pass, wrong ones fail with the words their
feedback must contain. Here: the spec's shape, fixtures that can tell right from wrong (NULLs,
a change back, equal timestamps), the reference against the lab code, the published solution
against the notebook, and the grading path (stub, crash, export)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

from exercise_helpers import ExerciseTester
from grader.checkers import tables
from grader.specs import nb02_data_modeling as spec
from grader.verdict import Status
from labs.engines import duckdb
from labs.modeling import scd, tenancy
from labs.modeling.scd import TRACKED

T = ExerciseTester("02-data-modeling")


def test_spec_shape_and_covers():
    T.assert_spec_shape(spec.COVERS)


def test_the_notebook_claims_what_the_specs_cover():
    claimed = set(T.claimed())
    assert {c for e in T.exercises.values() for c in e.covers} <= claimed
    assert set(T.questions()) == claimed


# -- fact_orders --------------------------------------------------------------------------------
def test_fact_orders_mistakes_are_wrong_answers():
    mistakes = T.exercises["fact_orders"].mistakes
    assert len(mistakes) == 3
    for mistake in mistakes:
        assert T.verdict("fact_orders", mistake.table()).status is Status.INCORRECT, mistake.says


# -- as_was_revenue_sql -----------------------------------------------------------------------
def test_as_was_mistakes_are_wrong_answers():
    """A targeted sentence must never fire on a right answer: every known mistake differs from the reference."""
    for mistake in T.exercises["as_was_revenue_sql"].mistakes:
        assert T.verdict("as_was_revenue_sql", mistake.sql).status is Status.INCORRECT, mistake.says


def test_the_star_fixture_has_history_and_keys_apart_from_ids():
    star = spec.star_with_history()
    dim = star["dim_customer"]
    assert dim["customer_id"].duplicated().any()  # customers with several versions
    real = dim[dim["customer_sk"] > 0]
    assert not (real["customer_sk"] == real["customer_id"]).any()
    assert set(star["fact_sales"]["customer_sk"]) <= set(dim["customer_sk"])


# -- scd2_merge ---------------------------------------------------------------------------------
def test_the_scd_fixture_holds_nulls_and_a_change_back():
    dim, batches = spec.scd_fixture()
    a, b, c, d = spec.edge_customers()
    first = dim.set_index("customer_id")
    assert first.loc[a, "email"] is None and first.loc[b, "address"] is None
    rows = {k: batch.set_index("customer_id") for k, batch in enumerate(batches)}
    assert rows[0].loc[a, "email"] is None and rows[1].loc[a, "email"] is None  # re-sent unchanged
    assert rows[0].loc[b, "address"] is None and rows[2].loc[b, "address"] is not None  # NULL, then a value
    assert rows[1].loc[c, "email"] is None and rows[2].loc[c, "email"] is None  # a value, then NULL
    assert rows[2].loc[d, "segment"] == first.loc[d, "segment"] != rows[0].loc[d, "segment"]  # and back


def test_scd2_reference_agrees_with_the_sql_merge():
    dim, batches = spec.scd_fixture()
    con = duckdb()
    con.register("dim_df", dim)
    con.execute("CREATE TABLE dim_customer AS SELECT * FROM dim_df")
    frame = dim
    for batch in batches:
        scd.scd2_merge_sql(con, batch)
        frame = spec.scd2_merge_reference(frame, batch)
    assert spec.canonical_versions(con.sql("SELECT * FROM dim_customer").df()) == spec.canonical_versions(frame)
    versions = frame.groupby("customer_id").size()
    a, b, c, d = spec.edge_customers()
    assert (versions[a], versions[b], versions[c], versions[d]) == (1, 2, 2, 3)


def test_the_published_solution_is_the_notebooks_and_passes():
    cell = next(c.source for c in T.solution_notebook().cells if c.get("id") == "ex3-answer")
    body = cell.split("# BEGIN SOLUTION\n", 1)[1].split("    # END SOLUTION", 1)[0]
    published = spec.SCD2_SOLUTION.split("\n", 1)[1] + "\n"
    assert body == published
    namespace = {"np": np, "pd": pd, "TRACKED": TRACKED}
    exec(spec.SCD2_SOLUTION, namespace)
    assert T.verdict("scd2_merge", namespace["scd2_merge"]).correct


def test_scd2_stub_is_not_attempted_and_a_crash_is_the_learners_error():
    def stub(dim, batch):
        raise NotImplementedError("your code here")

    assert T.verdict("scd2_merge", stub).status is Status.NOT_ATTEMPTED

    def no_empty(dim, batch):
        return spec.scd2_merge_reference(dim, batch) if len(batch) else dim.iloc[0]

    verdict = T.verdict("scd2_merge", no_empty)
    assert verdict.status is Status.ERROR
    assert verdict.message.startswith("Your function failed on scd2_merge(empty dimension, empty batch): IndexError")


def test_scd2_payload_survives_batch_export(tmp_path):
    exercise = T.exercises["scd2_merge"]
    payload = exercise.prepare(spec.scd2_merge_reference)
    exercise.dump(payload, tmp_path)
    assert exercise.judge(exercise.load(tmp_path)).correct
    assert json.loads((tmp_path / "payload.json").read_text())["probes"]


# -- scd2_rows_estimate -----------------------------------------------------------------------------
def test_no_known_mistake_is_inside_the_accepted_range():
    exercise = T.exercises["scd2_rows_estimate"]
    low, high = exercise.bounds()
    for value, _ in exercise.mistakes:
        assert not low <= value <= high


# -- leaky_queries ------------------------------------------------------------------------------------
def test_the_leak_answer_key_is_measured_not_assumed():
    data = tenancy.tenant_tables(pd.read_parquet(spec.data_paths()["customers"]), pd.read_parquet(spec.data_paths()["orders"]))
    measured = {key for key, sql in spec.LEAK_SNIPPETS.items() if tenancy.leaks(sql, data, 2)}
    assert measured == set(T.exercises["leaky_queries"].correct)


# -- point_in_time_sql -----------------------------------------------------------------------------------
def test_the_feature_fixture_has_labels_at_the_instant_of_a_feature_row():
    fixtures = spec.feature_fixtures()
    labels, features = fixtures["labels"], fixtures["customer_features"]
    ties = labels.merge(features, left_on=["customer_id", "label_ts"], right_on=["customer_id", "feature_ts"])
    assert len(ties) == 2
    assert not features.duplicated(["customer_id", "feature_ts"]).any()  # one latest row, never a tie to break


def test_point_in_time_mistakes_are_wrong_answers():
    exercise = T.exercises["point_in_time_sql"]
    reference = exercise.prepared_expected()
    for mistake in exercise.mistakes:
        assert tables.compare(exercise.mistake_table(mistake), reference) is not None, mistake.says
