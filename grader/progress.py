"""Which exercises a learner has done, kept in a local JSON file that survives restarts.

The file lives in the kit's state folder (``KIT_STATE_DIR``, default ``.kit/``). Writes go
to a temporary file and are renamed into place, under a lock, so two kernels saving at
once cannot corrupt it. A file that is corrupt anyway is set aside, never deleted.

    >>> import tempfile, os
    >>> os.environ["KIT_STATE_DIR"] = tempfile.mkdtemp()
    >>> record("00-start-here", "first_query", "correct", 1, 1)
    >>> load()["00-start-here"]["first_query"]["status"]
    'correct'
"""
from __future__ import annotations

from pathlib import Path

from grader import store

# a better status never gives way to a worse one: solving once is enough
_RANK = {"correct": 4, "ungraded": 3, "incorrect": 2, "error in your code": 1, "not checked": 0, "not attempted": 0}


def progress_file() -> Path:
    return store.state_file("progress.json")


def load() -> dict:
    """{notebook: {exercise: {"status", "points", "max_points"}}}; a corrupt file is set aside."""
    return store.read(progress_file(), dict, "progress")


def record(notebook: str, exercise: str, status: str, points: float, max_points: float) -> None:
    with store.locked(progress_file()):
        data = load()
        done = data.setdefault(notebook, {})
        old = done.get(exercise)
        if old and _RANK.get(old["status"], 0) > _RANK.get(status, 0):
            return
        done[exercise] = {"status": status, "points": points, "max_points": max_points}
        store.write(progress_file(), data)


def table(notebook: str | None = None, exercises: dict[str, list[str]] | None = None):
    """A DataFrame of progress: one row per exercise (all known exercises, if given)."""
    import pandas as pd

    data = load()
    rows = []
    names = [notebook] if notebook else sorted(set(data) | set(exercises or {}))
    for nb in names:
        ids = list((exercises or {}).get(nb, [])) or sorted(data.get(nb, {}))
        for ex in ids:
            entry = data.get(nb, {}).get(ex, {"status": "not attempted", "points": 0, "max_points": None})
            rows.append({"notebook": nb, "exercise": ex, "status": entry["status"], "points": entry["points"]})
    return pd.DataFrame(rows, columns=["notebook", "exercise", "status", "points"])
