"""Quality gates inside a pipeline: rows that break a rule go to quarantine, not to the target.

A rule is a SQL condition that a good row satisfies (``amount > 0``,
``email LIKE '%@%'``). A gate splits a batch in two:

- rows that pass every rule continue to the target;
- the others land in a quarantine table, each with ``failed_rules``: the names of the
  rules it broke, so that someone can fix the cause and replay exactly those rows;

and it reconciles the counts: rows in = rows passed + rows quarantined. A gate that
cannot show that equation has lost rows somewhere.

NULL is the classic leak. ``amount > 0`` is neither true nor false when ``amount`` is
NULL, so a split written as ``WHERE rule`` / ``WHERE NOT rule`` sends that row to
neither side. Here a rule that is not TRUE counts as broken (``coalesce(rule, false)``).

    >>> from labs.engines import duckdb
    >>> con = duckdb()
    >>> _ = con.execute("CREATE TABLE batch AS SELECT * FROM (VALUES (1, 20.0), (2, -5.0), (3, NULL)) t(id, amount)")
    >>> report = gate_duckdb(con, "batch", {"positive_amount": "amount > 0"}, passed="clean", quarantine="bad")
    >>> report.rows_in, report.rows_passed, report.rows_quarantined, report.reconciled
    (3, 1, 2, True)
    >>> con.sql("SELECT id, failed_rules FROM bad ORDER BY id").fetchall()
    [(2, 'positive_amount'), (3, 'positive_amount')]

The same rules run on Spark (``gate_spark``): ``failed_rules_sql`` writes one
expression that DuckDB and Spark SQL both understand.

This module is notebook 03's thin layer over the kit's one rule engine,
``labs.quality.rules`` (its ``Rule``, its ``failed_rules`` column, its split): what it
adds is what a gate in a pipeline teaches, rules written as ``{name: SQL condition}``,
two tables written in one transaction, and the reconciliation report.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from labs.quality import rules as engine
from labs.quality.rules import FAILED_RULES, Rule

__all__ = ["FAILED_RULES", "GateReport", "Rule", "broken_sql", "failed_rules_sql", "gate_duckdb", "gate_spark",
           "normalise_rules"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # a gate's rule names may use capitals, a standard's may not


def normalise_rules(rules) -> list[Rule]:
    """Rules from a dict {name: condition}, or a list of ``Rule`` or (name, condition) pairs.

        >>> normalise_rules({"has_id": "id IS NOT NULL"})
        [Rule(name='has_id', condition='id IS NOT NULL')]
    """
    if isinstance(rules, dict):
        items = list(rules.items())
    else:
        try:
            items = [(r.name, r.condition if r.check == engine.SQL else r) if isinstance(r, Rule) else tuple(r)
                     for r in rules]
        except TypeError:
            raise ValueError("rules must be a dict {name: SQL condition} or a list of Rule; "
                             f"got {type(rules).__name__}.") from None
    if not items:
        raise ValueError("rules is empty: a gate needs at least one rule.")
    out, seen = [], set()
    for item in items:
        if len(item) != 2:
            raise ValueError(f"rules: each rule is a (name, condition) pair; got {item!r}.")
        name, condition = item
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(f"rules: rule name {name!r} must be a plain identifier (letters, digits, _).")
        if name in seen:
            raise ValueError(f"rules: rule name {name!r} appears twice.")
        if not isinstance(condition, str) or not condition.strip():
            raise ValueError(f"rules: rule {name!r} needs a SQL condition as text; got {condition!r}.")
        seen.add(name)
        out.append(Rule(name, condition=condition.strip()))
    return out


def broken_sql(rule: Rule) -> str:
    """TRUE when a row breaks ``rule``; a NULL result counts as broken.

        >>> broken_sql(Rule("positive_amount", condition="amount > 0"))
        'NOT coalesce((amount > 0), false)'
    """
    return engine.fails_sql(rule)


def failed_rules_sql(rules) -> str:
    """One SQL expression (DuckDB and Spark) listing the broken rules of a row, '' if none.

        >>> failed_rules_sql({"a": "x > 0"})
        "concat_ws(',', CASE WHEN NOT coalesce((x > 0), false) THEN 'a' END)"
    """
    return engine.failed_rules_sql(normalise_rules(rules))


@dataclass
class GateReport:
    """What a gate did: counts in and out, and how many rows broke each rule."""
    rows_in: int
    rows_passed: int
    rows_quarantined: int
    failures: dict[str, int] = field(default_factory=dict)

    @property
    def reconciled(self) -> bool:
        return self.rows_in == self.rows_passed + self.rows_quarantined

    def table(self) -> pd.DataFrame:
        """Rows that broke each rule (a row breaking two rules counts in both)."""
        return pd.DataFrame({"rule": list(self.failures), "rows_failing": list(self.failures.values())})

    def __str__(self) -> str:
        sign = "=" if self.reconciled else "≠"
        return (f"{self.rows_in:,} in {sign} {self.rows_passed:,} passed + {self.rows_quarantined:,} quarantined"
                + ("" if self.reconciled else "  (ROWS LOST)"))


def gate_duckdb(con, source: str, rules, passed: str, quarantine: str,
                failed_column: str = FAILED_RULES) -> GateReport:
    """Split table ``source`` into tables ``passed`` and ``quarantine`` by ``rules``.

    Every rule is tried on the source first, so a typo in a rule is a ``ValueError``
    naming the rule before any table is written. Both tables are written in one
    transaction: a failure leaves neither behind.
    """
    rules = normalise_rules(rules)
    columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
    if failed_column in columns:
        raise ValueError(f"failed_column: {source} already has a column {failed_column!r}; choose another name.")
    for rule in rules:
        try:
            con.execute(f"SELECT {broken_sql(rule)} FROM {source} LIMIT 0")
        except Exception as exc:  # DuckDB's binder or parser error, about the learner's rule
            first = str(exc).strip().splitlines()[0]
            raise ValueError(f"rules: rule {rule.name!r} ({rule.condition}) does not run on {source}: {first}") from None
    counts = ", ".join(f"count(*) FILTER (WHERE {broken_sql(r)})" for r in rules)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE __gate AS {engine.tagged_sql(source, rules, failed_column)}")
        con.execute(f"CREATE OR REPLACE TABLE {passed} AS "
                    f"SELECT * EXCLUDE ({failed_column}) FROM __gate WHERE {failed_column} IS NULL")
        con.execute(f"CREATE OR REPLACE TABLE {quarantine} AS SELECT * FROM __gate WHERE {failed_column} IS NOT NULL")
        per_rule = con.execute(f"SELECT {counts} FROM __gate").fetchall()[0]
        rows_in = con.execute(f"SELECT count(*) FROM {source}").fetchall()[0][0]
        rows_passed = con.execute(f"SELECT count(*) FROM {passed}").fetchall()[0][0]
        rows_quarantined = con.execute(f"SELECT count(*) FROM {quarantine}").fetchall()[0][0]
        con.execute("DROP TABLE __gate")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return GateReport(rows_in, rows_passed, rows_quarantined, {r.name: int(n) for r, n in zip(rules, per_rule)})


def gate_spark(df, rules, failed_column: str = FAILED_RULES):
    """``(passed, quarantined)`` Spark DataFrames: the same split as ``gate_duckdb``, lazily."""
    from pyspark.sql import functions as F

    if failed_column in df.columns:
        raise ValueError(f"failed_column: the data already has a column {failed_column!r}; choose another name.")
    failing = [(r.name, F.expr(broken_sql(r))) for r in normalise_rules(rules)]
    return engine.split_spark(df, failing, column=failed_column)
