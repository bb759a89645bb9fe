"""What every exercise has: its text for the learner, its points, and the two steps of a check.

``prepare(answer)`` runs where the answer lives (the learner's kernel) and returns a plain
payload; ``judge(payload)`` turns the payload into a ``Verdict``, in the grader's process if
need be. A kind fills in ``prepare`` and either ``judge`` or the smaller ``find_problem``.

    >>> short(list(range(30)), limit=20)
    '[0, 1, 2, 3, 4, 5, 6…'
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from grader.checkers import Problem
from grader.verdict import Status, Verdict

_UNSET = object()


@dataclass(kw_only=True)
class Exercise:
    id: str
    prompt: str = ""
    points: int = 1
    hints: tuple[str, ...] = ()
    solution: str = ""
    explanation: str = ""
    covers: tuple[str, ...] = ()

    kind = "exercise"
    prose_details = False  # True where a verdict's details are sentences, shown as prose rather than code

    def __post_init__(self):
        self._cache = _UNSET

    def expected(self):
        """The expected answer, built on first use and then cached (nothing heavy at import)."""
        if self._cache is _UNSET:
            self._cache = self.build_expected()
        return self._cache

    def build_expected(self):
        return None

    # -- the two steps ----------------------------------------------------------------
    def prepare(self, answer):
        raise NotImplementedError

    def judge(self, payload) -> Verdict:
        problem = self.find_problem(payload)
        if problem is None:
            return self.verdict(Status.CORRECT, self.praise(payload))
        return self.verdict(Status.INCORRECT, problem.message, problem.details)

    def find_problem(self, payload) -> Problem | None:
        raise NotImplementedError

    def praise(self, payload) -> str:
        return "Well done."

    def verdict(self, status: Status, message: str, details=None) -> Verdict:
        earned = self.points if status is Status.CORRECT else 0
        return Verdict(self.id, status, message, list(details or []), earned, self.points, prose=self.prose_details)

    # -- moving payloads between processes -----------------------------------------------
    def dump(self, payload, folder: Path) -> None:
        (folder / "payload.json").write_text(json.dumps(payload))

    def load(self, folder: Path):
        return json.loads((folder / "payload.json").read_text())


def short(value, limit: int = 80) -> str:
    """``repr(value)`` on one line, cut at ``limit`` characters: how a message quotes an answer."""
    text = " ".join(repr(value).split())  # a Series or frame on one line
    return text if len(text) <= limit else text[:limit] + "…"
