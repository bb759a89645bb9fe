"""Leitner scheduling: order, persistence across restarts, and a corrupt state file set aside."""
import json

import pytest

from grader import store
from drills import spaced
from drills.spaced import DAY, Deck

CARDS = ["Q1.1", "Q2.2", "Q3.4", "A8"]


def test_unseen_cards_come_first_in_bank_order():
    deck = Deck(path=None)
    assert deck.due(CARDS, now=0) == CARDS
    deck.rate("Q1.1", "good", now=0)
    assert deck.next_card(CARDS, now=0) == "Q2.2"


def test_boxes_move_with_ratings():
    deck = Deck(path=None)
    deck.rate("Q1.1", "good", now=0)
    assert deck.box("Q1.1") == 1
    deck.rate("Q1.1", "easy", now=0)
    assert deck.box("Q1.1") == 3
    deck.rate("Q1.1", "hard", now=0)
    assert deck.box("Q1.1") == 3
    deck.rate("Q1.1", "again", now=0)
    assert deck.box("Q1.1") == 1
    for _ in range(10):
        deck.rate("Q1.1", "easy", now=0)
    assert deck.box("Q1.1") == spaced.TOP_BOX


def test_scheduling_order_over_time():
    deck = Deck(path=None)
    deck.rate("Q1.1", "good", now=0)   # box 1: back after 1 day
    deck.rate("Q2.2", "easy", now=0)   # box 2: back after 2 days
    deck.rate("Q3.4", "again", now=0)  # box 1: back after a minute
    deck.rate("A8", "good", now=0)
    deck.rate("A8", "good", now=0)     # box 2: back after 2 days (from now=0)
    assert deck.due(CARDS, now=30) == []
    assert deck.due(CARDS, now=61) == ["Q3.4"]
    assert deck.due(CARDS, now=1.5 * DAY) == ["Q3.4", "Q1.1"]  # same box: the longer overdue first
    assert deck.due(CARDS, now=3 * DAY) == ["Q3.4", "Q1.1", "Q2.2", "A8"]  # lowest box first, then bank order
    assert deck.next_due_time(CARDS) == 60


def test_the_clock_is_injected():
    now = [0.0]
    deck = Deck(path=None, clock=lambda: now[0])
    deck.rate("Q1.1", "good")
    assert deck.next_card(["Q1.1"]) is None
    now[0] = DAY
    assert deck.next_card(["Q1.1"]) == "Q1.1"


def test_rating_names_and_aliases():
    assert [spaced.rating_name(x) for x in ("A", "hard", "3", "Promote", "demote", "e")] == \
        ["again", "hard", "good", "good", "again", "easy"]
    with pytest.raises(ValueError, match="Rate with one of again, hard, good, easy"):
        spaced.rating_name("meh")


def test_state_survives_a_restart_and_is_written_atomically():
    deck = Deck()
    deck.rate("Q2.2", "easy", now=0)
    path = store.state_file(spaced.FILE)
    assert json.loads(path.read_text())["cards"]["Q2.2"]["box"] == 2
    assert not list(path.parent.glob("*.tmp-*")), "a temporary file was left behind"
    again = Deck()
    assert again.box("Q2.2") == 2 and again.next_card(CARDS, now=0) == "Q1.1"


def test_two_decks_do_not_erase_each_others_ratings():
    first, second = Deck(), Deck()
    first.rate("Q1.1", "good", now=0)
    second.rate("A8", "easy", now=0)
    fresh = Deck()
    assert fresh.box("Q1.1") == 1 and fresh.box("A8") == 2


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"cards": {"Q1.1": {"box": "high"}}}'])
def test_corrupt_state_is_set_aside_not_deleted(content, capsys):
    path = store.state_file(spaced.FILE)
    path.write_text(content)
    deck = Deck()
    assert deck.cards == {}
    aside = path.with_name("drill-cards.corrupt-1.json")
    assert aside.read_text() == content, "the corrupt file must be kept as it was"
    assert "drill-cards.corrupt-1.json" in capsys.readouterr().err
    deck.rate("Q1.1", "good", now=0)
    assert json.loads(path.read_text())["cards"]["Q1.1"]["box"] == 1
    path.write_text(content)
    Deck()
    assert path.with_name("drill-cards.corrupt-2.json").exists(), "a second corrupt file must not overwrite the first"
