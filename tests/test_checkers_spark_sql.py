"""Spark SQL answers run on Spark itself, with the same fixtures and comparison as DuckDB answers."""
from __future__ import annotations

import pandas as pd
import pytest

from grader import spark_sql
from grader.kinds import Sql
from grader.notebook import evaluate, judge_exported, start
from grader.verdict import Status
from labs import engines


@pytest.fixture(scope="module")
def monthly():
    return start("00-start-here").exercise("monthly_revenue_sql")


def test_spark_functions_that_do_not_transpile_are_judged_on_spark(spark, monthly):
    # trunc(ts, 'MM') and date_format are Spark's: DuckDB has no trunc() for timestamps
    query = spark_sql("SELECT trunc(order_ts, 'MM') AS month, sum(total_amount) AS revenue "
                      "FROM orders WHERE status = 'completed' GROUP BY trunc(order_ts, 'MM')")
    assert evaluate(monthly, query).status is Status.CORRECT
    assert evaluate(monthly, str(query)).status is Status.ERROR  # the same text read as DuckDB SQL


def test_a_wrong_spark_answer_gets_the_same_diagnosis_as_in_duckdb(spark, monthly):
    wrong = "SELECT date_trunc('month', order_ts) AS month, sum(total_amount) AS revenue FROM orders GROUP BY 1"
    on_spark, on_duckdb = evaluate(monthly, spark_sql(wrong)), evaluate(monthly, wrong)
    assert on_spark.status is on_duckdb.status is Status.INCORRECT
    assert on_spark.message == on_duckdb.message


def test_a_query_spark_rejects_is_the_learners_error(spark, monthly):
    verdict = evaluate(monthly, spark_sql("SELECT month_of_order, sum(total_amount) AS revenue FROM orders GROUP BY 1"))
    assert verdict.status is Status.ERROR
    assert verdict.message.startswith("Your query failed in Spark:") and "month_of_order" in verdict.message


def test_a_slow_spark_query_is_stopped_and_the_session_still_works(spark):
    ex = Sql(id="slow", fixtures=lambda: {"t": pd.DataFrame({"a": [1, 2]})}, reference="SELECT sum(a) AS s FROM t",
             timeout_s=2)
    verdict = evaluate(ex, spark_sql("SELECT count(*) AS s FROM range(100000000000) CROSS JOIN t"))
    assert verdict.status is Status.ERROR and "ran for more than 2 s on Spark" in verdict.message
    assert evaluate(ex, spark_sql("SELECT sum(a) AS s FROM t")).correct


def test_no_spark_is_not_checked_and_never_blamed_on_the_learner(monkeypatch, monthly):
    from labs.java import JavaMissing

    def no_java():
        raise JavaMissing("Spark needs Java 17 or 21: install Java 17.")

    monkeypatch.setattr(engines, "spark", no_java)
    fresh = Sql(id="fresh", fixtures=monthly.fixtures, reference=monthly.reference)
    verdict = evaluate(fresh, spark_sql(monthly.reference))
    assert verdict.status is Status.UNCHECKED and not verdict.passed
    assert "Spark is not available here (Spark needs Java 17 or 21" in verdict.message
    assert "your" not in verdict.message.split("(")[0].lower()  # nothing says the answer is at fault


def test_a_spark_failure_of_the_kit_is_not_the_learners(monkeypatch, spark, monthly):
    class Broken:
        def createDataFrame(self, frame):
            raise RuntimeError("py4j gateway closed")

    monkeypatch.setattr(engines, "spark", lambda: Broken())
    fresh = Sql(id="fresh", fixtures=monthly.fixtures, reference=monthly.reference)
    verdict = evaluate(fresh, spark_sql(monthly.reference))
    assert verdict.status is Status.UNCHECKED and "says nothing about your answer" in verdict.message


def test_batch_grading_keeps_the_dialect(tmp_path, spark, monthly):
    query = spark_sql("SELECT trunc(order_ts, 'MM') AS month, sum(total_amount) AS revenue "
                      "FROM orders WHERE status = 'completed' GROUP BY 1")
    folder = tmp_path / "monthly_revenue_sql"
    folder.mkdir()
    monthly.dump(monthly.prepare(query), folder)
    (folder / "status.json").write_text('{"status": "prepared", "message": ""}')
    assert isinstance(monthly.load(folder), type(query))
    assert judge_exported(monthly, folder).correct
