"""Answer corpora: the answers learners really give, kept as data in ``tests/answers/nbNN.yaml``.

Each file holds, per exercise, right answers in other forms (``correct``) and plausible
wrong ones (``wrong``), each wrong one with why it is wrong and the words its feedback must
contain. ``tests/answers/README.md`` describes the format; ``test_answer_corpora.py`` runs
every entry through the real checkers.

    corpus = load("00-start-here")
    entry = corpus.entries[0]
    verdict = corpus.verdict(entry)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import yaml

from grader import spark_sql
from grader.notebook import evaluate, load_exercises
from grader.verdict import Status, Verdict

FOLDER = Path(__file__).with_name("answers")
ANSWER_FIELDS = ("code", "sql", "value")
ENTRY_FIELDS = {"form", "why", "says", "status", "review", "dialect", *ANSWER_FIELDS}
# at least this many right forms and wrong answers per exercise
BAR = {"table": (3, 4), "sql": (3, 4), "function": (3, 4)}
OTHER_BAR = (2, 2)


def bar(kind: str) -> tuple[int, int]:
    return BAR.get(kind, OTHER_BAR)


class _LazySpark:
    """The test run's Spark session, started only when an answer first touches it."""

    def __getattr__(self, name):
        from labs import engines

        return getattr(engines.spark(), name)


@dataclass
class Entry:
    notebook: str
    exercise: str
    right: bool
    form: str
    answer: dict  # exactly one of code / sql / value
    why: str = ""
    says: list = field(default_factory=list)
    status: str = ""
    review: str = ""
    dialect: str = ""

    @property
    def id(self) -> str:
        return f"{self.notebook}:{self.exercise}:{'right' if self.right else 'wrong'}:{self.form}"

    def expected_status(self) -> Status:
        if self.right:
            return Status.CORRECT
        return Status(self.status) if self.status else Status.INCORRECT


class Corpus:
    def __init__(self, notebook: str, data: dict, path: Path):
        self.notebook = notebook
        self.path = path
        self.setup = data.get("setup", "")
        self.exercises = load_exercises(notebook)
        self.entries = [self._entry(ex_id, right, raw)
                        for ex_id, sides in (data.get("exercises") or {}).items()
                        for right, key in ((True, "correct"), (False, "wrong"))
                        for raw in (sides or {}).get(key, []) or []]

    def _entry(self, exercise: str, right: bool, raw: dict) -> Entry:
        where = f"{self.path.name}: {exercise}"
        unknown = set(raw) - ENTRY_FIELDS
        if unknown:
            raise ValueError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        given = [k for k in ANSWER_FIELDS if k in raw]
        if len(given) != 1:
            raise ValueError(f"{where}, '{raw.get('form')}': give exactly one of {', '.join(ANSWER_FIELDS)}")
        return Entry(self.notebook, exercise, right, str(raw.get("form", "")), {given[0]: raw[given[0]]},
                     why=raw.get("why", ""), says=list(raw.get("says", []) or []), status=raw.get("status", ""),
                     review=str(raw.get("review", "")), dialect=raw.get("dialect", ""))

    @cached_property
    def namespace(self) -> dict:
        """What ``setup`` defines, built once per corpus; every ``code`` answer starts from a copy."""
        names = {"spark": _LazySpark(), "spark_sql": spark_sql}
        exec(compile(self.setup, f"{self.path.name}:setup", "exec"), names)
        return names

    def answer(self, entry: Entry):
        kind, text = next(iter(entry.answer.items()))
        if kind == "value":
            return text
        if kind == "sql":
            return spark_sql(text) if entry.dialect == "spark" else text
        names = dict(self.namespace)
        exec(compile(text, f"{self.path.name}:{entry.exercise}:{entry.form}", "exec"), names)
        if "answer" not in names:
            raise ValueError(f"{entry.id}: a code answer must assign `answer`")
        return names["answer"]

    def verdict(self, entry: Entry) -> Verdict:
        return evaluate(self.exercises[entry.exercise], self.answer(entry))


def notebooks() -> list[str]:
    return sorted(yaml.safe_load(p.read_text())["notebook"] for p in FOLDER.glob("nb*.yaml"))


_LOADED: dict[str, Corpus] = {}


def load(notebook: str) -> Corpus:
    if notebook not in _LOADED:
        path = FOLDER / f"nb{notebook[:2]}.yaml"
        data = yaml.safe_load(path.read_text())
        if data.get("notebook") != notebook:
            raise ValueError(f"{path.name} says notebook {data.get('notebook')!r}, expected {notebook!r}")
        _LOADED[notebook] = Corpus(notebook, data, path)
    return _LOADED[notebook]


class Broken(Entry):
    """A corpus file that cannot be read: one failing entry for it, the other corpora still run."""

    def __init__(self, notebook: str, error: Exception):
        super().__init__(notebook, "(file)", True, "the corpus file loads", {"value": None})
        self.error = error


def all_entries() -> list[Entry]:
    entries = []
    for path in sorted(FOLDER.glob("nb*.yaml")):
        try:
            entries += load(yaml.safe_load(path.read_text())["notebook"]).entries
        except Exception as exc:  # a typo in one file must not hide every other corpus
            entries.append(Broken(path.stem, exc))
    return entries
