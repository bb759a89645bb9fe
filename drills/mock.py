"""A timed mock interview: a few questions drawn from the bank, your answers, then a self-check.

    >>> interview = MockInterview(n=2, topic="sharding", seed=7)
    >>> [q.id for q in interview.questions]
    ['Q4.4', 'Q4.3']
    >>> first = interview.ask()
    >>> marked = interview.answer("Pick a high-cardinality shard key and use consistent hashing.", seconds=80)
    >>> len(marked.match.covered), len(marked.match.missed), marked.over_time
    (2, 5, False)

At the end each answer is compared with its entry's key points (``drills.keypoints``)
and shown next to the model answer. That comparison looks for words, not understanding:
read it as a list of things you may have left out, not as a mark. Each finished session is
added to a local history (``<state dir>/drill-history.json``) so ``plot_strength`` can draw
how your coverage per topic changes from session to session.
"""
from __future__ import annotations

import random
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from grader import store
from drills import bank
from drills.keypoints import Match, match

FILE = "drill-history.json"
DISCLAIMER = ("The key-point check only looks for words from a list; it cannot tell whether what you "
              "said is right. Treat it as a self-check aid that points at what you may have left "
              "out, then read the model answer. It is not a judgement of your answer.")


def draw(entries: list[bank.Entry], n: int = 5, topic: str | None = None, difficulty: int | None = None,
         seed: int = 0) -> list[bank.Entry]:
    """``n`` different questions of the topic and difficulty asked, the same ones for the same seed."""
    pool = bank.select(entries, topic, difficulty)
    if not pool:
        raise ValueError(f"No question has topic={topic!r} and difficulty={difficulty!r}; widen the filter.")
    if n < 1:
        raise ValueError("Ask for at least one question.")
    return random.Random(seed).sample(pool, min(n, len(pool)))


@dataclass
class Marked:
    """One answered question: what was said, what it covered, how long it took."""
    entry: bank.Entry
    answer: str
    match: Match
    seconds: float | None
    limit_seconds: float

    @property
    def over_time(self) -> bool:
        return self.seconds is not None and self.seconds > self.limit_seconds


def duration(seconds: float) -> str:
    """90 -> '1 min 30 s'.

    >>> duration(95.4), duration(42), duration(180)
    ('1 min 35 s', '42 s', '3 min')
    """
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes and secs:
        return f"{minutes} min {secs} s"
    return f"{minutes} min" if minutes else f"{secs} s"


class MockInterview:
    """Questions drawn once (by seed); ``ask()`` starts the clock, ``answer()`` stops it."""

    def __init__(self, entries: list[bank.Entry] | None = None, n: int = 5, topic: str | None = None,
                 difficulty: int | None = None, seed: int = 0, minutes: float = 3.0,
                 clock: Callable[[], float] = time.monotonic):
        self.questions = draw(entries if entries is not None else bank.load(), n, topic, difficulty, seed)
        self.seed = seed
        self.limit_seconds = minutes * 60
        self.clock = clock
        self.marked: list[Marked] = []
        self._asked_at: float | None = None

    @property
    def current(self) -> bank.Entry | None:
        return self.questions[len(self.marked)] if not self.done else None

    @property
    def done(self) -> bool:
        return len(self.marked) == len(self.questions)

    def ask(self) -> bank.Entry | None:
        """The next question, and its clock starts now."""
        self._asked_at = self.clock()
        return self.current

    def answer(self, text: str, seconds: float | None = None) -> Marked:
        """Record the answer to the current question; ``seconds`` overrides the measured time."""
        entry = self.current
        if entry is None:
            raise ValueError("Every question is already answered; call finish().")
        if seconds is None and self._asked_at is not None:
            seconds = self.clock() - self._asked_at
        marked = Marked(entry, text, match(text, entry.key_points), seconds, self.limit_seconds)
        self.marked.append(marked)
        self._asked_at = None
        return marked

    def finish(self, save: bool = True, when: float | None = None) -> list[Marked]:
        """End the session; with ``save`` its coverage per question joins the local history."""
        if save and self.marked:
            History().add(self.marked, when=time.time() if when is None else when, seed=self.seed)
        return self.marked

    def report(self) -> str:
        return report(self.marked)


def report(marked: list[Marked], width: int = 96) -> str:
    """Plain text: per answer, the key points covered and missed, then the model answer."""
    lines = [textwrap.fill(DISCLAIMER, width), ""]
    for i, m in enumerate(marked, 1):
        e = m.entry
        timing = ""
        if m.seconds is not None:
            timing = f" - {duration(m.seconds)} of {duration(m.limit_seconds)}" + (" (over time)" if m.over_time else "")
        lines.append(f"{i}. {e.id} [{e.topic}, difficulty {e.difficulty}]{timing}")
        lines.append(textwrap.fill(e.question, width, initial_indent="   ", subsequent_indent="   "))
        lines.append("   " + str(m.match).replace("\n", "\n   "))
        lines.append("   Model answer:")
        lines.append(textwrap.fill(e.answer, width, initial_indent="     ", subsequent_indent="     "))
        lines.append("")
    total = sum(len(m.match.covered) for m in marked)
    possible = sum(len(m.entry.key_points) for m in marked)
    lines.append(f"Key points mentioned: {total} of {possible} over {len(marked)} answer(s).")
    return "\n".join(lines)


# -- history and the strength picture -------------------------------------------------------
def _valid(data: dict) -> bool:
    sessions = data.get("sessions")
    return isinstance(sessions, list) and all(
        isinstance(s, dict) and isinstance(s.get("results"), list)
        and all(isinstance(r, dict) and {"id", "topic", "covered", "total"} <= set(r) for r in s["results"])
        for s in sessions)


class History:
    """Past mock-interview sessions, kept in a local JSON file."""

    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path else store.state_file(FILE)

    def sessions(self) -> list[dict]:
        return store.read(self.path, lambda: {"sessions": []}, "mock-interview history", _valid)["sessions"]

    def add(self, marked: list[Marked], when: float, seed: int | None = None) -> None:
        session = {"when": when, "seed": seed, "results": [
            {"id": m.entry.id, "topic": m.entry.topic, "covered": len(m.match.covered),
             "total": len(m.entry.key_points)} for m in marked]}
        with store.locked(self.path):
            sessions = self.sessions()
            sessions.append(session)
            store.write(self.path, {"version": 1, "sessions": sessions})


def strength(sessions: list[dict]):
    """Coverage of key points per topic (rows) and session (columns 1, 2, ...); blank if not asked.

    >>> s = [{"results": [{"id": "A8", "topic": "sharding", "covered": 3, "total": 6}]},
    ...      {"results": [{"id": "A8", "topic": "sharding", "covered": 6, "total": 6}]}]
    >>> strength(s).loc["sharding"].tolist()
    [0.5, 1.0]
    """
    import pandas as pd

    rows = [{"session": i, "topic": r["topic"], "covered": r["covered"], "total": r["total"]}
            for i, s in enumerate(sessions, 1) for r in s["results"]]
    if not rows:
        return pd.DataFrame()
    frame = pd.DataFrame(rows).groupby(["topic", "session"])[["covered", "total"]].sum()
    ratio = (frame["covered"] / frame["total"]).unstack("session")
    return ratio.reindex(columns=range(1, len(sessions) + 1))


def plot_strength(sessions: list[dict]):
    """A heat map: one row per topic, one column per session, colour = share of key points mentioned."""
    from matplotlib.figure import Figure

    table = strength(sessions)
    fig = Figure(figsize=(min(10, 4 + 0.6 * max(1, table.shape[1])), max(2.4, 1.2 + 0.38 * len(table))))
    ax = fig.add_subplot()
    if table.empty:
        ax.text(0.5, 0.5, "No mock interview finished yet.", ha="center", va="center")
        ax.set_axis_off()
        return fig
    image = ax.imshow(table.to_numpy(dtype=float), vmin=0, vmax=1, cmap="RdYlGn", aspect="auto")
    ax.set_yticks(range(len(table)), table.index)
    ax.set_xticks(range(table.shape[1]), [str(c) for c in table.columns])
    ax.set_xlabel("mock interview session")
    for (row, col), value in _cells(table):
        ax.text(col, row, f"{value:.0%}", ha="center", va="center", fontsize=8)
    fig.colorbar(image, ax=ax, label="key points mentioned")
    ax.set_title("Strength by topic over your sessions (blank: not asked)")
    fig.tight_layout()
    return fig


def _cells(table):
    values = table.to_numpy(dtype=float)
    for row in range(values.shape[0]):
        for col in range(values.shape[1]):
            if values[row, col] == values[row, col]:  # skip NaN: the topic was not asked that session
                yield (row, col), values[row, col]
