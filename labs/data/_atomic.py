"""Write a folder so that it appears complete or not at all.

A data set is written into a hidden temporary folder next to its final place and
renamed into place only when complete: a rename within one folder is atomic, so a
crash, a full disk or Ctrl-C leaves the old data or nothing, never a torn copy.
This module needs only the standard library, so a bad output folder is reported
before anything heavy is imported.

    >>> import pathlib, shutil, tempfile
    >>> base = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_folder(base / "demo") as tmp:
    ...     _ = (tmp / "hello.txt").write_text("hi")
    >>> sorted(p.name for p in (base / "demo").iterdir())
    ['hello.txt']
    >>> shutil.rmtree(base)
"""
from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from pathlib import Path

from labs.data._checks import DataGenError


@contextlib.contextmanager
def atomic_folder(final: Path):
    """Yield a temporary folder; on success it replaces ``final`` in one rename.

    On any error (or Ctrl-C) the temporary folder is removed, as are parent
    folders this call created, and the error goes on up. A folder that cannot be
    created raises ``DataGenError`` with the reason.
    """
    final = Path(final)
    created = _make_parents(final.parent)
    tmp = final.with_name(f".{final.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        try:
            tmp.mkdir()
        except OSError as error:
            raise DataGenError(f"cannot write to {final.parent}: {error.strerror or error}.") from None
        yield tmp
        _swap_in(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        for folder in reversed(created):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if still empty
        raise


def _make_parents(folder: Path) -> list[Path]:
    missing = []
    probe = folder
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    missing.reverse()
    for made, path in enumerate(missing):
        try:
            path.mkdir()
        except FileExistsError:
            continue  # another process made it first
        except OSError as error:
            for undo in reversed(missing[:made]):
                with contextlib.suppress(OSError):
                    undo.rmdir()
            reason = error.strerror or error
            raise DataGenError(f"cannot create the output folder {folder}: {reason}.") from None
    return missing


def _swap_in(tmp: Path, final: Path) -> None:
    try:
        os.rename(tmp, final)
        return
    except OSError:
        if not final.exists():
            raise
    # An older copy is in the way: move it aside, put the new one in, drop the old.
    old = final.with_name(f".{final.name}.old-{uuid.uuid4().hex[:8]}")
    os.rename(final, old)
    os.rename(tmp, final)
    shutil.rmtree(old, ignore_errors=True)
