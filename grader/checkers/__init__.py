"""Checkers compare a learner's answer with the expected one and say what differs.

One module per kind of comparison, shared by the answer kinds of ``grader.kinds``:

- ``tables``: two tables, as a multiset of rows, in order, or by key (``Table`` and ``Sql``);
- ``sql``: parse a query, test its structure (``SqlRule``), run it on fixtures in DuckDB (``Sql``);
- ``spark_sql``: run a Spark SQL answer on Spark against the same fixtures (``Sql``);
- ``functions``: call a learner's function on cases in a child process and record what happened (``Function``).

The kinds whose answers are small values (``Number``, ``Choice``, ``Design``) judge themselves in
``grader.kinds``. A checker returns ``None`` when the answer is right, or a ``Problem``: one
sentence for the learner and a few detail lines.

    >>> Problem("1 row is missing.", ["missing: (3, 'c')"]).details
    ["missing: (3, 'c')"]
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Problem:
    message: str
    details: list[str] = field(default_factory=list)
