"""What every notebook's exercise tests need: run an answer through its exercise, and check the spec's shape.

    from exercise_helpers import ExerciseTester
    T = ExerciseTester("05-sharding-partitioning")
    T.incorrect("pruning_query", "select * from t")   # asserts the verdict is incorrect, returns it
"""
from __future__ import annotations

from grader.notebook import evaluate, load_exercises
from grader.verdict import Status, Verdict


class ExerciseTester:
    def __init__(self, notebook: str):
        self.notebook = notebook
        self.exercises = load_exercises(notebook)

    def verdict(self, exercise_id: str, answer) -> Verdict:
        return evaluate(self.exercises[exercise_id], answer)

    def incorrect(self, exercise_id: str, answer) -> Verdict:
        v = self.verdict(exercise_id, answer)
        assert v.status is Status.INCORRECT, str(v)
        return v

    def assert_spec_shape(self, covers) -> None:
        """Six or more exercises over three or more kinds, 2-3 hints each, and the notebook's ids covered."""
        ex = self.exercises
        assert len(ex) >= 6 and len({e.kind for e in ex.values()}) >= 3
        for e in ex.values():
            assert 2 <= len(e.hints) <= 3, e.id
            assert e.prompt and e.solution and e.explanation, e.id
            assert e.covers and set(e.covers) <= set(covers), e.id
        assert {c for e in ex.values() for c in e.covers} == set(covers)
