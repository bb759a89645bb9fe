"""Cards cut from the bank: one main card, one per key point, one per follow-up, each tagged with its entry."""
import pytest

from drills import bank, cards


@pytest.fixture(scope="module")
def entries():
    return bank.load()


def test_each_entry_gives_a_main_card_and_one_per_point_and_follow_up(entries):
    deck = cards.cards(entries)
    for e in entries:
        mine = [c for c in deck if c.entry == e.id]
        assert [c.kind for c in mine] == ["main"] + ["point"] * len(e.key_points) + ["follow-up"] * len(e.follow_ups)
        assert all(c.tags[:3] == (e.id, e.topic, f"difficulty-{e.difficulty}") for c in mine)
    assert len({c.id for c in deck}) == len(deck), "card ids are unique"


def test_new_cards_come_easy_first_then_in_curriculum_order(entries):
    mains = [c for c in cards.cards(entries) if c.kind == "main"]
    keys = [(c.difficulty, bank.order_key(c.entry)) for c in mains]
    assert keys == sorted(keys)
    streaming = [c.entry for c in cards.cards(bank.select(entries, topic="streaming"), ("main",))]
    assert streaming[0] == "A3", "the warm-up question comes before the senior one (Q9.1)"


def test_a_point_card_is_one_idea_with_its_sentence_from_the_model_answer(entries):
    e = bank.by_id(entries)["Q4.4"]
    card = cards.point_cards(e)[4]
    assert card.key_points == (e.key_points[4],)
    assert card.back.startswith(e.key_points[4].point)
    assert "In the model answer:" in card.back and "consistent hashing" in card.back
    assert any(s in card.front for s in e.key_points[4].synonyms), "the front cues which point is asked"


def test_a_follow_up_card_carries_its_own_answer_and_key_points(entries):
    e = bank.by_id(entries)["Q1.1"]
    card = cards.follow_up_cards(e)[0]
    assert card.front.startswith(e.follow_ups[0].question) and card.back == e.follow_ups[0].answer
    assert card.key_points == e.follow_ups[0].key_points


def test_kinds_filter_and_reject_unknown(entries):
    assert {c.kind for c in cards.cards(entries, ("follow-up",))} == {"follow-up"}
    with pytest.raises(ValueError, match="Card kinds are main, point, follow-up"):
        cards.cards(entries, ("essay",))
