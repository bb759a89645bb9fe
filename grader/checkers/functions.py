"""Run a learner's function on test inputs, bounded in time, and record what happened.

Each call's outcome is an ``Observation``: the value returned (made JSON-safe) or the
error raised. The calls run in a forked child process so that an endless loop can be
stopped and a crash (``os._exit``, a segfault) is the learner's error, not the kernel's
death. Where fork is not available the calls run in-process, without a time limit.

    >>> obs = run_cases(lambda x: 2 * x, [(1,), (2,)])
    >>> [o.value for o in obs]
    [2, 4]
    >>> run_cases(lambda x: 1 / x, [(0,)])[0].error
    'ZeroDivisionError: division by zero'
"""
from __future__ import annotations

import math
import multiprocessing as mp
import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from grader.errors import learner_traceback

TIMEOUT_S = 5.0


@dataclass
class Observation:
    args: list
    value: Any = None
    error: str | None = None
    trace: list[str] = field(default_factory=list)
    not_implemented: bool = False

    def to_dict(self) -> dict:
        return {"args": self.args, "value": self.value, "error": self.error,
                "trace": self.trace, "not_implemented": self.not_implemented}

    @classmethod
    def from_dict(cls, d: dict) -> "Observation":
        return cls(**d)


def jsonable(value):
    """A JSON-safe form of ``value`` that keeps what matters for comparing answers.

    Tuples become lists, sets sorted lists, numpy scalars plain numbers, DataFrames
    lists of records; NaN stays a float.
    """
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value
    if hasattr(value, "item") and getattr(value, "shape", None) == ():  # numpy scalar
        return jsonable(value.item())
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted((jsonable(v) for v in value), key=repr)
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "to_dict") and hasattr(value, "columns"):  # DataFrame
        return jsonable(value.to_dict("records"))
    if hasattr(value, "tolist"):  # numpy array
        return jsonable(value.tolist())
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return repr(value)


def same(actual, expected, rel_tol: float = 1e-9, abs_tol: float = 1e-9) -> bool:
    """Equality of JSON-safe values, with a tolerance for floats."""
    if isinstance(expected, float) or isinstance(actual, float):
        if isinstance(actual, bool) or isinstance(expected, bool):
            return actual == expected
        if not isinstance(actual, (int, float)) or not isinstance(expected, (int, float)):
            return False
        if math.isnan(expected):
            return math.isnan(actual)
        return math.isclose(actual, expected, rel_tol=rel_tol, abs_tol=abs_tol)
    if isinstance(expected, list):
        return isinstance(actual, list) and len(actual) == len(expected) and all(
            same(a, e, rel_tol, abs_tol) for a, e in zip(actual, expected))
    if isinstance(expected, dict):
        return isinstance(actual, dict) and actual.keys() == expected.keys() and all(
            same(actual[k], expected[k], rel_tol, abs_tol) for k in expected)
    return type(actual) is type(expected) and actual == expected


def _call(fn: Callable, args: tuple) -> Observation:
    obs = Observation(args=jsonable(list(args)))
    try:
        obs.value = jsonable(fn(*args))
    except NotImplementedError:
        obs.not_implemented = True
        obs.error = "NotImplementedError"
    except Exception as exc:  # the learner's bug, reported as theirs
        obs.error = f"{type(exc).__name__}: {exc}"
        obs.trace = learner_traceback(exc)
    return obs


def _child(fn, cases, conn):
    for args in cases:
        conn.send(_call(fn, args).to_dict())
    conn.close()
    os._exit(0)  # skip the parent's atexit handlers (the kernel's, Spark's) in the child


def run_cases(fn: Callable, cases: list[tuple], timeout: float = TIMEOUT_S) -> list[Observation]:
    """Call ``fn(*args)`` for each case; stop at the first call that runs longer than ``timeout``.

    A call that times out or kills its process ends the run: the last observation says so,
    and the remaining cases are not tried.
    """
    if "fork" not in mp.get_all_start_methods():
        return [_call(fn, args) for args in cases]
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(fn, cases, child), daemon=True)
    proc.start()
    child.close()
    results: list[Observation] = []
    try:
        for args in cases:
            deadline = time.monotonic() + timeout
            while not parent.poll(0.05):
                if not proc.is_alive() and not parent.poll(0):
                    results.append(Observation(args=jsonable(list(args)),
                                               error=f"your code ended the process (exit code {proc.exitcode})"))
                    return results
                if time.monotonic() > deadline:
                    results.append(Observation(args=jsonable(list(args)),
                                               error=f"still running after {timeout:g} s (an endless loop?)"))
                    return results
            try:
                results.append(Observation.from_dict(parent.recv()))
            except EOFError:
                results.append(Observation(args=jsonable(list(args)), error="your code ended the process"))
                return results
        return results
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(timeout=5)
        parent.close()
