"""Flashcards a person can answer in a minute, cut from the question bank.

A bank entry is a whole interview answer: too much for one self-rating. Each entry gives

- its **main** card (the question; on the back the model answer and everything around it),
- one **point** card per key point (one idea: "what do you say about consistent hashing?"),
- one **follow-up** card per follow-up question (the probe an interviewer tries next).

Every card is tagged with its entry's id, topic and difficulty, so the scheduler, the Anki
export and a filter all see the same deck. Card ids are stable: ``Q4.4``, ``Q4.4/point-2``,
``Q4.4/follow-up-1``; a rating given today still finds its card after the bank grows.

    >>> from drills import bank
    >>> deck = cards(bank.select(bank.load(), topic="sharding"))
    >>> [c.id for c in deck if c.entry == "A8"][:3]
    ['A8', 'A8/point-1', 'A8/point-2']
    >>> sorted({c.kind for c in deck})
    ['follow-up', 'main', 'point']
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from drills import bank
from drills.keypoints import KeyPoint, match

KINDS = ("main", "point", "follow-up")


@dataclass(frozen=True)
class Card:
    id: str
    entry: str
    kind: str  # one of KINDS
    topic: str
    difficulty: int
    front: str
    back: str
    key_points: tuple[KeyPoint, ...]  # what a typed answer is matched against
    notebook: str | None

    @property
    def tags(self) -> tuple[str, ...]:
        return (self.entry, self.topic, f"difficulty-{self.difficulty}", self.kind)


def _sentences(text: str) -> list[str]:
    # a full stop followed by a space and a capital ends a sentence; "1.6 KB" and "e.g." do not
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9(])", text) if s.strip()]


def said_as(answer: str, point: KeyPoint) -> str | None:
    """The sentence of a model answer that makes ``point``, if one does.

    >>> said_as("We log. Kafka keeps events for replay. Done.", KeyPoint("Replayable log", ("kafka",)))
    'Kafka keeps events for replay.'
    """
    return next((s for s in _sentences(answer) if match(s, [point]).covered), None)


def _cue(point: KeyPoint) -> str:
    """The words a point card shows as its prompt: the point's first phrase of two or more words."""
    return next((s for s in point.synonyms if len(s.split()) > 1), point.synonyms[0])


def main_card(e: bank.Entry) -> Card:
    return Card(e.id, e.id, "main", e.topic, e.difficulty, e.question, e.answer, e.key_points, e.notebook)


def point_cards(e: bank.Entry) -> list[Card]:
    out = []
    for i, kp in enumerate(e.key_points, 1):
        front = (f"{e.question}\n\nOne point a strong answer makes, about \u201c{_cue(kp)}\u201d: "
                 "what is it, and why does it matter here?")
        sentence = said_as(e.answer, kp)
        back = kp.point + (f"\n\nIn the model answer: {sentence}" if sentence else "")
        out.append(Card(f"{e.id}/point-{i}", e.id, "point", e.topic, e.difficulty, front, back, (kp,), e.notebook))
    return out


def follow_up_cards(e: bank.Entry) -> list[Card]:
    return [Card(f"{e.id}/follow-up-{i}", e.id, "follow-up", e.topic, e.difficulty,
                 f"{f.question}\n\n(A follow-up to: {e.question})", f.answer, f.key_points, e.notebook)
            for i, f in enumerate(e.follow_ups, 1)]


def entry_cards(e: bank.Entry) -> list[Card]:
    """The main card, then one per key point, then one per follow-up."""
    return [main_card(e), *point_cards(e), *follow_up_cards(e)]


def cards(entries: list[bank.Entry], kinds: tuple[str, ...] = KINDS) -> list[Card]:
    """Every card of ``entries`` in the order new cards are introduced: easier entries first,
    then the curriculum's order; within an entry, the main card before its parts."""
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise ValueError(f"Card kinds are {', '.join(KINDS)}; got {', '.join(sorted(unknown))}.")
    ordered = sorted(entries, key=lambda e: (e.difficulty, bank.order_key(e.id)))
    return [c for e in ordered for c in entry_cards(e) if c.kind in kinds]


def by_id(deck: list[Card]) -> dict[str, Card]:
    return {c.id: c for c in deck}
