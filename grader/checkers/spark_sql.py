"""Judge Spark SQL answers on Spark itself, against the same fixtures as DuckDB answers.

Transpiling Spark SQL to DuckDB is not faithful (time-zone conversions, ``unix_timestamp``,
``trunc(d, 'MM')``, ``percentile``, ``sequence`` over dates), so a learner's Spark SQL runs
on the kit's Spark session: a local one, or Spark Connect when ``SPARK_REMOTE`` is set.
The learner marks a query as Spark SQL with ``spark_sql``:

    >>> q = spark_sql("SELECT trunc(order_ts, 'MM') AS month FROM orders")
    >>> isinstance(q, str), dialect_of(q), dialect_of("SELECT 1")
    (True, 'spark', 'duckdb')

Failures are sorted by whose they are: a query Spark rejects or that runs too long is the
learner's (``LearnerError``); Spark missing or breaking is the kit's (``KitUnavailable``),
which a verdict reports as "not checked", never as the learner's mistake.
"""
from __future__ import annotations

import threading
import uuid
import warnings

import pandas as pd

from grader.errors import KitUnavailable, LearnerError

MAX_ROWS = 1_000_000


class SparkSql(str):
    """SQL text written in Spark's dialect: judged on Spark, not DuckDB."""

    dialect = "spark"


def spark_sql(text: str) -> SparkSql:
    """Mark ``text`` as Spark SQL: ``nb.check("monthly_revenue_sql", spark_sql(query))``."""
    if isinstance(text, SparkSql) or not isinstance(text, str):
        return text
    return SparkSql(text)


def dialect_of(answer, default: str = "duckdb") -> str:
    return "spark" if isinstance(answer, SparkSql) else default


def _learner_errors() -> tuple:
    """Spark's exceptions that are about the query (its text, its types, its data), not the engine."""
    from pyspark import errors as e

    return (e.AnalysisException, e.ArithmeticException, e.ArrayIndexOutOfBoundsException,
            e.DateTimeException, e.IllegalArgumentException, e.NumberFormatException,
            e.SparkNoSuchElementException, e.SparkRuntimeException, e.SparkUpgradeException,
            e.UnsupportedOperationException)


def _session():
    from labs import engines

    try:
        return engines.spark()
    except Exception as exc:  # no Java, a JVM that will not start, an unreachable server
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise KitUnavailable(
            f"Spark SQL is judged on Spark, and Spark is not available here ({first}); "
            "write the query in DuckDB SQL, or set Spark up (see the README) and check again.") from None


def _is_connect(session) -> bool:
    return type(session).__module__.startswith("pyspark.sql.connect")


class SparkFixtures:
    """An exercise's fixture tables as Spark temporary views, made on first use and reused.

    Every query is stopped after ``timeout`` seconds: classic Spark through a job group,
    Spark Connect through an operation tag.
    """

    def __init__(self, fixtures: dict):
        self._fixtures = fixtures
        self._frames = None
        self._session = None
        self._lock = threading.Lock()  # temporary views are per session: one query at a time

    def _views(self):
        session = _session()
        if self._frames is None or self._session is not session:
            self._frames = {name: session.createDataFrame(frame) for name, frame in self._fixtures.items()}
            self._session = session
        for name, frame in self._frames.items():
            frame.createOrReplaceTempView(name)
        return session

    def query(self, sql: str, timeout: float = 10.0) -> pd.DataFrame:
        with self._lock:
            try:
                session = self._views()
            except KitUnavailable:
                raise
            except Exception as exc:
                raise KitUnavailable(f"The kit could not load this exercise's tables into Spark ({_first_line(exc)}); "
                                     "this says nothing about your answer.") from None
            return self._run(session, sql, timeout)

    def _run(self, session, sql: str, timeout: float) -> pd.DataFrame:
        tag = f"kit-check-{uuid.uuid4().hex[:8]}"
        fired = threading.Event()
        if _is_connect(session):
            session.addTag(tag)
            stop = lambda: (fired.set(), session.interruptTag(tag))  # noqa: E731
        else:
            context = session.sparkContext
            context.setJobGroup(tag, "kit check", interruptOnCancel=True)
            stop = lambda: (fired.set(), context.cancelJobGroup(tag))  # noqa: E731
        timer = threading.Timer(timeout, stop)
        timer.start()
        try:
            with warnings.catch_warnings():  # a stopped query's Arrow warning repeats the error we report
                warnings.simplefilter("ignore", UserWarning)
                return session.sql(sql).limit(MAX_ROWS + 1).toPandas()
        except _learner_errors() as exc:
            if fired.is_set():
                raise _too_slow(timeout) from None
            raise LearnerError(f"Your query failed in Spark: {_first_line(exc)}") from None
        except Exception as exc:
            if fired.is_set():
                raise _too_slow(timeout) from None
            raise KitUnavailable(f"The kit's Spark failed while running your query ({_first_line(exc)}); "
                                 "this says nothing about your answer: run the check again.") from None
        finally:
            timer.cancel()
            if _is_connect(session):
                session.removeTag(tag)
            else:
                session.sparkContext.setLocalProperty("spark.jobGroup.id", None)


def _too_slow(timeout: float) -> LearnerError:
    return LearnerError(f"Your query ran for more than {timeout:g} s on Spark and was stopped.")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
