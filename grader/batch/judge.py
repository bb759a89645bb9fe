"""Compute every verdict in the grader's own process, from the answers a kernel exported.

Every exercise of the spec is judged, whatever the notebook did: a check cell that was
deleted, a checker the learner patched, a spec they edited in their kernel, all leave
the answer unexported, and an unexported answer is "not attempted", worth zero.

    >>> results = judge_all("00-start-here", Path("no-such-folder"))
    >>> [(r.exercise, r.status, r.points) for r in results][:1]
    [('orders_per_status', 'not attempted', 0)]
"""
from __future__ import annotations

import time
from pathlib import Path

from grader.batch.results import ExerciseResult
from grader.kinds import Sql
from grader.notebook import judge_exported, load_exercises
from grader.verdict import Status


def _refused_sql(folder: Path) -> str | None:
    """A SQL answer runs in the grader's process: only a query may, never COPY, ATTACH, INSTALL ..."""
    from sqlglot import exp

    from grader.checkers import sql as sqlc

    try:
        tree = sqlc.parse((folder / "payload.sql").read_text(), "duckdb")
    except Exception:  # the checker itself reports syntax errors and missing files
        return None
    if not isinstance(tree, exp.Query):
        kind = str(tree.this).split()[0] if isinstance(tree, exp.Command) else tree.key
        return f"Write one SELECT query; a {kind.upper()} statement is not run by the grader."
    return None


def judge_all(notebook: str, export: Path, stopped: str = "") -> list[ExerciseResult]:
    """One result per exercise of ``notebook``'s spec, in spec order.

    ``stopped`` is the sentence saying why the notebook ended early, if it did: it is
    added to the message of every answer that was never recorded.
    """
    results = []
    for ex in load_exercises(notebook).values():
        folder = Path(export) / ex.id
        started = time.perf_counter()
        refused = _refused_sql(folder) if isinstance(ex, Sql) and folder.is_dir() else None
        verdict = ex.verdict(Status.ERROR, refused) if refused else judge_exported(ex, folder)
        message = verdict.message
        if verdict.status is Status.NOT_ATTEMPTED and not folder.is_dir() and stopped:
            message = f"No answer was recorded. {stopped}"
        results.append(ExerciseResult(ex.id, verdict.points, verdict.max_points, verdict.status.value,
                                      message, round(time.perf_counter() - started, 4)))
    return results


def warm_up(notebook: str) -> None:
    """Build every expected answer once, before any kernel starts.

    This also generates the data sets the spec reads, so parallel kernels do not race to
    generate them, and a broken kit stops the grading before anyone gets a zero for it.
    """
    for ex in load_exercises(notebook).values():
        ex.expected()
        if isinstance(ex, Sql):
            ex._fixtures()
