"""FSRS scheduling: reviews before new cards, a daily cap, "again" within the sitting, restarts, corrupt files."""
import json

import pytest

from grader import store
from drills import spaced
from drills.spaced import DAY, Deck

CARDS = ["Q1.1", "Q2.2", "Q3.4", "A8"]
NOON = 12 * 3600.0  # a fixed time of day, far from the 4 a.m. day boundary in any time zone offset used in CI


def _day(n: float) -> float:
    return NOON + n * DAY


def test_new_cards_come_in_the_order_given():
    deck = Deck(path=None)
    assert deck.queue(CARDS, now=_day(0)) == CARDS
    deck.rate("Q1.1", "good", now=_day(0))
    assert deck.next_card(CARDS, now=_day(0)) == "Q2.2"


def test_reviews_that_are_due_come_before_new_cards():
    deck = Deck(path=None)
    for card in ("Q2.2", "Q3.4"):
        deck.rate(card, "good", now=_day(0))
    later = _day(30)
    assert deck.due(CARDS, now=later) == ["Q2.2", "Q3.4"]
    assert deck.queue(CARDS, now=later) == ["Q2.2", "Q3.4", "Q1.1", "A8"]


def test_a_daily_cap_on_new_cards():
    deck = Deck(path=None, new_per_day=2)
    deck.rate("Q1.1", "good", now=_day(0))
    deck.rate("Q2.2", "good", now=_day(0) + 60)
    assert deck.new(CARDS, now=_day(0) + 120) == []
    assert deck.next_card(CARDS, now=_day(0) + 120) is None
    assert deck.new(CARDS, now=_day(1)) == ["Q3.4", "A8"]  # a new day, new room
    with pytest.raises(ValueError, match="new_per_day"):
        Deck(path=None, new_per_day=-1)


def test_again_comes_back_in_the_same_sitting_after_the_others():
    deck = Deck(path=None)
    start = _day(0)
    deck.rate("Q1.1", "again", now=start)
    assert deck.state_name("Q1.1") == "learning" and deck.wait_text("Q1.1", now=start) == "1 minute"
    assert deck.next_card(CARDS, now=start) == "Q2.2", "other cards first"
    for i, card in enumerate(("Q2.2", "Q3.4", "A8"), 1):
        deck.rate(card, "good", now=start + i)
    assert deck.due(CARDS, now=start + 5) == []
    assert deck.next_card(CARDS, now=start + 5) == "Q1.1", "nothing else left: the lapsed card is shown, not 'nothing due'"
    deck.rate("Q1.1", "good", now=start + 70)
    assert deck.next_card(CARDS, now=start + 80) is None


def test_a_review_lapse_relearns_within_the_sitting():
    deck = Deck(path=None)
    deck.rate("A8", "good", now=_day(0))
    due = deck.due_at("A8")
    deck.rate("A8", "again", now=due)
    assert deck.state_name("A8") == "relearning" and deck.due_at("A8") - due == 60


def test_fsrs_intervals_grow_and_follow_the_rating():
    ratings = {}
    for rating in ("hard", "good", "easy"):
        deck = Deck(path=None)
        deck.rate("Q1.1", "good", now=_day(0))
        first = deck.due_at("Q1.1")
        deck.rate("Q1.1", rating, now=first)
        ratings[rating] = deck.due_at("Q1.1") - first
    assert ratings["hard"] < ratings["good"] < ratings["easy"]
    deck, now, gaps = Deck(path=None), _day(0), []
    for _ in range(4):
        deck.rate("Q1.1", "good", now=now)
        gaps.append(deck.due_at("Q1.1") - now)
        now = deck.due_at("Q1.1")
    assert gaps == sorted(gaps) and gaps[-1] > 10 * gaps[0], gaps


def test_a_month_of_daily_practice_never_lets_reviews_starve():
    """The review's simulation: a deck bigger than one sitting, everything rated good, 20 cards a sitting."""
    cards = [f"C{i}" for i in range(80)]
    deck = Deck(path=None, new_per_day=10)
    reviews_seen = 0
    for day in range(30):
        now = _day(day)
        due_at_start = deck.due(cards, now=now)
        shown, new_shown = [], 0
        while len(shown) < 20 and (card := deck.next_card(cards, now=now)) is not None:
            new_shown += deck.is_new(card)
            shown.append(card)
            deck.rate(card, "good", now=now)
            now += 30
        assert shown[:min(20, len(due_at_start))] == due_at_start[:20], f"day {day}: reviews first"
        assert new_shown <= 10, f"day {day}: the daily cap"
        reviews_seen += len(due_at_start)
    assert reviews_seen > 20, "the simulation must actually produce reviews"
    assert deck.summary(cards, now=_day(30))["new"] < 80


def test_the_clock_is_injected():
    now = [_day(0)]
    deck = Deck(path=None, clock=lambda: now[0])
    deck.rate("Q1.1", "good")
    assert deck.next_card(["Q1.1"]) is None
    now[0] = deck.due_at("Q1.1")
    assert deck.next_card(["Q1.1"]) == "Q1.1"


def test_rating_names_and_aliases():
    assert [spaced.rating_name(x) for x in ("A", "hard", "3", "Promote", "demote", "e")] == \
        ["again", "hard", "good", "good", "again", "easy"]
    with pytest.raises(ValueError, match="Rate with one of again, hard, good, easy"):
        spaced.rating_name("meh")


def test_state_survives_a_restart_and_is_written_atomically():
    deck = Deck()
    deck.rate("Q2.2", "easy", now=_day(0))
    path = store.state_file(spaced.FILE)
    saved = json.loads(path.read_text())
    assert saved["version"] == spaced.VERSION and saved["cards"]["Q2.2"]["fsrs"]["stability"] > 0
    assert not list(path.parent.glob("*.tmp-*")), "a temporary file was left behind"
    again = Deck()
    assert again.due_at("Q2.2") == deck.due_at("Q2.2") and again.next_card(CARDS, now=_day(0)) == "Q1.1"


def test_two_decks_do_not_erase_each_others_ratings():
    first, second = Deck(), Deck()
    first.rate("Q1.1", "good", now=_day(0))
    second.rate("A8", "easy", now=_day(0))
    fresh = Deck()
    assert fresh.state_name("Q1.1") == "review" and fresh.state_name("A8") == "review"


def test_an_old_leitner_deck_is_converted_not_lost():
    path = store.state_file(spaced.FILE)
    path.write_text(json.dumps({"version": 1, "cards": {
        "Q1.1": {"box": 3, "due": _day(4), "reviews": 3}, "Q2.2": {"box": 0, "due": 0.0, "reviews": 0}}}))
    deck = Deck()
    assert deck.state_name("Q1.1") == "review" and deck.due_at("Q1.1") == _day(4)
    assert deck.is_new("Q2.2"), "a card never seen stays new"
    deck.rate("Q3.4", "good", now=_day(0))
    assert json.loads(path.read_text())["version"] == spaced.VERSION


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"cards": {"Q1.1": {"box": "high"}}}',
                                     '{"version": 2, "cards": {"Q1.1": {"fsrs": 3}}}'])
def test_corrupt_state_is_set_aside_not_deleted(content, capsys):
    path = store.state_file(spaced.FILE)
    path.write_text(content)
    deck = Deck()
    assert deck.cards == {}
    aside = path.with_name("drill-cards.corrupt-1.json")
    assert aside.read_text() == content, "the corrupt file must be kept as it was"
    assert "drill-cards.corrupt-1.json" in capsys.readouterr().err
    deck.rate("Q1.1", "good", now=_day(0))
    assert json.loads(path.read_text())["cards"]["Q1.1"]["reviews"] == 1
    path.write_text(content)
    Deck()
    assert path.with_name("drill-cards.corrupt-2.json").exists(), "a second corrupt file must not overwrite the first"
