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

import contextlib
import fcntl
import json
import os
import sys
import time
from pathlib import Path

from labs import paths

# a better status never gives way to a worse one: solving once is enough
_RANK = {"correct": 4, "ungraded": 3, "incorrect": 2, "error in your code": 1, "not attempted": 0}


def progress_file() -> Path:
    return paths.state_dir() / "progress.json"


@contextlib.contextmanager
def _locked():
    lock = progress_file().with_suffix(".lock")
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def load() -> dict:
    """{notebook: {exercise: {"status", "points", "max_points"}}}; a corrupt file is set aside."""
    path = progress_file()
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return data
    except (ValueError, OSError) as exc:
        aside = path.with_name(f"progress.corrupt-{int(time.time())}.json")
        path.rename(aside)
        print(f"Your progress file was unreadable ({exc}); it was kept as {aside.name} and a new one started.",
              file=sys.stderr)
        return {}


def _write(data: dict) -> None:
    path = progress_file()
    tmp = path.with_suffix(f".tmp-{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(tmp, path)


def record(notebook: str, exercise: str, status: str, points: float, max_points: float) -> None:
    with _locked():
        data = load()
        done = data.setdefault(notebook, {})
        old = done.get(exercise)
        if old and _RANK.get(old["status"], 0) > _RANK.get(status, 0):
            return
        done[exercise] = {"status": status, "points": points, "max_points": max_points}
        _write(data)


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
