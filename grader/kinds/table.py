"""The table kind: an answer that is a table (pandas, Spark or DuckDB), compared as rows.

``Mistake`` names a known wrong answer and the sentence it deserves; ``Sql`` (in
``grader.kinds.sql``) shares the mistake matching through ``TableResult``.

    >>> import pandas as pd
    >>> ex = Table(id="per_status", expected_fn=lambda: pd.DataFrame({"status": ["paid"], "n": [3]}))
    >>> print(ex.judge(ex.prepare(pd.DataFrame({"status": ["paid"], "n": [3]}))))
    ✓ per_status: correct. All 1 rows match.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import pandas as pd

from grader.checkers import Problem, tables
from grader.errors import LearnerError, NotAttempted
from grader.kinds.exercise import Exercise


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer and the sentence to say when a learner gives it.

    For ``Sql`` exercises ``sql`` is the wrong query (run on the same fixtures); for ``Table``
    exercises ``table`` builds the wrong table. A result equal to it gets ``says`` as the verdict.
    """
    says: str
    sql: str = ""
    table: Callable[[], Any] | None = None


class TableResult:
    """For kinds whose expected answer is a table (``Table``, ``Sql``); needs ``decimals`` and ``mistakes``."""

    def prepared_expected(self) -> tables.Prepared:
        """The expected table in comparable form, built once: a check then only prepares the answer."""
        if getattr(self, "_prepared", None) is None:
            self._prepared = tables.Prepared.of(self.expected(), self.decimals)
        return self._prepared

    def _mistake_tables(self) -> list:
        if getattr(self, "_mistake_cache", None) is None:
            self._mistake_cache = [tables.Prepared.of(tables.to_frame(self.mistake_table(m)), self.decimals)
                                   for m in self.mistakes]
        return self._mistake_cache

    def mistake_table(self, mistake: Mistake):
        return mistake.table()

    def diagnose(self, result, problem: Problem) -> Problem:
        """The problem found, led by a targeted sentence when the result is a known mistake."""
        for mistake, table in zip(self.mistakes, self._mistake_tables()):
            if tables.compare(result, table, order_matters=self.order_matters, decimals=self.decimals) is None:
                return Problem(mistake.says, [problem.message, *problem.details])
        return problem


@dataclass(kw_only=True)
class Table(TableResult, Exercise):
    """A table answer (pandas, Spark or DuckDB), compared as a multiset of rows by default."""
    expected_fn: Callable[[], Any]
    order_matters: bool = False
    key: tuple[str, ...] | None = None
    decimals: int | dict = 6  # one number, or {column: decimals}
    mistakes: tuple[Mistake, ...] = ()
    max_rows: int = 1_000_000
    kind = "table"

    def build_expected(self):
        return tables.to_frame(self.expected_fn())

    def prepare(self, answer):
        try:
            frame = tables.to_frame(answer)
        except (NotAttempted, LearnerError):
            raise
        except Exception as exc:  # a lazy Spark/DuckDB plan failing when it is finally run
            raise LearnerError(f"Your table could not be computed: {type(exc).__name__}: {str(exc).splitlines()[0]}") from None
        if len(frame) > self.max_rows:
            raise LearnerError(f"Your table has {len(frame):,} rows, far more than expected; check your joins and filters.")
        index = frame.index
        if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
            return frame  # already numbered 0..n-1: no copy
        return frame.reset_index(drop=True)

    def find_problem(self, payload):
        problem = tables.compare(payload, self.prepared_expected(), order_matters=self.order_matters,
                                 key=list(self.key) if self.key else None, decimals=self.decimals)
        return self.diagnose(payload, problem) if problem else None

    def praise(self, payload):
        return f"All {len(payload):,} rows match."

    def dump(self, payload, folder):
        payload.to_parquet(folder / "payload.parquet", index=False)

    def load(self, folder):
        return pd.read_parquet(folder / "payload.parquet")
