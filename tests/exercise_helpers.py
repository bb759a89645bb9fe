"""How to write a notebook's exercise tests, and the few helpers they share.

Which answers an exercise accepts and which it refuses, with the words its feedback must contain,
belong in the notebook's answer corpus, ``tests/answers/nbNN.yaml``. The file
``tests/test_exercises_nbNN.py`` checks what a corpus entry cannot say:

- the spec's shape and the ids it covers, in one test: ``T.assert_spec_shape(spec.COVERS)``;
- stubs, crashes and the batch-export round trip;
- that the fixtures hold the edge cases the checks rely on (a NULL, a tie, a boundary), and that
  every known mistake differs from the reference on them;
- the spec's references and expected values against the lab code they mirror;
- that the notebook claims what the spec covers (``T.claimed()``, ``T.questions()``).

Make one tester at the top of the file, call it through ``T.``, and name each test as a sentence:

    from exercise_helpers import ExerciseTester
    T = ExerciseTester("03-etl-elt-pipelines")

    def test_etl_or_elt_says_what_is_missing_or_wrong():
        assert T.verdict("etl_or_elt", {"A", "C", "E"}).correct
        v = T.incorrect("etl_or_elt", {"A", "C"})  # asserts the verdict is incorrect, and returns it
        assert "1 more option should be chosen" in v.message
        assert "ELT: analysts keep asking" in T.feedback("etl_or_elt", {"A", "B", "C", "E"})  # details too
"""
from __future__ import annotations

import nbformat

from grader.kinds import Exercise
from grader.notebook import evaluate, load_exercises
from grader.verdict import Status, Verdict
from labs import paths


class ExerciseTester:
    def __init__(self, notebook: str):
        self.notebook = notebook
        self.exercises = load_exercises(notebook)

    def verdict(self, exercise: str | Exercise, answer) -> Verdict:
        """The verdict a check cell shows. ``exercise`` is an id of this notebook, or an exercise
        the test builds itself to try a kind on a fixture of its own."""
        if isinstance(exercise, str):
            exercise = self.exercises[exercise]
        return evaluate(exercise, answer)

    def incorrect(self, exercise: str | Exercise, answer) -> Verdict:
        v = self.verdict(exercise, answer)
        assert v.status is Status.INCORRECT, str(v)
        return v

    def feedback(self, exercise: str | Exercise, answer) -> str:
        """For an answer that must be incorrect, all the learner reads: the sentence and its detail lines."""
        return str(self.incorrect(exercise, answer))

    def assert_spec_shape(self, covers) -> None:
        """Six or more exercises over three or more kinds, 2-3 hints each, and the notebook's ids covered."""
        ex = self.exercises
        assert len(ex) >= 6 and len({e.kind for e in ex.values()}) >= 3
        for e in ex.values():
            assert 2 <= len(e.hints) <= 3, e.id
            assert e.prompt and e.solution and e.explanation, e.id
            assert e.covers and set(e.covers) <= set(covers), e.id
        assert {c for e in ex.values() for c in e.covers} == set(covers)

    # -- what the notebook says about itself ----------------------------------------------------
    def solution_notebook(self) -> nbformat.NotebookNode:
        return nbformat.read(paths.root() / "solutions" / f"{self.notebook}.ipynb", as_version=4)

    def claimed(self) -> list[str]:
        """The question ids the notebook's metadata says it prepares for."""
        return list(self.solution_notebook().metadata["kit"]["covers"])

    def questions(self) -> dict[str, str]:
        """The notebook's "Interview questions" table: each question id and its "where" column."""
        cells = self.solution_notebook().cells
        table = next(c.source for c in cells
                     if c.cell_type == "markdown" and c.source.startswith("## Interview questions"))
        # every line of the table after its header and separator is a question, so a row that
        # breaks the format still counts and makes a comparison of ids fail
        rows = [line.split("|") for line in table.splitlines() if line.startswith("|")][2:]
        return {row[1].strip(" *"): row[3].strip() for row in rows}
