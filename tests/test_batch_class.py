"""Grade the sample class in tests/submissions/ as an instructor would, and check every grade.

One sample per way a submission can go (see tests/submissions/make_submissions.py): the
class must finish, every learner must get a row, and each exercise the points below.
"""
from __future__ import annotations

import csv
import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from grader.__main__ import main
from grader.notebook import load_exercises

SUBMISSIONS = Path(__file__).parent / "submissions"
ALL = set(load_exercises("00-start-here"))

# learner: (exercises that must earn their points, how the run ends)
EXPECTED = {
    "correct": (ALL, "finished"),
    "partial": ({"orders_per_status", "engine_choice"}, "finished"),
    "unanswered": (set(), "finished"),
    # the loop sits in the SQL answer cell: interrupted, so only that answer is lost
    "endless-loop": (ALL - {"monthly_revenue_sql"}, "finished"),
    # dies right after the SQL check: what was checked before it counts
    "os-exit": ({"orders_per_status", "monthly_revenue_sql"}, "kernel died"),
    "memory-bomb": ({"orders_per_status"}, "memory limit"),
    "huge-output": (ALL, "finished"),
    "malformed-json": (set(), "unreadable"),
    # patching the checker, the judge or the spec in the kernel exports nothing: zero
    "tampered-checker": (set(), "finished"),
    "deleted-check-cell": (ALL - {"size_bucket"}, "finished"),
    # the last check of an exercise counts: engine_choice is answered again, wrongly
    "duplicated-cells": (ALL - {"engine_choice"}, "finished"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    # 2,500 MB: room for a notebook that starts a local Spark (its JVM counts too); the bomb passes it in a second
    out = tmp_path_factory.mktemp("grading-out")
    code = main(["grade", str(SUBMISSIONS), "--out", str(out), "--jobs", "2", "--cell-timeout", "30",
                 "--timeout", "300", "--memory-mb", "2500", "--quiet"])
    return code, out


def test_the_samples_are_up_to_date(tmp_path):
    sys.path.insert(0, str(SUBMISSIONS))
    try:
        import make_submissions
    finally:
        sys.path.remove(str(SUBMISSIONS))
    make_submissions.main(tmp_path)
    stale = [p.name for p in sorted(tmp_path.glob("*.ipynb"))
             if not (SUBMISSIONS / p.name).exists() or (SUBMISSIONS / p.name).read_bytes() != p.read_bytes()]
    assert not stale, f"run: python tests/submissions/make_submissions.py (stale: {', '.join(stale)})"


def test_the_class_finishes_with_a_row_per_learner(graded):
    code, out = graded
    assert code == 0
    rows = list(csv.DictReader((out / "gradebook.csv").open()))
    assert sorted(r["learner"] for r in rows) == sorted(EXPECTED)


def test_every_learner_gets_exactly_the_expected_points(graded):
    _, out = graded
    points = {ex.id: ex.points for ex in load_exercises("00-start-here").values()}
    assert set(points) == ALL
    rows = {r["learner"]: r for r in csv.DictReader((out / "gradebook.csv").open())}
    got = {name: ({ex: float(rows[name][ex]) for ex in ALL}, rows[name]["status"]) for name in EXPECTED}
    want = {name: ({ex: float(points[ex] if ex in earned else 0) for ex in ALL}, status)
            for name, (earned, status) in EXPECTED.items()}
    assert got == want
    for name, row in rows.items():
        assert float(row["total"]) == sum(float(row[ex]) for ex in ALL)
        assert float(row["max"]) == sum(points.values())


def test_reasons_say_what_went_wrong(graded):
    _, out = graded
    reasons = {r["learner"]: r["reason"] for r in csv.DictReader((out / "gradebook.csv").open())}
    assert re.search(r"ran longer than 30 s and (was|were) interrupted", reasons["endless-loop"])
    assert reasons["os-exit"].startswith("The kernel died in cell ")
    assert reasons["memory-bomb"].startswith("The notebook was stopped when it used more than 2,500 MB of memory")
    assert reasons["malformed-json"].startswith("The file could not be graded: the file is not valid JSON")
    assert "MB of output (not kept)" in reasons["huge-output"]


def test_learner_files_say_why_an_answer_is_missing(graded):
    _, out = graded
    tampered = json.loads((out / "learners" / "tampered-checker.json").read_text())["submissions"][0]
    assert {e["status"] for e in tampered["exercises"]} == {"not attempted"}
    bomb = json.loads((out / "learners" / "memory-bomb.json").read_text())["submissions"][0]
    lost = next(e for e in bomb["exercises"] if e["exercise"] == "engine_choice")
    assert lost["message"].startswith("No answer was recorded. The notebook was stopped when it used more")


def test_junit_and_html_are_written(graded):
    _, out = graded
    root = ET.parse(out / "junit.xml").getroot()
    assert len(root.findall("./testsuite/testcase")) == len(EXPECTED) * len(ALL)
    page = (out / "report.html").read_text()
    assert "Hardest exercises" in page
    for ex in load_exercises("00-start-here").values():
        for hidden in (ex.solution, ex.explanation, *ex.hints):
            assert len(hidden) <= 3 or hidden not in page  # a one-letter answer such as "B" is in any page


def test_grading_again_reuses_every_run(graded, capsys):
    code, out = graded
    assert main(["grade", str(SUBMISSIONS), "--out", str(out), "--jobs", "2", "--cell-timeout", "30",
                 "--timeout", "300", "--memory-mb", "2500", "--quiet"]) == 0
    learners = [json.loads(p.read_text()) for p in (out / "learners").glob("*.json")]
    executed = [d["learner"] for d in learners for s in d["submissions"] if not s["cached"]]
    assert executed == ["malformed-json"]  # an unreadable file is never run, so never stored
