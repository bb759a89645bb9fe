"""Judging exported answers in the grader's process: forged or hostile exports change nothing."""
from __future__ import annotations

import json

from grader.batch import exports
from grader.batch.exports import copy_answers
from grader.batch.judge import judge_all
from grader.notebook import Notebook


def by_id(results):
    return {r.exercise: r for r in results}


def test_every_exercise_of_the_spec_is_judged_and_missing_ones_say_why(tmp_path):
    nb = Notebook("00-start-here")
    nb._export(nb.exercise("engine_choice"), "B", tmp_path / "export")
    (tmp_path / "export" / "made_up_exercise").mkdir()  # not in the spec: ignored
    results = judge_all("00-start-here", tmp_path / "export", "The kernel died in cell 9 of 30.")
    assert [r.exercise for r in results] == nb.ids()  # every exercise, in the spec's order
    assert by_id(results)["engine_choice"].points == 1
    assert by_id(results)["size_bucket"].message == "No answer was recorded. The kernel died in cell 9 of 30."


def test_a_forged_status_cannot_claim_a_grade(tmp_path):
    folder = tmp_path / "export" / "engine_choice"
    folder.mkdir(parents=True)
    (folder / "status.json").write_text(json.dumps({"status": "correct", "points": 99}))
    (folder / "payload.json").write_text(json.dumps(["A"]))
    result = by_id(judge_all("00-start-here", tmp_path / "export"))["engine_choice"]
    assert (result.status, result.points) == ("incorrect", 0)


def test_sql_other_than_a_query_is_never_run_by_the_grader(tmp_path):
    target = tmp_path / "written-by-the-learner.csv"
    folder = tmp_path / "export" / "monthly_revenue_sql"
    folder.mkdir(parents=True)
    (folder / "status.json").write_text(json.dumps({"status": "prepared", "message": ""}))
    (folder / "payload.sql").write_text(f"COPY (SELECT 42 AS answer) TO '{target}'")
    result = by_id(judge_all("00-start-here", tmp_path / "export"))["monthly_revenue_sql"]
    assert (result.status, result.points) == ("error in your code", 0)
    assert result.message == "Write one SELECT query; a COPY statement is not run by the grader."
    assert not target.exists()


def test_links_and_oversized_answers_are_not_copied(tmp_path, monkeypatch):
    secret = tmp_path / "instructor-only.txt"
    secret.write_text('["B"]')
    export = tmp_path / "export"
    (export / "engine_choice").mkdir(parents=True)
    (export / "engine_choice" / "status.json").write_text(json.dumps({"status": "prepared", "message": ""}))
    (export / "engine_choice" / "payload.json").symlink_to(secret)
    (export / "size_bucket").mkdir()
    (export / "size_bucket" / "status.json").write_text(json.dumps({"status": "prepared", "message": ""}))
    (export / "size_bucket" / "payload.json").write_text("[" + "0, " * 400_000 + "0]")
    (export / "orders_per_status").symlink_to(export / "size_bucket")
    monkeypatch.setattr(exports, "MAX_ANSWER_MB", 1)

    copy_answers(export, tmp_path / "copy", ["orders_per_status", "size_bucket", "engine_choice"])
    results = by_id(judge_all("00-start-here", tmp_path / "copy"))
    assert results["engine_choice"].message == "The recorded answer holds 'payload.json', which is not a plain file."
    assert results["size_bucket"].message == "The recorded answer is 1.1 MB, more than the 1 MB the grader reads."
    assert results["orders_per_status"].status == "not attempted"  # a linked folder is no answer
    assert all(r.points == 0 for r in results.values())
