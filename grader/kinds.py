"""The exercise kinds: small declarative specs, one class per answer kind.

An exercise turns an answer into a verdict in two steps, so that batch grading can run
the second step in the grader's own process:

1. ``prepare(answer)`` runs where the answer lives (the learner's kernel) and returns a
   plain payload: a DataFrame, a string, JSON-safe values. It raises ``NotAttempted`` for
   the starter stub and ``LearnerError`` when the learner's code fails.
2. ``judge(payload)`` compares the payload with the expected answer and returns a Verdict.

``dump``/``load`` move a payload between the two as JSON or Parquet (never pickle).

    >>> ex = Number(id="answer", value=42, abs_tol=0.5, unit="rows")
    >>> print(ex.judge(ex.prepare(42.2)))
    ✓ answer: correct. 42.2 rows is within the accepted range.
"""
from __future__ import annotations

import json
import math
import numbers
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from grader.checkers import Problem
from grader.checkers import functions as fnc
from grader.checkers import spark_sql
from grader.checkers import sql as sqlc
from grader.checkers import tables
from grader.errors import KitUnavailable, LearnerError, NotAttempted
from grader.verdict import Status, Verdict

_UNSET = object()


@dataclass(kw_only=True)
class Exercise:
    id: str
    prompt: str = ""
    points: int = 1
    hints: tuple[str, ...] = ()
    solution: str = ""
    explanation: str = ""
    covers: tuple[str, ...] = ()

    kind = "exercise"
    prose_details = False  # True where a verdict's details are sentences, shown as prose rather than code

    def __post_init__(self):
        self._cache = _UNSET

    def expected(self):
        """The expected answer, built on first use and then cached (nothing heavy at import)."""
        if self._cache is _UNSET:
            self._cache = self.build_expected()
        return self._cache

    def build_expected(self):
        return None

    # -- the two steps ----------------------------------------------------------------
    def prepare(self, answer):
        raise NotImplementedError

    def judge(self, payload) -> Verdict:
        problem = self.find_problem(payload)
        if problem is None:
            return self.verdict(Status.CORRECT, self.praise(payload))
        return self.verdict(Status.INCORRECT, problem.message, problem.details)

    def find_problem(self, payload) -> Problem | None:
        raise NotImplementedError

    def praise(self, payload) -> str:
        return "Well done."

    def verdict(self, status: Status, message: str, details=None) -> Verdict:
        earned = self.points if status is Status.CORRECT else 0
        return Verdict(self.id, status, message, list(details or []), earned, self.points, prose=self.prose_details)

    # -- moving payloads between processes -----------------------------------------------
    def dump(self, payload, folder: Path) -> None:
        (folder / "payload.json").write_text(json.dumps(payload))

    def load(self, folder: Path):
        return json.loads((folder / "payload.json").read_text())


# -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Mistake:
    """A known wrong answer and the sentence to say when a learner gives it.

    For ``Sql`` exercises ``sql`` is the wrong query (run on the same fixtures); for ``Table``
    exercises ``table`` builds the wrong table. A result equal to it gets ``says`` as the verdict.
    """
    says: str
    sql: str = ""
    table: Callable[[], Any] | None = None


class _TableResult:
    """For kinds whose expected answer is a table (``Table``, ``Sql``); needs ``decimals`` and ``mistakes``."""

    def prepared_expected(self) -> tables.Prepared:
        """The expected table in comparable form, built once: a check then only prepares the answer."""
        if getattr(self, "_prepared", None) is None:
            self._prepared = tables.Prepared.of(self.expected(), self.decimals)
        return self._prepared

    def _mistake_tables(self) -> list:
        if getattr(self, "_mistake_cache", None) is None:
            self._mistake_cache = [tables.Prepared.of(tables.to_frame(self.mistake_table(m)), self.decimals)
                                   for m in self.mistakes]
        return self._mistake_cache

    def mistake_table(self, mistake: Mistake):
        return mistake.table()

    def diagnose(self, result, problem: Problem) -> Problem:
        """The problem found, led by a targeted sentence when the result is a known mistake."""
        for mistake, table in zip(self.mistakes, self._mistake_tables()):
            if tables.compare(result, table, order_matters=self.order_matters, decimals=self.decimals) is None:
                return Problem(mistake.says, [problem.message, *problem.details])
        return problem


@dataclass(kw_only=True)
class Table(_TableResult, Exercise):
    """A table answer (pandas, Spark or DuckDB), compared as a multiset of rows by default."""
    expected_fn: Callable[[], Any]
    order_matters: bool = False
    key: tuple[str, ...] | None = None
    decimals: int | dict = 6  # one number, or {column: decimals}
    mistakes: tuple[Mistake, ...] = ()
    max_rows: int = 1_000_000
    kind = "table"

    def build_expected(self):
        return tables.to_frame(self.expected_fn())

    def prepare(self, answer):
        try:
            frame = tables.to_frame(answer)
        except (NotAttempted, LearnerError):
            raise
        except Exception as exc:  # a lazy Spark/DuckDB plan failing when it is finally run
            raise LearnerError(f"Your table could not be computed: {type(exc).__name__}: {str(exc).splitlines()[0]}") from None
        if len(frame) > self.max_rows:
            raise LearnerError(f"Your table has {len(frame):,} rows, far more than expected; check your joins and filters.")
        index = frame.index
        if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
            return frame  # already numbered 0..n-1: no copy
        return frame.reset_index(drop=True)

    def find_problem(self, payload):
        problem = tables.compare(payload, self.prepared_expected(), order_matters=self.order_matters,
                                 key=list(self.key) if self.key else None, decimals=self.decimals)
        return self.diagnose(payload, problem) if problem else None

    def praise(self, payload):
        return f"All {len(payload):,} rows match."

    def dump(self, payload, folder):
        payload.to_parquet(folder / "payload.parquet", index=False)

    def load(self, folder):
        return pd.read_parquet(folder / "payload.parquet")


# -------------------------------------------------------------------------------------
@dataclass(kw_only=True)
class Sql(_TableResult, Exercise):
    """A SQL answer, run against fixture tables and compared by result.

    ``fixtures`` builds {table name: DataFrame}; ``reference`` is the reference query (DuckDB);
    ``rules`` are structural requirements (see ``grader.checkers.sql``); ``mistakes`` are known
    wrong queries with the sentence each deserves. A plain string is read in ``dialect``
    (DuckDB's unless said); an answer marked ``spark_sql(...)`` (or any answer when
    ``dialect="spark"``) runs on Spark itself against the same fixtures.
    """
    fixtures: Callable[[], dict]
    reference: str
    rules: tuple = ()
    dialect: str = "duckdb"
    order_matters: bool = False
    decimals: int | dict = 6  # one number, or {column: decimals}
    mistakes: tuple[Mistake, ...] = ()
    timeout_s: float = 10.0
    kind = "sql"

    def build_expected(self):
        return sqlc.run(self.reference, self._database())

    def _fixtures(self):
        if not hasattr(self, "_fixture_cache"):
            self._fixture_cache = self.fixtures()
        return self._fixture_cache

    def _database(self) -> sqlc.FixtureDatabase:
        """The fixtures loaded once; every check queries them on a cursor of its own."""
        if getattr(self, "_database_cache", None) is None:
            self._database_cache = sqlc.FixtureDatabase(self._fixtures())
        return self._database_cache

    def _spark_fixtures(self) -> spark_sql.SparkFixtures:
        """The same fixtures as Spark views, made only when a Spark SQL answer arrives."""
        if getattr(self, "_spark_cache", None) is None:
            self._spark_cache = spark_sql.SparkFixtures(self._fixtures())
        return self._spark_cache

    def mistake_table(self, mistake: Mistake):
        return sqlc.run(mistake.sql, self._database()) if mistake.sql else mistake.table()

    def prepare(self, answer):
        sqlc.parse(answer, spark_sql.dialect_of(answer, self.dialect))  # a syntax error shows at once
        return answer

    def judge(self, payload):
        dialect = spark_sql.dialect_of(payload, self.dialect)
        try:
            tree = sqlc.parse(payload, dialect)
            sqlc.require_query(tree)
            broken = [rule.message for rule in self.rules if not rule.test(tree)]
            if broken:
                return self.verdict(Status.INCORRECT, broken[0], broken[1:])
            if dialect == "spark":
                result = self._spark_fixtures().query(str(payload), self.timeout_s)
            else:
                result = sqlc.run(sqlc.to_duckdb(payload, dialect), self._database(), self.timeout_s)
        except NotAttempted:
            return self.verdict(Status.NOT_ATTEMPTED, "Write your query, then run this check again.")
        except LearnerError as exc:
            return self.verdict(Status.ERROR, exc.message, exc.details)
        except KitUnavailable as exc:
            return self.verdict(Status.UNCHECKED, exc.message)
        return self.judge_result(result)

    def judge_result(self, result) -> Verdict:
        """The verdict on the rows the query returned; a spec may look at them first (override)."""
        problem = self.result_problem(result)
        if problem:
            problem = self.diagnose(result, problem)
            return self.verdict(Status.INCORRECT, "Your query's result differs: " + problem.message, problem.details)
        return self.verdict(Status.CORRECT, f"Your query returns the right {len(result):,} rows.")

    def result_problem(self, result) -> Problem | None:
        """What is wrong with the query's rows against the reference's, with this exercise's options."""
        return tables.compare(result, self.prepared_expected(), order_matters=self.order_matters,
                              decimals=self.decimals)

    def dump(self, payload, folder):
        (folder / "payload.sql").write_text(str(payload))
        if spark_sql.dialect_of(payload) == "spark":
            (folder / "dialect.txt").write_text("spark")

    def load(self, folder):
        text = (folder / "payload.sql").read_text()
        return spark_sql.spark_sql(text) if (folder / "dialect.txt").exists() else text


# -------------------------------------------------------------------------------------
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
        observations = [o.to_dict() for o in fnc.run_cases(answer, self.all_cases(), self.timeout_s)]
        noun = "class" if isinstance(answer, type) else "function"
        if observations and observations[0]["not_implemented"]:
            raise NotAttempted()
        probes = {}
        for name, probe, _ in self.probes:
            result = fnc.run_cases(probe, [(answer,)], self.timeout_s)[0]
            if result.not_implemented and not self.cases:  # a probe-only exercise still on its stub
                raise NotAttempted()
            probes[name] = result.to_dict()
        return {"observations": observations, "probes": probes, "noun": noun}

    def judge(self, payload):
        cases = self.all_cases()
        n_fixed = len(self.cases)
        for i, (args, obs, want) in enumerate(zip(cases, payload["observations"], self.expected())):
            call = _call_text(self.call_name or self.id, args)
            if fnc.jsonable(list(args)) != obs["args"]:
                return self.verdict(Status.ERROR, "The recorded test inputs do not match the exercise's; run the check again.")
            if obs["error"]:
                hidden = i >= n_fixed
                where = "a generated test case" if hidden else call
                return self.verdict(Status.ERROR, f"Your function failed on {where}: {obs['error']}.", obs["trace"])
            if not fnc.same(obs["value"], want, self.rel_tol, self.abs_tol):
                if i < n_fixed:
                    return self.verdict(Status.INCORRECT, f"{call} returned {_short(obs['value'])}; expected {_short(want)}.")
                return self.verdict(Status.INCORRECT,
                                    f"Your function passes the fixed cases but {call} returned {_short(obs['value'])}; expected {_short(want)}.")
        if len(payload["observations"]) < len(cases):
            return self.verdict(Status.ERROR, "Your function did not finish all test cases.")
        for name, _, judge in self.probes:
            obs = payload["probes"].get(name)
            if obs is None:
                return self.verdict(Status.ERROR, f"The check '{name}' was not recorded; run the check again.")
            if obs["error"]:
                return self.verdict(Status.ERROR, f"Your code failed during the check '{name}': {obs['error']}.", obs["trace"])
            problem = judge(obs["value"])
            if problem:
                return self.verdict(Status.INCORRECT, problem)
        passed = [f"all {len(cases)} test cases" if len(cases) > 1 else "the test case"] if cases else []
        if self.probes:
            passed.append(tables._plural(len(self.probes), "behaviour check"))
        noun = payload.get("noun", "function")
        return self.verdict(Status.CORRECT, f"Your {noun} passes {' and '.join(passed)}.")


def _share(fraction: float) -> str:
    """A relative miss as a person says it: '39%', '99,900%', '0.4%', never '0%'.

        >>> _share(0.39), _share(999.0), _share(0.004), _share(0.00004)
        ('39%', '99,900%', '0.4%', 'under 0.1%')
    """
    if fraction >= 0.01:
        return f"{fraction:,.0%}"
    return f"{fraction:.1%}" if fraction >= 0.001 else "under 0.1%"


def _short(value, limit: int = 80) -> str:
    text = " ".join(repr(value).split())  # a Series or frame on one line
    return text if len(text) <= limit else text[:limit] + "…"


def _call_text(name: str, args) -> str:
    return f"{name}(" + ", ".join(_short(a, 60) for a in args) + ")"


# -------------------------------------------------------------------------------------
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
            raise LearnerError(f"Expected a number; got {type(answer).__name__} {_short(answer, 40)}.")
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


# -------------------------------------------------------------------------------------
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
            head += f" {len(missed)} more option{'s' if len(missed) > 1 else ''} should be chosen."
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
