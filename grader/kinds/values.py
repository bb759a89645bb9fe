"""The kinds whose answer is a small value, judged here: a number, a choice, a design, a thought.

    >>> ex = Number(id="answer", value=42, abs_tol=0.5, unit="rows")
    >>> print(ex.judge(ex.prepare(42.2)))
    ✓ answer: correct. 42.2 rows is within the accepted range.
    >>> ex = Choice(id="pick", options={"A": "yes", "B": "no"}, correct=("A",))
    >>> print(ex.judge(ex.prepare("B")))
    ✗ pick: incorrect. B is not right.
      - B: no
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Callable

from grader.checkers import Problem
from grader.checkers import functions as fnc
from grader.errors import LearnerError, NotAttempted
from grader.kinds.exercise import Exercise, short
from grader.text import plural
from grader.verdict import Status


@dataclass(kw_only=True)
class Number(Exercise):
    """A number or estimate, accepted within an absolute or relative tolerance."""
    value: float | Callable[[], float] = 0.0
    abs_tol: float = 0.0
    rel_tol: float = 0.0
    unit: str = ""
    # (a known wrong value, the sentence it deserves[, how close counts as that mistake]);
    # without the third item, the exercise's own tolerance around the wrong value
    mistakes: tuple[tuple, ...] = ()
    kind = "number"

    def build_expected(self):
        return float(self.value() if callable(self.value) else self.value)

    def prepare(self, answer):
        if answer is Ellipsis or answer is None:
            raise NotAttempted()
        if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
            raise LearnerError(f"Expected a number; got {type(answer).__name__} {short(answer, 40)}.")
        value = float(answer)
        if math.isnan(value):
            raise LearnerError("Your answer is NaN (not a number); check for a division by zero or missing data.")
        return value

    def bounds(self, around: float | None = None) -> tuple[float, float]:
        want = self.expected() if around is None else around
        slack = max(self.abs_tol, abs(want) * self.rel_tol)
        return want - slack, want + slack

    def find_problem(self, payload):
        low, high = self.bounds()
        if low <= payload <= high:
            return None
        want = self.expected()
        side = "above" if payload > high else "below"
        off = f" ({_share(abs(payload - want) / abs(want))} off)" if want else ""
        sentence = (f"{_num(payload)}{self._u()} is {side} the accepted range "
                    f"{_num(low)}–{_num(high)}{self._u()}{off}.")
        for value, says, *tolerance in self.mistakes:
            value = float(value() if callable(value) else value)
            m_low, m_high = (value - tolerance[0], value + tolerance[0]) if tolerance else self.bounds(value)
            if m_low <= payload <= m_high:
                return Problem(f"{sentence} {says}")
        return Problem(sentence)

    def praise(self, payload):
        return f"{_num(payload)}{self._u()} is within the accepted range."

    def _u(self) -> str:
        return f" {self.unit}" if self.unit else ""


def _num(x: float) -> str:
    """A number as a person writes it: thousands separators, about six significant digits.

        >>> _num(4_160_000.0000001), _num(0.0123456789), _num(1234.5678), _num(2.5e15)
        ('4,160,000', '0.0123457', '1,234.57', '2.5e+15')
    """
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    if abs(x) >= 1e15 or abs(x) < 1e-4:
        return f"{x:.3g}"
    digits = max(0, 5 - math.floor(math.log10(abs(x))))  # six significant digits in all
    text = f"{round(x, digits):,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _share(fraction: float) -> str:
    """A relative miss as a person says it: '39%', '99,900%', '0.4%', never '0%'.

        >>> _share(0.39), _share(999.0), _share(0.004), _share(0.00004)
        ('39%', '99,900%', '0.4%', 'under 0.1%')
    """
    if fraction >= 0.01:
        return f"{fraction:,.0%}"
    return f"{fraction:.1%}" if fraction >= 0.001 else "under 0.1%"


@dataclass(kw_only=True)
class Choice(Exercise):
    """One option (or several, with ``multiple=True``) out of ``options`` {key: explanation}."""
    options: dict[str, str]
    correct: tuple[str, ...]
    multiple: bool = False
    kind = "choice"
    prose_details = True

    def prepare(self, answer):
        if answer is Ellipsis or answer is None or answer == "" or answer == set():
            raise NotAttempted()
        chosen = [answer] if isinstance(answer, str) else list(answer)
        if not all(isinstance(c, str) for c in chosen):
            raise LearnerError("Give the option key(s) as text, for example 'B' or {'A', 'C'}.")
        unknown = [c for c in chosen if c not in self.options]
        if unknown:
            raise LearnerError(f"{', '.join(map(repr, unknown))} is not one of the options {', '.join(self.options)}.")
        if not self.multiple and len(chosen) > 1:
            raise LearnerError("Choose exactly one option.")
        return sorted(set(chosen))

    def find_problem(self, payload):
        wrong = [c for c in payload if c not in self.correct]
        missed = [c for c in self.correct if c not in payload]
        if not wrong and not missed:
            return None
        details = [f"{c}: {self.options[c]}" for c in wrong]
        if wrong:
            head = f"{', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} not right."
        else:
            head = "What you chose is right, but not complete."
        if missed and self.multiple:
            head += f" {plural(len(missed), 'more option')} should be chosen."
        return Problem(head, details)

    def praise(self, payload):
        return " ".join(f"{c}: {self.options[c]}" for c in payload)


# -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Requirement:
    """One stated requirement of a design: ``test(design)`` is True when it is met."""
    name: str
    test: Callable[[dict], bool]
    why: str

    @classmethod
    def stage_is(cls, stage: str, allowed, why: str) -> "Requirement":
        """Met when the design's choice for ``stage`` is ``allowed`` (one value, or any of a tuple).

            >>> Requirement.stage_is("email", "type 1", "overwrite").test({"email": "type 2"})
            False
        """
        allowed = (allowed,) if isinstance(allowed, str) else tuple(allowed)
        return cls(stage, lambda design: design[stage] in allowed, why)


@dataclass(kw_only=True)
class Design(Exercise):
    """A structured design: {stage: choice or dict of parameters}, checked against requirements.

    ``stages`` lists the stages the answer must fill; ``catalogue`` optionally lists the
    components allowed per stage.
    """
    stages: tuple[str, ...]
    requirements: tuple[Requirement, ...]
    catalogue: dict[str, tuple[str, ...]] = field(default_factory=dict)
    kind = "design"
    prose_details = True

    def prepare(self, answer):
        if answer is Ellipsis or answer is None or answer == {}:
            raise NotAttempted()
        if not isinstance(answer, dict):
            raise LearnerError(f"Expected a dict {{stage: choice}}; got {type(answer).__name__}.")
        return fnc.jsonable(answer)

    def find_problem(self, payload):
        missing = [s for s in self.stages if s not in payload or payload[s] in (None, "", ...)]
        unknown = [s for s in payload if s not in self.stages]
        if missing or unknown:
            details = [f"no choice for stage '{s}'" for s in missing] + [f"'{s}' is not a stage of this design" for s in unknown]
            return Problem(f"Fill every stage of the design ({', '.join(self.stages)}).", details)
        off_menu = [f"{s}: {payload[s]!r} is not one of {', '.join(self.catalogue[s])}"
                    for s in self.catalogue if isinstance(payload.get(s), str) and payload[s] not in self.catalogue[s]]
        if off_menu:
            return Problem("Some choices are not in the catalogue for their stage.", off_menu)
        unmet = []
        for req in self.requirements:
            try:
                ok = bool(req.test(payload))
            except (KeyError, TypeError, ValueError):
                ok = False
            if not ok:
                unmet.append(f"{req.name}: {req.why}")
        if unmet:
            return Problem(f"{len(unmet)} of {len(self.requirements)} requirements {'is' if len(unmet) == 1 else 'are'} not met.", unmet)
        return None

    def praise(self, payload):
        return f"Your design meets all {len(self.requirements)} requirements."


# -------------------------------------------------------------------------------------
@dataclass(kw_only=True)
class Thought(Exercise):
    """An ungraded thought exercise: any non-empty answer is recorded; the model answer follows."""
    points: int = 0
    kind = "thought"

    def prepare(self, answer):
        if answer is Ellipsis or answer is None or (isinstance(answer, str) and not answer.strip()):
            raise NotAttempted()
        return str(answer)

    def judge(self, payload):
        return self.verdict(Status.UNGRADED, "Compare your answer with the model answer: run solution().")
