"""The outcome of one check: a status, one clear sentence, and optional details.

    >>> v = Verdict("q1", Status.INCORRECT, "2 rows are missing.", details=["(3, 'x')", "(4, 'y')"])
    >>> print(v)
    ✗ q1: incorrect. 2 rows are missing.
      - (3, 'x')
      - (4, 'y')
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from enum import Enum


class Status(str, Enum):
    CORRECT = "correct"
    INCORRECT = "incorrect"
    NOT_ATTEMPTED = "not attempted"
    ERROR = "error in your code"
    UNGRADED = "ungraded"
    SUBMITTED = "submitted"  # batch mode: recorded in the kernel, judged by the grader later
    UNCHECKED = "not checked"  # the kit could not run the check here (no Spark, say): not the learner's fault


# symbol, colour (for HTML)
_STYLE = {
    Status.CORRECT: ("✓", "#1a7f37"),
    Status.INCORRECT: ("✗", "#cf222e"),
    Status.NOT_ATTEMPTED: ("…", "#6e7781"),
    Status.ERROR: ("⚠", "#bc4c00"),
    Status.UNGRADED: ("✎", "#0969da"),
    Status.SUBMITTED: ("↑", "#0969da"),
    Status.UNCHECKED: ("?", "#9a6700"),
}

MAX_DETAILS = 10  # a long list helps nobody: show the first few and say how many more


@dataclass
class Verdict:
    exercise: str
    status: Status
    message: str
    details: list[str] = field(default_factory=list)
    points: float = 0.0
    max_points: float = 0.0
    prose: bool = False  # details are sentences (a design's unmet requirements), not rows or code

    @property
    def correct(self) -> bool:
        return self.status is Status.CORRECT

    @property
    def passed(self) -> bool:
        """What strict mode accepts: correct, or nothing to grade."""
        return self.status in (Status.CORRECT, Status.UNGRADED, Status.SUBMITTED)

    def _shown_details(self) -> list[str]:
        shown = list(self.details[:MAX_DETAILS])
        if len(self.details) > MAX_DETAILS:
            shown.append(f"... and {len(self.details) - MAX_DETAILS} more")
        return shown

    def __str__(self) -> str:
        symbol, _ = _STYLE[self.status]
        lines = [f"{symbol} {self.exercise}: {self.status.value}. {self.message}".rstrip()]
        lines += [f"  - {line}" for line in self._shown_details()]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        symbol, colour = _STYLE[self.status]
        wrap = "{}" if self.prose else "<code>{}</code>"
        items = "".join(f"<li>{wrap.format(html.escape(d))}</li>" for d in self._shown_details())
        detail_html = f"<ul style='margin:4px 0 0 0'>{items}</ul>" if items else ""
        return (
            f"<div style='border-left:4px solid {colour};padding:4px 10px;margin:4px 0'>"
            f"<b style='color:{colour}'>{symbol} {html.escape(self.exercise)}: {self.status.value}.</b> "
            f"{html.escape(self.message)}{detail_html}</div>"
        )

    def to_dict(self) -> dict:
        return {
            "exercise": self.exercise,
            "status": self.status.value,
            "message": self.message,
            "details": list(self.details),
            "points": self.points,
            "max_points": self.max_points,
        }
