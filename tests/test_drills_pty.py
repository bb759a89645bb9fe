"""The terminal drills at a real (pseudo-)terminal, typed line by line as a person would."""
import json
import os
import sys

from drills import spaced
from labs import paths
from tests.pty_drive import Terminal


def _term(*args, state_dir, columns=100):
    env = {**os.environ, "KIT_STATE_DIR": str(state_dir)}
    return Terminal([sys.executable, "-m", "drills", *args], env=env, cwd=paths.root(), columns=columns)


def test_a_flashcard_sitting_brings_again_back_last_and_survives_a_restart(tmp_path):
    with _term("flashcards", "--topic", "sharding", "--kinds", "main", state_dir=tmp_path, columns=80) as term:
        term.expect("[Q4.4 | sharding | difficulty 2 | main | new]")
        term.send("A high-cardinality shard key and consistent hashing.")
        term.send()
        term.expect("Covered 2 of 7 key points")
        term.expect("Rate (again/hard/good/easy, q to quit):")
        term.send("again")
        term.expect("-> back in 1 minute (this sitting)")
        for card in ("A8", "Q4.3"):
            term.expect(f"[{card} |")
            term.send()
            term.expect("Rate (again")
            term.send("good")
        term.expect("[Q4.4 | sharding | difficulty 2 | main | learning]")  # shown last, not "nothing due"
        term.send()
        term.expect("Rate (again")
        term.send("good")
        term.expect("Nothing else is due now.")
        assert term.wait() == 0
    assert all(len(row) <= 80 for row in term.output.splitlines()), "output wraps to the terminal's width"
    saved = json.loads((tmp_path / spaced.FILE).read_text())["cards"]
    assert set(saved) == {"Q4.4", "Q4.3", "A8"} and saved["Q4.4"]["reviews"] == 2
    with _term("flashcards", "--topic", "sharding", "--kinds", "main", state_dir=tmp_path) as term:
        term.expect("Flashcards: 3 card(s); 0 to study now")
        term.expect("Deck: 0 new, 0 learning, 3 in review.")
        term.expect("Nothing else is due now. The next review is due in")
        assert term.wait() == 0


def test_a_mock_interview_asks_a_follow_up_and_shows_the_clock(tmp_path):
    with _term("mock", "--n", "1", "--topic", "streaming", "--seed", "2", "--minutes", "1", state_dir=tmp_path) as term:
        term.expect("Question 1 of 1")
        term.expect("[0:00 of 1:00] > ")
        term.send("Kafka as the durable log, Flink with event-time windows and watermarks.")
        term.expect("of 1:00] > ")
        term.send()
        term.expect("Follow-up:")
        term.expect("of 0:30] > ")
        term.send("Checkpoints restore state; the sink is idempotent.")
        term.send()
        term.expect("Coverage of key points: ")
        assert term.wait() == 0
    assert "Strength" not in term.output


def test_ctrl_c_saves_and_stops(tmp_path):
    with _term("flashcards", "--topic", "sharding", state_dir=tmp_path) as term:
        term.expect("| new]")
        term.send()
        term.expect("Rate (again")
        term.send("good")
        term.expect("-> back in")
        term.expect("| new]")
        os.killpg(term.proc.pid, 2)
        term.expect("Stopped. Ratings given so far are saved.")
        assert term.wait() == 130
    assert len(json.loads((tmp_path / spaced.FILE).read_text())["cards"]) == 1
