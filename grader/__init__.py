"""The kit's auto-grader.

In a notebook::

    import grader
    nb = grader.start("00-start-here")
    nb.check("orders_per_status", answer)
    nb.hint("orders_per_status")
    nb.solution("orders_per_status")

A query written in Spark SQL is judged on Spark: ``nb.check("id", grader.spark_sql(query))``.

From a terminal: ``python -m grader --help`` (release, execute, progress, grade).
"""
from grader.checkers.spark_sql import spark_sql
from grader.notebook import CheckFailed, Notebook, start
from grader.verdict import Status, Verdict

__all__ = ["start", "Notebook", "Verdict", "Status", "CheckFailed", "spark_sql"]
