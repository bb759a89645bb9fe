"""Check SQL answers: parse with sqlglot, run on DuckDB against fixtures, compare results.

    >>> tree = parse("select a, count(*) from t group by a")
    >>> uses_window(tree), selects_star(tree)
    (False, False)
    >>> parse("select from where")
    Traceback (most recent call last):
    ...
    grader.errors.LearnerError: Your SQL does not parse at line 1, column 17: Expected table name but got 'where'.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Callable

import sqlglot
from sqlglot import exp

from grader.errors import LearnerError, NotAttempted


def parse(sql, dialect: str = "duckdb") -> exp.Expression:
    """The parsed query, or a LearnerError naming the line and column of the syntax error."""
    if sql is Ellipsis or sql is None or (isinstance(sql, str) and not sql.strip()):
        raise NotAttempted()
    if not isinstance(sql, str):
        raise LearnerError(f"Expected the query as a string of SQL; got {type(sql).__name__}.")
    try:
        trees = [t for t in sqlglot.parse(sql, read=dialect) if t is not None]
    except sqlglot.errors.ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        where = f" at line {first.get('line')}, column {first.get('col')}" if first else ""
        near = first.get("highlight") or ""
        # sqlglot describes tokens by their repr; the learner only needs the text
        description = re.sub(r"<Token token_type: [^,]+, text: ([^,]*),[^>]*>", r"'\1'",
                             first.get("description", str(exc)))
        raise LearnerError(
            f"Your SQL does not parse{where}: {description.rstrip('.')}.",
            [f"near: {near}"] if near else [],
        ) from None
    if len(trees) != 1:
        raise LearnerError(f"Write exactly one SQL statement; found {len(trees)}.")
    return trees[0]


# --- structural requirements: each takes the parsed tree ---------------------------------

def uses_window(tree: exp.Expression) -> bool:
    return tree.find(exp.Window) is not None


def selects_star(tree: exp.Expression) -> bool:
    return any(isinstance(s, exp.Star) or (isinstance(s, exp.Column) and isinstance(s.this, exp.Star))
               for select in tree.find_all(exp.Select) for s in select.expressions)


def uses_join(tree: exp.Expression) -> bool:
    return tree.find(exp.Join) is not None


def filters_on_bare_column(tree: exp.Expression, column: str) -> bool:
    """True if a WHERE compares ``column`` itself, not wrapped in a function or cast.

    A filter on ``year(order_date)`` cannot use partition pruning; ``order_date >= ...`` can.
    """
    column = column.lower()
    for where in tree.find_all(exp.Where):
        for pred in where.find_all(exp.Predicate):
            for side in (pred.args.get("this"), pred.args.get("expression")):
                if isinstance(side, exp.Column) and side.name.lower() == column:
                    return True
    return False


@dataclass(frozen=True)
class SqlRule:
    """A structural requirement of a SQL answer: ``test(tree)`` must be True; ``message`` says what is asked.

    (The rules that data rows must meet are another thing: they live in ``labs.quality``.)"""
    test: Callable[[exp.Expression], bool]
    message: str


USES_WINDOW = SqlRule(uses_window, "The query must use a window function (OVER ...).")
NO_SELECT_STAR = SqlRule(lambda t: not selects_star(t), "List the columns you need instead of SELECT *.")
USES_JOIN = SqlRule(uses_join, "The query must join the tables.")


def filters_on(column: str) -> SqlRule:
    return SqlRule(lambda t: filters_on_bare_column(t, column),
                f"Filter on the column {column} itself (not wrapped in a function) so the engine can prune.")


def to_duckdb(sql: str, dialect: str) -> str:
    """Spark (or another dialect's) SQL rewritten for DuckDB. Only for exercises known to transpile faithfully."""
    if dialect == "duckdb":
        return sql
    return sqlglot.transpile(sql, read=dialect, write="duckdb")[0]


def require_query(tree: exp.Expression) -> None:
    """Answers are read-only queries: a DDL/DML statement is refused before it runs."""
    if not isinstance(tree, exp.Query):
        raise LearnerError(f"Write one SELECT query (a {tree.key.upper()} statement is not an answer here).")


class FixtureDatabase:
    """An exercise's fixture tables, loaded into DuckDB once and locked for reading.

    Loading fixtures costs more than most answers' queries, so an exercise keeps one of these
    and every check runs on a fresh cursor of it. Only read-only queries may run here (the
    ``Sql`` kind refuses anything else before it gets this far).

        >>> import pandas as pd
        >>> db = FixtureDatabase({"t": pd.DataFrame({"a": [1, 2]})})
        >>> db.query("select sum(a) as s from t")["s"].tolist()
        [3.0]
        >>> db.close()
    """

    def __init__(self, fixtures: dict):
        from labs.engines import duckdb

        self._con = duckdb()
        for name, frame in fixtures.items():
            self._con.register(f"__{name}", frame)
            self._con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM "__{name}"')
            self._con.unregister(f"__{name}")
        # the learner's query may read the fixtures and nothing else: no files, no ATTACH, no COPY
        self._con.execute("SET enable_external_access = false")
        self._con.execute("SET lock_configuration = true")

    def query(self, sql: str, timeout: float = 10.0):
        """The result of ``sql`` as a pandas DataFrame; after ``timeout`` seconds the query is stopped."""
        cursor = self._con.cursor()
        timer = threading.Timer(timeout, cursor.interrupt)
        timer.start()
        try:
            return cursor.sql(sql).df()
        except Exception as exc:  # the learner's query failed in the engine
            if "interrupt" in str(exc).lower():
                raise LearnerError(f"Your query ran for more than {timeout:g} s and was stopped.") from None
            first_line = str(exc).strip().splitlines()[0]
            raise LearnerError(f"Your query failed in DuckDB: {first_line}") from None
        finally:
            timer.cancel()
            cursor.close()

    def close(self) -> None:
        self._con.close()


def run(sql: str, fixtures, timeout: float = 10.0):
    """Run ``sql`` against ``fixtures`` and return a pandas result.

    ``fixtures`` is a ``FixtureDatabase`` to reuse, or {table name: DataFrame} for a fresh
    database that is thrown away afterwards (for scripts that change the tables).
    A query still running after ``timeout`` seconds is interrupted and reported as the learner's error.
    """
    if isinstance(fixtures, FixtureDatabase):
        return fixtures.query(sql, timeout)
    database = FixtureDatabase(fixtures)
    try:
        return database.query(sql, timeout)
    finally:
        database.close()
