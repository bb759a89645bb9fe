import json

from grader import progress


def test_best_status_is_kept():
    progress.record("nb", "ex", "correct", 1, 1)
    progress.record("nb", "ex", "incorrect", 0, 1)
    assert progress.load()["nb"]["ex"]["status"] == "correct"


def test_progress_survives_a_new_process(tmp_path):
    progress.record("nb", "ex", "incorrect", 0, 1)
    data = json.loads(progress.progress_file().read_text())
    assert data == {"nb": {"ex": {"status": "incorrect", "points": 0, "max_points": 1}}}


def test_corrupt_file_is_set_aside_not_deleted(capsys):
    progress.progress_file().write_text("{ broken")
    assert progress.load() == {}
    aside = list(progress.progress_file().parent.glob("progress.corrupt-*.json"))
    assert len(aside) == 1 and aside[0].read_text() == "{ broken"
    assert "kept as" in capsys.readouterr().err
    progress.record("nb", "ex", "correct", 1, 1)
    assert progress.load()["nb"]["ex"]["status"] == "correct"


def test_table_lists_unattempted_exercises_too():
    progress.record("nb", "b", "correct", 1, 1)
    frame = progress.table("nb", {"nb": ["a", "b"]})
    assert frame[["exercise", "status"]].values.tolist() == [["a", "not attempted"], ["b", "correct"]]
