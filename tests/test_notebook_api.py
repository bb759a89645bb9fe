"""The learner-facing API: check, hint, solution, strict mode, and the batch export round trip."""
import pytest

import grader
from grader.notebook import CheckFailed, judge_exported
from grader.verdict import Status

RIGHT_SQL = ("SELECT CAST(date_trunc('month', order_ts) AS DATE) AS month, sum(total_amount) AS revenue "
             "FROM orders WHERE status = 'completed' GROUP BY 1")


@pytest.fixture(scope="module")
def nb():
    return grader.start("00-start-here")


def test_unknown_exercise_lists_known_ones(nb):
    with pytest.raises(KeyError, match="known: orders_per_status"):
        nb.check("nope", 1)


def test_unknown_notebook_is_a_clear_error():
    with pytest.raises(ValueError, match="No exercises are defined for notebook '42-nothing'"):
        grader.start("42-nothing")


def test_check_never_raises_in_normal_mode(nb):
    assert nb.check("engine_choice", "A").status is Status.INCORRECT
    assert nb.check("engine_choice", ...).status is Status.NOT_ATTEMPTED


def test_strict_mode_raises_on_anything_but_correct(nb, monkeypatch):
    monkeypatch.setenv("GRADER_STRICT", "1")
    assert nb.check("engine_choice", "B").correct
    with pytest.raises(CheckFailed, match="engine_choice: incorrect"):
        nb.check("engine_choice", "A")
    with pytest.raises(CheckFailed, match="not attempted"):
        nb.check("engine_choice", ...)


def test_trying_an_answer_neither_records_nor_raises(nb, monkeypatch):
    monkeypatch.setenv("GRADER_STRICT", "1")
    assert nb.try_answer("engine_choice", "A").status is Status.INCORRECT  # strict mode raises only in check
    assert nb.progress().set_index("exercise").loc["engine_choice", "status"] == "not attempted"


def test_a_check_that_breaks_is_the_kits_fault_and_an_answer_that_breaks_is_the_learners():
    from grader.kinds import Choice

    class Broken(Choice):
        def find_problem(self, payload):
            raise RuntimeError("a bug in the check")

    broken = Broken(id="b", options={"A": "a", "B": "b"}, correct=("A",))
    verdict = grader.notebook.evaluate(broken, "A")
    assert verdict.status is Status.UNCHECKED and not verdict.passed
    assert "says nothing about your answer" in verdict.message and "RuntimeError" in verdict.message

    class Unreadable:
        def __iter__(self):
            raise ValueError("cannot iterate")

    verdict = grader.notebook.evaluate(Choice(id="c", options={"A": "a"}, correct=("A",)), Unreadable())
    assert verdict.status is Status.ERROR and verdict.message.startswith("Your answer could not be read")


def test_hints_are_levelled(nb):
    assert nb.hint("monthly_revenue_sql").startswith("Hint 1:")
    assert "hint 2 of 3" in nb.hint("monthly_revenue_sql", 2)
    assert nb.hint("monthly_revenue_sql", 99).startswith("Hint 3:")
    assert "date_trunc" in nb.solution("monthly_revenue_sql")


def test_verdict_renders_as_html_and_text(nb):
    v = nb.check("engine_choice", "A")
    assert "<div" in v._repr_html_() and "✗ engine_choice: incorrect." in str(v)


def test_progress_is_recorded(nb):
    nb.check("engine_choice", "B")
    row = nb.progress().set_index("exercise").loc["engine_choice"]
    assert row["status"] == "correct"


def test_export_then_judge_in_another_place(nb, monkeypatch, tmp_path):
    """Batch mode: the kernel only writes the prepared answer; the grader judges it."""
    monkeypatch.setenv("GRADER_EXPORT_DIR", str(tmp_path))
    assert nb.check("monthly_revenue_sql", RIGHT_SQL).status is Status.SUBMITTED
    assert nb.check("engine_choice", "C").status is Status.SUBMITTED
    assert nb.check("size_bucket", ...).status is Status.SUBMITTED
    monkeypatch.delenv("GRADER_EXPORT_DIR")
    ex = nb.exercises
    assert judge_exported(ex["monthly_revenue_sql"], tmp_path / "monthly_revenue_sql").correct
    assert judge_exported(ex["engine_choice"], tmp_path / "engine_choice").status is Status.INCORRECT
    assert judge_exported(ex["size_bucket"], tmp_path / "size_bucket").status is Status.NOT_ATTEMPTED
    assert judge_exported(ex["orders_per_status"], tmp_path / "orders_per_status").status is Status.NOT_ATTEMPTED


def test_forged_export_cannot_claim_correct(nb, monkeypatch, tmp_path):
    monkeypatch.setenv("GRADER_EXPORT_DIR", str(tmp_path))
    nb.check("engine_choice", "A")
    (tmp_path / "engine_choice" / "payload.json").write_text('{"verdict": "correct"')
    monkeypatch.delenv("GRADER_EXPORT_DIR")
    assert judge_exported(nb.exercises["engine_choice"], tmp_path / "engine_choice").status is Status.ERROR


def test_a_broken_expected_answer_is_the_kits_fault_not_the_learners(tmp_path):
    """Judging must not turn a bug in the exercise itself into an error verdict for the learner."""
    import pandas as pd

    from grader.kinds import Table

    def broken():
        raise FileNotFoundError("datasets/orders.parquet")

    ex = Table(id="t", expected_fn=broken)
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "status.json").write_text('{"status": "prepared", "message": ""}')
    ex.dump(pd.DataFrame({"a": [1]}), folder)
    with pytest.raises(FileNotFoundError):
        judge_exported(ex, folder)
