import pandas as pd
import pytest

from grader.checkers import sql
from grader.errors import LearnerError, NotAttempted


def test_syntax_error_names_line_and_column():
    with pytest.raises(LearnerError, match=r"does not parse at line 2, column \d+"):
        sql.parse("select a\nfrom where")


def test_stub_is_not_attempted():
    for stub in (..., None, "   "):
        with pytest.raises(NotAttempted):
            sql.parse(stub)


def test_one_statement_only():
    with pytest.raises(LearnerError, match="exactly one SQL statement"):
        sql.parse("select 1; select 2")


def test_structure_rules_both_ways():
    assert sql.uses_window(sql.parse("select sum(x) over (partition by k) from t"))
    assert not sql.uses_window(sql.parse("select sum(x) from t group by k"))
    assert sql.selects_star(sql.parse("select * from t"))
    assert sql.selects_star(sql.parse("select t.* from t"))
    assert not sql.selects_star(sql.parse("select count(*) from t"))


def test_partition_filter_must_be_unwrapped():
    assert sql.filters_on_bare_column(sql.parse("select a from t where order_date >= '2024-03-01'"), "order_date")
    assert not sql.filters_on_bare_column(sql.parse("select a from t where year(order_date) = 2024"), "order_date")
    assert not sql.filters_on_bare_column(sql.parse("select a from t"), "order_date")


def test_run_reports_engine_errors_as_the_learners():
    fixtures = {"t": pd.DataFrame({"x": [1, 2]})}
    assert sql.run("select sum(x) as s from t", fixtures)["s"].tolist() == [3]
    with pytest.raises(LearnerError, match='Referenced column "nope" not found'):
        sql.run("select nope from t", fixtures)


def test_runaway_query_is_stopped():
    with pytest.raises(LearnerError, match="was stopped"):
        sql.run("select count(*) from range(100000000000) a, range(100000000) b", {}, timeout=0.5)


def test_spark_sql_transpiles_for_duckdb():
    assert "COALESCE" in sql.to_duckdb("select nvl(a, 0) from t", "spark").upper()
    assert sql.to_duckdb("select 1", "duckdb") == "select 1"


def test_learner_sql_cannot_touch_files(tmp_path):
    target = tmp_path / "leak.csv"
    with pytest.raises(LearnerError):
        sql.run(f"select * from read_csv('{target}')", {})
    with pytest.raises(LearnerError):
        sql.run("select content from read_text('/etc/hostname')", {})


def test_statements_other_than_queries_are_refused():
    with pytest.raises(LearnerError, match="Write one SELECT query"):
        sql.require_query(sql.parse("copy (select 1) to 'out.csv'"))
    sql.require_query(sql.parse("with t as (select 1 as x) select x from t union all select 2"))


def test_fixture_database_is_loaded_once_and_serves_many_checks(tmp_path):
    fixtures = {"t": pd.DataFrame({"x": [1, 2, 3]})}
    db = sql.FixtureDatabase(fixtures)
    try:
        fixtures["t"].loc[0, "x"] = 100  # the database holds its own copy
        assert sql.run("select sum(x) as s from t", db)["s"].tolist() == [6]
        with pytest.raises(LearnerError, match="was stopped"):
            sql.run("select count(*) from range(100000000000) a, range(100000000) b", db, timeout=0.5)
        # a stopped query leaves the database usable, and the sandbox still holds
        assert sql.run("select count(*) as n from t", db)["n"].tolist() == [3]
        with pytest.raises(LearnerError):
            sql.run(f"select * from read_csv('{tmp_path / 'x.csv'}')", db)
    finally:
        db.close()
