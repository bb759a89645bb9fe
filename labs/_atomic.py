"""Write files and folders so that a reader sees the old version or the new one, never half of one.

Everything is written under a hidden temporary name beside its final place, then renamed
into place: a rename within one folder is atomic, so a crash, a full disk or Ctrl-C leaves
the old content (or nothing), never a torn copy. The kit uses it for data sets, the
grader's reports and cache, the answers a kernel exports, and the small state files.
Only the standard library is imported here, so any process can use it cheaply.

    >>> import pathlib, shutil, tempfile
    >>> base = pathlib.Path(tempfile.mkdtemp())
    >>> write_text(base / "hello.txt", "hi")
    >>> (base / "hello.txt").read_text()
    'hi'
    >>> with atomic_folder(base / "demo") as tmp:
    ...     _ = (tmp / "part-0.csv").write_text("x\\n1\\n")
    >>> sorted(p.name for p in base.iterdir())
    ['demo', 'hello.txt']
    >>> shutil.rmtree(base)
"""
from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from pathlib import Path


class FolderError(OSError):
    """A folder to write into could not be created; the message names it and says why."""


def beside(final: Path, role: str = "tmp") -> Path:
    """A hidden, unused name next to ``final``: ``.orders.parquet.tmp-1a2b3c4d``.

    Next to it, not in the system's temporary folder: a rename is atomic only within
    one file system, and the folder ``final`` lives in is surely on the same one.
    """
    final = Path(final)
    return final.with_name(f".{final.name}.{role}-{uuid.uuid4().hex[:8]}")


def remove(path: Path) -> None:
    """Delete a file or a whole folder; a path that is not there is fine."""
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif _there(path):
        path.unlink()


def replace(new: Path, final: Path) -> None:
    """Put ``new`` (a file or a folder) in the place of ``final``, which may exist or not.

    A file over a file is one atomic rename. A folder cannot be renamed over a folder
    that has content (nor a file over a folder), so then the old one is first moved
    aside, the new one renamed in, and the old one deleted.
    """
    new, final = Path(new), Path(final)
    try:
        os.replace(new, final)
        return
    except OSError:
        if not (_there(final) and _there(new)):
            raise  # nothing was in the way, or nothing to put in place: the failure is real
    old = beside(final, "old")
    os.replace(final, old)
    try:
        os.replace(new, final)
    except BaseException:
        os.replace(old, final)  # put the old one back rather than leave nothing
        raise
    remove(old)


def _there(path: Path) -> bool:
    return path.exists() or path.is_symlink()


@contextlib.contextmanager
def replacing(final: Path):
    """Yield a temporary path beside ``final``; when the block ends without error it replaces ``final``.

    The block writes a file or makes a folder at the yielded path. On any error (or
    Ctrl-C) whatever it wrote is removed, ``final`` is left as it was, and the error goes on.

        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "n.txt"
        >>> with replacing(path) as tmp:
        ...     _ = tmp.write_text("42")
        >>> path.read_text()
        '42'
    """
    final = Path(final)
    tmp = beside(final)
    try:
        yield tmp
        replace(tmp, final)
    except BaseException:
        remove(tmp)
        raise


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, creating its folder if needed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with replacing(path) as tmp:
        # "x": a fresh file with the usual permissions, never one that already existed
        with open(tmp, "xb") as handle:
            handle.write(data)


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` as UTF-8, atomically, creating its folder if needed."""
    write_bytes(path, text.encode("utf-8"))


@contextlib.contextmanager
def atomic_folder(final: Path):
    """Yield a new empty folder; when the block ends without error it replaces ``final``.

    On any error (or Ctrl-C) the temporary folder is removed, as are the parent folders
    this call created, and the error goes on. A folder that cannot be created raises
    ``FolderError`` with the reason, before the block runs.
    """
    final = Path(final)
    created = _make_parents(final.parent)
    try:
        with replacing(final) as tmp:
            try:
                tmp.mkdir()
            except OSError as error:
                raise FolderError(f"cannot write to {final.parent}: {error.strerror or error}.") from None
            yield tmp
    except BaseException:
        for folder in reversed(created):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if still empty
        raise


def _make_parents(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; return the ones this call created, outermost first."""
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
            raise FolderError(f"cannot create the output folder {folder}: {reason}.") from None
    return missing
