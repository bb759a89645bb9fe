"""Report writers: gradebook CSV, per-learner JSON, HTML class report, JUnit XML.

The verdicts here are real: answers are exported the way a learner's kernel exports them
and judged by the grader, without running a kernel.
"""
from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest

from grader.batch import gradebook, html_report, junit
from grader.batch.judge import judge_all
from grader.batch.pipeline import write_reports
from grader.batch.results import SubmissionResult
from grader.notebook import Notebook, load_exercises

WRONG_SQL = ("SELECT CAST(date_trunc('month', order_ts) AS DATE) AS month, sum(total_amount) AS revenue "
             "FROM orders GROUP BY 1")  # forgets the filter on delivered orders


def wrong_bucket(amount):
    return "small" if amount <= 50 else "medium" if amount < 200 else "large"


def right_bucket(amount):
    if amount < 0:
        raise ValueError("negative")
    return "small" if amount < 50 else "medium" if amount < 200 else "large"


def graded(tmp_path, learner, answers, status="finished", reason=""):
    """A SubmissionResult judged from answers exported as a learner's kernel would export them."""
    nb = Notebook("00-start-here")
    folder = tmp_path / f"export-{learner}"
    for ex_id, answer in answers.items():
        nb._export(nb.exercise(ex_id), answer, folder)
    return SubmissionResult(learner, "00-start-here", f"class/{learner}.ipynb", status, reason, 3.2, False,
                            judge_all("00-start-here", folder, reason if status != "finished" else ""))


@pytest.fixture
def results(tmp_path):
    return [
        graded(tmp_path, "alice", {"monthly_revenue_sql": WRONG_SQL, "size_bucket": wrong_bucket, "engine_choice": "A"}),
        graded(tmp_path, "bob", {"size_bucket": right_bucket, "engine_choice": "B"},
               status="kernel died", reason="The kernel died in cell 30 of 36; cells after it did not run."),
    ]


IDS = list(load_exercises("00-start-here"))  # each worth 1 point


def test_csv_has_a_row_per_learner_and_a_column_per_exercise(results):
    rows = list(csv.reader(io.StringIO(gradebook.to_csv(results))))
    assert rows[0] == ["learner", "notebook", *IDS, "total", "max", "status", "reason", "file"]
    n = str(len(IDS))
    assert rows[1] == ["alice", "00-start-here", *["0"] * len(IDS), "0", n, "finished", "", "class/alice.ipynb"]
    bob = ["1" if i in ("size_bucket", "engine_choice") else "0" for i in IDS]
    assert rows[2][:len(IDS) + 5] == ["bob", "00-start-here", *bob, "2", n, "kernel died"]
    assert rows[2][len(IDS) + 5].startswith("The kernel died in cell 30")


def test_junit_has_one_case_per_learner_and_exercise(results):
    root = ET.fromstring(junit.to_xml(results).encode())
    [suite] = root.findall("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == 2 * len(load_exercises("00-start-here")) == int(suite.get("tests"))
    failed = [c for c in cases if c.find("failure") is not None]
    # alice: 3 incorrect and the rest not attempted; bob: all but his 2 right answers not attempted
    assert int(suite.get("failures")) == len(failed) == len(IDS) + len(IDS) - 2
    bob_sql = next(c for c in cases if c.get("classname") == "bob" and c.get("name") == "monthly_revenue_sql")
    assert "The kernel died" in bob_sql.find("failure").get("message")
    passed = [c for c in cases if not list(c.iter("failure")) + list(c.iter("error"))]
    assert {(c.get("classname"), c.get("name")) for c in passed} == {("bob", "size_bucket"), ("bob", "engine_choice")}


def hidden_texts() -> list[str]:
    """What a report must never show: reference answers, hints, explanations, expected rows."""
    texts = []
    for ex in load_exercises("00-start-here").values():
        texts += [ex.solution, ex.explanation, *ex.hints]
        texts += [getattr(ex, "reference", None) or ""] if isinstance(getattr(ex, "reference", None), str) else []
    texts += ["revenue=120", "15.25"]  # the expected rows of the SQL exercise, shown only in a verdict's details
    texts += ["A Spark cluster: worth it"]  # an option's explanation, part of the details too
    return [t for t in texts if len(t) > 3]  # a one-letter answer such as "B" is in every page


def test_html_report_shows_messages_and_never_expected_answers(results):
    page = html_report.to_html(results)
    assert "size_bucket(50.0) returned &#x27;small&#x27;" in page  # the learner's own message
    assert "Hardest exercises" in page and "<svg" in page
    assert "kernel died" in page
    for text in hidden_texts():
        assert text not in page, text


def test_learner_json_holds_points_statuses_and_messages_only(results, tmp_path):
    gradebook.write_learners(tmp_path / "learners", results)
    data = json.loads((tmp_path / "learners" / "alice.json").read_text())
    [sub] = data["submissions"]
    assert sub["points"] == 0 and sub["max_points"] == len(IDS) and sub["status"] == "finished"
    first = sub["exercises"][0]
    assert set(first) == {"exercise", "points", "max_points", "status", "message", "duration_s"}
    answered = {"monthly_revenue_sql", "size_bucket", "engine_choice"}
    assert [e["status"] for e in sub["exercises"]] == ["incorrect" if i in answered else "not attempted" for i in IDS]
    text = (tmp_path / "learners" / "alice.json").read_text()
    for hidden in hidden_texts():
        assert hidden not in text, hidden


def test_reports_are_written_whole_and_stale_learners_removed(results, tmp_path):
    out = tmp_path / "out"
    (out / "learners").mkdir(parents=True)
    (out / "learners" / "left-the-class.json").write_text("{}")
    write_reports(out, results)
    assert sorted(p.name for p in out.iterdir()) == ["gradebook.csv", "junit.xml", "learners", "report.html"]
    assert sorted(p.name for p in (out / "learners").iterdir()) == ["alice.json", "bob.json"]


def test_learner_file_names_are_safe():
    assert gradebook.slug("Ana María (class/x y.ipynb)") == "Ana_María_class_x_y.ipynb"
    assert gradebook.slug("../../etc") == "etc"
