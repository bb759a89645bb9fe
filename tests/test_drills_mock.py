"""Mock interviews: a seeded draw, the self-check report, the local history and its picture."""
import json

import pytest
from matplotlib.figure import Figure

from grader import store
from drills import bank, mock


@pytest.fixture(scope="module")
def entries():
    return bank.load()


def test_the_same_seed_draws_the_same_questions(entries):
    first = [q.id for q in mock.draw(entries, n=5, seed=3)]
    assert first == [q.id for q in mock.draw(entries, n=5, seed=3)]
    assert first != [q.id for q in mock.draw(entries, n=5, seed=4)]
    assert len(set(first)) == 5


def test_draw_filters_by_topic_and_difficulty(entries):
    drawn = mock.draw(entries, n=10, topic="architecture", difficulty=2, seed=0)
    assert drawn and all(q.topic == "architecture" and q.difficulty == 2 for q in drawn)
    with pytest.raises(ValueError, match="No question has topic='case-studies' and difficulty=1"):
        mock.draw(entries, topic="case-studies", difficulty=1)
    with pytest.raises(ValueError, match="Known topics"):
        mock.draw(entries, topic="nope")


def test_an_interview_times_and_marks_each_answer(entries):
    clock = iter([100.0, 400.0, 500.0, 530.0])
    interview = mock.MockInterview(entries, n=2, topic="sharding", seed=7, minutes=3, clock=lambda: next(clock))
    first = interview.ask()
    m1 = interview.answer("A shard key with high cardinality, consistent hashing for rebalancing.")
    assert m1.entry is first and m1.seconds == 300 and m1.over_time
    interview.ask()
    m2 = interview.answer("")
    assert m2.seconds == 30 and not m2.over_time and m2.match.covered == []
    assert interview.done and interview.current is None
    with pytest.raises(ValueError, match="already answered"):
        interview.answer("more")


def test_report_is_honest_and_shows_the_model_answer(entries):
    interview = mock.MockInterview(entries, n=1, topic="data-modeling", seed=1)
    interview.ask()
    interview.answer("Type 2 keeps history with valid_from dates.", seconds=95)
    text = interview.report()
    assert "self-check aid" in text and "not a judgement" in text
    assert "Model answer:" in text and "1 min 35 s of 3 min" in text
    assert "Covered" in text and "words that would count" in text


def test_finished_sessions_build_a_history_and_a_picture(entries):
    for seed in (1, 2):
        interview = mock.MockInterview(entries, n=2, topic="streaming", seed=seed)
        for _ in interview.questions:
            interview.ask()
            interview.answer("Kafka, Flink with watermarks and checkpoints.", seconds=60)
        interview.finish(when=1000.0 + seed)
    sessions = mock.History().sessions()
    assert len(sessions) == 2 and sessions[0]["results"][0]["topic"] == "streaming"
    table = mock.strength(sessions)
    assert list(table.columns) == [1, 2] and list(table.index) == ["streaming"]
    assert 0 < table.loc["streaming", 1] < 1
    assert isinstance(mock.plot_strength(sessions), Figure)
    assert isinstance(mock.plot_strength([]), Figure)  # the empty state draws a note, not an error


def test_finish_without_saving_leaves_no_history(entries):
    interview = mock.MockInterview(entries, n=1, seed=0)
    interview.ask()
    interview.answer("anything", seconds=1)
    interview.finish(save=False)
    assert mock.History().sessions() == []


def test_corrupt_history_is_set_aside(capsys):
    path = store.state_file(mock.FILE)
    path.write_text(json.dumps({"sessions": [{"results": "oops"}]}))
    assert mock.History().sessions() == []
    assert path.with_name("drill-history.corrupt-1.json").exists()
    assert "mock-interview history file was unreadable" in capsys.readouterr().err
