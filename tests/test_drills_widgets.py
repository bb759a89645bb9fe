"""The notebook widgets, driven through the methods their buttons call (no browser needed)."""
import pytest

from drills import mock, spaced, widgets


@pytest.fixture
def clock():
    now = [0.0]
    return now


def test_flashcards_reveal_rate_and_move_on(clock):
    deck = spaced.Deck(path=None, clock=lambda: clock[0])
    cards = widgets.Flashcards(topic="sharding", kind="main", deck=deck)
    first = cards.card
    assert first == "Q4.4" and all(b.disabled for b in cards.rating_buttons)  # difficulty 2 before Q4.3's 3
    cards.typed.value = "Pick a high-cardinality shard key and rebalance with consistent hashing."
    cards.reveal()
    assert "Coverage of key points" in cards.answer.value and "Model answer" in cards.answer.value
    assert "Follow-ups an interviewer asks next" in cards.answer.value
    assert not any(b.disabled for b in cards.rating_buttons)
    second = cards.rate("good")
    assert second != first and deck.state_name(first) == "review"
    third = cards.rate("again")
    assert third not in (None, second), "another card first"
    clock[0] = 5  # still inside the minute: nothing else is left, so the lapsed card comes back now
    cards.rate("good")
    assert cards.card == second, "'again' comes back within the sitting, without re-running the cell"
    cards.rate("good")
    assert cards.card is None and "Nothing is due" in cards.header.value and "next review is due in" in cards.header.value


def test_flashcards_show_reviews_before_new_cards_and_cap_new_ones(clock):
    deck = spaced.Deck(path=None, clock=lambda: clock[0], new_per_day=2)
    cards = widgets.Flashcards(topic="sharding", deck=deck)
    seen = [cards.card, cards.rate("good")]
    assert cards.rate("good") is None and "at most 2 new a day" in cards.header.value
    clock[0] = deck.due_at(seen[0]) + 1
    assert cards.next() == seen[0], "the due review comes before any new card"


def test_point_and_follow_up_cards_show_their_own_answers():
    cards = widgets.Flashcards(topic="sharding", kind="follow-up", deck=spaced.Deck(path=None))
    assert cards.card.startswith("Q4.4/follow-up-")
    cards.reveal()
    e = next(e for e in cards.entries if e.id == "Q4.4")
    assert widgets._esc(e.follow_ups[0].answer[:40]) in cards.answer.value
    cards.kind.value = "point"
    assert cards.card == "Q4.4/point-1"


def test_flashcards_filters_change_the_deck():
    cards = widgets.Flashcards(deck=spaced.Deck(path=None))
    cards.topic.value = "case-studies"
    assert cards.card in ("Q12.1", "Q12.2")
    cards.difficulty.value = 1
    assert cards.card is None and "among 0 card(s)" in cards.header.value


def test_flashcards_unknown_topic_is_a_clear_error():
    with pytest.raises(ValueError, match="Known topics"):
        widgets.Flashcards(topic="nope", deck=spaced.Deck(path=None))


def test_mock_interview_ui_runs_to_the_report():
    ticks = iter(range(0, 1000, 50))
    ui = widgets.MockInterviewUI(n=2, topic="streaming", seed=5, clock=lambda: next(ticks))
    assert ui.submit_button.disabled
    ui.start()
    assert "Question 1 of 2" in ui.question.value
    ui.typed.value = "Kafka with Flink, event time and watermarks."
    ui.submit()
    assert "Follow-up" in ui.question.value, "a follow-up comes after each answer"
    ui.submit()
    assert "Question 2 of 2" in ui.question.value
    ui.submit()
    ui.submit()
    assert "Done" in ui.question.value and "coverage of key points" in ui.result.value
    assert ui.result.value.count("Follow-up:") == 2
    assert len(mock.History().sessions()) == 1


def test_the_live_clock_counts_and_warns_when_time_is_up():
    ui = widgets.MockInterviewUI(n=1, topic="streaming", seed=5, minutes=1, save=False)
    ui.start()
    assert ui.ticker.playing and ui.time_bar.max == 60 and "0:00 of 1:00" in ui.time_text.value
    ui.ticker.value = 75  # the browser ticks this value once a second
    assert "1:15 of 1:00 - over time" in ui.time_text.value and ui.time_bar.bar_style == "danger"
    ui.submit()
    assert ui.time_bar.max == 30 and ui.ticker.value == 0, "a follow-up has half the time, from zero"
    ui.submit()
    assert not ui.ticker.playing


def test_widgets_display_as_widgets():
    bundle = widgets.Flashcards(deck=spaced.Deck(path=None))._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_filters_show_a_selection_from_the_start():
    """A dropdown value of None is "nothing selected" in ipywidgets 8: the box would show blank."""
    cards = widgets.Flashcards(deck=spaced.Deck(path=None))
    assert (cards.topic.index, cards.topic.label) == (0, "all topics")
    assert (cards.difficulty.index, cards.difficulty.label) == (0, "any difficulty")
    assert len([c for c in cards.ids() if "/" not in c]) == 52
    chosen = widgets.Flashcards(topic="sharding", difficulty=3, deck=spaced.Deck(path=None))
    assert (chosen.topic.label, chosen.difficulty.label) == ("sharding", "3 senior deep-dive")
    chosen.topic.index = 0  # choosing "all topics" again in the browser keeps it selected
    assert chosen.topic.label == "all topics" and chosen.topic.value == widgets.ALL_TOPICS
    assert {c.split("/")[0] for c in chosen.ids()} == {e.id for e in chosen.entries if e.difficulty == 3}


def test_revealed_answer_reads_normally_with_the_ratings_on_top():
    cards = widgets.Flashcards(topic="sharding", deck=spaced.Deck(path=None))
    cards.reveal()
    assert cards.answer.value.startswith("<div style='line-height:1.45")
    assert "<details><summary><b>Trade-offs, common mistakes, a worked example and follow-ups" in cards.answer.value  # the long parts fold away
    rows = list(cards.view.children)
    ratings_row = next(i for i, row in enumerate(rows)
                       if isinstance(row, widgets.w.HBox) and cards.rating_buttons[0] in row.children)
    assert ratings_row < rows.index(cards.answer), "the rating buttons come before the answer, not below it"
    assert cards.reveal_button in rows[ratings_row].children


def test_design_menu_never_breaks_a_name_at_a_hyphen():
    from grader import design

    menu = design.menu()
    page = menu._repr_html_()
    for stage, items in design.catalogue().items():
        assert f"<b>{stage}</b>" in page
        for name in items:
            assert f"<code style='white-space:nowrap'>{name}</code>" in page, name
    assert "- processing: flink, spark-structured-streaming" in str(menu)  # plain text in a terminal
