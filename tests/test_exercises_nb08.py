"""08-data-quality, every exercise both ways: the reference passes, the mistakes learners really
make fail with a message that says what is wrong."""
from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from exercise_helpers import ExerciseTester
from grader.specs import nb08_data_quality as spec
from grader.verdict import Status
from labs.quality import anomalies, outliers, rules

NOTEBOOK = "08-data-quality"
T = ExerciseTester(NOTEBOOK)
EX = T.exercises
verdict, incorrect = T.verdict, T.incorrect


# --- the spec itself -------------------------------------------------------------------------

def test_spec_shape():
    T.assert_spec_shape(spec.COVERS)


# --- dimension_match (design) ------------------------------------------------------------------

RIGHT = {s: d for s, (d, _) in spec.SYMPTOMS.items()}


def test_dimension_match_both_ways():
    assert verdict("dimension_match", RIGHT).correct
    # A blank e-mail called invalid: the double counting the exercise is about.
    v = incorrect("dimension_match", {**RIGHT, "email_blank": "validity"})
    assert v.message.startswith("1 of 7 requirements is not met") and v.details[0].startswith("email_blank: ")
    # Accuracy and consistency mixed up: the two that need a second source.
    v = incorrect("dimension_match", {**RIGHT, "old_address_still_on_file": "consistency",
                                      "total_differs_from_lines": "accuracy"})
    assert "2 of 7 requirements are not met" in v.message
    v = incorrect("dimension_match", {**RIGHT, "sales_arrive_at_noon": "freshness"})
    assert "not in the catalogue" in v.message and "'freshness' is not one of" in v.details[0]
    v = incorrect("dimension_match", {"email_blank": "completeness"})
    assert v.message.startswith("Fill every stage")
    assert verdict("dimension_match", ...).status is Status.NOT_ATTEMPTED


# --- email_validity (number) -----------------------------------------------------------------

def test_email_validity_both_ways():
    customers = spec._shop().tables["customers"]
    present = customers["email"].dropna()
    right = present.str.fullmatch(rules.EMAIL).mean()
    assert verdict("email_validity", float(right)).correct
    # Dividing by all rows counts the missing e-mails as invalid too.
    over_all = present.str.fullmatch(rules.EMAIL).sum() / len(customers)
    assert "below the accepted range" in incorrect("email_validity", float(over_all)).message
    # A partial match (str.contains) lets "a at example.com"-style values through? No: it lets through
    # values with stray text; the share of invalid values instead of valid ones is the other slip.
    assert "below the accepted range" in incorrect("email_validity", float(1 - right)).message
    assert "above the accepted range" in incorrect("email_validity", float(right * 100)).message
    assert verdict("email_validity", ...).status is Status.NOT_ATTEMPTED


# --- quarantine_sql (sql) --------------------------------------------------------------------

def test_quarantine_sql_reference_and_alternatives_pass():
    assert verdict("quarantine_sql", spec.QUARANTINE_SQL_REFERENCE).correct
    left_join = spec.QUARANTINE_SQL_REFERENCE.replace(
        """FROM orders o
WHERE o.customer_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM customers c WHERE c.customer_id = o.customer_id)""",
        """FROM orders o LEFT JOIN customers c ON c.customer_id = o.customer_id
WHERE o.customer_id IS NOT NULL AND c.customer_id IS NULL""")
    assert left_join != spec.QUARANTINE_SQL_REFERENCE
    assert verdict("quarantine_sql", left_join).correct


MISTAKES = {
    # NOT IN against a column holding a NULL is never true: every orphan passes.
    "not in": (spec.QUARANTINE_SQL_REFERENCE.replace(
        "NOT EXISTS (SELECT 1 FROM customers c WHERE c.customer_id = o.customer_id)",
        "o.customer_id NOT IN (SELECT customer_id FROM customers)"), "missing: row_id=3"),
    # count(*) > 1 quarantines the original too.
    "count > 1": (spec.QUARANTINE_SQL_REFERENCE.replace(
        "row_number() OVER (PARTITION BY order_id ORDER BY row_id) AS nth FROM orders)\nWHERE nth > 1",
        "count(*) OVER (PARTITION BY order_id) AS n FROM orders)\nWHERE n > 1"), "unexpected: row_id=2"),
    # = NULL matches nothing.
    "= null": (spec.QUARANTINE_SQL_REFERENCE.replace("total_amount IS NULL", "total_amount = NULL"),
               "missing: row_id=6"),
}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_quarantine_sql_mistakes_are_named(name):
    sql, detail = MISTAKES[name]
    assert sql != spec.QUARANTINE_SQL_REFERENCE
    v = incorrect("quarantine_sql", sql)
    assert v.message.startswith("Your query's result differs")
    assert any(detail in d for d in v.details), v.details


def test_quarantine_fixture_has_the_traps_the_prompt_promises():
    fx = spec.quarantine_fixtures()
    parents = fx["customers"]["customer_id"]
    assert parents.isna().any() and parents.dropna().duplicated().any()  # a NULL parent and a repeated one
    orders = fx["orders"]
    repeats = orders[orders.duplicated("order_id", keep=False)]
    # one repeat of a key with different content, so whole-row dedup is told apart
    assert (repeats.groupby("order_id")["total_amount"].nunique() > 1).any()


def test_quarantine_mistakes_differ_from_the_reference():
    from grader.checkers import sql as sqlc, tables

    ex = EX["quarantine_sql"]
    reference = sqlc.run(spec.QUARANTINE_SQL_REFERENCE, ex._database())
    for mistake in spec.QUARANTINE_MISTAKES:
        assert tables.compare(sqlc.run(mistake.sql, ex._database()), reference) is not None, mistake.says


def test_quarantine_sql_syntax_error_is_the_learners():
    v = verdict("quarantine_sql", "SELEC row_id FROM orders")
    assert v.status is Status.ERROR


# --- freshness_breaches (table) ----------------------------------------------------------------

def test_freshness_fixture_has_loads_on_the_deadline():
    """The boundary the prompt states (06:00:30 is on time) is in the data, so a check can tell it."""
    loads = spec.freshness_loads()
    since = loads["arrived_at"].dt.tz_localize(None) - (loads["day"] + pd.Timedelta(hours=30))
    edge = since[(since >= pd.Timedelta(0)) & (since < pd.Timedelta(minutes=1))]
    assert sorted(edge.dt.total_seconds()) == [0.0, 30.0]
    expected = spec._freshness_expected()
    assert not set(loads.loc[edge.index, "day"]) & set(expected["day"])
    for mistake in spec.FRESHNESS_MISTAKES:
        assert verdict("freshness_breaches", mistake.table()).message == mistake.says


def test_freshness_both_ways():
    loads = spec.freshness_loads()
    expected = spec._freshness_expected()
    assert verdict("freshness_breaches", expected).correct
    # The DuckDB answer from the solution text.
    from labs.engines import duckdb

    con = duckdb()
    con.register("loads", loads)
    sql = spec.FRESHNESS.solution.split('con.sql("""')[1].split('""")')[0]
    assert verdict("freshness_breaches", con.sql(sql).df()).correct
    # Only the rows that exist: the days that never arrived are missed.
    only_late = expected[expected["status"] == "late"]
    v = incorrect("freshness_breaches", only_late)
    assert "2 missing" in v.message or "missing" in " ".join(v.details), v
    # The deadline taken as midnight of the next day: every load is "late".
    deadline = loads["day"] + pd.Timedelta(days=1)
    minutes = (loads["arrived_at"].dt.tz_localize(None) - deadline) // pd.Timedelta(minutes=1)
    wrong = pd.DataFrame({"day": loads["day"], "status": "late", "minutes_late": minutes})
    wrong = wrong[wrong["minutes_late"] > 0]
    v = incorrect("freshness_breaches", wrong)
    assert "rows" in v.message
    assert verdict("freshness_breaches", ...).status is Status.NOT_ATTEMPTED


# --- volume_detector (function, scored by precision and recall) ------------------------------------

def as_mask(counts):
    flagged = set(anomalies.seasonal_volume_anomalies(counts))
    return pd.Series([d in flagged for d in counts.index], index=counts.index)


def test_volume_detector_reference_and_other_shapes_pass():
    assert verdict("volume_detector", spec.volume_reference).correct
    assert verdict("volume_detector", as_mask).correct  # a boolean Series is accepted
    # The notebook's solution text, as a learner would type it.
    scope = {"np": np, "pd": pd}
    exec(spec.VOLUME_DETECTOR.solution, scope)
    assert verdict("volume_detector", scope["detect_volume"]).correct


def test_volume_detector_global_zscore_misses():
    v = incorrect("volume_detector", anomalies.zscore_volume_anomalies)
    assert "recall 0.25, needs >= 0.8" in v.message and "its own weekday's recent past" in v.message


def test_volume_detector_loose_threshold_is_too_noisy():
    v = incorrect("volume_detector", lambda c: anomalies.zscore_volume_anomalies(c, 1.0))
    assert "precision 0.19, needs >= 0.8" in v.message and "gets muted" in v.message


def test_volume_detector_stub_and_errors():
    def stub(counts):
        raise NotImplementedError("your code here")

    assert verdict("volume_detector", stub).status is Status.NOT_ATTEMPTED
    assert verdict("volume_detector", ...).status is Status.NOT_ATTEMPTED
    v = verdict("volume_detector", lambda counts: counts.rolling("7D").nonsense())
    assert v.status is Status.ERROR and "AttributeError" in v.message


# --- outlier_detector (function, scored by precision and recall) -----------------------------------

def test_outlier_detector_reference_passes():
    assert verdict("outlier_detector", spec.outlier_reference).correct
    scope = {"np": np, "outliers": outliers}
    exec(spec.OUTLIER_DETECTOR.solution, scope)
    assert verdict("outlier_detector", scope["flag_outliers"]).correct


def test_outlier_detector_zscore_is_masked():
    v = incorrect("outlier_detector", lambda a: outliers.zscore(a))
    assert "With 8% of the amounts" in v.message and "recall 0.64" in v.message and "masking" in v.message


@pytest.mark.parametrize("method", [outliers.mad, outliers.iqr])
def test_outlier_detector_raw_fences_cut_into_the_tail(method):
    v = incorrect("outlier_detector", lambda a: method(a))
    assert "With 2% of the amounts" in v.message and "long right tail" in v.message


def test_outlier_detector_flag_everything_fails_the_fixed_case_in_words():
    v = incorrect("outlier_detector", lambda a: list(a.index))
    # The fixed case is described, not printed as a Series.
    assert v.message == ("On 31 amounts between 85 and 115 and one of 5,000 (row 30) your detector returned "
                         "31 rows (0, 1, 2, 3, 4, …); expected only row 30.")


# --- masking_choice (choice) --------------------------------------------------------------------

def test_masking_choice_both_ways():
    assert verdict("masking_choice", "B").correct
    # Every distractor is a real competitor, and each says in one sentence why it is not the cause.
    for key in ("A", "C", "D"):
        v = incorrect("masking_choice", key)
        assert v.message == f"{key} is not right: {spec.MASKING.reasons[key]}" and not v.details
    assert set(spec.MASKING.reasons) == set(spec.MASKING.options) - set(spec.MASKING.correct)
    assert verdict("masking_choice", {"B", "C"}).status is Status.ERROR


def test_masking_choice_numbers_hold():
    """The explanation's 'about fifteenfold' and the prompt's 'about a third' are what the data gives."""
    amounts, planted = outliers.with_planted_outliers(rate=0.08, seed=12)
    ratio = amounts.std() / amounts.drop(index=planted).std()
    assert 13 < ratio < 17 and "fifteenfold" in spec.MASKING.explanation
    missed = 1 - outliers.zscore(amounts)[planted].mean()
    assert 0.3 < missed < 0.4
