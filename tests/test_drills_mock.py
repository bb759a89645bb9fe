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
    interview = mock.MockInterview(entries, n=2, topic="sharding", seed=7, minutes=3, follow_ups=0,
                                   clock=lambda: next(clock))
    first = interview.ask()
    m1 = interview.answer("A shard key with high cardinality, consistent hashing for rebalancing.")
    assert m1.entry is first.entry and m1.seconds == 300 and m1.over_time
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
    assert "coverage of key points" in text and "not a judgement" in text and "strength" not in text.lower()
    assert "Model answer:" in text and "1 min 35 s of 3 min" in text
    assert "Covered" in text and "Coverage of key points:" in text


def test_finished_sessions_build_a_history_and_a_picture(entries):
    for seed in (1, 2):
        interview = mock.MockInterview(entries, n=2, topic="streaming", seed=seed)
        for _ in interview.questions:
            interview.ask()
            interview.answer("Kafka, Flink with watermarks and checkpoints.", seconds=60)
        interview.finish(when=1000.0 + seed)
    sessions = mock.History().sessions()
    assert len(sessions) == 2 and sessions[0]["results"][0]["topic"] == "streaming"
    table = mock.coverage(sessions)
    assert list(table.columns) == [1, 2] and list(table.index) == ["streaming"]
    assert 0 < table.loc["streaming", 1] < 1
    assert isinstance(mock.plot_coverage(sessions), Figure)
    assert isinstance(mock.plot_coverage([]), Figure)  # the empty state draws a note, not an error


def test_each_answer_is_followed_by_a_follow_up_marked_against_its_own_key_points(entries):
    interview = mock.MockInterview(entries, n=2, topic="streaming", seed=3, follow_ups=2, minutes=2)
    kinds = [t.is_follow_up for t in interview.turns]
    assert kinds == [False, True, True, False, True, True]
    main = interview.ask()
    interview.answer("anything", seconds=10)
    probe = interview.ask()
    assert probe.follow_up in main.entry.follow_ups and interview.limit_for(probe) == 60
    marked = interview.answer(probe.follow_up.answer, seconds=30)
    assert marked.match.ratio == 1.0, "the follow-up's own model answer covers its own key points"
    assert {kp.point for kp in marked.match.covered} == {kp.point for kp in probe.follow_up.key_points}
    with pytest.raises(ValueError, match="follow_ups is 0, 1 or 2"):
        mock.MockInterview(entries, follow_ups=3)


def test_without_a_seed_the_draw_changes_from_run_to_run(entries):
    draws = {tuple(q.id for q in mock.draw(entries, n=5)) for _ in range(5)}
    assert len(draws) > 1, "five fresh draws of 5 from 52 questions were all the same"


def test_weak_topics_and_unseen_questions_are_drawn_more(entries):
    strong = [{"results": [{"id": e.id, "topic": e.topic, "covered": 7, "total": 7}
                           for e in entries if e.topic != "governance-security"]}]
    picks = [q.topic for seed in range(200) for q in mock.draw(entries, n=1, seed=seed, weak=True, sessions=strong)]
    share = picks.count("governance-security") / len(picks)
    base = len(bank.select(entries, topic="governance-security")) / len(entries)
    assert share > 2 * base, (share, base)
    uniform = [q.topic for seed in range(200) for q in mock.draw(entries, n=1, seed=seed)]
    assert uniform.count("governance-security") / len(uniform) < 2 * base


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
