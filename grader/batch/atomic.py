"""Write files so that a reader never sees half of one: write a temporary file, then rename.

``os.replace`` is atomic on one file system, so an interrupted grader leaves either the
old file or the new one, never a truncated gradebook.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "hello.txt"
    >>> write_text(path, "hi")
    >>> path.read_text()
    'hi'
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def replace_dir(staging: Path, final: Path) -> None:
    """Move a fully written folder into place, replacing an older one of the same name."""
    if final.exists():
        # a folder cannot be renamed over a non-empty one: move the old one aside first
        old = final.with_name(f".{final.name}.old-{os.getpid()}")
        os.replace(final, old)
        os.replace(staging, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, final)
