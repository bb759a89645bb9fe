"""Which flashcard next? The Free Spaced Repetition Scheduler (FSRS, the one Anki ships) decides.

Each card you have seen carries FSRS's memory state: how stable your memory of it is and how
hard it is for you. A rating updates that state and schedules the next review for the day you
are likely to remember it with 90% probability. What this module adds is the sitting around it,
the way Anki runs one:

- **reviews first**: cards that are due come before any new card;
- **a daily cap on new cards** (20 by default), so a big deck does not bury tomorrow's reviews;
- **new cards in order**: the order you pass in (``drills.cards`` sorts easy entries first, then
  the curriculum's order);
- **"again" comes back in the same sitting**: a lapsed card is due a minute later, and when
  nothing else is due, a card due within the next 20 minutes is shown rather than ending the
  sitting (Anki's "learn ahead").

Nothing here reads the wall clock unless you let it: pass ``now`` (seconds since the epoch) and
the schedule is fully determined (no random fuzz on intervals, so tests and examples repeat).

    >>> deck = Deck(path=None)            # in memory only, for the example
    >>> deck.next_card(["Q1.1", "Q1.2"], now=0)
    'Q1.1'
    >>> deck.rate("Q1.1", "good", now=0)
    >>> deck.next_card(["Q1.1", "Q1.2"], now=0), deck.state_name("Q1.1"), deck.wait_text("Q1.1", now=0)
    ('Q1.2', 'review', '2 days')

With a path (by default ``<state dir>/drill-cards.json``) every rating is saved at once,
atomically, so the deck survives restarts; a file that cannot be read is set aside with a message.
"""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import fsrs

from grader import store

DAY = 86_400.0
RATINGS = ("again", "hard", "good", "easy")
ALIASES = {"a": "again", "1": "again", "demote": "again", "h": "hard", "2": "hard",
           "g": "good", "3": "good", "promote": "good", "e": "easy", "4": "easy"}
FILE = "drill-cards.json"
NEW_PER_DAY = 20
LEARN_AHEAD = 20 * 60.0  # seconds: when nothing is due, a card due this soon is shown instead of stopping
DAY_STARTS_AT_HOUR = 4   # a sitting after midnight still counts as the evening's, as in Anki
VERSION = 2

# One short step: "again" shows the card a minute later; "good" on a new card graduates it at once,
# because these cards are whole ideas, not vocabulary to drill three times in a row.
SCHEDULER = fsrs.Scheduler(learning_steps=(timedelta(minutes=1),), relearning_steps=(timedelta(minutes=1),),
                           maximum_interval=365, enable_fuzzing=False)
_RATING = {"again": fsrs.Rating.Again, "hard": fsrs.Rating.Hard, "good": fsrs.Rating.Good, "easy": fsrs.Rating.Easy}
_STATE = {fsrs.State.Learning: "learning", fsrs.State.Review: "review", fsrs.State.Relearning: "relearning"}


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


def _moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


def _seconds(moment: datetime) -> float:
    return moment.timestamp()


def study_day(seconds: float) -> str:
    """The local date a moment counts towards (a day starts at 4 a.m.), as 'YYYY-MM-DD'."""
    return time.strftime("%Y-%m-%d", time.localtime(seconds - DAY_STARTS_AT_HOUR * 3600))


def wait_text(seconds: float) -> str:
    """A wait in words, rounded the way a person says it.

    >>> wait_text(50), wait_text(600), wait_text(3 * 3600), wait_text(2.4 * 86400), wait_text(40 * 86400)
    ('1 minute', '10 minutes', '3 hours', '2 days', '1 month')
    """
    unit, size = next(((u, s) for u, s in (("month", 30 * DAY), ("day", DAY), ("hour", 3600.0))
                       if seconds >= s * 0.95), ("minute", 60.0))
    n = max(1, round(seconds / size))
    return f"{n} {unit}{'s' if n != 1 else ''}"


# -- the state file -------------------------------------------------------------------------
def _valid(data: dict) -> bool:
    cards = data.get("cards")
    if data.get("version") == 1:  # the Leitner boxes of earlier kits: kept, converted on read
        return isinstance(cards, dict) and all(isinstance(c, dict) and isinstance(c.get("box"), int)
                                               and isinstance(c.get("due"), (int, float)) for c in cards.values())
    return isinstance(cards, dict) and all(
        isinstance(c, dict) and isinstance(c.get("fsrs"), dict) and isinstance(c.get("reviews"), int)
        and isinstance(c.get("introduced"), str) for c in cards.values())


def _from_leitner(old: dict) -> dict:
    """A card from the old Leitner file, as FSRS state: its box interval becomes its stability."""
    days = {1: 1, 2: 2, 3: 4, 4: 8, 5: 16}.get(old["box"], 1)
    due = _moment(old["due"])
    card = fsrs.Card(card_id=0, state=fsrs.State.Review, stability=float(days), difficulty=5.0,
                     due=due, last_review=due - timedelta(days=days))
    return {"fsrs": card.to_dict(), "reviews": old.get("reviews", 1), "introduced": study_day(old["due"] - days * DAY)}


def _read(path: Path) -> dict:
    data = store.read(path, lambda: {"version": VERSION, "cards": {}}, "flashcard", _valid)
    if data.get("version") == 1:
        return {c: _from_leitner(v) for c, v in data["cards"].items() if v["box"] > 0}
    return data["cards"]


class Deck:
    """FSRS state for a set of cards; ``path=None`` keeps it in memory only."""

    def __init__(self, path: Path | None | str = "default", clock: Callable[[], float] = time.time,
                 new_per_day: int = NEW_PER_DAY):
        if isinstance(new_per_day, bool) or not isinstance(new_per_day, int) or new_per_day < 0:
            raise ValueError(f"new_per_day is a whole number of cards, 0 or more; got {new_per_day!r}.")
        self.path = store.state_file(FILE) if path == "default" else (Path(path) if path else None)
        self.clock = clock
        self.new_per_day = new_per_day
        self.cards: dict[str, dict] = _read(self.path) if self.path is not None else {}
        self._rated: set[str] = set()

    # -- reading the state --
    def _now(self, now: float | None) -> float:
        return self.clock() if now is None else now

    def is_new(self, card: str) -> bool:
        return card not in self.cards

    def fsrs_card(self, card: str) -> fsrs.Card | None:
        record = self.cards.get(card)
        return fsrs.Card.from_dict(record["fsrs"]) if record else None

    def due_at(self, card: str) -> float | None:
        """When ``card`` is due (seconds), or None for a card never seen."""
        seen = self.fsrs_card(card)
        return _seconds(seen.due) if seen else None

    def state_name(self, card: str) -> str:
        """'new', 'learning', 'review' or 'relearning' (FSRS's states, plus never seen)."""
        seen = self.fsrs_card(card)
        return "new" if seen is None else _STATE[seen.state]

    def wait_text(self, card: str, now: float | None = None) -> str:
        """How long until ``card`` is due, in words ('now' when it is due)."""
        due = self.due_at(card)
        left = 0.0 if due is None else due - self._now(now)
        return "now" if left <= 0 else wait_text(left)

    def new_today(self, now: float | None = None) -> int:
        today = study_day(self._now(now))
        return sum(1 for r in self.cards.values() if r["introduced"] == today)

    # -- choosing the next card --
    def due(self, cards: list[str], now: float | None = None) -> list[str]:
        """Cards seen before that are due at ``now``: learning steps first, then reviews, most overdue first."""
        now = self._now(now)
        seen = [c for c in dict.fromkeys(cards) if not self.is_new(c) and self.due_at(c) <= now]
        return sorted(seen, key=lambda c: (self.state_name(c) == "review", self.due_at(c)))

    def new(self, cards: list[str], now: float | None = None) -> list[str]:
        """The new cards today's cap still allows, in the order given."""
        room = max(0, self.new_per_day - self.new_today(now))
        return [c for c in dict.fromkeys(cards) if self.is_new(c)][:room]

    def queue(self, cards: list[str], now: float | None = None) -> list[str]:
        """Everything to show now, in order: due cards, then new cards up to the daily cap."""
        return self.due(cards, now) + self.new(cards, now)

    def learning_soon(self, cards: list[str], now: float | None = None) -> list[str]:
        """Cards in a learning step that fall due within the learn-ahead window, soonest first."""
        now = self._now(now)
        soon = [c for c in dict.fromkeys(cards) if self.state_name(c) in ("learning", "relearning")
                and now < self.due_at(c) <= now + LEARN_AHEAD]
        return sorted(soon, key=self.due_at)

    def next_card(self, cards: list[str], now: float | None = None) -> str | None:
        """The card to show next; a card rated "again" a moment ago when nothing else is left;
        None when the sitting is over."""
        ready = self.queue(cards, now) or self.learning_soon(cards, now)
        return ready[0] if ready else None

    def next_due_time(self, cards: list[str]) -> float | None:
        """When the soonest card already seen becomes due (seconds), or None if none was seen."""
        return min((self.due_at(c) for c in cards if not self.is_new(c)), default=None)

    # -- rating --
    def rate(self, card: str, rating: str, now: float | None = None) -> None:
        """Update ``card``'s memory state after a rating, schedule it, and save."""
        now = self._now(now)
        rating = rating_name(rating)
        record = self.cards.get(card)
        current = self.fsrs_card(card) or fsrs.Card(card_id=0, due=_moment(now))
        updated, _ = SCHEDULER.review_card(current, _RATING[rating], review_datetime=_moment(now))
        self.cards[card] = {"fsrs": updated.to_dict(), "reviews": (record["reviews"] if record else 0) + 1,
                            "introduced": record["introduced"] if record else study_day(now)}
        self._rated.add(card)
        self.save()

    def save(self) -> None:
        if self.path is None:
            return
        with store.locked(self.path):
            # another kernel may have rated other cards meanwhile: keep theirs, ours win for the cards we rated
            on_disk = _read(self.path)
            on_disk.update({c: self.cards[c] for c in self._rated})
            self.cards = on_disk
            store.write(self.path, {"version": VERSION, "cards": self.cards})

    def later_text(self, cards: list[str], now: float | None = None) -> str:
        """What to say when a sitting is over: when the next review is due, and how many new cards wait."""
        soon = self.next_due_time(cards)
        later = "" if soon is None else f" The next review is due in {wait_text(max(60.0, soon - self._now(now)))}."
        waiting = sum(1 for c in dict.fromkeys(cards) if self.is_new(c))
        capped = (f" {waiting} new card(s) wait for the coming days (at most {self.new_per_day} new a day)."
                  if waiting else "")
        return later + capped

    def summary(self, cards: list[str], now: float | None = None) -> dict[str, int]:
        """How many of ``cards`` are new, learning, in review, and due now (new cards within today's cap)."""
        counts = {"new": 0, "learning": 0, "review": 0}
        for c in dict.fromkeys(cards):
            state = self.state_name(c)
            counts["learning" if state == "relearning" else state] += 1
        counts["due now"] = len(self.queue(cards, now))
        return counts
