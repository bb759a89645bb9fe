"""The exercise kinds: small declarative specs, one class per answer kind.

An exercise turns an answer into a verdict in two steps, so that batch grading can run
the second step in the grader's own process:

1. ``prepare(answer)`` runs where the answer lives (the learner's kernel) and returns a
   plain payload: a DataFrame, a string, JSON-safe values. It raises ``NotAttempted`` for
   the starter stub and ``LearnerError`` when the learner's code fails.
2. ``judge(payload)`` compares the payload with the expected answer and returns a Verdict.

``dump``/``load`` move a payload between the two as JSON or Parquet (never pickle).

    >>> ex = Number(id="answer", value=42, abs_tol=0.5, unit="rows")
    >>> print(ex.judge(ex.prepare(42.2)))
    ✓ answer: correct. 42.2 rows is within the accepted range.

The kinds, by module:

- ``table``: ``Table`` (and ``Mistake``, a known wrong answer with its sentence);
- ``sql``: ``Sql`` (a query judged by its rows, with optional guards before it runs and before
  its rows are compared) and ``StatementRunTwice`` (a MERGE or upsert run twice);
- ``function``: ``Function`` (cases and probes), ``Probed`` (probes only), ``Detector`` (a
  function that flags items);
- ``values``: ``Number``, ``Choice``, ``Design`` (with its ``Requirement``s) and ``Thought``.

A kind that only one exercise needs may live in that exercise's spec as a private ``_Name``
subclass; once a second exercise needs it, it moves here.
"""
from __future__ import annotations

from grader.kinds.exercise import _UNSET, Exercise
from grader.kinds.function import Detector, Function, Probed, flagged_keys
from grader.kinds.sql import Sql, StatementRunTwice
from grader.kinds.table import Mistake, Table, TableResult
from grader.kinds.values import Choice, Design, Number, Requirement, Thought

__all__ = ["Choice", "Design", "Detector", "Exercise", "Function", "Mistake", "Number", "Probed", "Requirement",
           "Sql", "StatementRunTwice", "Table", "TableResult", "Thought", "flagged_keys"]
