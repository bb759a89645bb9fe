"""Exceptions that turn into verdicts rather than tracebacks."""
from __future__ import annotations

import traceback
from pathlib import Path

_GRADER_DIR = str(Path(__file__).resolve().parent)


class NotAttempted(Exception):
    """The answer is still the starter stub."""


class LearnerError(Exception):
    """The learner's code failed; ``details`` carries the trimmed traceback."""

    def __init__(self, message: str, details: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or []


class KitUnavailable(Exception):
    """The kit itself cannot check this answer here (an engine is missing or failed): never the learner's fault."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class WrongAnswerType(LearnerError):
    """The answer is of a kind the exercise cannot take (a list where a table was asked)."""


def learner_traceback(exc: BaseException) -> list[str]:
    """The traceback lines that belong to the learner's code, not the grader's.

    Frames inside the grader and the standard library's process plumbing are dropped,
    so the learner sees where *their* code failed.
    """
    frames = [
        f for f in traceback.extract_tb(exc.__traceback__)
        if not f.filename.startswith(_GRADER_DIR) and "multiprocessing" not in f.filename
    ]
    lines = [f"line {f.lineno} in {f.name}: {f.line}" for f in frames if f.line]
    lines.append(f"{type(exc).__name__}: {exc}")
    return lines


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
