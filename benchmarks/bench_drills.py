"""How long the drills make a learner wait: loading the bank, choosing the next card, rating, matching, exporting.

    python benchmarks/bench_drills.py [--repeat 15]

Prints the median (and 90th percentile) of each step on the whole bank (52 entries, about 560
cards), with a deck that has seen half of its cards. What a learner feels is "next card after a
rating" (choose + rate + save) and "check my typed answer" (match). Figures, not assertions.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from drills import anki, bank, cards, spaced
from drills.keypoints import match
from labs.timing import samples


def _line(name: str, times: list[float]) -> None:
    ordered = sorted(times)
    p90 = ordered[max(0, int(round(0.9 * len(ordered))) - 1)]
    print(f"{name:<44} median {statistics.median(times) * 1000:8.2f} ms   p90 {p90 * 1000:8.2f} ms")


def main(repeat: int) -> None:
    load_times, entries = samples(bank.load, repeat=repeat, warmup=1)
    deck_cards = cards.cards(entries)
    ids = [c.id for c in deck_cards]
    print(f"bank: {len(entries)} entries, {len(deck_cards)} cards")
    _line("load and check the bank", load_times)

    with tempfile.TemporaryDirectory() as folder:
        deck = spaced.Deck(path=Path(folder) / "cards.json", new_per_day=10_000)
        noon = 12 * 3600.0
        for i, card in enumerate(ids[::2]):
            deck.rate(card, ("good", "hard", "easy", "again")[i % 4], now=noon + i)
        now = noon + 3 * spaced.DAY
        _line("choose the next card (half the deck seen)", samples(lambda: deck.next_card(ids, now=now), repeat)[0])
        ratings = iter(ids[1::2])
        _line("rate one card and save the deck", samples(lambda: deck.rate(next(ratings), "good", now=now), repeat)[0])

    answer = entries[0].answer
    _line("match a 220-word answer (7 key points)", samples(lambda: match(answer, entries[0].key_points), repeat)[0])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "deck.apkg"
        _line("export every card to Anki", samples(lambda: anki.export(path, entries), max(3, repeat // 5))[0])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    main(parser.parse_args().repeat)
