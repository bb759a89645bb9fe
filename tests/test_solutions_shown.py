"""A shown solution is the tested solution: the text ``nb.solution(id)`` shows, run through the real
check, is judged correct, for every exercise of every spec.

- A SQL exercise's text is the learner's SQL (Spark SQL where the exercise reads Spark's dialect).
- Any other text is Python, run in the notebook's namespace: what its answer corpus's ``setup``
  defines (``tests/answers/nbNN.yaml``), plus what the notebook's own cells do around the
  solution cell (``CELLS`` below). The answer is the text's value when it is one expression, otherwise the
  object it defines: the exercise's id, else its ``call_name``, else the last name it assigns.
- A choice shown as a bare option key (``B``) is that key; a design shown with notes after it
  (the drills) is judged on the part before the notes.

Several texts cannot be derived from their reference with ``inspect.getsource`` (nb02's
``scd2_merge``, nb03's ``next_increment``, nb05's ``Ring``): this test is what keeps the two equal.
"""
from __future__ import annotations

import ast
import importlib
import math
import pkgutil

import pytest

import answer_corpus
import grader.specs
from grader import design, spark_sql
from grader.notebook import evaluate, load_exercises
from grader.verdict import Status

# every notebook with a spec, so a new notebook is covered the day its spec lands
NOTEBOOKS = sorted(importlib.import_module(f"grader.specs.{info.name}").NOTEBOOK
                   for info in pkgutil.iter_modules(grader.specs.__path__) if info.name.startswith("nb"))

# What the notebook's own cells do around a solution cell that the corpus's setup does not:
# (code run before the text, code run after it, the name the check cell submits).
CELLS = {
    ("02-data-modeling", "fact_orders"): ("con = src", "", ""),
    ("03-etl-elt-pipelines", "onboard_output"): (
        "from labs.pipelines import metadata_pipeline as mp\n"
        "returns_pipeline = returns_meta()", "", ""),
    ("03-etl-elt-pipelines", "quarantine"): (
        "gate_con = duckdb()\n"
        "gate_con.register('dirty', sources.dirty_orders())\n"
        "gate_con.execute('CREATE TABLE batch AS SELECT * FROM dirty')", "", ""),
    ("07-streaming", "window_counts"): (
        "ex_work = queries.workspace('nb07-solution-shown')\n"
        "ex_stream = queries.source(spark, ex_work / 'source')",
        "my_query = queries.start(my_counts, 'my_counts', ex_work / 'checkpoint')\n"
        "try:\n"
        "    queries.replay(feed, ex_work / 'source', [my_query])\n"
        "finally:\n"
        "    my_query.stop()", "my_query"),
    ("07-streaming", "dropped_rows"): (
        "my_query = stream_counts(lambda s: five_minute_counts(s.withWatermark('event_time', '10 minutes')\n"
        "                         .dropDuplicatesWithinWatermark(['event_id'])), 'shown_dropped')", "", ""),
}


def _cases():
    for notebook in NOTEBOOKS:
        for ex_id in load_exercises(notebook):
            yield pytest.param(notebook, ex_id, id=f"{notebook[:2]}:{ex_id}")


def _drill_names(ex_id: str) -> dict:
    """For a drill's estimate: the numbers its prompt gives and the estimates asked before it."""
    for p in design.prompts():
        names = {k: g["value"] for k, g in p.given.items()}
        for ask in p.asks:
            if ask["id"] == ex_id:
                return names
            names[ask["name"]] = design.estimate(ask["formula"], names)
    return {}


def _namespace(notebook: str, ex_id: str) -> dict:
    names = dict(answer_corpus.load(notebook).namespace)
    names.update({k: v for k, v in vars(math).items() if not k.startswith("_")})
    names.update(_drill_names(ex_id) if notebook.startswith("90") else {})
    return names


def _answer(ex, notebook: str):
    text = ex.solution.split("\n\nNotes:")[0]
    if ex.kind == "sql":
        return spark_sql(text) if getattr(ex, "dialect", "duckdb") == "spark" else text
    if ex.kind == "choice" and text in ex.options:  # shown as the bare key to give
        return text
    names = _namespace(notebook, ex.id)
    before, after, submitted = CELLS.get((notebook, ex.id), ("", "", ""))
    exec(before, names)
    tree = ast.parse(text)
    if len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr):
        return eval(compile(text, f"{ex.id} solution", "eval"), names)
    defined = [t.id for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
               for t in (node.targets if isinstance(node, ast.Assign) else [node.target]) if isinstance(t, ast.Name)]
    defined += [node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
    exec(compile(text, f"{ex.id} solution", "exec"), names)
    exec(after, names)
    if submitted:
        return names[submitted]
    for name in (ex.id, getattr(ex, "call_name", ""), *reversed(defined)):
        if name and name in names and name in defined:
            return names[name]
    raise AssertionError(f"{ex.id}: the solution text defines neither {ex.id} nor anything else to submit")


@pytest.mark.parametrize("notebook, ex_id", list(_cases()))
def test_the_solution_shown_is_correct(notebook, ex_id):
    ex = load_exercises(notebook)[ex_id]
    verdict = evaluate(ex, _answer(ex, notebook))
    want = Status.UNGRADED if ex.kind == "thought" else Status.CORRECT
    assert verdict.status is want, f"{ex_id}: {verdict.message} {verdict.details}"


def test_a_merge_that_is_not_null_safe_fails_on_the_fixture():
    """The scd2_merge fixture has a customer sent again unchanged with a NULL e-mail, so the shown text
    without its NULL-safe comparison (two missing values counted as a change) is judged wrong."""
    from grader.specs import nb02_data_modeling as spec

    safe = '        differs |= ((new != old) & ~(new.isna() & old.isna())).to_numpy()'
    assert safe in spec.SCD2_SOLUTION
    names = _namespace("02-data-modeling", "scd2_merge")
    exec(spec.SCD2_SOLUTION.replace(safe, '        differs |= (new != old).to_numpy()'), names)
    verdict = evaluate(load_exercises("02-data-modeling")["scd2_merge"], names["scd2_merge"])
    assert verdict.status is Status.INCORRECT and "NULL email" in verdict.message
