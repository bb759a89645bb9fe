"""Copy what a learner's kernel exported, keeping only plain answer files of the spec's exercises.

The export folder is written by code the learner controls, so it is read with suspicion:
folders of unknown exercises are ignored, symbolic links and special files are refused
(a link could point anywhere on the grader's machine), and an answer larger than
``MAX_ANSWER_MB`` is replaced by an error the learner can read.

    >>> import tempfile, json
    >>> src, dst = Path(tempfile.mkdtemp()), Path(tempfile.mkdtemp()) / "copy"
    >>> (src / "q1").mkdir(); _ = (src / "q1" / "status.json").write_text('{"status": "prepared"}')
    >>> copy_answers(src, dst, ["q1", "q2"])
    >>> sorted(p.name for p in dst.iterdir())
    ['q1']
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

MAX_ANSWER_MB = 256  # a Table answer is capped at 1e6 rows, a few tens of MB in Parquet


def answer_problem(folder: Path) -> str | None:
    """Why the files of one exported answer cannot be trusted, or None."""
    total = 0
    for entry in folder.iterdir():
        if entry.is_symlink() or not entry.is_file():
            return f"The recorded answer holds '{entry.name}', which is not a plain file."
        total += entry.stat().st_size
    if total > MAX_ANSWER_MB * 2**20:
        return f"The recorded answer is {total / 2**20:,.1f} MB, more than the {MAX_ANSWER_MB} MB the grader reads."
    return None


def copy_answers(export: Path, dest: Path, exercise_ids: list[str]) -> None:
    """Copy ``export/<id>/`` for every exercise id into ``dest/<id>/``."""
    dest.mkdir(parents=True, exist_ok=True)
    for ex_id in exercise_ids:
        src = export / ex_id
        if src.is_symlink() or not src.is_dir():
            continue  # no answer (a linked folder is not one either)
        target = dest / ex_id
        target.mkdir()
        problem = answer_problem(src)
        if problem:
            (target / "status.json").write_text(json.dumps({"status": "error", "message": problem}))
            continue
        for entry in src.iterdir():
            shutil.copyfile(entry, target / entry.name, follow_symlinks=False)
