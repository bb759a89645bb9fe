"""Find the submitted notebooks, name their learners and say which exercises they answer.

Folders are searched for ``*.ipynb`` (hidden folders and ``.ipynb_checkpoints`` skipped).
The learner's name comes from where the file lies:

- in a sub-folder of a folder you name: that sub-folder (``class/alice/00-start-here.ipynb``
  is alice's);
- directly in a folder you name, or named itself: the file name, less the notebook's name
  (``class/alice_00-start-here.ipynb`` is alice's too); a file named just
  ``00-start-here.ipynb`` takes its folder's name.

Which exercises it answers (the spec): ``--notebook`` if given, else the notebook's
``metadata["kit"]["notebook"]``, else a notebook name inside the file name, else the one
notebook every other submission of the class answers.

    >>> learner_from_stem("alice_00-start-here", ["00-start-here"])
    'alice'
    >>> notebook_in_name("Bob - 00-start-here (1)", ["00-start-here", "01-architecture"])
    '00-start-here'
"""
from __future__ import annotations

import json
import pkgutil
import re
from dataclasses import dataclass
from pathlib import Path

MAX_NOTEBOOK_MB = 100  # larger files are refused unread: a notebook with answers is a few MB at most


class UsageError(ValueError):
    """The command cannot start: a path that does not exist, nothing to grade, ..."""


@dataclass
class Submission:
    learner: str
    path: Path
    shown_path: str          # the path as the instructor knows it, for reports
    content: bytes           # read once, so the bytes hashed are the bytes executed
    notebook: str | None     # the exercise spec, e.g. "00-start-here"
    problem: str | None = None  # why it cannot be executed, as the end of a sentence
    spark_connect: bool = True  # False when its metadata asks for a local Spark session


def known_notebooks() -> list[str]:
    """Notebook names that have an exercise spec: grader/specs/nb00_start_here.py -> 00-start-here."""
    import grader.specs

    return sorted(m.name[2:].replace("_", "-") for m in pkgutil.iter_modules(grader.specs.__path__)
                  if m.name.startswith("nb"))


def notebook_in_name(stem: str, known: list[str]) -> str | None:
    """The longest known notebook name that appears in a file name."""
    found = [name for name in known if name in stem.lower()]
    return max(found, key=len) if found else None


def learner_from_stem(stem: str, known: list[str]) -> str:
    """A file name less the notebook name and the separators around it ('' if nothing is left)."""
    name = notebook_in_name(stem, known)
    if name:
        at = stem.lower().index(name)
        stem = stem[:at] + " " + stem[at + len(name):]
    # LMS downloads add copy counters and separators: "alice - 00-start-here (1)"
    stem = re.sub(r"\(\d+\)", " ", stem)
    return re.sub(r"\s+", " ", stem.replace("_", " ")).strip(" -.") if stem.strip(" -_.") else ""


def _notebook_files(folder: Path) -> list[Path]:
    found = []
    for path in sorted(folder.rglob("*.ipynb")):
        parts = path.relative_to(folder).parts
        if any(p.startswith(".") for p in parts):  # .ipynb_checkpoints, .git, hidden copies
            continue
        if path.is_file():
            found.append(path)
    return found


def read_problem(content: bytes) -> tuple[dict, str | None]:
    """(the notebook's metadata, None) or ({}, why the file is not a runnable notebook).

    Plain JSON checks only: importing nbformat costs seconds, and the child process that
    executes the notebook reads it with nbformat anyway.

        >>> read_problem(b'{"cells": [')[1]
        'the file is not valid JSON (Expecting value: line 1 column 12 (char 11))'
    """
    try:
        data = json.loads(content.decode("utf-8"))
    except UnicodeDecodeError:
        return {}, "the file is not text (not UTF-8), so not a notebook"
    except RecursionError:
        return {}, "the file is not a notebook (its JSON is nested too deeply)"
    except ValueError as exc:
        return {}, f"the file is not valid JSON ({exc})"
    cells = data.get("cells", data.get("worksheets")) if isinstance(data, dict) else None
    if not isinstance(cells, list):
        return {}, "the file is JSON but not a Jupyter notebook (it has no list of cells)"
    if "cells" in data:
        for cell in cells:
            source = cell.get("source") if isinstance(cell, dict) else None
            if not isinstance(source, (str, list)) or cell.get("cell_type") not in ("code", "markdown", "raw"):
                return {}, "the file is not a valid notebook (a cell has no type or no source)"
    metadata = data.get("metadata")
    return (metadata if isinstance(metadata, dict) else {}), None


def _spec_from_metadata(metadata: dict) -> str | None:
    kit = metadata.get("kit")
    name = kit.get("notebook") if isinstance(kit, dict) else None
    return name if isinstance(name, str) else None


def discover(paths: list, notebook: str | None = None) -> list[Submission]:
    """Every submission under ``paths`` (files or folders), sorted by learner.

    Raises ``UsageError`` for a path that does not exist, an unknown ``notebook`` or when
    no notebook is found at all.
    """
    known = known_notebooks()
    if notebook is not None and notebook not in known:
        raise UsageError(f"No exercises are defined for notebook '{notebook}' (known: {', '.join(known)}).")
    found: list[tuple[Path, str, str]] = []  # (file, learner, shown path)
    for given in map(Path, paths):
        if given.is_dir():
            for path in _notebook_files(given):
                rel = path.relative_to(given)
                if len(rel.parts) > 1:
                    learner = rel.parts[0]
                else:
                    learner = learner_from_stem(path.stem, known) or given.resolve().name
                found.append((path, learner, str(given / rel)))
        elif given.is_file():
            learner = learner_from_stem(given.stem, known) or given.resolve().parent.name
            found.append((given, learner, str(given)))
        else:
            raise UsageError(f"{given} does not exist.")
    if not found:
        raise UsageError(f"No notebooks (*.ipynb) were found in {', '.join(map(str, paths))}.")

    submissions = [_read(path, learner, shown, notebook, known) for path, learner, shown in found]
    _settle_notebooks(submissions)
    _unique_names(submissions)
    return sorted(submissions, key=lambda s: (s.learner.lower(), s.notebook or "", s.shown_path))


def _read(path: Path, learner: str, shown: str, override: str | None, known: list[str]) -> Submission:
    size_mb = path.stat().st_size / 1e6
    if size_mb > MAX_NOTEBOOK_MB:
        return Submission(learner, path, shown, b"", override or notebook_in_name(path.stem, known),
                          f"the file is {size_mb:,.0f} MB, larger than any notebook should be "
                          f"({MAX_NOTEBOOK_MB} MB at most)")
    content = path.read_bytes()
    metadata, problem = read_problem(content)
    if override:
        spec = override
    else:
        candidates = [_spec_from_metadata(metadata), notebook_in_name(path.stem, known)]
        spec = next((c for c in candidates if c in known), None)
    kit = metadata.get("kit") if isinstance(metadata.get("kit"), dict) else {}
    return Submission(learner, path, shown, content, spec, problem, spark_connect=kit.get("spark_connect") is not False)


def _settle_notebooks(submissions: list[Submission]) -> None:
    """A submission that does not say which notebook it is gets the class's, if there is one."""
    named = {s.notebook for s in submissions if s.notebook}
    for sub in submissions:
        if sub.notebook is None:
            if len(named) == 1:
                sub.notebook = next(iter(named))
            elif sub.problem is None:
                sub.problem = ("it does not say which notebook it is (no kit metadata, no notebook name "
                               "in the file name); grade it with --notebook")


def _unique_names(submissions: list[Submission]) -> None:
    """Two files of one learner for one notebook keep both, told apart by their paths."""
    seen: dict[tuple[str, str | None], list[Submission]] = {}
    for sub in submissions:
        seen.setdefault((sub.learner, sub.notebook), []).append(sub)
    for group in seen.values():
        if len(group) > 1:
            for sub in group:
                sub.learner = f"{sub.learner} ({sub.shown_path})"
