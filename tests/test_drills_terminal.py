"""``python -m drills``: in a real subprocess with answers piped to standard input, and in-process for quick cases."""
import io
import json
import os
import subprocess
import sys

import pytest

from drills import terminal
from labs import paths


def drill(args, stdin="", state_dir=None, command=("drills",)):
    env = {**os.environ, "KIT_STATE_DIR": str(state_dir or os.environ["KIT_STATE_DIR"])}
    env.pop("GRADER_STRICT", None)
    return subprocess.run([sys.executable, "-m", *command, *args], input=stdin, capture_output=True,
                          text=True, timeout=120, cwd=paths.root(), env=env)


def run_in_process(argv, stdin=""):
    """The same ``main`` without a subprocess, for the quick cases."""
    out = io.StringIO()
    code = terminal.main(argv, stdin=io.StringIO(stdin), stdout=out)
    return code, out.getvalue()


def test_help_lists_the_modes():
    out = drill(["mock", "--help"])
    assert out.returncode == 0 and "--seed" in out.stdout and "--n" in out.stdout
    with pytest.raises(SystemExit) as info:
        terminal.main(["flashcards", "--help"])
    assert info.value.code == 0


def test_grader_drill_is_the_same_command():
    out = drill(["mock", "--help"], command=("grader", "drill"))
    assert out.returncode == 0 and "python -m drills" in out.stdout and "--seed" in out.stdout
    topics = drill(["topics"], command=("grader", "drill"))
    assert topics.returncode == 0 and topics.stdout == drill(["topics"]).stdout


def test_flashcards_with_piped_answers_save_the_deck(tmp_path):
    answers = ("Pick a high-cardinality shard key; rebalance with consistent hashing.\n\ngood\n"
               "\neasy\n")
    out = drill(["flashcards", "--topic", "sharding", "--limit", "2"], answers, tmp_path)
    assert out.returncode == 0, out.stderr
    assert "[Q4.4 | sharding | difficulty 2 | main | new]" in out.stdout
    assert "Covered" in out.stdout and "Model answer:" in out.stdout
    for part in ("Trade-offs:", "Example:", "Common mistakes:", "Follow-ups an interviewer asks next:"):
        assert part in out.stdout, f"the terminal shows the whole entry: {part} is missing"
    assert "Reviewed 2 card(s)" in out.stdout
    cards = json.loads((tmp_path / "drill-cards.json").read_text())["cards"]
    assert set(cards) == {"Q4.4", "Q4.4/point-1"}
    again = drill(["flashcards", "--topic", "sharding", "--limit", "1"], "\nq\n", tmp_path)
    assert "[Q4.4/point-2 " in again.stdout and "[Q4.4 " not in again.stdout  # rated cards are not due yet


def test_long_lines_wrap_to_the_terminal():
    code, out = run_in_process(["flashcards", "--topic", "sharding", "--limit", "1"], "\ngood\n")
    assert code == 0 and max(len(line) for line in out.splitlines()) <= 110


def test_mock_with_piped_answers_reports_and_keeps_history(tmp_path):
    answers = "Kafka as a durable log, Flink with watermarks.\n\nI would add a dead-letter topic.\n\nBatch is cheaper.\n\n\n"
    out = drill(["mock", "--n", "2", "--topic", "streaming", "--seed", "7"], answers, tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Question 1 of 2" in out.stdout and "Question 2 of 2" in out.stdout and "Follow-up:" in out.stdout
    assert "[0:00 of 3:00] > " in out.stdout and "of 1:30] > " in out.stdout, "the clock shows in the prompt"
    assert "coverage of key points" in out.stdout and "Model answer:" in out.stdout
    assert "Coverage of key points by topic" in out.stdout and "strength" not in out.stdout.lower()
    history = json.loads((tmp_path / "drill-history.json").read_text())
    assert len(history["sessions"]) == 1 and len(history["sessions"][0]["results"]) == 4
    assert (tmp_path / "drill-coverage.png").stat().st_size > 0


def test_mock_stops_cleanly_when_input_ends_early():
    code, out = run_in_process(["mock", "--n", "3", "--seed", "1"], "only one answer\n")
    assert code == 0 and "Input ended" in out and "over 1 answer(s)" in out


def test_unknown_topic_lists_known_topics(capsys):
    code, _ = run_in_process(["mock", "--topic", "nope"])
    assert code == 2 and "Known topics: architecture" in capsys.readouterr().err


def test_topics_lists_counts():
    code, out = run_in_process(["topics"])
    assert code == 0 and "streaming" in out and "questions" in out
