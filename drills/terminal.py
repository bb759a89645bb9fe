"""``python -m drills``: flashcards and mock interviews in a terminal.

    python -m drills flashcards [--topic T] [--difficulty N] [--limit K]
    python -m drills mock [--n 5] [--topic T] [--difficulty N] [--seed S] [--minutes M]
    python -m drills topics

Answers are read from standard input and end with an empty line, so a file of answers can
be piped in (that is how the tests drive it)::

    printf 'Type 2 keeps history rows\\n\\ngood\\n' | python -m drills flashcards --topic data-modeling --limit 1
"""
from __future__ import annotations

import argparse
import sys
import textwrap
from typing import TextIO

from grader import store
from drills import bank, mock, spaced
from drills.keypoints import match

WIDTH = 96


class _Console:
    """Reads answers and ratings line by line; remembers when the input has ended."""

    def __init__(self, stdin: TextIO, stdout: TextIO):
        self.stdin, self.stdout, self.ended = stdin, stdout, False

    def say(self, text: str = "") -> None:
        print(text, file=self.stdout, flush=True)

    def line(self) -> str:
        raw = self.stdin.readline()
        if raw == "":
            self.ended = True
        return raw.rstrip("\n")

    def answer(self) -> str:
        """Lines up to the first empty line (or the end of input), joined."""
        lines = []
        while not self.ended:
            text = self.line()
            if not text.strip():
                break
            lines.append(text)
        return "\n".join(lines)


def _wrap(text: str, indent: str = "  ") -> str:
    return textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=indent)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m drills",
        description="Interview drills in the terminal. Answers end with an empty line; input may be piped.")
    sub = parser.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("flashcards", help="review the question bank, scheduled by Leitner boxes")
    p.add_argument("--topic", help="only this topic (see 'topics')")
    p.add_argument("--difficulty", type=int, choices=bank.DIFFICULTIES, help="1 warm-up, 2 core, 3 senior deep-dive")
    p.add_argument("--limit", type=int, default=20, help="at most this many cards in one sitting (default 20)")
    p = sub.add_parser("mock", help="a timed mock interview with a self-check at the end")
    p.add_argument("--n", type=int, default=5, help="number of questions (default 5)")
    p.add_argument("--topic", help="only this topic (see 'topics')")
    p.add_argument("--difficulty", type=int, choices=bank.DIFFICULTIES)
    p.add_argument("--seed", type=int, default=0, help="the same seed draws the same questions (default 0)")
    p.add_argument("--minutes", type=float, default=3.0, help="time budget per answer (default 3)")
    sub.add_parser("topics", help="list the topics and how many questions each has")
    return parser


def topics(console: _Console, entries: list[bank.Entry]) -> int:
    for topic in bank.topics(entries):
        count = len(bank.select(entries, topic))
        console.say(f"{topic:<26} {count:>3} question{'s' if count != 1 else ''}")
    return 0


def flashcards(console: _Console, entries: list[bank.Entry], topic, difficulty, limit: int) -> int:
    pool = bank.select(entries, topic, difficulty)
    ids, by_id = [e.id for e in pool], bank.by_id(pool)
    deck = spaced.Deck()
    console.say(f"Flashcards: {len(ids)} card(s). Type your answer and end it with an empty line "
                "(an empty line alone just shows the model answer). Then rate yourself: "
                "again, hard, good or easy (a/h/g/e); q quits.")
    reviewed = 0
    while reviewed < limit and not console.ended:
        card = deck.next_card(ids)
        if card is None:
            console.say("\nNothing else is due now. Come back later: cards you know return after longer gaps.")
            break
        e = by_id[card]
        console.say(f"\n[{e.id} | {e.topic} | difficulty {e.difficulty} | box {deck.box(card)}]")
        console.say(_wrap(e.question))
        typed = console.answer()
        if typed:
            console.say("\n" + str(match(typed, e.key_points)))
        console.say("\nModel answer:\n" + _wrap(e.answer))
        console.say("Key points: " + "; ".join(kp.point for kp in e.key_points))
        rating = _rating(console)
        if rating is None:
            break
        deck.rate(card, rating)
        reviewed += 1
        console.say(f"-> box {deck.box(card)}")
    boxes = deck.summary(ids)
    console.say(f"\nReviewed {reviewed} card(s). Cards per box (0 = never seen): "
                + ", ".join(f"{b}: {n}" for b, n in boxes.items()))
    return 0


def _rating(console: _Console) -> str | None:
    while not console.ended:
        console.say("Rate (again/hard/good/easy, q to quit):")
        text = console.line().strip()
        if text.lower() in ("q", "quit"):
            return None
        if not text:
            continue
        try:
            return spaced.rating_name(text)
        except ValueError as exc:
            console.say(str(exc))
    return None


def mock_interview(console: _Console, entries: list[bank.Entry], args) -> int:
    interview = mock.MockInterview(entries, n=args.n, topic=args.topic, difficulty=args.difficulty,
                                   seed=args.seed, minutes=args.minutes)
    total = len(interview.questions)
    console.say(f"Mock interview: {total} question(s), about {mock.duration(interview.limit_seconds)} each. "
                "Answer as you would aloud; end each answer with an empty line.")
    while not interview.done:
        entry = interview.ask()
        console.say(f"\nQuestion {len(interview.marked) + 1} of {total} [{entry.topic}, difficulty {entry.difficulty}]")
        console.say(_wrap(entry.question))
        text = console.answer()
        if console.ended and not text:
            console.say("\nInput ended; the report covers the questions answered so far.")
            break
        interview.answer(text)
    marked = interview.finish(save=True)
    console.say("\n" + mock.report(marked, WIDTH))
    history = mock.History()
    table = mock.strength(history.sessions())
    if not table.empty:
        console.say("\nStrength by topic (share of key points mentioned, per session):")
        console.say(table.map(lambda v: "" if v != v else f"{v:.0%}").to_string())
        picture = store.state_file("drill-strength.png")
        mock.plot_strength(history.sessions()).savefig(picture, dpi=100)
        console.say(f"The same as a picture: {picture}")
    return 0


def main(argv: list[str] | None = None, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    args = _parser().parse_args(argv)
    console = _Console(stdin or sys.stdin, stdout or sys.stdout)
    try:
        entries = bank.load()
        if args.mode == "topics":
            return topics(console, entries)
        if args.mode == "flashcards":
            return flashcards(console, entries, args.topic, args.difficulty, args.limit)
        return mock_interview(console, entries, args)
    except (ValueError, bank.BankError) as exc:
        print(f"drill: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        console.say("\nStopped. Ratings given so far are saved.")
        return 130
