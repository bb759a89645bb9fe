"""Running one submission: a fresh kernel in a child process, bounded in time and memory.

Real kernels on tiny notebooks; each test costs a kernel start (a few seconds).
"""
from __future__ import annotations

import json
import os

import nbformat
import psutil
import pytest

from grader.batch.judge import judge_all
from grader.batch.supervise import Limits, describe_run, run_submission

START = 'import grader\nnb = grader.start("00-start-here")'
ANSWER = 'engine_choice = "B"\nnb.check("engine_choice", engine_choice)'


def run(tmp_path, cells, env=None, **limits):
    work = tmp_path / "scratch" / "work"
    work.mkdir(parents=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    for cell in nb.cells:
        if cell.source.startswith("# skip-grading"):
            cell.metadata["tags"] = ["skip-grading"]
    nb.metadata["kit"] = {"notebook": "00-start-here"}
    nbformat.write(nb, work / "nb.ipynb")
    outcome = run_submission(work / "nb.ipynb", tmp_path / "scratch", Limits(**limits), env=env)
    return outcome, tmp_path / "scratch"


def points(scratch, outcome):
    return {r.exercise: r.points for r in judge_all("00-start-here", scratch / "export", outcome.reason)}


@pytest.mark.parametrize("fork_server", ["1", "0"], ids=["forked from the warm server", "a fresh Python"])
def test_the_kernel_exports_answers_with_its_own_environment_and_skips_tagged_cells(tmp_path, monkeypatch,
                                                                                     fork_server):
    monkeypatch.setattr("grader.batch.launch._context", None)
    monkeypatch.setenv("GRADER_FORKSERVER", fork_server)
    monkeypatch.setenv("GRADER_STRICT", "1")  # would raise on the unanswered exercises
    monkeypatch.setenv("SPARK_MASTER", "spark://elsewhere:7077")
    names = ("GRADER_EXPORT_DIR", "KIT_STATE_DIR", "GRADER_STRICT", "SPARK_REMOTE", "SPARK_MASTER")
    outcome, scratch = run(tmp_path, [
        START, ANSWER,
        f"import os, json\njson.dump({{k: os.environ.get(k) for k in {names}}}, open('env.json', 'w'))",
        "json.dump({'sid': os.getsid(os.getppid()), 'cwd': os.getcwd()}, open('runner.json', 'w'))",
        "# skip-grading: a lab cell too slow for grading (it would start Spark)\nopen('skipped-cell-ran', 'w')",
        'nb.check("size_bucket", ...)',
    ], env={"SPARK_REMOTE": "sc://127.0.0.1:15002", "SPARK_MASTER": None}, cell_timeout=30, timeout=60)
    assert (outcome.status, outcome.reason) == ("finished", "")
    env = json.loads((scratch / "work" / "env.json").read_text())
    assert env == {"GRADER_EXPORT_DIR": str(scratch / "export"), "KIT_STATE_DIR": str(scratch / "state"),
                   "GRADER_STRICT": None, "SPARK_REMOTE": "sc://127.0.0.1:15002", "SPARK_MASTER": None}
    assert points(scratch, outcome)["engine_choice"] == 1
    assert not list((scratch / "state").glob("progress.json"))  # exporting records no progress
    assert not (scratch / "work" / "skipped-cell-ran").exists()
    # the runner had a session of its own (Ctrl-C in the instructor's terminal does not reach it)
    runner = json.loads((scratch / "work" / "runner.json").read_text())
    assert runner["sid"] != os.getsid(0) and runner["cwd"] == str(scratch / "work")


def test_a_cell_past_its_time_is_interrupted_and_the_next_cells_still_run(tmp_path):
    # the loop comes first, so that no other cell is near the time limit on a busy machine
    outcome, scratch = run(tmp_path, ["while True:\n    pass", "1 / 0", START, ANSWER], cell_timeout=10, timeout=90)
    assert outcome.status == "finished"
    assert outcome.run["timeouts"] == [1]
    assert outcome.reason == ("Cell 1 ran longer than 10 s and was interrupted; "
                              "cell 2 raised ZeroDivisionError: division by zero.")
    assert points(scratch, outcome)["engine_choice"] == 1


def test_a_notebook_past_its_time_is_stopped_and_nothing_it_started_survives(tmp_path):
    outcome, scratch = run(tmp_path, [
        START, ANSWER,
        # a daemon in a session of its own: it leaves the process tree, the run's tag finds it
        "import subprocess\nd = subprocess.Popen(['sleep', '300'], start_new_session=True)\n"
        "open('daemon.pid', 'w').write(str(d.pid))",
        "import time\nwhile True:\n    time.sleep(0.1)",
        'nb.check("size_bucket", ...)',
    ], cell_timeout=60, timeout=20)
    assert outcome.status == "timed out"
    assert outcome.reason == ("The notebook was stopped after 20 s, in cell 4 of 5 (`import time`); "
                              "cells after it did not run.")
    daemon = int((scratch / "work" / "daemon.pid").read_text())
    assert not psutil.pid_exists(daemon) or psutil.Process(daemon).status() == psutil.STATUS_ZOMBIE
    earned = points(scratch, outcome)
    assert earned.pop("engine_choice") == 1  # the answer checked before the hang counts
    assert set(earned.values()) == {0}


def test_a_memory_bomb_is_stopped_at_the_limit(tmp_path):
    outcome, scratch = run(tmp_path, [START, ANSWER, "blocks = []\nwhile True:\n    blocks.append('x' * 20_000_000)"],
                           cell_timeout=60, timeout=60, memory_mb=600)
    assert outcome.status == "memory limit"
    assert outcome.reason == ("The notebook was stopped when it used more than 600 MB of memory, "
                              "in cell 3 of 3 (`blocks = []`); cells after it did not run.")
    assert points(scratch, outcome)["engine_choice"] == 1


def test_a_dying_kernel_is_a_reason(tmp_path):
    outcome, scratch = run(tmp_path, [START, ANSWER, "import os\nos._exit(3)", 'nb.check("size_bucket", ...)'],
                           cell_timeout=30, timeout=60)
    assert outcome.status == "kernel died"
    assert outcome.reason == "The kernel died in cell 3 of 4 (`import os`); cells after it did not run."
    results = {r.exercise: r for r in judge_all("00-start-here", scratch / "export", outcome.reason)}
    assert results["engine_choice"].points == 1
    assert results["size_bucket"].message == "No answer was recorded. " + outcome.reason


@pytest.mark.parametrize("run_info, sentence", [
    ({"status": "finished", "errors": [], "timeouts": []}, ""),
    ({"status": "finished", "errors": [{"cell": 4, "ename": "NameError", "evalue": "name 'x' is not defined"},
                                       {"cell": 9, "ename": "KeyError", "evalue": "'y'"}], "timeouts": []},
     "Cell 4 raised NameError: name 'x' is not defined (and 1 more cell failed)."),
    ({"status": "finished", "errors": [], "timeouts": [3, 8], "output_mb": 120.0},
     "Cells 3, 8 ran longer than 20 s and were interrupted; the notebook printed 120 MB of output (not kept)."),
    ({"status": "unreadable", "message": "NotJSONError: ..."},
     "The file could not be read as a notebook (NotJSONError: ...)."),
])
def test_describe_run(run_info, sentence):
    assert describe_run(run_info, Limits(cell_timeout=20)) == sentence
