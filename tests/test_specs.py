"""Every exercise spec, whatever its notebook: well formed, light to import, and checked in its notebook."""
from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import nbformat
import pytest

import grader.specs
from grader.kinds import _UNSET
from grader.notebook import load_exercises
from labs import paths

SPECS = sorted(info.name for info in pkgutil.iter_modules(grader.specs.__path__) if info.name.startswith("nb"))


def _notebook(module: str) -> str:
    """'nb02_data_modeling' -> '02-data-modeling'."""
    return module[2:].replace("_", "-")


@pytest.mark.parametrize("module", SPECS)
def test_spec_is_well_formed(module):
    exercises = load_exercises(_notebook(module))
    assert exercises, "a spec defines at least one exercise"
    for ex in exercises.values():
        assert ex.id.isidentifier(), f"{ex.id}: ids are plain snake_case names"
        assert ex.prompt, f"{ex.id}: a one-line prompt"
        if ex.kind != "thought":
            assert ex.hints, f"{ex.id}: at least one hint"
            assert ex.solution, f"{ex.id}: a solution text"


@pytest.mark.parametrize("module", SPECS)
def test_spec_builds_nothing_at_import(module):
    """Expected answers are lazy: importing a spec must not build them or touch an engine."""
    code = (f"import sys\nfrom grader.specs import {module} as spec\nfrom grader.kinds import _UNSET\n"
            "assert all(ex._cache is _UNSET for ex in spec.EXERCISES)\n"
            "assert 'pyspark.sql' not in sys.modules, 'Spark imported at import time'\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=paths.root())


TOPICS = [m for m in SPECS if 1 <= int(m[2:4]) <= 17]  # topic notebooks, not 00 or the drills


@pytest.mark.parametrize("module", TOPICS)
def test_topic_notebook_meets_the_exercise_bar(module):
    """At least six graded exercises over at least three answer kinds, each with hints, a solution,
    an explanation and the question ids it covers."""
    exercises = load_exercises(_notebook(module))
    graded = [ex for ex in exercises.values() if ex.points > 0]
    assert len(graded) >= 6 and len({ex.kind for ex in graded}) >= 3
    for ex in graded:
        assert ex.hints and ex.solution and ex.explanation and ex.covers, ex.id


@pytest.mark.parametrize("module", SPECS)
def test_spec_opens_with_the_same_header(module):
    """A docstring, NOTEBOOK (the notebook it grades) and COVERS (the union of its exercises' ids,
    which is what the notebook claims), then the exercises."""
    spec = importlib.import_module(f"grader.specs.{module}")
    assert spec.__doc__ and spec.__doc__.startswith(f"Exercises of {_notebook(module)}")
    assert spec.NOTEBOOK == _notebook(module)
    assert set(spec.COVERS) == {c for ex in spec.EXERCISES for c in ex.covers}
    nb = nbformat.read(paths.root() / "solutions" / f"{spec.NOTEBOOK}.ipynb", as_version=4)
    claimed = set(nb.metadata["kit"]["covers"])
    if spec.NOTEBOOK == "90-interview-drills":  # its flashcards cover the whole bank; its exercises, a part
        assert set(spec.COVERS) <= claimed
    else:
        assert set(spec.COVERS) == claimed
    names = list(vars(spec))
    assert names.index("NOTEBOOK") < names.index("COVERS") < names.index("EXERCISES")
