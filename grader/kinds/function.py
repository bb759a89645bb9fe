"""The function kinds: a learner's function called on cases and probed for behaviour.

``Function`` compares return values with a reference's on fixed and generated cases, then
runs its probes; ``Probed`` is judged by its probes alone (many answers are right);
``Detector`` takes a function that flags items (days, rows) and compares what it flags.

    >>> ex = Function(id="double", reference=lambda x: 2 * x, cases=((1,), (4,)))
    >>> print(ex.judge(ex.prepare(lambda x: x + x)))
    ✓ double: correct. Your function passes all 2 test cases.
    >>> print(ex.judge(ex.prepare(lambda x: x ** 2)))
    ✗ double: incorrect. double(1) returned 1; expected 2.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from grader.checkers import functions as fnc
from grader.errors import LearnerError, NotAttempted
from grader.kinds.exercise import Exercise, short
from grader.text import plural
from grader.verdict import Status, Verdict


@dataclass(kw_only=True)
class Function(Exercise):
    """A function answer, called on fixed cases and on generated ones.

    ``reference`` is the reference implementation; ``cases`` are argument tuples;
    ``generate(rng)`` returns one more argument tuple (called ``n_generated`` times with a
    seeded ``random.Random``). ``probes`` are extra checks of behaviour: each is
    ``(name, probe, judge)`` where ``probe(fn)`` runs in the learner's kernel and returns
    JSON-safe observations, and ``judge(observed)`` returns None or a problem sentence.
    """
    reference: Callable | None = None
    cases: tuple = ()
    generate: Callable[[random.Random], tuple] | None = None
    n_generated: int = 20
    seed: int = 1234
    probes: tuple = ()
    timeout_s: float = fnc.TIMEOUT_S
    rel_tol: float = 1e-9
    abs_tol: float = 1e-9
    call_name: str = ""  # how calls are shown in messages; the exercise id by default
    kind = "function"

    def all_cases(self) -> list[tuple]:
        rng = random.Random(self.seed)
        generated = [tuple(self.generate(rng)) for _ in range(self.n_generated)] if self.generate else []
        return [tuple(c) for c in self.cases] + generated

    def build_expected(self):
        return [fnc.jsonable(self.reference(*args)) for args in self.all_cases()]

    def prepare(self, answer):
        if answer is Ellipsis or answer is None:
            raise NotAttempted()
        if not callable(answer):
            raise LearnerError(f"Expected a function; got {type(answer).__name__}.")
        noun = "class" if isinstance(answer, type) else "function"
        return {**self.observe(answer), "noun": noun}

    def observe(self, fn) -> dict:
        """What ``fn`` did on every case and probe, in the learner's kernel (a kind may wrap ``fn`` first)."""
        observations = [o.to_dict() for o in fnc.run_cases(fn, self.all_cases(), self.timeout_s)]
        if observations and observations[0]["not_implemented"]:
            raise NotAttempted()
        probes = {}
        for name, probe, _ in self.probes:
            result = fnc.run_cases(probe, [(fn,)], self.timeout_s)[0]
            if result.not_implemented and not self.cases:  # a probe-only exercise still on its stub
                raise NotAttempted()
            probes[name] = result.to_dict()
        return {"observations": observations, "probes": probes}

    def judge(self, payload):
        verdict = self.judge_cases(payload) or self.judge_probes(payload)
        if verdict:
            return verdict
        cases = self.all_cases()
        passed = [f"all {len(cases):,} test cases" if len(cases) > 1 else "the test case"] if cases else []
        if self.probes:
            passed.append(plural(len(self.probes), "behaviour check"))
        noun = payload.get("noun", "function")
        return self.verdict(Status.CORRECT, f"Your {noun} passes {' and '.join(passed)}.")

    def judge_cases(self, payload) -> Verdict | None:
        """The verdict of the first case whose value is wrong or that failed; None when all agree."""
        cases = self.all_cases()
        n_fixed = len(self.cases)
        for i, (args, obs, want) in enumerate(zip(cases, payload["observations"], self.expected())):
            call = call_text(self.call_name or self.id, args)
            if fnc.jsonable(list(args)) != obs["args"]:
                return self.verdict(Status.ERROR, "The recorded test inputs do not match the exercise's; run the check again.")
            if obs["error"]:
                hidden = i >= n_fixed
                where = "a generated test case" if hidden else call
                return self.verdict(Status.ERROR, f"Your function failed on {where}: {obs['error']}.", obs["trace"])
            if not fnc.same(obs["value"], want, self.rel_tol, self.abs_tol):
                if i < n_fixed:
                    return self.verdict(Status.INCORRECT, f"{call} returned {short(obs['value'])}; expected {short(want)}.")
                return self.verdict(Status.INCORRECT,
                                    f"Your function passes the fixed cases but {call} returned {short(obs['value'])}; expected {short(want)}.")
        if len(payload["observations"]) < len(cases):
            return self.verdict(Status.ERROR, "Your function did not finish all test cases.")
        return None

    def judge_probes(self, payload) -> Verdict | None:
        """The verdict of the first probe that failed or found a problem; None when all pass."""
        for name, _, judge in self.probes:
            obs = payload["probes"].get(name)
            if obs is None:
                return self.verdict(Status.ERROR, f"The check '{name}' was not recorded; run the check again.")
            if obs["error"]:
                return self.verdict(Status.ERROR, f"Your code failed during the check '{name}': {obs['error']}.", obs["trace"])
            problem = judge(obs["value"])
            if problem:
                return self.verdict(Status.INCORRECT, problem)
        return None


def call_text(name: str, args) -> str:
    return f"{name}(" + ", ".join(short(a, 60) for a in args) + ")"


@dataclass(kw_only=True)
class Probed(Function):
    """A function judged by its probes alone, in order: many answers are right, so no return value
    is compared with a reference's, and the first problem a probe finds is the verdict.

    ``before_probes`` runs in the learner's kernel before the probes fork, to build what they
    share (fixtures) once rather than in every probe; ``right_message`` is the praise.
    """
    before_probes: Callable[[], object] | None = None
    right_message: str = "Your function passes every behaviour check."

    def observe(self, fn):
        if self.before_probes is not None:
            self.before_probes()
        return super().observe(fn)

    def judge(self, payload):
        verdict = super().judge(payload)
        return self.verdict(Status.CORRECT, self.right_message) if verdict.correct else verdict


@dataclass(kw_only=True)
class Detector(Function):
    """A function that flags items (days, rows): whatever collection it returns (a list, a set, an
    Index, a boolean Series) becomes a sorted list of text keys (``flagged_keys``) before it is compared.

    The one fixed case is described in words (``case``) rather than printed as a Series, and
    a wrong result on it says what was flagged against what should have been.
    """
    case: str = ""            # the fixed case in words: "42 quiet days with one 10x spike (2024-01-31)"
    item: str = "day"         # what the detector flags, for messages

    def prepare(self, answer):
        return super().prepare(_flagging(answer) if callable(answer) else answer)

    def build_expected(self):
        reference = _flagging(self.reference)
        return [fnc.jsonable(reference(*args)) for args in self.all_cases()]

    def judge(self, payload):
        verdict = super().judge(payload)
        name = f"{self.call_name or self.id}("
        about_fixed_case = verdict.message.startswith((name, f"Your function failed on {name}"))
        if verdict.status is Status.CORRECT or not about_fixed_case:
            return verdict
        first = payload["observations"][0]
        if first["error"]:
            return self.verdict(Status.ERROR, f"Your function failed on {self.case}: {first['error']}.", first["trace"])
        return self.verdict(Status.INCORRECT, f"On {self.case} your detector {self._flagged(first['value'])}; "
                                              f"expected only {self._items(self.expected()[0])}.")

    def _items(self, keys) -> str:
        return ", ".join(keys) if self.item == "day" else "row " + ", ".join(keys)

    def _flagged(self, keys) -> str:
        if not keys:
            return f"returned no {self.item}"
        shown = ", ".join(keys[:5]) + (", …" if len(keys) > 5 else "")
        return f"returned {plural(len(keys), self.item)} ({shown})"


def flagged_keys(result) -> list[str]:
    """What a detector flagged, as sorted text keys: days as dates, row numbers in numeric order.

        >>> flagged_keys(pd.Series([False, True, True], index=[10, 2, 30]))
        ['2', '30']
        >>> flagged_keys([pd.Timestamp("2024-01-31 06:00"), "2024-01-02"])
        ['2024-01-02', '2024-01-31']
    """
    if isinstance(result, pd.Series) and pd.api.types.is_bool_dtype(result):
        result = result.index[result.fillna(False).to_numpy(dtype=bool)]
    if result is None or isinstance(result, (str, bytes)) or not hasattr(result, "__iter__"):
        raise TypeError(f"a detector returns a collection of flagged items (a list, an Index or a boolean "
                        f"Series), not {type(result).__name__}")
    keys = set()
    for item in list(result):
        if isinstance(item, (pd.Timestamp, np.datetime64)) or hasattr(item, "isoformat"):
            keys.add(pd.Timestamp(item).strftime("%Y-%m-%d"))
        elif isinstance(item, (np.integer, int)) and not isinstance(item, bool):
            keys.add(str(int(item)))
        else:
            keys.add(str(item)[:10] if isinstance(item, str) else str(item))
    # Numbers in numeric order, days in date order.
    return sorted(keys, key=lambda k: (len(k), k) if k.isdigit() else (0, k))


def _flagging(fn):
    """``fn`` as a detector that returns its flagged keys, given a copy of the data (so it cannot change the check's)."""
    def detector(data):
        return flagged_keys(fn(data.copy()))
    detector.__name__ = getattr(fn, "__name__", "detector")
    return detector
