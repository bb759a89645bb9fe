"""Which flashcard next? Leitner boxes: a card you know moves up and comes back later.

Every card sits in a box from 1 to 5 (0 while it has never been seen). Rating a card moves it:

=======  ==============================  ===========================
rating   box                             comes back after
=======  ==============================  ===========================
again    back to box 1 (a demotion)      one minute (this session)
hard     stays where it is (at least 1)  the interval of its box
good     one box up (a promotion)        the interval of the new box
easy     two boxes up                    the interval of the new box
=======  ==============================  ===========================

Intervals grow with the box: 1, 2, 4, 8 and 16 days. The next card is chosen among the
cards that are due: never-seen cards first, in bank order, then the lowest box, then the
longest overdue. Nothing here reads the wall clock unless you let it: pass ``now`` (seconds)
and the order is fully determined.

    >>> deck = Deck(path=None)            # in memory only, for the example
    >>> deck.next_card(["Q1.1", "Q1.2"], now=0)
    'Q1.1'
    >>> deck.rate("Q1.1", "good", now=0)
    >>> deck.box("Q1.1"), deck.next_card(["Q1.1", "Q1.2"], now=0)
    (1, 'Q1.2')

With a path (by default ``<state dir>/drill-cards.json``) every rating is saved at once,
atomically, so the deck survives restarts.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from grader import store

DAY = 86_400.0
INTERVAL_DAYS = {1: 1, 2: 2, 3: 4, 4: 8, 5: 16}
TOP_BOX = max(INTERVAL_DAYS)
RELEARN_SECONDS = 60.0  # "again" brings the card back in the same sitting
RATINGS = ("again", "hard", "good", "easy")
ALIASES = {"a": "again", "1": "again", "demote": "again", "h": "hard", "2": "hard",
           "g": "good", "3": "good", "promote": "good", "e": "easy", "4": "easy"}
FILE = "drill-cards.json"

_UNSEEN = {"box": 0, "due": 0.0, "reviews": 0}


def rating_name(text: str) -> str:
    """'g', '3', 'promote' or 'Good' -> 'good'; anything else is a ValueError.

    >>> rating_name("Promote"), rating_name("a")
    ('good', 'again')
    """
    key = text.strip().lower()
    name = ALIASES.get(key, key)
    if name not in RATINGS:
        raise ValueError(f"Rate with one of {', '.join(RATINGS)} (or a/h/g/e, 1-4); got {text!r}.")
    return name


def _valid(data: dict) -> bool:
    cards = data.get("cards")
    return isinstance(cards, dict) and all(
        isinstance(c, dict) and isinstance(c.get("box"), int) and isinstance(c.get("due"), (int, float))
        and isinstance(c.get("reviews"), int)
        for c in cards.values())


class Deck:
    """Leitner state for a set of cards; ``path=None`` keeps it in memory only."""

    def __init__(self, path: Path | None | str = "default", clock: Callable[[], float] = time.time):
        self.path = store.state_file(FILE) if path == "default" else (Path(path) if path else None)
        self.clock = clock
        self.cards: dict[str, dict] = {}
        self._rated: set[str] = set()
        if self.path is not None:
            self.cards = store.read(self.path, lambda: {"cards": {}}, "flashcard", _valid)["cards"]

    def state(self, card: str) -> dict:
        return dict(self.cards.get(card, _UNSEEN))

    def box(self, card: str) -> int:
        return self.state(card)["box"]

    def due(self, cards: list[str], now: float | None = None) -> list[str]:
        """The cards that are due at ``now``, in the order they will be shown."""
        now = self.clock() if now is None else now
        order = {card: i for i, card in enumerate(cards)}
        ready = [c for c in cards if self.state(c)["due"] <= now]
        return sorted(ready, key=lambda c: (self.box(c), self.state(c)["due"], order[c]))

    def next_card(self, cards: list[str], now: float | None = None) -> str | None:
        """The card to show next, or None when nothing is due."""
        ready = self.due(cards, now)
        return ready[0] if ready else None

    def next_due_time(self, cards: list[str]) -> float | None:
        """When the soonest card becomes due (seconds), or None for an empty deck."""
        return min((self.state(c)["due"] for c in cards), default=None)

    def rate(self, card: str, rating: str, now: float | None = None) -> None:
        """Move ``card`` between boxes after a rating, schedule it, and save."""
        now = self.clock() if now is None else now
        rating = rating_name(rating)
        old = self.state(card)
        if rating == "again":
            box, wait = 1, RELEARN_SECONDS
        else:
            step = {"hard": 0, "good": 1, "easy": 2}[rating]
            box = min(TOP_BOX, max(1, old["box"] + step))
            wait = INTERVAL_DAYS[box] * DAY
        self.cards[card] = {"box": box, "due": now + wait, "reviews": old["reviews"] + 1}
        self._rated.add(card)
        self.save()

    def save(self) -> None:
        if self.path is None:
            return
        with store.locked(self.path):
            # another kernel may have rated other cards meanwhile: keep theirs, ours win for the cards we rated
            on_disk = store.read(self.path, lambda: {"cards": {}}, "flashcard", _valid)["cards"]
            on_disk.update({c: self.cards[c] for c in self._rated})
            self.cards = on_disk
            store.write(self.path, {"version": 1, "cards": self.cards})

    def summary(self, cards: list[str]) -> dict[int, int]:
        """How many of ``cards`` sit in each box, 0 (never seen) to 5."""
        counts = {b: 0 for b in range(TOP_BOX + 1)}
        for c in cards:
            counts[self.box(c)] += 1
        return counts
