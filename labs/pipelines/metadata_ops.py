"""The operations of a metadata pipeline: one entry in ``OPS`` holds everything an op is.

An entry says which parameters the op takes, what it does to the column names (checked
before any data moves), how it reads in a log line, how it runs on a Spark DataFrame, and
what an error in its plan names. Adding an op is adding one entry here.

    >>> list(OPS)
    ['filter', 'rename', 'add_column', 'cast', 'drop', 'select', 'dedupe', 'quality_gate']
    >>> OPS["rename"].columns_after({"columns": {"amount": "total"}}, ["id", "amount"])
    (['id', 'total'], [])
    >>> OPS["drop"].columns_after({"columns": ["id"]}, ["id", "amount"])
    (['amount'], [])
    >>> describe_step({"op": "dedupe", "keys": ["id"], "order_by": "updated_at"})
    'one row per id, latest by updated_at'
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Callable

from labs._check import is_number
from labs.pipelines import quality_gates
from labs.pipelines.spark_errors import analysed, spark_exception, spark_reason


@dataclass(frozen=True)
class OpSpec:
    """One op: its parameters ({name: str, list, dict or a number type}) and its behaviour.

    ``columns_after(params, columns)`` returns ``(columns after the step, problems)``;
    ``describe(params)`` one line for logs and tables; ``apply(df, params)`` returns
    ``(result, quarantined rows or None)``; ``subject(params)`` is what a plan error blames
    ('' to give Spark's reason alone); ``plan_problems(df, params)`` finds the precise
    problems behind a plan error, when the op can (empty: the generic sentence is used).
    """
    required: dict
    optional: dict
    changes_rows: bool  # only these steps are counted: the others keep the row count by construction
    doc: str
    columns_after: Callable[[dict, list], tuple[list, list]]
    describe: Callable[[dict], str]
    apply: Callable
    subject: Callable[[dict], str] = lambda params: "the step"
    plan_problems: Callable = lambda df, params: []


# --- words shared with the metadata checks ---------------------------------------------------
def did_you_mean(word, choices) -> str:
    """A suggestion for a typo: a choice that contains the word (month -> order_month), else the closest.

        >>> did_you_mean("month", ["order_id", "order_month"])
        " (did you mean 'order_month'?)"
    """
    word = str(word)
    containing = [c for c in choices if word and word.lower() in str(c).lower()]
    close = containing[:1] or difflib.get_close_matches(word, [str(c) for c in choices], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def missing_columns(names, columns, what: str) -> list[str]:
    """One sentence per name in ``names`` that is not one of ``columns``."""
    return [f"{what} {name!r} is not a column here{did_you_mean(name, columns)}; columns: {', '.join(columns)}"
            for name in names if name not in columns]


# --- each op ---------------------------------------------------------------------------------
def _functions():
    from pyspark.sql import functions as F

    return F


def _keep(params, columns):
    return list(columns), []


def _rename_columns(p, columns):
    problems = missing_columns(p["columns"], columns, "column")
    kept = [c for c in columns if c not in p["columns"]]
    for new in p["columns"].values():
        if new in kept or list(p["columns"].values()).count(new) > 1:
            problems.append(f"the new name {new!r} is already taken")
    return [p["columns"].get(c, c) for c in columns], problems


def _add_column_columns(p, columns):
    problems = []
    if p["name"] in columns:
        problems.append(f"column {p['name']!r} already exists; use a new name, or cast to change its type")
    return list(columns) + [p["name"]], problems


def _cast_columns(p, columns):
    return list(columns), missing_columns(p["columns"], columns, "column")


def _drop_columns(p, columns):
    problems = missing_columns(p["columns"], columns, "column")
    out = [c for c in columns if c not in p["columns"]]
    if not out:
        problems.append("dropping every column leaves nothing to write")
    return out, problems


def _select_columns(p, columns):
    return list(p["columns"]), missing_columns(p["columns"], columns, "column")


def _dedupe_columns(p, columns):
    names = list(p.get("keys", [])) + ([p["order_by"]] if "order_by" in p else [])
    problems = missing_columns(names, columns, "column")
    if "order_by" in p and "keys" not in p:
        problems.append("order_by needs keys (the latest row of what?)")
    return list(columns), problems


def _gate_columns(p, columns):
    problems = []
    try:
        quality_gates.normalise_rules(p["rules"])
    except ValueError as exc:
        problems.append(str(exc))
    fraction = p.get("max_failed_fraction", 1.0)
    if not is_number(fraction) or not 0 <= fraction <= 1:
        problems.append(f"max_failed_fraction must be a number from 0 to 1; got {fraction!r}")
    if quality_gates.FAILED_RULES in columns:
        problems.append(f"the data already has a column {quality_gates.FAILED_RULES!r}")
    return list(columns), problems


def _describe_dedupe(p):
    if "keys" not in p:
        return "distinct rows"
    latest = f", latest by {p['order_by']}" if "order_by" in p else ""
    return f"one row per {', '.join(p['keys'])}{latest}"


def _describe_gate(p):
    return f"{len(p['rules'])} rule{'s' if len(p['rules']) > 1 else ''}: {', '.join(p['rules'])}"


def _apply_dedupe(df, p):
    from pyspark.sql import Window

    F = _functions()
    if "keys" not in p:
        return df.dropDuplicates(), None
    if "order_by" not in p:
        return df.dropDuplicates(p["keys"]), None
    latest = Window.partitionBy(*p["keys"]).orderBy(F.col(p["order_by"]).desc())
    return (df.withColumn("__rank", F.row_number().over(latest))
            .filter(F.col("__rank") == 1).drop("__rank")), None


def _bad_rules(df, p) -> list[str]:
    """Each rule of a gate tried alone, so the plan error names the rule that does not run."""
    F = _functions()
    out = []
    for rule in quality_gates.normalise_rules(p["rules"]):
        try:
            analysed(df.select(F.expr(quality_gates.broken_sql(rule))))
        except spark_exception() as exc:
            out.append(f"rule {rule.name!r} ({rule.condition}) is not valid here: {spark_reason(exc, df.columns)}")
    return out


def _listed(p):
    return ", ".join(p["columns"])


OPS = {
    "filter": OpSpec(
        {"condition": str}, {}, True, "keep the rows where a SQL condition is true",
        columns_after=_keep,
        describe=lambda p: p["condition"],
        apply=lambda df, p: (df.filter(_functions().expr(p["condition"])), None),
        subject=lambda p: f"condition {p.get('condition')!r}"),
    "rename": OpSpec(
        {"columns": dict}, {}, False, "rename columns: {old: new}",
        columns_after=_rename_columns,
        describe=lambda p: ", ".join(f"{a} → {b}" for a, b in p["columns"].items()),
        apply=lambda df, p: (df.withColumnsRenamed(p["columns"]), None)),
    "add_column": OpSpec(
        {"name": str, "expr": str}, {}, False, "a new column from a SQL expression",
        columns_after=_add_column_columns,
        describe=lambda p: f"{p['name']} = {p['expr']}",
        apply=lambda df, p: (df.withColumn(p["name"], _functions().expr(p["expr"])), None),
        subject=lambda p: f"expression {p.get('expr')!r}"),
    "cast": OpSpec(
        {"columns": dict}, {}, False, "change column types: {column: Spark type}",
        columns_after=_cast_columns,
        describe=lambda p: ", ".join(f"{c} as {t}" for c, t in p["columns"].items()),
        apply=lambda df, p: (df.withColumns({c: _functions().col(c).cast(t) for c, t in p["columns"].items()}), None),
        subject=lambda p: f"cast {describe_step(p)!r}"),
    "drop": OpSpec(
        {"columns": list}, {}, False, "remove columns",
        columns_after=_drop_columns,
        describe=_listed,
        apply=lambda df, p: (df.drop(*p["columns"]), None)),
    "select": OpSpec(
        {"columns": list}, {}, False, "keep only these columns, in this order",
        columns_after=_select_columns,
        describe=_listed,
        apply=lambda df, p: (df.select(*p["columns"]), None)),
    "dedupe": OpSpec(
        {}, {"keys": list, "order_by": str}, True,
        "one row per key (the one with the largest order_by), or distinct rows without keys",
        columns_after=_dedupe_columns,
        describe=_describe_dedupe,
        apply=_apply_dedupe),
    "quality_gate": OpSpec(
        {"rules": dict}, {"max_failed_fraction": (int, float)}, True,
        "move rows that break a rule to the quarantine",
        columns_after=_gate_columns,
        describe=_describe_gate,
        apply=lambda df, p: quality_gates.gate_spark(df, p["rules"]),
        subject=lambda p: "",
        plan_problems=_bad_rules),
}


def describe_step(step: dict) -> str:
    """One line saying what a step does, for logs and tables ('' for an unknown op)."""
    spec = OPS.get(step.get("op"))
    return spec.describe(step) if spec else ""
