"""The object a notebook talks to: ``nb = grader.start("02-data-modeling")``.

    >>> nb = start("00-start-here")
    >>> nb.ids()[:2]
    ['orders_per_status', 'monthly_revenue_sql']

``nb.check(id, answer)`` returns a Verdict, shown as HTML in Jupyter and as text in a
terminal. In normal mode it never raises, so an unanswered notebook runs top to bottom.
``nb.try_answer(id, answer)`` gives the same verdict without recording it.

Environment switches:

- ``GRADER_STRICT=1``: anything but correct (or ungraded) raises ``CheckFailed``, so
  ``pytest --nbval-lax`` fails on a wrong or missing answer.
- ``GRADER_EXPORT_DIR=folder``: batch grading. The answer is prepared and written to the
  folder; the grader's own process judges it later.
"""
from __future__ import annotations

import importlib
import json
import os
from pathlib import Path

from grader import progress
from grader.errors import LearnerError, NotAttempted, describe
from grader.kinds import Exercise
from grader.verdict import Status, Verdict
from labs import _atomic


class CheckFailed(AssertionError):
    """Raised in strict mode when an answer is not correct."""


class Hint(str):
    """Text that renders as Markdown-ish HTML in Jupyter and as itself in a terminal."""

    def _repr_html_(self):
        import html
        return f"<div style='border-left:4px solid #0969da;padding:4px 10px'>{html.escape(self).replace(chr(10), '<br>')}</div>"

    def __repr__(self):
        return str(self)


def module_name(notebook: str) -> str:
    """'02-data-modeling' -> 'grader.specs.nb02_data_modeling'."""
    return "grader.specs.nb" + notebook.replace("-", "_")


def load_exercises(notebook: str) -> dict[str, Exercise]:
    try:
        module = importlib.import_module(module_name(notebook))
    except ModuleNotFoundError as exc:
        if exc.name != module_name(notebook):
            raise
        raise ValueError(f"No exercises are defined for notebook '{notebook}'.") from None
    exercises = {ex.id: ex for ex in module.EXERCISES}
    if len(exercises) != len(module.EXERCISES):
        raise ValueError(f"Exercise ids repeat in {module.__name__}.")
    return exercises


def _strict() -> bool:
    return os.environ.get("GRADER_STRICT", "") not in ("", "0", "false")


class Notebook:
    def __init__(self, name: str):
        self.name = name
        self.exercises = load_exercises(name)

    def ids(self) -> list[str]:
        return list(self.exercises)

    def exercise(self, exercise_id: str) -> Exercise:
        try:
            return self.exercises[exercise_id]
        except KeyError:
            raise KeyError(f"'{exercise_id}' is not an exercise of {self.name}; "
                           f"known: {', '.join(self.exercises)}") from None

    # -- the learner's calls ------------------------------------------------------------
    def check(self, exercise_id: str, answer) -> Verdict:
        ex = self.exercise(exercise_id)
        export_dir = os.environ.get("GRADER_EXPORT_DIR")
        verdict = self._export(ex, answer, Path(export_dir)) if export_dir else evaluate(ex, answer)
        if not export_dir:
            progress.record(self.name, ex.id, verdict.status.value, verdict.points, verdict.max_points)
        if _strict() and not verdict.passed:
            raise CheckFailed(str(verdict))
        return verdict

    def try_answer(self, exercise_id: str, answer) -> Verdict:
        """The verdict ``check`` would give, without recording it or raising in strict mode:
        for trying an answer in another form, or seeing what a wrong answer is told."""
        return evaluate(self.exercise(exercise_id), answer)

    def hint(self, exercise_id: str, level: int = 1) -> Hint:
        ex = self.exercise(exercise_id)
        if not ex.hints:
            return Hint(f"{ex.id} has no hints; try solution('{ex.id}').")
        level = max(1, min(level, len(ex.hints)))
        more = f"\n(hint {level} of {len(ex.hints)}; hint('{ex.id}', {level + 1}) for the next)" if level < len(ex.hints) else ""
        return Hint(f"Hint {level}: {ex.hints[level - 1]}{more}")

    def solution(self, exercise_id: str) -> Hint:
        ex = self.exercise(exercise_id)
        text = ex.solution or "(no reference solution is written for this exercise)"
        if ex.explanation:
            text += "\n\nWhy: " + ex.explanation
        return Hint(f"Solution to {ex.id}:\n{text}")

    def progress(self):
        return progress.table(self.name, {self.name: self.ids()})

    # -- batch mode --------------------------------------------------------------------
    def _export(self, ex: Exercise, answer, root: Path) -> Verdict:
        """Write the prepared answer for the grader; the verdict is computed elsewhere."""
        root.mkdir(parents=True, exist_ok=True)
        with _atomic.replacing(root / ex.id) as tmp:  # a re-run cell replaces its earlier answer
            tmp.mkdir()
            status, message = "prepared", ""
            try:
                payload = ex.prepare(answer)
                ex.dump(payload, tmp)
            except NotAttempted:
                status = "not attempted"
            except LearnerError as exc:
                status, message = "error", exc.message
            except Exception as exc:  # anything else in the learner's objects is still theirs
                status, message = "error", describe(exc)
            (tmp / "status.json").write_text(json.dumps({"status": status, "message": message}))
        return Verdict(ex.id, Status.SUBMITTED, "Your answer was recorded for grading.", [], 0, ex.points)


def evaluate(ex: Exercise, answer) -> Verdict:
    """Prepare and judge in one process: what a check cell does for a learner.

    What fails while reading the answer is the learner's (their object, their code); what
    fails while judging a prepared answer is the kit's, and says so instead of blaming them.
    """
    try:
        payload = ex.prepare(answer)
    except NotAttempted:
        return ex.verdict(Status.NOT_ATTEMPTED, "Write your answer in the cell above, run it, then run this check again.")
    except LearnerError as exc:
        return ex.verdict(Status.ERROR, exc.message, exc.details)
    except Exception as exc:  # anything else in the learner's objects is still theirs
        return ex.verdict(Status.ERROR, f"Your answer could not be read ({describe(exc)}).")
    try:
        return ex.judge(payload)
    except LearnerError as exc:
        return ex.verdict(Status.ERROR, exc.message, exc.details)
    except Exception as exc:
        return ex.verdict(Status.UNCHECKED, f"The check itself failed ({describe(exc)}); this says nothing about "
                                            "your answer. Run it again, and report it if it keeps failing.")


def judge_exported(ex: Exercise, folder: Path) -> Verdict:
    """The grader's side of batch mode: judge what a learner's kernel exported."""
    if not folder.is_dir():
        return ex.verdict(Status.NOT_ATTEMPTED, "No answer was recorded (the check cell did not run).")
    try:
        status = json.loads((folder / "status.json").read_text())
        if status["status"] == "not attempted":
            return ex.verdict(Status.NOT_ATTEMPTED, "The answer was still the starter stub.")
        if status["status"] == "error":
            return ex.verdict(Status.ERROR, status["message"] or "Your code failed.")
        payload = ex.load(folder)
    except Exception as exc:  # a damaged or forged export is the submission's problem
        return ex.verdict(Status.ERROR, f"The recorded answer could not be read ({describe(exc)}).")
    # built outside the try below: a broken expected answer is the kit's fault, and must
    # stop the grading loudly rather than give every learner a zero for it
    ex.expected()
    try:
        return ex.judge(payload)
    except LearnerError as exc:
        return ex.verdict(Status.ERROR, exc.message, exc.details)
    except Exception as exc:
        return ex.verdict(Status.ERROR, f"Your answer could not be judged ({describe(exc)}).")


def start(notebook: str) -> Notebook:
    return Notebook(notebook)
