"""The question bank: every interview question with a model answer and the key points it must hit.

The bank is a set of JSON files ``drills/data/questions-*.json``, each a list of entries.
``load()`` reads and checks them all; a malformed file is reported with the file, the entry
and the field, so it can be fixed in one go.

    >>> entries = load()
    >>> len(entries) >= 52, entries[0].id
    (True, 'Q1.1')
    >>> [e.id for e in select(entries, topic="sharding", difficulty=3)]
    ['Q4.3']
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path

from drills.keypoints import KeyPoint

BANK_DIR = Path(__file__).resolve().parent / "data"
ID = re.compile(r"^(Q\d+\.\d+|A\d+)$")
COVER_ID = re.compile(r"^(Q\d+\.\d+|A\d+|D\d+|E1|M1|R1|S1|N1)$")
DIFFICULTIES = (1, 2, 3)


class BankError(ValueError):
    """A bank file that cannot be used; the message names the file, entry and field."""


@dataclass(frozen=True)
class FollowUp:
    """A question the interviewer asks next, with its own short model answer and key points."""
    question: str
    answer: str
    key_points: tuple[KeyPoint, ...]

    def __str__(self) -> str:
        return self.question


@dataclass(frozen=True)
class Entry:
    id: str
    covers: tuple[str, ...]
    topic: str
    difficulty: int
    question: str
    answer: str
    key_points: tuple[KeyPoint, ...]
    trade_offs: tuple[str, ...]
    example: str
    mistakes: tuple[str, ...]
    follow_ups: tuple[FollowUp, ...]
    notebook: str | None
    source: str  # the bank file it came from


def _text(value) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _texts(value) -> bool:
    return isinstance(value, list) and len(value) > 0 and all(_text(v) for v in value)


def _problem(raw) -> str | None:
    """The first thing wrong with one raw entry, as 'field: what is wrong', or None."""
    if not isinstance(raw, dict):
        return f"the entry is a {type(raw).__name__}, not a JSON object"
    checks = [
        ("id", lambda v: isinstance(v, str) and ID.match(v), "an id like 'Q2.2' or 'A7'"),
        ("covers", lambda v: _texts(v) and all(COVER_ID.match(c) for c in v), "a non-empty list of item ids"),
        ("topic", lambda v: isinstance(v, str) and re.fullmatch(r"[a-z][a-z-]*", v), "a lower-case topic name"),
        ("difficulty", lambda v: v in DIFFICULTIES and not isinstance(v, bool), "1, 2 or 3"),
        ("question", _text, "non-empty text"),
        ("answer", _text, "non-empty text"),
        ("key_points", lambda v: isinstance(v, list) and len(v) > 0, "a non-empty list"),
        ("trade_offs", _texts, "a non-empty list of text"),
        ("example", _text, "non-empty text"),
        ("mistakes", _texts, "a non-empty list of text"),
        ("follow_ups", _texts, "a non-empty list of text"),
        ("notebook", lambda v: v is None or _text(v), "null or a notebook name"),
    ]
    for name, ok, expected in checks:
        if name not in raw:
            return f"field '{name}' is missing"
        if not ok(raw[name]):
            return f"field '{name}' should be {expected}; got {json.dumps(raw[name])[:60]}"
    if raw["id"] not in raw["covers"]:
        return f"field 'covers' should include the entry's own id {raw['id']}"
    for i, kp in enumerate(raw["key_points"]):
        if not isinstance(kp, dict) or not _text(kp.get("point")):
            return f"field 'key_points[{i}].point' should be non-empty text"
        if not _texts(kp.get("synonyms")):
            return f"field 'key_points[{i}].synonyms' should be a non-empty list of text"
    unknown = set(raw) - {name for name, _, _ in checks}
    if unknown:
        return f"unknown field(s) {', '.join(sorted(unknown))}"
    return None


def _json_list(path: Path, of: str) -> list:
    """The JSON list in ``path``, or BankError naming the file and, for bad JSON, the line."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise BankError(f"{path.name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if not isinstance(raw, list):
        raise BankError(f"{path.name}: expected a list of {of}, got a {type(raw).__name__}")
    return raw


def read_file(path: Path) -> list[Entry]:
    """The entries of one bank file, or BankError naming the file, entry and field."""
    raw = _json_list(path, "entries")
    entries = []
    for i, item in enumerate(raw):
        label = f"entry {i + 1}" + (f" ({item['id']})" if isinstance(item, dict) and isinstance(item.get("id"), str) else "")
        problem = _problem(item)
        if problem:
            raise BankError(f"{path.name}: {label}: {problem}")
        entries.append(Entry(
            id=item["id"], covers=tuple(item["covers"]), topic=item["topic"], difficulty=item["difficulty"],
            question=item["question"], answer=item["answer"],
            key_points=tuple(KeyPoint(kp["point"], tuple(kp["synonyms"])) for kp in item["key_points"]),
            trade_offs=tuple(item["trade_offs"]), example=item["example"], mistakes=tuple(item["mistakes"]),
            follow_ups=tuple(item["follow_ups"]), notebook=item["notebook"], source=path.name,
        ))
    return entries


def load(folder: Path | None = None) -> list[Entry]:
    """Every entry of every ``questions-*.json`` in ``folder`` (the kit's bank by default)."""
    folder = Path(folder) if folder else BANK_DIR
    files = sorted(folder.glob("questions-*.json"))
    if not files:
        raise BankError(f"no questions-*.json files in {folder.name}/")
    entries, seen = [], {}
    for path in files:
        for entry in read_file(path):
            if entry.id in seen:
                raise BankError(f"{path.name}: entry {entry.id} is already defined in {seen[entry.id]}")
            seen[entry.id] = path.name
            entries.append(entry)
    entries = _with_follow_up_answers(entries, folder)
    return sorted(entries, key=lambda e: order_key(e.id))


def _key_points(raw: list, where: str) -> tuple[KeyPoint, ...]:
    if not isinstance(raw, list) or not raw:
        raise BankError(f"{where}: field 'key_points' should be a non-empty list")
    for i, kp in enumerate(raw):
        if not isinstance(kp, dict) or not _text(kp.get("point")) or not _texts(kp.get("synonyms")):
            raise BankError(f"{where}: key_points[{i}] should have a 'point' and a non-empty list of 'synonyms'")
    return tuple(KeyPoint(kp["point"], tuple(kp["synonyms"])) for kp in raw)


def _with_follow_up_answers(entries: list[Entry], folder: Path) -> list[Entry]:
    """Give every follow-up question its answer from ``follow-ups-*.json``; a missing or stray one is an error."""
    answers: dict[tuple[str, str], FollowUp] = {}
    for path in sorted(folder.glob("follow-ups-*.json")):
        for i, item in enumerate(_json_list(path, "follow-ups")):
            where = f"{path.name}: follow-up {i + 1}"
            if not isinstance(item, dict) or not all(_text(item.get(k)) for k in ("entry", "question", "answer")):
                raise BankError(f"{where}: needs text fields 'entry', 'question' and 'answer'")
            key = (item["entry"], item["question"])
            if key in answers:
                raise BankError(f"{where}: {item['entry']} already has an answer to {item['question']!r}")
            answers[key] = FollowUp(item["question"], item["answer"], _key_points(item.get("key_points"), where))
    known = {(e.id, q) for e in entries for q in e.follow_ups}
    stray = sorted(set(answers) - known)
    if stray:
        entry, question = stray[0]
        raise BankError(f"a follow-up answer belongs to no follow-up of {entry}: {question!r} "
                        "(the question must be copied exactly from the entry)")
    missing = sorted(known - set(answers), key=lambda k: order_key(k[0]))
    if missing:
        entry, question = missing[0]
        raise BankError(f"{len(missing)} follow-up(s) have no answer in follow-ups-*.json, "
                        f"the first of {entry}: {question!r}")
    return [replace(e, follow_ups=tuple(answers[(e.id, q)] for q in e.follow_ups)) for e in entries]


def order_key(item_id: str) -> tuple:
    """Sort ids the way the curriculum lists them: Q1.1 < Q1.2 < Q10.1 < A1 < A10 < D1 ...

    >>> sorted(["A10", "Q10.1", "A2", "Q2.1", "D1"], key=order_key)
    ['Q2.1', 'Q10.1', 'A2', 'A10', 'D1']
    """
    letter = item_id[0]
    numbers = tuple(int(n) for n in re.findall(r"\d+", item_id))
    return ("QADEMRSN".find(letter) if letter in "QADEMRSN" else 99, numbers)


def topics(entries: list[Entry]) -> list[str]:
    return sorted({e.topic for e in entries})


def select(entries: list[Entry], topic: str | None = None, difficulty: int | None = None) -> list[Entry]:
    """The entries of one topic and/or difficulty; an unknown topic is an error listing the known ones."""
    if topic is not None and topic not in topics(entries):
        raise ValueError(f"Unknown topic '{topic}'. Known topics: {', '.join(topics(entries))}.")
    if difficulty is not None and difficulty not in DIFFICULTIES:
        raise ValueError(f"Difficulty is 1 (warm-up), 2 (core) or 3 (senior deep-dive); got {difficulty!r}.")
    return [e for e in entries
            if (topic is None or e.topic == topic) and (difficulty is None or e.difficulty == difficulty)]


def by_id(entries: list[Entry]) -> dict[str, Entry]:
    return {e.id: e for e in entries}


def table(entries: list[Entry]):
    """The bank as a DataFrame, one row per entry (for browsing, counting and filtering)."""
    import pandas as pd

    rows = [{"id": e.id, "topic": e.topic, "difficulty": e.difficulty, "key_points": len(e.key_points),
             "covers": ", ".join(c for c in e.covers if c != e.id), "question": e.question} for e in entries]
    return pd.DataFrame(rows, columns=["id", "topic", "difficulty", "key_points", "covers", "question"])
