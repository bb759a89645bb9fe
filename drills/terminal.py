"""``python -m drills`` (or ``python -m grader drill``): the drills in a terminal.

    python -m drills flashcards [--topic T] [--difficulty N] [--kinds main,point,follow-up] [--limit K] [--new N]
    python -m drills mock [--n 5] [--topic T] [--difficulty N] [--weak] [--follow-ups 1] [--seed S] [--minutes M]
    python -m drills design [PROMPT]
    python -m drills export-anki deck.apkg [--topic T] [--kinds ...]
    python -m drills topics

Answers are read from standard input and end with an empty line, so a file of answers can
be piped in (that is how the tests drive it)::

    printf 'Type 2 keeps history rows\\n\\ngood\\n' | python -m drills flashcards --topic data-modeling --limit 1
"""
from __future__ import annotations

import argparse
import os
import sys
import textwrap
from typing import TextIO

from grader import store
from drills import anki, bank, cards, design_drill, mock, spaced
from drills.console import Console, bullet, width, wrap
from drills.keypoints import match


def _kinds(text: str) -> tuple[str, ...]:
    kinds = tuple(k.strip() for k in text.split(",") if k.strip())
    unknown = [k for k in kinds if k not in cards.KINDS]
    if not kinds or unknown:
        raise argparse.ArgumentTypeError(f"card kinds are {', '.join(cards.KINDS)} (comma-separated); got {text!r}")
    return kinds


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m drills",
        description="Interview drills in the terminal. Answers end with an empty line; input may be piped.")
    sub = parser.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("flashcards", help="review cards scheduled by FSRS: reviews first, then new cards")
    p.add_argument("--topic", help="only this topic (see 'topics')")
    p.add_argument("--difficulty", type=int, choices=bank.DIFFICULTIES, help="1 warm-up, 2 core, 3 senior deep-dive")
    p.add_argument("--kinds", type=_kinds, default=cards.KINDS,
                   help="which cards: main (whole questions), point (one key point), follow-up (default: all)")
    p.add_argument("--limit", type=int, default=30, help="at most this many cards in one sitting (default 30)")
    p.add_argument("--new", type=int, default=spaced.NEW_PER_DAY,
                   help=f"at most this many new cards a day (default {spaced.NEW_PER_DAY})")
    p = sub.add_parser("mock", help="a timed mock interview with follow-ups and a coverage self-check")
    p.add_argument("--n", type=int, default=5, help="number of questions (default 5)")
    p.add_argument("--topic", help="only this topic (see 'topics')")
    p.add_argument("--difficulty", type=int, choices=bank.DIFFICULTIES)
    p.add_argument("--weak", action="store_true", help="lean the draw towards your weak and unseen topics")
    p.add_argument("--follow-ups", type=int, choices=(0, 1, 2), default=1, help="follow-ups after each question (default 1)")
    p.add_argument("--seed", type=int, default=None, help="the same seed draws the same questions (default: a fresh draw)")
    p.add_argument("--minutes", type=float, default=3.0, help="time budget per answer (default 3)")
    design_drill.add_parser(sub)
    p = sub.add_parser("export-anki", help="write the cards as an Anki package (.apkg)")
    p.add_argument("path", help="the file to write, such as deck.apkg")
    p.add_argument("--topic", help="only this topic (see 'topics')")
    p.add_argument("--kinds", type=_kinds, default=cards.KINDS, help="which cards (default: all)")
    sub.add_parser("topics", help="list the topics and how many questions each has")
    return parser


def topics(console: Console, entries: list[bank.Entry]) -> int:
    for topic in bank.topics(entries):
        count = len(bank.select(entries, topic))
        console.say(f"{topic:<26} {count:>3} question{'s' if count != 1 else ''}")
    return 0


def _items(console: Console, title: str, values) -> None:
    console.say(f"\n{title}:")
    for v in values:
        console.say(bullet(str(v)))


def _fitted(report: str) -> str:
    """A multi-line report with each long line wrapped, its continuation indented under its text."""
    out = []
    for row in report.splitlines():
        lead = len(row) - len(row.lstrip(" +-"))
        out.append(textwrap.fill(row, width(), subsequent_indent=" " * max(lead, 2) + "  ") if row.strip() else row)
    return "\n".join(out)


def show_back(console: Console, card: cards.Card, entry: bank.Entry) -> None:
    """The back of a card; for a main card the whole entry, as the notebook shows it."""
    if card.kind == "main":
        console.say("\nModel answer:\n" + wrap(entry.answer))
        _items(console, "Key points", [kp.point for kp in entry.key_points])
        _items(console, "Trade-offs", entry.trade_offs)
        console.say("\nExample:\n" + wrap(entry.example))
        _items(console, "Common mistakes", entry.mistakes)
        _items(console, "Follow-ups an interviewer asks next", [f.question for f in entry.follow_ups])
    elif card.kind == "follow-up":
        console.say("\nModel answer:\n" + wrap(card.back))
        _items(console, "Key points", [kp.point for kp in card.key_points])
    else:
        console.say("\n" + wrap(card.back))
    if card.notebook:
        console.say("\n" + wrap(f"Taught in notebooks/{card.notebook.replace('#', '.ipynb, section ', 1)}", indent=""))


def flashcards(console: Console, entries: list[bank.Entry], args) -> int:
    pool = bank.select(entries, args.topic, args.difficulty)
    deck_cards = cards.cards(pool, args.kinds)
    by_card, by_entry = cards.by_id(deck_cards), bank.by_id(pool)
    ids = [c.id for c in deck_cards]
    deck = spaced.Deck(new_per_day=args.new)
    counts = deck.summary(ids)
    console.say(wrap(f"Flashcards: {len(ids)} card(s); {counts['due now']} to study now "
                     f"({len(deck.due(ids))} due for review, then new ones, at most {args.new} new a day).", indent=""))
    console.say(wrap("Say or type your answer and end it with an empty line (an empty line alone just shows "
                     "the answer). Then rate yourself: again, hard, good or easy (a/h/g/e); q quits. "
                     "The check after a typed answer measures coverage of key points, not whether you are right.",
                     indent=""))
    reviewed = 0
    while reviewed < args.limit and not console.ended:
        card_id = deck.next_card(ids)
        if card_id is None:
            break
        card, entry = by_card[card_id], by_entry[by_card[card_id].entry]
        console.say(f"\n[{card.id} | {card.topic} | difficulty {card.difficulty} | {card.kind} | {deck.state_name(card.id)}]")
        console.say(wrap(card.front))
        typed = console.answer()
        if typed:
            console.say("\n" + _fitted(str(match(typed, card.key_points))))
        show_back(console, card, entry)
        rating = _rating(console)
        if rating is None:
            break
        deck.rate(card.id, rating)
        reviewed += 1
        console.say(f"-> back {'in ' + deck.wait_text(card.id)}" + (" (this sitting)" if rating == "again" else ""))
    _sitting_summary(console, deck, ids, reviewed)
    return 0


def _sitting_summary(console: Console, deck: spaced.Deck, ids: list[str], reviewed: int) -> None:
    counts = deck.summary(ids)
    console.say("\n" + wrap(f"Reviewed {reviewed} card(s). Deck: {counts['new']} new, {counts['learning']} "
                            f"learning, {counts['review']} in review.", indent=""))
    if deck.next_card(ids) is None:
        console.say(wrap("Nothing else is due now." + deck.later_text(ids), indent=""))


def _rating(console: Console) -> str | None:
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
            more = " (An answer ends at its first empty line; what you typed after it was read as a rating.)" \
                if len(text.split()) > 2 else ""
            console.say(str(exc) + more)
    return None


def _timed_answer(console: Console, interview: mock.MockInterview, limit: float) -> str:
    """Read an answer line by line; each line's prompt shows the clock, and over time it says so."""
    lines = []
    while not console.ended:
        console.stdout.write(f"[{mock.clock_text(interview.elapsed(), limit)}] > ")
        console.stdout.flush()
        text = console.line()
        if not text.strip():
            break
        lines.append(text)
    console.say()
    return "\n".join(lines)


def mock_interview(console: Console, entries: list[bank.Entry], args) -> int:
    interview = mock.MockInterview(entries, n=args.n, topic=args.topic, difficulty=args.difficulty,
                                   seed=args.seed, minutes=args.minutes, follow_ups=args.follow_ups, weak=args.weak)
    total = len(interview.questions)
    console.say(wrap(f"Mock interview: {total} question(s), about {mock.duration(interview.limit_seconds)} each, "
                     f"{args.follow_ups} follow-up(s) after each at half that. Answer as you would aloud; "
                     "end each answer with an empty line. The clock shows in each line's prompt.", indent=""))
    while not interview.done:
        turn = interview.ask()
        if turn.is_follow_up:
            console.say("\nFollow-up:")
        else:
            console.say(f"\nQuestion {interview.question_number} of {total} "
                        f"[{turn.entry.topic}, difficulty {turn.entry.difficulty}]")
        console.say(wrap(turn.question))
        text = _timed_answer(console, interview, interview.limit_for(turn))
        if console.ended and not text:
            console.say("\nInput ended; the report covers the questions answered so far.")
            break
        interview.answer(text)
    marked = interview.finish(save=True)
    console.say("\n" + mock.report(marked, width()))
    sessions = mock.History().sessions()
    table = mock.coverage(sessions)
    if not table.empty:
        console.say("\nCoverage of key points by topic, per session (words mentioned, not correctness):")
        console.say(table.map(lambda v: "" if v != v else f"{v:.0%}").to_string())
        picture = store.state_file("drill-coverage.png")
        mock.plot_coverage(sessions).savefig(picture, dpi=100)
        console.say(f"The same as a picture: {picture}")
    return 0


def export_anki(console: Console, entries: list[bank.Entry], args) -> int:
    count = anki.export(args.path, bank.select(entries, args.topic), args.kinds)
    console.say(f"Wrote {count} note(s) to {args.path}. In Anki: File > Import, then choose that file.")
    return 0


def main(argv: list[str] | None = None, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    args = _parser().parse_args(argv)
    console = Console(stdin or sys.stdin, stdout or sys.stdout)
    modes = {"flashcards": flashcards, "mock": mock_interview, "export-anki": export_anki}
    try:
        if args.mode == "design":
            return design_drill.run(console, args)
        entries = bank.load()
        if args.mode == "topics":
            return topics(console, entries)
        return modes[args.mode](console, entries, args)
    except (ValueError, bank.BankError) as exc:
        print(f"drill: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        console.say("\nStopped. Ratings given so far are saved.")
        return 130
    except BrokenPipeError:  # the reader went away (``| head``): nothing to report, ratings are saved
        sys.stdout = open(os.devnull, "w")
        return 0
