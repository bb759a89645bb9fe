"""Every answer kind, both ways: the reference passes, plausible wrong answers fail with a clear message."""
import os
import time

import pandas as pd
import pytest

from grader.kinds import Choice, Design, Function, Mistake, Number, Requirement, Sql, Table, Thought
from grader.notebook import evaluate
from grader.checkers import sql as sqlc
from grader.verdict import Status


def status_and_message(ex, answer):
    v = evaluate(ex, answer)
    return v.status, v.message


# --- table ---------------------------------------------------------------------------
TABLE = Table(id="t", expected_fn=lambda: pd.DataFrame({"k": ["a", "b"], "n": [2, 1]}))


def test_table_both_ways():
    assert evaluate(TABLE, pd.DataFrame({"k": ["b", "a"], "n": [1, 2]})).correct
    status, message = status_and_message(TABLE, pd.DataFrame({"k": ["a"], "n": [2]}))
    assert status is Status.INCORRECT and "1 row is missing" in message
    status, message = status_and_message(TABLE, pd.DataFrame({"key": ["a", "b"], "n": [2, 1]}))
    assert status is Status.INCORRECT and "missing column(s) k" in message
    assert evaluate(TABLE, ...).status is Status.NOT_ATTEMPTED
    assert evaluate(TABLE, [("a", 2)]).status is Status.ERROR


def test_table_expected_is_built_once():
    calls = []
    ex = Table(id="t", expected_fn=lambda: calls.append(1) or pd.DataFrame({"x": [1]}))
    assert calls == []  # nothing at definition time
    evaluate(ex, pd.DataFrame({"x": [1]}))
    evaluate(ex, pd.DataFrame({"x": [1]}))
    assert calls == [1]


def test_table_huge_answer_is_refused_with_a_reason():
    ex = Table(id="t", expected_fn=lambda: pd.DataFrame({"x": [1]}), max_rows=10)
    v = evaluate(ex, pd.DataFrame({"x": range(11)}))
    assert v.status is Status.ERROR and "far more than expected" in v.message


# --- sql -----------------------------------------------------------------------------
SQL = Sql(
    id="s",
    fixtures=lambda: {"sales": pd.DataFrame({"k": ["a", "a", "b"], "amount": [1.0, 2.0, 5.0]})},
    reference="select k, sum(amount) as total from sales group by k",
    rules=(sqlc.NO_SELECT_STAR,),
)


def test_sql_both_ways():
    assert evaluate(SQL, "SELECT k, SUM(amount) AS total FROM sales GROUP BY 1").correct
    status, message = status_and_message(SQL, "select k, count(*) as total from sales group by k")
    assert status is Status.INCORRECT and "result differs" in message
    status, message = status_and_message(SQL, "select k, sum(amount) as total from sales where amount > 1 group by k")
    assert status is Status.INCORRECT
    assert status_and_message(SQL, "select * from sales") == (Status.INCORRECT, sqlc.NO_SELECT_STAR.message)
    assert evaluate(SQL, "select k from nowhere").status is Status.ERROR
    assert evaluate(SQL, ...).status is Status.NOT_ATTEMPTED


def test_sql_window_rule():
    ex = Sql(id="w", fixtures=SQL.fixtures, reference="select k, amount, sum(amount) over (partition by k) as total from sales",
             rules=(sqlc.USES_WINDOW,))
    assert evaluate(ex, "select k, amount, sum(amount) over (partition by k) as total from sales").correct
    join = "select s.k, s.amount, t.total from sales s join (select k, sum(amount) total from sales group by k) t using (k)"
    assert status_and_message(ex, join) == (Status.INCORRECT, sqlc.USES_WINDOW.message)


# --- function ------------------------------------------------------------------------
def reference_double(x):
    return 2 * x


FUNC = Function(id="double", reference=reference_double, cases=((1,), (0,), (-3,)),
                generate=lambda rng: (rng.randint(-100, 100),), n_generated=10, timeout_s=1.0)


def test_function_both_ways():
    assert evaluate(FUNC, lambda x: x + x).correct
    status, message = status_and_message(FUNC, lambda x: x * x)
    assert status is Status.INCORRECT and message == "double(1) returned 1; expected 2."
    status, message = status_and_message(FUNC, lambda x: 2 * x if abs(x) < 10 else 0)
    assert status is Status.INCORRECT and message.startswith("Your function passes the fixed cases but double(")


def test_function_learner_errors_are_theirs():
    status, message = status_and_message(FUNC, lambda x: 2 * x if x else 1 / x)
    assert status is Status.ERROR and "double(0): ZeroDivisionError" in message

    def stub(x):
        raise NotImplementedError("your code here")

    assert evaluate(FUNC, stub).status is Status.NOT_ATTEMPTED
    assert evaluate(FUNC, "not a function").status is Status.ERROR


def test_function_endless_loop_is_stopped():
    def spin(x):
        while True:
            pass

    started = time.monotonic()
    v = evaluate(FUNC, spin)
    assert v.status is Status.ERROR and "still running after 1 s" in v.message
    assert time.monotonic() - started < 10


def test_function_that_kills_its_process_is_reported():
    v = evaluate(FUNC, lambda x: os._exit(3))
    assert v.status is Status.ERROR and "ended the process" in v.message


def test_function_probe_both_ways():
    ex = Function(id="p", reference=reference_double, cases=((1,),),
                  probes=(("deterministic", lambda fn: [fn(5), fn(5)], lambda obs: None if obs[0] == obs[1] else "not deterministic"),))
    assert evaluate(ex, reference_double).correct
    counter = iter(range(100))
    assert evaluate(ex, lambda x: 2 * x if x == 1 else next(counter)).message == "not deterministic"


# --- number --------------------------------------------------------------------------
NUMBER = Number(id="eps", value=1000.0, rel_tol=0.1, unit="events/s")


def test_number_both_ways():
    assert evaluate(NUMBER, 1050).correct
    v = evaluate(NUMBER, 2000)
    assert v.status is Status.INCORRECT
    assert v.message == "2,000 events/s is above the accepted range 900–1,100 events/s (100% off)."
    assert "below" in evaluate(NUMBER, 10).message
    assert evaluate(NUMBER, "1000").status is Status.ERROR
    assert evaluate(NUMBER, float("nan")).status is Status.ERROR
    assert evaluate(NUMBER, ...).status is Status.NOT_ATTEMPTED


def test_number_counts_read_with_thousands_separators_and_known_mistakes_get_their_sentence():
    rows = Number(id="rows", value=4_160_000, rel_tol=0.02, unit="rows",
                  mistakes=((5_800_000, "Type 2 adds one row per change; it does not compound."),))
    v = evaluate(rows, 5_800_000)
    assert v.message == ("5,800,000 rows is above the accepted range 4,076,800–4,243,200 rows (39% off). "
                         "Type 2 adds one row per change; it does not compound.")
    assert "compound" not in evaluate(rows, 6_500_000).message  # only the known mistake gets the sentence
    near = Number(id="ms", value=170, abs_tol=6, mistakes=((80, "one-way, not a round trip", 2),
                                                            (85, "the eu-asia delay", 2)))
    assert evaluate(near, 80).message.endswith("one-way, not a round trip")
    assert evaluate(near, 85).message.endswith("the eu-asia delay")


def test_function_messages_count_right_and_name_a_class_a_class():
    one = Function(id="f", reference=lambda x: x, cases=((1,),))
    assert evaluate(one, lambda x: x).message == "Your function passes the test case."

    class Same:
        def __init__(self, x):
            self.x = x

        def __eq__(self, other):
            return True

    probe_only = Function(id="cls", probes=(("builds", lambda cls: cls(1).x, lambda x: None if x == 1 else "no"),))
    assert evaluate(probe_only, Same).message == "Your class passes 1 behaviour check."


def test_a_known_wrong_query_gets_its_own_sentence():
    ex = Sql(id="s", fixtures=lambda: {"dim": pd.DataFrame({"k": [1, 1, 2], "cur": [False, True, True], "v": [1, 2, 3]})},
             reference="SELECT k, sum(v) AS v FROM dim GROUP BY k",
             mistakes=(Mistake(sql="SELECT k, sum(v) AS v FROM dim WHERE cur GROUP BY k",
                               says="Did you filter is_current? History needs every version."),))
    v = evaluate(ex, "SELECT k, max(v) AS v FROM dim WHERE cur GROUP BY k")
    assert v.message == "Your query's result differs: Did you filter is_current? History needs every version."
    assert v.details[0] == "1 row is missing; 1 row should not be there."
    other = evaluate(ex, "SELECT k, 0 AS v FROM dim GROUP BY k")
    assert "is_current" not in other.message


def test_a_known_wrong_table_gets_its_own_sentence():
    ex = Table(id="t", expected_fn=lambda: pd.DataFrame({"k": [1, 2]}),
               mistakes=(Mistake(table=lambda: pd.DataFrame({"k": [1]}), says="Keep the orders without payments."),))
    assert evaluate(ex, pd.DataFrame({"k": [1]})).message == "Keep the orders without payments."


# --- choice --------------------------------------------------------------------------
CHOICE = Choice(id="c", options={"A": "right one", "B": "also right", "C": "wrong: why"}, correct=("A", "B"), multiple=True)


def test_choice_both_ways():
    assert evaluate(CHOICE, {"A", "B"}).correct
    v = evaluate(CHOICE, {"A", "C"})
    assert v.status is Status.INCORRECT and v.details == ["C: wrong: why"] and "1 more option" in v.message
    assert evaluate(CHOICE, ["A"]).message == "What you chose is right, but not complete. 1 more option should be chosen."
    assert evaluate(CHOICE, "Z").status is Status.ERROR
    single = Choice(id="one", options={"A": "a", "B": "b"}, correct=("A",))
    assert evaluate(single, {"A", "B"}).message == "Choose exactly one option."


# --- design --------------------------------------------------------------------------
DESIGN = Design(
    id="d",
    stages=("ingestion", "storage"),
    catalogue={"ingestion": ("kafka", "batch files"), "storage": ("lake", "warehouse")},
    requirements=(
        Requirement("replay", lambda d: d["ingestion"] == "kafka", "events must be replayable for a week"),
        Requirement("raw kept", lambda d: d["storage"] == "lake", "raw data must be kept cheaply"),
    ),
)


def test_design_both_ways():
    assert evaluate(DESIGN, {"ingestion": "kafka", "storage": "lake"}).correct
    v = evaluate(DESIGN, {"ingestion": "batch files", "storage": "lake"})
    assert v.status is Status.INCORRECT and v.details == ["replay: events must be replayable for a week"]
    v = evaluate(DESIGN, {"ingestion": "kafka"})
    assert v.details == ["no choice for stage 'storage'"]
    v = evaluate(DESIGN, {"ingestion": "carrier pigeon", "storage": "lake"})
    assert "not in the catalogue" in v.message


def test_thought_is_ungraded():
    ex = Thought(id="think")
    assert evaluate(ex, "my answer").status is Status.UNGRADED
    assert evaluate(ex, "").status is Status.NOT_ATTEMPTED


def test_design_details_render_as_prose_and_table_rows_as_code():
    unmet = evaluate(DESIGN, {"ingestion": "batch files", "storage": "warehouse"})
    assert unmet.prose and "<code>" not in unmet._repr_html_()
    rows = evaluate(TABLE, pd.DataFrame({"k": ["a"], "n": [2]}))
    assert not rows.prose and "<code>" in rows._repr_html_()
