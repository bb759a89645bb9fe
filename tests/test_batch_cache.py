"""Grading again: unchanged submissions are skipped, changed ones run, an interruption resumes."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from grader.__main__ import main
from grader.batch.cache import Cache, key
from grader.batch.pipeline import grade_class
from grader.batch.run_status import RunStatus
from grader.batch.supervise import Limits, Outcome

ROOT = Path(__file__).resolve().parents[1]
FAST = Limits(cell_timeout=30, timeout=90, memory_mb=2000)


def tiny(path: Path, choice: str) -> Path:
    """A two-cell submission answering only engine_choice: a kernel start is most of its cost."""
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('import grader\nnb = grader.start("00-start-here")'),
        nbformat.v4.new_code_cell(f'engine_choice = "{choice}"\nnb.check("engine_choice", engine_choice)')])
    nb.metadata["kit"] = {"notebook": "00-start-here"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def test_the_key_follows_notebook_spec_and_spec_source():
    base = key(b"nb", "00-start-here", b"spec")
    assert base == key(b"nb", "00-start-here", b"spec")
    assert len({base, key(b"nb2", "00-start-here", b"spec"), key(b"nb", "01-x", b"spec"),
                key(b"nb", "00-start-here", b"spec2")}) == 4


@pytest.mark.parametrize("outcome, same_limits_only", [
    (Outcome("finished"), False),
    (Outcome("finished", run={"timeouts": [3]}), True),   # a cell was cut short by the limit
    (Outcome("timed out"), True),
    (Outcome("memory limit"), True),
    (Outcome("kernel died"), False),
])
def test_a_stored_run_holds_under_other_limits_only_if_no_limit_stopped_it(tmp_path, outcome, same_limits_only):
    cache = Cache(tmp_path / "cache")
    (tmp_path / "export" / "engine_choice").mkdir(parents=True)
    (tmp_path / "export" / "engine_choice" / "status.json").write_text('{"status": "prepared"}')
    cache.put("k", outcome, Limits(), tmp_path / "export", ["engine_choice"])
    assert cache.get("k", Limits()) is not None
    assert (cache.get("k", Limits(timeout=1200)) is None) == same_limits_only
    stored, export = cache.get("k", Limits())
    assert stored.status == outcome.status and (export / "engine_choice" / "status.json").exists()
    assert not [p for p in (tmp_path / "cache").iterdir() if p.name.startswith(".")]  # no staging left


def test_a_stored_run_is_written_in_words_and_read_back_as_a_run_status(tmp_path):
    cache = Cache(tmp_path / "cache")
    (tmp_path / "export").mkdir()
    cache.put("k", Outcome(RunStatus.KERNEL_DIED, "The kernel died.", run={"status": RunStatus.KERNEL_DIED}),
              Limits(), tmp_path / "export", [])
    stored = json.loads((tmp_path / "cache" / "k" / "outcome.json").read_text())
    assert stored["outcome"]["status"] == "kernel died" and stored["outcome"]["run"]["status"] == "kernel died"
    outcome, _ = cache.get("k", Limits())
    assert outcome.status is RunStatus.KERNEL_DIED and outcome.settled
    assert Outcome("crashed").status is RunStatus.CRASHED and not Outcome("crashed").settled
    with pytest.raises(ValueError):
        Outcome("exploded")
    # putting the same run again replaces it whole
    cache.put("k", Outcome("finished"), Limits(), tmp_path / "export", [])
    assert cache.get("k", Limits())[0].status is RunStatus.FINISHED
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["k"]


def test_grading_again_skips_unchanged_submissions_and_reruns_changed_ones(tmp_path):
    tiny(tmp_path / "class" / "alice.ipynb", "B")
    tiny(tmp_path / "class" / "bob.ipynb", "A")
    first = grade_class([tmp_path / "class"], tmp_path / "out", limits=FAST, jobs=2, progress=False)
    assert [(r.learner, r.cached, r.points) for r in first] == [("alice", False, 1), ("bob", False, 0)]

    tiny(tmp_path / "class" / "bob.ipynb", "B")  # bob hands in again
    second = grade_class([tmp_path / "class"], tmp_path / "out", limits=FAST, jobs=2, progress=False)
    assert [(r.learner, r.cached, r.points) for r in second] == [("alice", True, 1), ("bob", False, 1)]
    assert second[0].duration_s == first[0].duration_s  # the stored run's time, not a new one

    third = grade_class([tmp_path / "class"], tmp_path / "out", limits=FAST, jobs=2, progress=False)
    assert all(r.cached for r in third)


def test_an_interrupted_grading_keeps_what_finished_and_resumes(tmp_path):
    for name in ("ann", "ben", "cat"):
        tiny(tmp_path / "class" / f"{name}.ipynb", "B")
    cmd = [sys.executable, "-m", "grader", "grade", str(tmp_path / "class"), "--out", str(tmp_path / "out"),
           "--jobs", "1", "--cell-timeout", "30", "--timeout", "90", "--memory-mb", "2000", "--quiet"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    cache = tmp_path / "out" / ".cache"
    deadline = time.monotonic() + 120
    while not (cache.is_dir() and [p for p in cache.iterdir() if not p.name.startswith(".")]):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.1)
    children = psutil.Process(proc.pid).children(recursive=True)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "interrupted; finished notebooks are kept, run the same command again to resume" in err
    time.sleep(0.5)
    assert not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]  # no kernel left

    results = grade_class([tmp_path / "class"], tmp_path / "out", limits=FAST, jobs=2, progress=False)
    assert [r.cached for r in results].count(True) >= 1
    assert [r.points for r in results] == [1, 1, 1]


def test_bad_usage_exits_2_with_one_sentence(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["grade", str(tmp_path / "empty"), "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == f"grade: No notebooks (*.ipynb) were found in {tmp_path / 'empty'}.\n"

    tiny(tmp_path / "class" / "alice.ipynb", "B")
    (tmp_path / "a-file").write_text("")
    assert main(["grade", str(tmp_path / "class"), "--out", str(tmp_path / "a-file")]) == 2
    assert capsys.readouterr().err.startswith(f"grade: Cannot write to the output folder {tmp_path / 'a-file'}")

    assert main(["grade", str(tmp_path / "class"), "--out", str(tmp_path / "out"), "--jobs", "0"]) == 2
    assert capsys.readouterr().err == "grade: --jobs must be greater than 0.\n"
    assert main(["grade", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")]) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_an_unwritable_out_folder_exits_2(tmp_path, capsys):
    tiny(tmp_path / "class" / "alice.ipynb", "B")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    assert main(["grade", str(tmp_path / "class"), "--out", str(locked / "out")]) == 2
    assert "Cannot write to the output folder" in capsys.readouterr().err
