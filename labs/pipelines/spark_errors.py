"""Spark's errors in a pipeline's own words, and a quiet place to catch them.

A metadata pipeline expects some Spark errors (a learner's bad expression, a value that
cannot be cast) and reports them itself: ``spark_reason`` turns one into a short
sentence from its error condition, and ``quiet_spark_errors`` keeps PySpark from logging
it as well. Nothing here starts Spark; pyspark is imported only when an error is read.

    >>> spark_reason(ValueError("something broke"))
    'something broke'
"""
from __future__ import annotations

import contextlib
import logging
from pathlib import PurePath


@contextlib.contextmanager
def quiet_spark_errors():
    """A context in which PySpark does not log the errors a caller catches on purpose.

    PySpark 4 logs every analysis error as a JSON line on stderr; where errors are expected
    and reported in the pipeline's own words, those loggers are silenced meanwhile.
    """
    try:
        from pyspark.logger import PySparkLogger
    except ImportError:  # older PySpark: nothing to silence
        yield
        return
    loggers = [PySparkLogger.getLogger(n) for n in ("SQLQueryContextLogger", "DataFrameQueryContextLogger")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def spark_exception():
    """PySpark's base exception class (imported on first use, so this module loads without Spark)."""
    from pyspark.errors import PySparkException

    return PySparkException


def spark_reason(exc, columns: list[str] | None = None) -> str:
    """Spark's error in one short sentence, from its error condition and parameters.

    Error conditions and their parameters are the same in classic Spark and Spark Connect;
    the free text around them is not, so it is not used unless nothing better is known.
    """
    condition = (exc.getCondition() or "") if hasattr(exc, "getCondition") else ""
    params = (exc.getMessageParameters() or {}) if hasattr(exc, "getMessageParameters") else {}
    here = f"; columns here: {', '.join(columns)}" if columns else ""
    if condition.startswith("UNRESOLVED_COLUMN") or condition.startswith("UNRESOLVED_FIELD"):
        return f"unknown column {params.get('objectName', '?')}{here}"
    if condition == "UNRESOLVED_ROUTINE":
        return f"unknown function {params.get('routineName', '?')}"
    if condition.startswith("PARSE_SYNTAX_ERROR"):
        return f"SQL syntax error at or near {params.get('error', '?')}"
    if condition in ("UNSUPPORTED_DATATYPE", "DATATYPE_MISMATCH.UNSUPPORTED_DATATYPE"):
        return f"unknown type {params.get('typeName', '?')}"
    if condition == "DATATYPE_MISMATCH.FILTER_NOT_BOOLEAN":
        return f"the condition is of type {params.get('type', '?')}, not a boolean"
    if condition == "CAST_INVALID_INPUT":
        return (f"the value {params.get('expression', '?')} cannot be cast to {params.get('targetType', '?')} "
                "(fix the data, or use try_cast to turn bad values into NULL)")
    if condition == "PATH_NOT_FOUND":
        return f"nothing found at {PurePath(str(params.get('path', '?'))).name}"
    if condition.startswith("MALFORMED_RECORD_IN_PARSING"):
        return f"a malformed record in the source ({params.get('badRecord', '?')})"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"{condition}: {text}" if condition and condition not in text else text


def analysed(df):
    """``df``, after making Spark analyse its plan now.

    Spark Connect builds plans lazily and copies the known schema through filter, dedupe
    and limit without asking the server, so a new projection is what forces the server to
    analyse the whole plan.
    """
    df.select("*").schema
    return df
