"""The gradebook (CSV, one row per learner) and one JSON file per learner.

CSV columns: ``learner, notebook``, one column per exercise with the points earned, then
``total, max, status, reason, file``. When a class hands in several notebooks, a row is
one learner's notebook and exercise columns are named ``notebook:exercise``.

    >>> from grader.batch.results import ExerciseResult, RunStatus, SubmissionResult
    >>> r = SubmissionResult("alice", "00-start-here", "alice.ipynb", RunStatus.FINISHED, "", 3.1, False,
    ...                      [ExerciseResult("engine_choice", 1, 1, "correct", "B: DuckDB ...", 0.0)])
    >>> print(to_csv([r]).splitlines()[1])
    alice,00-start-here,,,,1,,,1,1,finished,,alice.ipynb
"""
from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from grader.batch.results import SubmissionResult, number
from grader.notebook import load_exercises
from labs import _atomic


def exercise_columns(results: list[SubmissionResult]) -> list[tuple[str, str, str]]:
    """(notebook, exercise, column name) in the order of the specs."""
    notebooks = sorted({r.notebook for r in results if r.notebook})
    return [(nb, ex_id, ex_id if len(notebooks) == 1 else f"{nb}:{ex_id}")
            for nb in notebooks for ex_id in load_exercises(nb)]


def to_csv(results: list[SubmissionResult]) -> str:
    columns = exercise_columns(results)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["learner", "notebook", *[c[2] for c in columns], "total", "max", "status", "reason", "file"])
    for r in results:
        points = {(r.notebook, e.exercise): number(e.points) for e in r.exercises}
        writer.writerow([r.learner, r.notebook or "", *[points.get((nb, ex), "") for nb, ex, _ in columns],
                         number(r.points), number(r.max_points), r.status, r.reason, r.file])
    return buffer.getvalue()


def write_csv(path: Path, results: list[SubmissionResult]) -> None:
    _atomic.write_text(path, to_csv(results))


def slug(name: str) -> str:
    """A file name for a learner: 'Ana María (x/y.ipynb)' -> 'Ana_María_x_y.ipynb'."""
    return re.sub(r"[^\w.-]+", "_", name).strip("._") or "learner"


def write_learners(folder: Path, results: list[SubmissionResult]) -> None:
    """``folder/<learner>.json``: every notebook of that learner, with messages only.

    Files of learners who are no longer in the class are removed, so the folder always
    matches the gradebook.
    """
    by_learner: dict[str, list[SubmissionResult]] = {}
    for r in results:
        by_learner.setdefault(r.learner, []).append(r)
    written = set()
    for learner, subs in by_learner.items():
        name = slug(learner)
        n = 2
        while name + ".json" in written:  # two names that differ only in punctuation
            name, n = f"{slug(learner)}-{n}", n + 1
        written.add(name + ".json")
        data = {"learner": learner, "points": number(sum(s.points for s in subs)),
                "max_points": number(sum(s.max_points for s in subs)),
                "submissions": [s.to_dict() for s in subs]}
        _atomic.write_text(folder / f"{name}.json", json.dumps(data, indent=1, ensure_ascii=False))
    for old in folder.glob("*.json"):
        if old.name not in written:
            old.unlink()
