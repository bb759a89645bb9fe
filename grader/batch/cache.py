"""Keep every finished run, so grading the class again skips unchanged submissions.

A run is stored under the hash of what decides it: the notebook's bytes, the name of its
exercise spec and the spec module's source. What is stored is how the run ended and the
answers it exported, not the verdicts: verdicts are computed again on every grading (it
takes milliseconds), so a fix in a checker reaches every learner without running a
single kernel again.

Each run is written to a staging folder and renamed into place as it finishes, so an
interrupted grading resumes where it stopped.

    >>> import tempfile
    >>> cache = Cache(Path(tempfile.mkdtemp()))
    >>> k = key(b"{}", "00-start-here", b"EXERCISES = []")
    >>> cache.get(k, Limits()) is None
    True
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

from grader.batch.exports import copy_answers
from grader.batch.run_status import HIT_LIMIT
from grader.batch.supervise import Limits, Outcome
from grader.notebook import module_name
from labs import _atomic

VERSION = b"grade-cache-1"  # change it when the stored layout changes


def spec_source(notebook: str) -> bytes:
    """The source of ``grader/specs/nbNN_topic.py``."""
    spec = importlib.util.find_spec(module_name(notebook))
    return Path(spec.origin).read_bytes()


def key(content: bytes, notebook: str, spec_src: bytes) -> str:
    digest = hashlib.sha256()
    for part in (VERSION, notebook.encode(), spec_src, content):
        digest.update(len(part).to_bytes(8, "big"))  # lengths first: no two inputs hash alike by shifting bytes
        digest.update(part)
    return digest.hexdigest()


class Cache:
    """``folder/<key>/outcome.json`` and ``folder/<key>/export/<exercise>/``."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def get(self, k: str, limits: Limits) -> tuple[Outcome, Path] | None:
        """The stored outcome and export folder, if they still hold under ``limits``.

        A run that ended by itself holds under any limits; one that hit a limit (a cell
        interrupted, the notebook stopped) holds only under the same limits.
        """
        entry = self.folder / k
        try:
            stored = json.loads((entry / "outcome.json").read_text())
        except (OSError, ValueError):
            return None
        outcome = Outcome.from_dict(stored["outcome"])
        hit_limit = outcome.status in HIT_LIMIT or outcome.run.get("timeouts")
        if hit_limit and stored["limits"] != limits.to_dict():
            return None
        return outcome, entry / "export"

    def put(self, k: str, outcome: Outcome, limits: Limits, export: Path, exercise_ids: list[str]) -> Path:
        """Store a run; returns the stored export folder (the only one the judge reads)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with _atomic.replacing(self.folder / k) as staging:
            copy_answers(export, staging / "export", exercise_ids)  # creates the staging folder
            (staging / "outcome.json").write_text(
                json.dumps({"outcome": outcome.to_dict(), "limits": limits.to_dict()}, indent=1))
        return self.folder / k / "export"
