"""The drills notebook: its shape, and an nbval replay of the solution (strict) and learner copy (lax)."""
import os
import subprocess
import sys

import re

import nbformat
import pytest

import grader
from grader.drills import curriculum
from labs import paths

NAME = "90-interview-drills"
SOLUTION = paths.root() / "solutions" / f"{NAME}.ipynb"
LEARNER = paths.root() / "notebooks" / f"{NAME}.ipynb"
SECTIONS = ["Interview questions", "Concepts", "Lab", "Exercises", "Interview drill", "Summary"]


def test_notebook_shape():
    nb = nbformat.read(SOLUTION, as_version=4)
    assert nb.metadata["kit"]["notebook"] == NAME
    ids = [c.id for c in nb.cells]
    assert len(ids) == len(set(ids)) and not any(i.startswith("cell-") for i in ids)
    sections = [h for h in curriculum.headings(SOLUTION) if h in SECTIONS]
    assert sections == SECTIONS, "the six sections, in CONTRIBUTING.md's order"
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert code.count("# BEGIN SOLUTION") == code.count("# END SOLUTION") == 12  # 2 choices, 5 estimates, 5 designs
    checked = set(re.findall(r'nb\.check\("([a-z0-9_]+)"', code))
    assert checked == set(grader.start(NAME).ids()), "every exercise of the spec has a check cell"


def _replay(notebook, mode, tmp_path):
    env = {**os.environ, "KIT_STATE_DIR": str(tmp_path)}
    env.pop("GRADER_STRICT", None)
    env.pop("GRADER_EXPORT_DIR", None)
    return subprocess.run([sys.executable, "-m", "pytest", mode, str(notebook), "-p", "no:cacheprovider", "-q"],
                          capture_output=True, text=True, cwd=paths.root(), env=env, timeout=600)


def test_solution_replays_with_identical_outputs(tmp_path):
    run = _replay(SOLUTION, "--nbval", tmp_path)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]


@pytest.mark.skipif(not LEARNER.exists(), reason="notebooks/ not released yet")
def test_learner_copy_runs_clean(tmp_path):
    run = _replay(LEARNER, "--nbval-lax", tmp_path)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
