"""What grading one submission gives: a result per exercise, and how the run went.

    >>> r = SubmissionResult("alice", "00-start-here", "class/alice.ipynb", RunStatus.FINISHED, "", 4.2, False,
    ...                      [ExerciseResult("q1", 1, 1, "correct", "All 4 rows match.", 0.01),
    ...                       ExerciseResult("q2", 0, 2, "incorrect", "2 rows are missing.", 0.01)])
    >>> r.points, r.max_points, r.status == "finished"
    (1, 3, True)
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from grader.batch.run_status import RunStatus


@dataclass
class ExerciseResult:
    exercise: str
    points: float
    max_points: float
    status: str        # a grader.verdict.Status value: "correct", "incorrect", ...
    message: str       # what the learner reads under their check cell: never the expected answer
    duration_s: float  # time the grader took to judge the answer

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class SubmissionResult:
    learner: str
    notebook: str | None
    file: str          # the path as given on the command line
    status: RunStatus  # how the run ended: finished, timed out, memory limit, kernel died, ...
    reason: str        # one sentence when something went wrong, else ""
    duration_s: float  # time the notebook ran (of the first run, when cached)
    cached: bool       # True when this grading reused a stored run
    exercises: list[ExerciseResult] = field(default_factory=list)

    def __post_init__(self):
        self.status = RunStatus(self.status)

    @property
    def points(self) -> float:
        return sum(e.points for e in self.exercises)

    @property
    def max_points(self) -> float:
        return sum(e.max_points for e in self.exercises)

    def to_dict(self) -> dict:
        return {"learner": self.learner, "notebook": self.notebook, "file": self.file,
                "status": self.status, "reason": self.reason, "duration_s": self.duration_s,
                "cached": self.cached, "points": self.points, "max_points": self.max_points,
                "exercises": [e.to_dict() for e in self.exercises]}


def number(x: float) -> int | float:
    """2.0 -> 2, 2.5 -> 2.5: points as a person writes them."""
    return int(x) if float(x).is_integer() else round(float(x), 2)
