"""A timed mock interview: questions drawn from the bank, a follow-up or two after each, then a self-check.

    >>> interview = MockInterview(n=2, topic="sharding", seed=7, follow_ups=1)
    >>> [q.id for q in interview.questions]
    ['Q4.4', 'Q4.3']
    >>> turn = interview.ask()
    >>> marked = interview.answer("Pick a high-cardinality shard key and use consistent hashing.", seconds=80)
    >>> interview.ask().is_follow_up     # the interviewer probes before moving on
    True

Questions are drawn at random (a fresh draw every time unless you pass a ``seed``), or with
``weak=True`` weighted towards the topics where your past answers covered least and the
questions you have never been asked. At the end each answer is compared with the key points
of its question or follow-up (``drills.keypoints``) and shown next to the model answer.

What that comparison measures is **coverage of key points**: whether the words of each point
appear in what you said. It cannot tell whether what you said is right; read it as a list of
things you may have left out, not as a mark. Each finished session is added to a local history
(``<state dir>/drill-history.json``) so ``plot_coverage`` can draw your coverage per topic
from session to session.
"""
from __future__ import annotations

import math
import random
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from grader import store
from drills import bank
from drills.keypoints import KeyPoint, Match, match

FILE = "drill-history.json"
DISCLAIMER = ("The check measures coverage of key points: it looks for the words of each point in what "
              "you said, and cannot tell whether what you said is right. Treat it as a pointer to what "
              "you may have left out, then read the model answer. It is not a judgement of your answer.")
FOLLOW_UP_SHARE = 0.5  # a follow-up gets half the time of a main question: it is one probe, not a topic


def _weighted_sample(pool: list, weights: list[float], n: int, rng: random.Random) -> list:
    """``n`` different items, each drawn with probability in proportion to its weight (Efraimidis-Spirakis)."""
    keys = [rng.random() ** (1.0 / w) for w in weights]
    order = sorted(range(len(pool)), key=lambda i: keys[i], reverse=True)
    return [pool[i] for i in order[:n]]


def weights(pool: list[bank.Entry], sessions: list[dict]) -> list[float]:
    """How strongly each question is drawn when aiming at weak spots: low topic coverage and
    questions never asked weigh more (a topic never asked counts as 0% covered).

    >>> es = [e for e in bank.load() if e.id in ("A8", "Q2.2")]
    >>> weights(es, [{"results": [{"id": "A8", "topic": "sharding", "covered": 6, "total": 6}]}])
    [4.0, 1.0]
    """
    covered: dict[str, list[int]] = {}
    asked = set()
    for s in sessions:
        for r in s["results"]:
            got = covered.setdefault(r["topic"], [0, 0])
            got[0] += r["covered"]
            got[1] += r["total"]
            asked.add(r["id"])
    out = []
    for e in pool:
        share = covered[e.topic][0] / covered[e.topic][1] if covered.get(e.topic, [0, 0])[1] else 0.0
        out.append(1.0 + 2.0 * (1.0 - share) + (1.0 if e.id not in asked else 0.0))
    return out


def draw(entries: list[bank.Entry], n: int = 5, topic: str | None = None, difficulty: int | None = None,
         seed: int | None = None, weak: bool = False, sessions: list[dict] | None = None) -> list[bank.Entry]:
    """``n`` different questions of the topic and difficulty asked; the same ones for the same seed.

    With ``weak``, the draw leans towards weak and unseen topics of ``sessions`` (your history by default).
    """
    pool = bank.select(entries, topic, difficulty)
    if not pool:
        raise ValueError(f"No question has topic={topic!r} and difficulty={difficulty!r}; widen the filter.")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"Ask for at least one question (a whole number); got {n!r}.")
    rng = random.Random(seed)
    if not weak:
        return rng.sample(pool, min(n, len(pool)))
    history = History().sessions() if sessions is None else sessions
    return _weighted_sample(pool, weights(pool, history), min(n, len(pool)), rng)


@dataclass(frozen=True)
class Turn:
    """One thing the interviewer asks: a bank question, or a follow-up to it."""
    entry: bank.Entry
    follow_up: bank.FollowUp | None = None

    @property
    def is_follow_up(self) -> bool:
        return self.follow_up is not None

    @property
    def question(self) -> str:
        return self.follow_up.question if self.follow_up else self.entry.question

    @property
    def model_answer(self) -> str:
        return self.follow_up.answer if self.follow_up else self.entry.answer

    @property
    def key_points(self) -> tuple[KeyPoint, ...]:
        return self.follow_up.key_points if self.follow_up else self.entry.key_points

    @property
    def label(self) -> str:
        return f"{self.entry.id} follow-up" if self.follow_up else self.entry.id


@dataclass
class Marked:
    """One answered turn: what was said, which key points it covered, how long it took."""
    turn: Turn
    answer: str
    match: Match
    seconds: float | None
    limit_seconds: float

    @property
    def entry(self) -> bank.Entry:
        return self.turn.entry

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


def clock_text(elapsed: float, limit: float) -> str:
    """What a live timer shows: time used of the budget, and a nudge once it is over.

    >>> clock_text(75, 180), clock_text(200, 180)
    ('1:15 of 3:00', '3:20 of 3:00 - over time: wrap up in one sentence')
    """
    def mmss(s: float) -> str:
        m, s = divmod(int(s), 60)
        return f"{m}:{s:02d}"
    text = f"{mmss(elapsed)} of {mmss(limit)}"
    return text + (" - over time: wrap up in one sentence" if elapsed > limit else "")


class MockInterview:
    """Questions drawn once; ``ask()`` starts the clock on the next turn, ``answer()`` stops it.

    After each main question the interviewer asks ``follow_ups`` (0, 1 or 2) of its follow-ups,
    chosen at random, each with half the time budget.
    """

    def __init__(self, entries: list[bank.Entry] | None = None, n: int = 5, topic: str | None = None,
                 difficulty: int | None = None, seed: int | None = None, minutes: float = 3.0,
                 follow_ups: int = 1, weak: bool = False, clock: Callable[[], float] = time.monotonic):
        if follow_ups not in (0, 1, 2) or isinstance(follow_ups, bool):
            raise ValueError(f"follow_ups is 0, 1 or 2 per question; got {follow_ups!r}.")
        if isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or not 0 < minutes <= 60:
            raise ValueError(f"minutes per answer is a number above 0 and at most 60; got {minutes!r}.")
        self.seed = seed
        self.questions = draw(entries if entries is not None else bank.load(), n, topic, difficulty, seed, weak)
        rng = random.Random(None if seed is None else seed + 1)
        self.turns = [turn for e in self.questions
                      for turn in [Turn(e)] + [Turn(e, f) for f in rng.sample(list(e.follow_ups), min(follow_ups, len(e.follow_ups)))]]
        self.limit_seconds = minutes * 60
        self.clock = clock
        self.marked: list[Marked] = []
        self._asked_at: float | None = None

    @property
    def current(self) -> Turn | None:
        return self.turns[len(self.marked)] if not self.done else None

    @property
    def done(self) -> bool:
        return len(self.marked) == len(self.turns)

    @property
    def question_number(self) -> int:
        """Which main question the current turn belongs to (1-based)."""
        return sum(1 for t in self.turns[:len(self.marked) + 1] if not t.is_follow_up)

    def limit_for(self, turn: Turn) -> float:
        return self.limit_seconds * (FOLLOW_UP_SHARE if turn.is_follow_up else 1.0)

    def ask(self) -> Turn | None:
        """The next turn, and its clock starts now."""
        self._asked_at = self.clock()
        return self.current

    def elapsed(self) -> float:
        """Seconds since the current turn was asked (0 before ``ask``)."""
        return 0.0 if self._asked_at is None else self.clock() - self._asked_at

    def answer(self, text: str, seconds: float | None = None) -> Marked:
        """Record the answer to the current turn; ``seconds`` overrides the measured time."""
        turn = self.current
        if turn is None:
            raise ValueError("Every question is already answered; call finish().")
        if seconds is None and self._asked_at is not None:
            seconds = self.clock() - self._asked_at
        marked = Marked(turn, text, match(text, turn.key_points), seconds, self.limit_for(turn))
        self.marked.append(marked)
        self._asked_at = None
        return marked

    def finish(self, save: bool = True, when: float | None = None) -> list[Marked]:
        """End the session; with ``save`` its coverage per answer joins the local history."""
        if save and self.marked:
            History().add(self.marked, when=time.time() if when is None else when, seed=self.seed)
        return self.marked

    def report(self) -> str:
        return report(self.marked)


def report(marked: list[Marked], width: int = 96) -> str:
    """Plain text: per answer, the key points covered and missed, then the model answer."""
    lines = [textwrap.fill(DISCLAIMER, width), ""]
    number = 0
    for m in marked:
        t = m.turn
        timing = ""
        if m.seconds is not None:
            timing = f" - {duration(m.seconds)} of {duration(m.limit_seconds)}" + (" (over time)" if m.over_time else "")
        if t.is_follow_up:
            lines.append(f"   Follow-up{timing}")
            indent = "      "
        else:
            number += 1
            lines.append(f"{number}. {t.entry.id} [{t.entry.topic}, difficulty {t.entry.difficulty}]{timing}")
            indent = "   "
        lines.append(textwrap.fill(t.question, width, initial_indent=indent, subsequent_indent=indent))
        lines.append(indent + str(m.match).replace("\n", "\n" + indent))
        lines.append(indent + "Model answer:")
        lines.append(textwrap.fill(t.model_answer, width, initial_indent=indent + "  ", subsequent_indent=indent + "  "))
        lines.append("")
    total = sum(len(m.match.covered) for m in marked)
    possible = sum(len(m.turn.key_points) for m in marked)
    lines.append(f"Coverage of key points: {total} of {possible} over {len(marked)} answer(s).")
    return "\n".join(lines)


# -- history and the coverage picture -------------------------------------------------------
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
            {"id": m.entry.id, "topic": m.entry.topic, "follow_up": m.turn.is_follow_up,
             "covered": len(m.match.covered), "total": len(m.turn.key_points)} for m in marked]}
        with store.locked(self.path):
            sessions = self.sessions()
            sessions.append(session)
            store.write(self.path, {"version": 1, "sessions": sessions})


def coverage(sessions: list[dict]):
    """Coverage of key points per topic (rows) and session (columns 1, 2, ...); blank if not asked.

    >>> s = [{"results": [{"id": "A8", "topic": "sharding", "covered": 3, "total": 6}]},
    ...      {"results": [{"id": "A8", "topic": "sharding", "covered": 6, "total": 6}]}]
    >>> coverage(s).loc["sharding"].tolist()
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


def plot_coverage(sessions: list[dict]):
    """A heat map: one row per topic, one column per session, colour = share of key points mentioned."""
    from matplotlib.figure import Figure

    table = coverage(sessions)
    fig = Figure(figsize=(min(10, 5 + 0.6 * max(1, table.shape[1])), max(2.4, 1.2 + 0.38 * len(table))))
    ax = fig.add_subplot()
    if table.empty:
        ax.text(0.5, 0.5, "No mock interview finished yet.", ha="center", va="center")
        ax.set_axis_off()
        return fig
    image = ax.imshow(table.to_numpy(dtype=float), vmin=0, vmax=1, cmap="RdYlGn", aspect="auto")
    ax.set_yticks(range(len(table)), table.index)
    ax.set_xticks(range(table.shape[1]), [str(c) for c in table.columns])
    ax.set_xlabel("mock interview session (blank: topic not asked)")
    for (row, col), value in _cells(table):
        ax.text(col, row, f"{value:.0%}", ha="center", va="center", fontsize=8)
    fig.colorbar(image, ax=ax, label="key points mentioned")
    ax.set_title("Coverage of key points by topic")
    fig.tight_layout()
    return fig


def _cells(table):
    values = table.to_numpy(dtype=float)
    for row in range(values.shape[0]):
        for col in range(values.shape[1]):
            if not math.isnan(values[row, col]):  # NaN: the topic was not asked that session
                yield (row, col), values[row, col]
