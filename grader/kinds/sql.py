"""The SQL kinds: a query run on fixture tables and judged by its result, and a statement run twice.

A check of a SQL answer goes through three steps, each a method a kind or an exercise may
change: ``parse_and_guard`` reads the answer and refuses what must not run (a syntax error, a
broken ``SqlRule``, a failed guard); ``run_answer`` runs it; ``judge_result`` judges the rows.
``guards`` and ``result_guards`` are the exercise's own tests, before the query runs and
before its rows are compared.

    >>> import pandas as pd
    >>> ex = Sql(id="total", fixtures=lambda: {"t": pd.DataFrame({"x": [1, 2]})},
    ...          reference="select sum(x) as s from t")
    >>> print(ex.judge("SELECT 1 + 2 AS s"))
    ✓ total: correct. Your query returns the right 1 rows.
    >>> print(ex.judge("DELETE FROM t"))
    ⚠ total: error in your code. Write one SELECT query (a DELETE statement is not an answer here).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlglot import exp

from grader.checkers import Problem, spark_sql, tables
from grader.checkers import sql as sqlc
from grader.errors import KitUnavailable, LearnerError, NotAttempted
from grader.kinds.exercise import Exercise
from grader.kinds.table import Mistake, TableResult
from grader.verdict import Status, Verdict


@dataclass(kw_only=True)
class Sql(TableResult, Exercise):
    """A SQL answer, run against fixture tables and compared by result.

    ``fixtures`` builds {table name: DataFrame}; ``reference`` is the reference query (DuckDB);
    ``rules`` are structural requirements (``grader.checkers.sql.SqlRule``); ``mistakes`` are known
    wrong queries with the sentence each deserves. A plain string is read in ``dialect``
    (DuckDB's unless said); an answer marked ``spark_sql(...)`` (or any answer when
    ``dialect="spark"``) runs on Spark itself against the same fixtures.

    ``guards`` test the answer's text before it runs: ``guard(sql, dialect)`` returns None or the
    ``Problem`` that is the verdict (it may raise ``LearnerError`` when the text cannot be read).
    ``result_guards`` test the rows before they are compared with the reference's:
    ``guard(result, fixtures)`` returns None or a ``Problem``. ``differs_message`` leads the
    sentence of a result that differs; ``right_message`` is the praise, with ``{rows}`` the count.
    """
    fixtures: Callable[[], dict]
    reference: str
    rules: tuple = ()
    guards: tuple[Callable[[str, str], Problem | None], ...] = ()
    result_guards: tuple[Callable, ...] = ()
    dialect: str = "duckdb"
    order_matters: bool = False
    decimals: int | dict = 6  # one number, or {column: decimals}
    mistakes: tuple[Mistake, ...] = ()
    timeout_s: float = 10.0
    differs_message: str = "Your query's result differs: "
    right_message: str = "Your query returns the right {rows} rows."
    kind = "sql"
    not_attempted = "Write your query, then run this check again."

    def build_expected(self):
        return sqlc.run(self.reference, self._database())

    def _fixtures(self):
        if not hasattr(self, "_fixture_cache"):
            self._fixture_cache = self.fixtures()
        return self._fixture_cache

    def _database(self) -> sqlc.FixtureDatabase:
        """The fixtures loaded once; every check queries them on a cursor of its own."""
        if getattr(self, "_database_cache", None) is None:
            self._database_cache = sqlc.FixtureDatabase(self._fixtures())
        return self._database_cache

    def _spark_fixtures(self) -> spark_sql.SparkFixtures:
        """The same fixtures as Spark views, made only when a Spark SQL answer arrives."""
        if getattr(self, "_spark_cache", None) is None:
            self._spark_cache = spark_sql.SparkFixtures(self._fixtures())
        return self._spark_cache

    def mistake_table(self, mistake: Mistake):
        return sqlc.run(mistake.sql, self._database()) if mistake.sql else mistake.table()

    def prepare(self, answer):
        sqlc.parse(answer, spark_sql.dialect_of(answer, self.dialect))  # a syntax error shows at once
        return answer

    # -- the check, in three steps ----------------------------------------------------
    def judge(self, payload):
        try:
            refused = self.parse_and_guard(payload)
            if refused is not None:
                return refused
            result = self.run_answer(payload)
        except NotAttempted:
            return self.verdict(Status.NOT_ATTEMPTED, self.not_attempted)
        except LearnerError as exc:
            return self.learner_error(exc)
        except KitUnavailable as exc:
            return self.verdict(Status.UNCHECKED, exc.message)
        return self.judge_result(result)

    def parse_and_guard(self, payload) -> Verdict | None:
        """The verdict when the answer must not run (its guards or rules fail); None to go on and run it."""
        dialect = spark_sql.dialect_of(payload, self.dialect)
        tree = sqlc.parse(payload, dialect)
        for guard in self.guards:  # before the query check: a guard may read any statement
            problem = guard(str(payload), dialect)
            if problem:
                return self.verdict(Status.INCORRECT, problem.message, problem.details)
        sqlc.require_query(tree)
        return self.broken_rules(tree)

    def broken_rules(self, tree) -> Verdict | None:
        broken = [rule.message for rule in self.rules if not rule.test(tree)]
        return self.verdict(Status.INCORRECT, broken[0], broken[1:]) if broken else None

    def run_answer(self, payload):
        """The rows the answer returns: on Spark for a Spark SQL answer, on the DuckDB fixtures otherwise."""
        dialect = spark_sql.dialect_of(payload, self.dialect)
        if dialect == "spark":
            return self._spark_fixtures().query(str(payload), self.timeout_s)
        return sqlc.run(sqlc.to_duckdb(payload, dialect), self._database(), self.timeout_s)

    def learner_error(self, exc: LearnerError) -> Verdict:
        return self.verdict(Status.ERROR, exc.message, exc.details)

    def judge_result(self, result) -> Verdict:
        """The verdict on the rows the query returned: the result guards first, then the reference's rows."""
        for guard in self.result_guards:
            problem = guard(result, self._fixtures())
            if problem:
                return self.verdict(Status.INCORRECT, problem.message, problem.details)
        problem = self.result_problem(result)
        if problem:
            problem = self.diagnose(result, problem)
            return self.verdict(Status.INCORRECT, self.differs_message + problem.message, problem.details)
        return self.verdict(Status.CORRECT, self.right_message.format(rows=f"{len(result):,}"))

    def result_problem(self, result) -> Problem | None:
        """What is wrong with the query's rows against the reference's, with this exercise's options."""
        return tables.compare(result, self.prepared_expected(), order_matters=self.order_matters,
                              decimals=self.decimals)

    def dump(self, payload, folder):
        (folder / "payload.sql").write_text(str(payload))
        if spark_sql.dialect_of(payload) == "spark":
            (folder / "dialect.txt").write_text("spark")

    def load(self, folder):
        text = (folder / "payload.sql").read_text()
        return spark_sql.spark_sql(text) if (folder / "dialect.txt").exists() else text


@dataclass(kw_only=True)
class StatementRunTwice(Sql):
    """A data-changing statement (MERGE, INSERT ... ON CONFLICT) run on the fixtures once, then again;
    ``state_query`` reads the table it changes after each run, and both must give the reference's rows.

    Idempotence is the point, and checking after the second run alone is not enough: a wrong
    statement can converge on the second run (a stale row wins the first time, the right one the
    second). ``setup`` runs first (for example to give a fixture table its primary key).
    """
    setup: str = ""
    state_query: str = ""
    key: tuple[str, ...] = ()
    table_name: str = "the table"
    duplicate_key_hint: str = ""  # said after the engine's error when the statement writes a key twice
    not_attempted = "Write your statement, then run this check again."

    def _script(self, statement: str, times: int) -> str:
        statement = statement.strip().rstrip(";").strip()
        steps = ([self.setup] if self.setup else []) + [statement] * times + [self.state_query]
        return ";\n".join(steps)  # DuckDB runs them in order and returns the last one's rows

    def build_expected(self):
        return sqlc.run(self._script(self.reference, 1), self._fixtures())

    def mistake_table(self, mistake: Mistake):
        return sqlc.run(self._script(mistake.sql, 1), self._fixtures())

    def parse_and_guard(self, payload):
        if spark_sql.dialect_of(payload) == "spark":
            return self.verdict(Status.UNCHECKED,
                                "This statement is run on DuckDB: Spark's MERGE INTO needs a table format that "
                                "supports row-level changes (Delta Lake or Iceberg), which the kit's Spark does not "
                                "have. Pass the statement as plain text in DuckDB SQL; this says nothing about your "
                                "answer.")
        tree = sqlc.parse(payload, self.dialect)
        if not isinstance(tree, (exp.Merge, exp.Insert)):
            return self.verdict(Status.INCORRECT,
                                f"Write one statement that changes {self.table_name} (MERGE INTO ... or "
                                f"INSERT ... ON CONFLICT ...); this is a {type(tree).__name__.upper()}.")
        return self.broken_rules(tree)

    def run_answer(self, payload):
        """The table after one run and after two; each run starts from fresh fixtures."""
        once = sqlc.run(self._script(payload, 1), self._fixtures(), self.timeout_s)
        twice = sqlc.run(self._script(payload, 2), self._fixtures(), self.timeout_s)
        return once, twice

    def learner_error(self, exc):
        duplicate = self.duplicate_key_hint and "duplicate key" in exc.message.lower()
        hint = f" {self.duplicate_key_hint}" if duplicate else ""
        return self.verdict(Status.ERROR, exc.message + hint, exc.details)

    def judge_result(self, runs):
        once, twice = runs
        key = list(self.key) or None
        problem = tables.compare(once, self.expected(), key=key)
        if problem:
            problem = self.diagnose(once, problem)
            return self.verdict(Status.INCORRECT, f"After one run of your statement, {self.table_name} is not "
                                f"right: {problem.message}", problem.details)
        problem = tables.compare(twice, self.expected(), key=key)
        if problem:
            return self.verdict(Status.INCORRECT, f"One run is right, but running the same batch again changes "
                                f"{self.table_name}: the statement is not idempotent. {problem.message}",
                                problem.details)
        return self.verdict(Status.CORRECT, f"Run once and run twice, your statement leaves the right "
                                            f"{len(once):,} rows in {self.table_name}.")
