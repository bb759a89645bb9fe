"""Small JSON state files (progress, flashcard boxes, mock-interview history) under the kit's state folder.

Writes go to a temporary file that is renamed into place, so a crash mid-write leaves the
old file whole. A file that cannot be read is renamed aside, never deleted, a message says
so, and the caller starts fresh.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "demo.json"
    >>> write(path, {"a": 1})
    >>> read(path, dict, "demo")
    {'a': 1}
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import sys
from pathlib import Path
from typing import Callable

from labs import _atomic, paths


def state_file(name: str) -> Path:
    """Where a drill keeps its state: ``<state dir>/<name>`` (moved by ``KIT_STATE_DIR``)."""
    return paths.state_dir() / name


@contextlib.contextmanager
def locked(path: Path):
    """Hold an exclusive lock beside ``path`` so two kernels do not interleave read-modify-write."""
    with open(path.with_name(path.name + ".lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def set_aside(path: Path) -> Path:
    """Rename ``path`` to the first free ``<stem>.corrupt-N<suffix>`` and return the new path."""
    n = 1
    while (aside := path.with_name(f"{path.stem}.corrupt-{n}{path.suffix}")).exists():
        n += 1
    path.rename(aside)
    return aside


def read(path: Path, fresh: Callable[[], dict], what: str, valid: Callable[[dict], bool] = lambda d: True) -> dict:
    """The JSON object in ``path``; ``fresh()`` when it is missing, unreadable or fails ``valid``."""
    if not path.exists():
        return fresh()
    try:
        data = json.loads(path.read_text())
        if not isinstance(data, dict) or not valid(data):
            raise ValueError("its content is not in the expected shape")
        return data
    except (ValueError, OSError) as exc:
        aside = set_aside(path)
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"Your {what} file was unreadable ({reason}); it was kept as {aside.name} "
              f"and a fresh one started.", file=sys.stderr)
        return fresh()


def write(path: Path, data: dict) -> None:
    """Write ``data`` as JSON atomically: to a temporary file first, then renamed over ``path``."""
    _atomic.write_text(path, json.dumps(data, indent=1, sort_keys=True))
