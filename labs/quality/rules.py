"""A quality standard as data: rules with thresholds and severities, run on DuckDB, Spark or pandas.

A rule says what a good row looks like, what happens to a row that fails it, and how
much failure the batch tolerates:

    >>> r = Rule("email_present", table="customers", column="email", check="not_null",
    ...          threshold=0.995, severity="error")
    >>> r.dimension
    'completeness'

Two decisions, kept apart:

- **the row** (``severity``): a row failing a ``warn`` rule is kept and reported; a row
  failing an ``error`` or ``critical`` rule goes to quarantine with the rule's name, and
  the rest is published;
- **the batch** (``threshold``, the lowest acceptable *pass rate*: 0.995 = at most 0.5%
  of rows may fail): a rule whose pass rate falls below its threshold raises an
  ``alert`` to the data's owner; a ``critical`` rule below its threshold blocks the
  batch (``block``): nothing is published until someone acts.

So a critical rule within its tolerance still quarantines its failing rows, and an
error rule over its tolerance still publishes the rows that pass (and pages someone).
The field's tools draw the same line: dbt tests have a severity and ``warn_if`` /
``error_if`` thresholds on the failure count; Delta Live Tables' expectations keep
(``expect``), drop (``expect_or_drop``) or fail the update (``expect_or_fail``);
Great Expectations' ``mostly`` is the threshold.

Checks (``CHECKS``), each a condition on one column; a null passes every check except
``not_null``, so a missing value is counted once, as missing:

=============  =================  ==============================================
check          dimension          parameters
=============  =================  ==============================================
not_null       completeness
unique         uniqueness         (the first row of a key passes, repeats fail)
pattern        validity           ``pattern``: a regular expression for the whole value
in_set         validity           ``values``: the allowed values
in_range       validity           ``low`` and/or ``high`` (inclusive)
references     integrity          ``ref``: ``"table.column"`` the value must exist in
=============  =================  ==============================================

``check_rules`` rejects a bad standard before anything runs, naming the rule:

    >>> check_rules([Rule("amount_ok", table="orders", column="amount", check="positive")],
    ...             {"orders": ["row_id", "amount"]})
    Traceback (most recent call last):
    ...
    ValueError: rule 'amount_ok': unknown check 'positive'; choose from not_null, unique, pattern, in_set, in_range, references.

The same standard runs on three engines and gives the same scorecard:
``scorecard_duckdb`` (compiled to SQL), ``scorecard_spark`` (DataFrame expressions)
and ``scorecard_pandas``. ``quarantine_*`` splits a table into the rows that pass and
the rows that fail an ``error`` or ``critical`` rule, each with the rules it failed;
``gate`` reads a scorecard's batch decision and ``write_audit_publish`` acts on it.
Tables need a ``row_id`` column (``labs.data.defects.inject`` adds one): it decides
which copy of a duplicated key is the first, and names the rows in quarantine.

This module is the kit's one rule engine: the ``Rule``, the ``failed_rules`` column and the
quarantine split on DuckDB, Spark and pandas. Two notebooks use it in two shapes:

- notebook 08 writes a *standard*: typed checks on named columns, with dimensions,
  thresholds and severities (``check_rules``, the scorecards, ``quarantine_*``);
- notebook 03 puts a *gate* in a pipeline (``labs.pipelines.quality_gates``, a thin layer
  over this module): a rule is a free SQL condition (``Rule(name, condition=...)``, the
  ``sql`` check), every failure is quarantined, and the counts are reconciled.

Both tag a row with the rules it fails and split on that tag, with the same code:

    >>> print(tagged_sql("batch", [Rule("has_id", condition="id IS NOT NULL")]))
    SELECT *, nullif(concat_ws(',', CASE WHEN NOT coalesce((id IS NOT NULL), false) THEN 'has_id' END), '') AS failed_rules FROM batch
"""
from __future__ import annotations

import re
from dataclasses import dataclass, fields

import pandas as pd

from labs._check import is_number

CHECKS = ("not_null", "unique", "pattern", "in_set", "in_range", "references")
DIMENSION = {"not_null": "completeness", "unique": "uniqueness", "pattern": "validity",
             "in_set": "validity", "in_range": "validity", "references": "integrity"}
SQL = "sql"  # a free SQL condition good rows satisfy: the rules of a pipeline's gate (notebook 03)
SEVERITIES = ("warn", "error", "critical")
ROW_ID = "row_id"
FAILED_RULES = "failed_rules"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
SCORECARD_COLUMNS = ["rule", "table", "column", "dimension", "severity", "threshold",
                     "rows", "failed", "pass_rate", "status"]


@dataclass(frozen=True, repr=False)
class Rule:
    """One rule: a name (it becomes a column name, and lands in ``failed_rules``) and what a good row is.

    Either a typed ``check`` on ``table.column`` with its parameters, or, when no check is
    given, a free SQL ``condition`` that good rows satisfy. Only the fields that differ from
    their defaults are shown:

        >>> Rule("positive_amount", condition="amount > 0")
        Rule(name='positive_amount', condition='amount > 0')
    """
    name: str
    table: str = ""
    column: str = ""
    check: str = SQL
    threshold: float = 1.0
    severity: str = "error"
    pattern: str | None = None
    values: tuple = ()
    low: float | None = None
    high: float | None = None
    ref: str | None = None
    description: str = ""
    condition: str | None = None

    def __repr__(self) -> str:
        shown = [f"{f.name}={getattr(self, f.name)!r}" for f in fields(self)
                 if f.name == "name" or getattr(self, f.name) != f.default]
        return f"Rule({', '.join(shown)})"

    @property
    def dimension(self) -> str:
        return DIMENSION.get(self.check, "?")

    @property
    def ref_table(self) -> str:
        return self.ref.split(".", 1)[0]

    @property
    def ref_column(self) -> str:
        return self.ref.split(".", 1)[1]


def from_records(records) -> list[Rule]:
    """Rules from plain dicts (a YAML or JSON file, a table in a wiki), checked for unknown fields."""
    known = [f.name for f in fields(Rule)]
    rules = []
    for i, record in enumerate(records):
        unknown = sorted(set(record) - set(known))
        name = record.get("name", f"#{i}")
        if unknown:
            raise ValueError(f"rule {name!r}: unknown field {unknown[0]!r}; the fields are {', '.join(known)}.")
        values = record.get("values", ())
        rules.append(Rule(**{**record, "values": tuple(values)}))
    return rules


def check_rules(rules, columns: dict) -> list[Rule]:
    """Validate a standard against the tables' columns ({table: [column, ...]}); return it as a list.

    Every problem names its rule: unknown check, table or column, a threshold outside
    0..1, an unknown severity, a missing or broken parameter, a repeated name.
    """
    rules = list(rules)
    seen = set()
    for rule in rules:
        if not isinstance(rule, Rule):
            raise ValueError(f"a standard holds Rule objects, not {type(rule).__name__}: {rule!r}.")
        where = f"rule {rule.name!r}"
        if not isinstance(rule.name, str) or not _NAME.match(rule.name):
            raise ValueError(f"{where}: a rule name is lower-case letters, digits and _ (it becomes a column name).")
        if rule.name in seen:
            raise ValueError(f"{where}: the name is used twice; every rule needs its own name.")
        seen.add(rule.name)
        if rule.check == SQL and rule.condition is None:
            raise ValueError(f"{where}: no check given; choose from {', '.join(CHECKS)}.")
        if rule.check not in CHECKS:
            raise ValueError(f"{where}: unknown check {rule.check!r}; choose from {', '.join(CHECKS)}.")
        if rule.severity not in SEVERITIES:
            raise ValueError(f"{where}: unknown severity {rule.severity!r}; choose from {', '.join(SEVERITIES)}.")
        t = rule.threshold
        if not is_number(t) or not 0 <= t <= 1:
            raise ValueError(f"{where}: threshold must be a pass rate from 0 to 1 (0.995 = 99.5%), not {t!r}.")
        _check_column(where, rule.table, rule.column, columns)
        if rule.check == "pattern":
            if not rule.pattern:
                raise ValueError(f"{where}: a pattern check needs pattern=<regular expression>.")
            try:
                re.compile(rule.pattern)
            except re.error as exc:
                raise ValueError(f"{where}: pattern {rule.pattern!r} is not a regular expression ({exc}).") from None
        if rule.check == "in_set" and not rule.values:
            raise ValueError(f"{where}: an in_set check needs values=(allowed, values).")
        if rule.check == "in_range":
            if rule.low is None and rule.high is None:
                raise ValueError(f"{where}: an in_range check needs low, high or both.")
            if rule.low is not None and rule.high is not None and rule.low > rule.high:
                raise ValueError(f"{where}: low {rule.low!r} is above high {rule.high!r}.")
        if rule.check == "references":
            if not rule.ref or rule.ref.count(".") != 1:
                raise ValueError(f"{where}: a references check needs ref='table.column'.")
            _check_column(where + " (ref)", rule.ref_table, rule.ref_column, columns)
    for table in {rule.table for rule in rules}:
        if ROW_ID not in columns[table]:
            raise ValueError(f"table {table!r} needs a {ROW_ID!r} column to name its rows "
                             f"(labs.data.defects.inject adds one).")
    return rules


def _check_column(where: str, table: str, column: str, columns: dict) -> None:
    if table not in columns:
        raise ValueError(f"{where}: unknown table {table!r}; the tables are {', '.join(sorted(columns))}.")
    if column not in columns[table]:
        raise ValueError(f"{where}: unknown column {column!r} in {table}; its columns are "
                         f"{', '.join(map(str, columns[table]))}.")


def status(pass_rate: float, threshold: float, severity: str) -> str:
    """The batch's view of one rule: 'pass' within tolerance, else 'alert', or 'block' for a critical rule.

        >>> status(0.99, 0.995, "error"), status(0.99, 0.995, "critical"), status(0.995, 0.995, "critical")
        ('alert', 'block', 'pass')
    """
    if pass_rate >= threshold - 1e-12:
        return "pass"
    return "block" if severity == "critical" else "alert"


def _scorecard(rules, counts: dict) -> pd.DataFrame:
    rows = []
    for rule in rules:
        total, failed = counts[rule.name]
        rate = 1 - failed / total if total else 1.0
        rows.append([rule.name, rule.table, rule.column, rule.dimension, rule.severity, rule.threshold,
                     int(total), int(failed), round(rate, 6), status(rate, rule.threshold, rule.severity)])
    return pd.DataFrame(rows, columns=SCORECARD_COLUMNS)


def blocked(scorecard: pd.DataFrame) -> bool:
    """True when a critical rule is breached: the batch must not be published."""
    return bool((scorecard["status"] == "block").any())


@dataclass(frozen=True)
class Gate:
    """A batch's decision from its scorecard: publish or not, and whom to alert."""
    publish: bool
    alerts: tuple[str, ...]   # rules over their tolerance: their owners are told
    blocks: tuple[str, ...]   # critical rules over their tolerance: nothing is published

    def __str__(self) -> str:
        if not self.publish:
            return f"blocked by {', '.join(self.blocks)}: nothing is published"
        if self.alerts:
            return f"published, with alerts on {', '.join(self.alerts)}"
        return "published"


def gate(scorecard: pd.DataFrame) -> Gate:
    """The batch decision of a scorecard (``status`` column from ``status``)."""
    alerts = tuple(scorecard.loc[scorecard["status"] == "alert", "rule"])
    blocks = tuple(scorecard.loc[scorecard["status"] == "block", "rule"])
    return Gate(publish=not blocks, alerts=alerts, blocks=blocks)


def write_audit_publish(con, tables: dict, rules, table: str, published: str) -> Gate:
    """Write-audit-publish on DuckDB: audit the staged ``tables[table]``, then publish in one transaction.

    Unless the gate blocks, the rows that pass replace ``published`` and the quarantined
    ones replace ``{published}_quarantine``, together or not at all; a blocked batch
    leaves both as they were, so readers never see a half-checked load.
    """
    card = scorecard_duckdb(con, tables, rules)
    decision = gate(card[card["table"] == table])
    if not decision.publish:
        return decision
    passed, quarantined = quarantine_duckdb(con, tables, rules, table)
    con.register("__wap_passed", passed)
    con.register("__wap_quarantined", quarantined)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"CREATE OR REPLACE TABLE {_q(published)} AS SELECT * FROM __wap_passed")
        con.execute(f"CREATE OR REPLACE TABLE {_q(published + '_quarantine')} AS SELECT * FROM __wap_quarantined")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("__wap_passed")
        con.unregister("__wap_quarantined")
    return decision


# --- DuckDB: the standard compiled to SQL ---------------------------------------------------

def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


def fails_sql(rule: Rule) -> str:
    """The SQL condition, true exactly when a row fails ``rule`` (never NULL).

        >>> fails_sql(Rule("status_known", table="orders", column="status", check="in_set",
        ...                values=("paid", "shipped")))
        '("status" IS NOT NULL AND "status" NOT IN (\\'paid\\', \\'shipped\\'))'
    """
    if rule.check == SQL:
        # the condition says what a good row is; a NULL (unknown) result is not good
        return f"NOT coalesce(({rule.condition}), false)"
    c = _q(rule.column)
    if rule.check == "not_null":
        return f"({c} IS NULL)"
    if rule.check == "unique":
        return f"({c} IS NOT NULL AND row_number() OVER (PARTITION BY {c} ORDER BY {ROW_ID}) > 1)"
    if rule.check == "pattern":
        return f"({c} IS NOT NULL AND NOT regexp_full_match(CAST({c} AS VARCHAR), {_lit(rule.pattern)}))"
    if rule.check == "in_set":
        return f"({c} IS NOT NULL AND {c} NOT IN ({', '.join(_lit(v) for v in rule.values)}))"
    if rule.check == "in_range":
        parts = ([f"{c} < {_lit(rule.low)}"] if rule.low is not None else []) + (
            [f"{c} > {_lit(rule.high)}"] if rule.high is not None else [])
        return f"({c} IS NOT NULL AND ({' OR '.join(parts)}))"
    # references: NOT IN over a subquery that holds no NULL (a NULL there would make it unknown)
    return (f"({c} IS NOT NULL AND {c} NOT IN (SELECT {_q(rule.ref_column)} FROM {_q(rule.ref_table)} "
            f"WHERE {_q(rule.ref_column)} IS NOT NULL))")


def flags_sql(rules, table: str) -> str:
    """One row per row of ``table``: its row_id and one boolean column per rule, true when it fails."""
    mine = [r for r in rules if r.table == table]
    flags = ",\n       ".join(f"{fails_sql(r)} AS {_q(r.name)}" for r in mine)
    return f"SELECT {ROW_ID},\n       {flags}\nFROM {_q(table)}"


def scorecard_sql(rules, table: str) -> str:
    """One row: the row count and, per rule, how many rows fail it."""
    mine = [r for r in rules if r.table == table]
    counts = ", ".join(f"count_if({_q(r.name)}) AS {_q(r.name)}" for r in mine)
    return f"SELECT count(*) AS n_rows, {counts}\nFROM ({flags_sql(rules, table)}) AS flags"


def _register(con, tables: dict) -> None:
    for name, frame in tables.items():
        con.register(name, frame)


def scorecard_duckdb(con, tables: dict, rules) -> pd.DataFrame:
    """The scorecard, computed by DuckDB: one SQL query per table."""
    rules = check_rules(rules, {n: list(f.columns) for n, f in tables.items()})
    _register(con, tables)
    counts = {}
    for table in dict.fromkeys(r.table for r in rules):
        row = con.execute(scorecard_sql(rules, table)).fetchall()[0]
        names = [r.name for r in rules if r.table == table]
        counts.update({name: (row[0], row[i + 1]) for i, name in enumerate(names)})
    return _scorecard(rules, counts)


def failed_rules_sql(rules, fails=fails_sql) -> str:
    """One SQL expression, for DuckDB and Spark alike, naming the rules a row fails ('' for none).

    ``fails(rule)`` is SQL that is true when a row fails the rule (``fails_sql`` by default).

        >>> failed_rules_sql([Rule("a", condition="x > 0")])
        "concat_ws(',', CASE WHEN NOT coalesce((x > 0), false) THEN 'a' END)"
    """
    # concat_ws skips NULLs in both engines, so the rules a row passes simply vanish from the list
    parts = [f"CASE WHEN {fails(r)} THEN {_lit(r.name)} END" for r in rules]
    return f"concat_ws(',', {', '.join(parts)})"


def tagged_sql(source: str, rules, column: str = FAILED_RULES, order_by: str | None = None) -> str:
    """Every row and column of ``source`` plus ``column``: the rules the row fails, NULL when none.

    Splitting on that one column is the quarantine: ``column IS NULL`` passes, the rest is
    quarantined, and no row can land on neither side.
    """
    sql = f"SELECT *, nullif({failed_rules_sql(rules)}, '') AS {column} FROM {source}"
    return sql + (f" ORDER BY {order_by}" if order_by else "")


def quarantine_duckdb(con, tables: dict, rules, table: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(passed, quarantined)`` rows of ``table``: a row fails when it breaks an error or
    critical rule; quarantined rows keep every column plus ``failed_rules``."""
    rules = check_rules(rules, {n: list(f.columns) for n, f in tables.items()})
    _register(con, tables)
    gating = [r for r in rules if r.table == table and r.severity != "warn"]
    if not gating:
        return tables[table].copy(), tables[table].iloc[0:0].assign(**{FAILED_RULES: pd.Series(dtype=str)})
    return split_tagged(con.execute(tagged_sql(_q(table), gating, order_by=ROW_ID)).df())


def split_tagged(both: pd.DataFrame, column: str = FAILED_RULES) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(passed, quarantined)`` of a pandas frame tagged by ``tagged_sql`` or ``split_pandas``."""
    bad = both[column].notna()
    passed = both.loc[~bad].drop(columns=[column]).reset_index(drop=True)
    return passed, both.loc[bad].reset_index(drop=True)


# --- Spark: the same standard as DataFrame expressions ----------------------------------------

def _spark_flags(frames: dict, rules, table: str):
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    df = frames[table]
    mine = [r for r in rules if r.table == table]
    for r in mine:
        if r.check == "references":
            # A semi-join as data: mark the parent keys, left-join them on.
            marker = f"__ref_{r.name}"
            keys = (frames[r.ref_table].select(F.col(r.ref_column).alias(f"__key_{r.name}"))
                    .where(F.col(f"__key_{r.name}").isNotNull()).distinct().withColumn(marker, F.lit(True)))
            df = df.join(keys, df[r.column] == keys[f"__key_{r.name}"], "left").drop(f"__key_{r.name}")
    exprs = []
    for r in mine:
        c = F.col(r.column)
        if r.check == "not_null":
            e = c.isNull()
        elif r.check == "unique":
            first = F.row_number().over(Window.partitionBy(r.column).orderBy(ROW_ID))
            e = c.isNotNull() & (first > 1)
        elif r.check == "pattern":
            # rlike finds a match anywhere: anchor it to test the whole value, like regexp_full_match.
            e = c.isNotNull() & ~c.cast("string").rlike(f"^(?:{r.pattern})$")
        elif r.check == "in_set":
            e = c.isNotNull() & ~c.isin(list(r.values))
        elif r.check == "in_range":
            out = F.lit(False)
            if r.low is not None:
                out = out | (c < F.lit(r.low))
            if r.high is not None:
                out = out | (c > F.lit(r.high))
            e = c.isNotNull() & out
        else:
            e = c.isNotNull() & F.col(f"__ref_{r.name}").isNull()
        exprs.append(F.coalesce(e, F.lit(False)).alias(r.name))
    return df, exprs


def scorecard_spark(session, tables: dict, rules) -> pd.DataFrame:
    """The scorecard, computed by Spark with DataFrame expressions: one job per table.

    ``tables`` holds Spark DataFrames, or pandas frames that are sent to Spark first.
    """
    from pyspark.sql import functions as F

    frames = {n: (session.createDataFrame(f) if isinstance(f, pd.DataFrame) else f) for n, f in tables.items()}
    rules = check_rules(rules, {n: list(f.columns) for n, f in frames.items()})
    counts = {}
    for table in dict.fromkeys(r.table for r in rules):
        df, exprs = _spark_flags(frames, rules, table)
        flags = df.select(ROW_ID, *exprs)
        names = [r.name for r in rules if r.table == table]
        row = flags.agg(F.count(F.lit(1)).alias("n_rows"),
                        *[F.sum(F.col(n).cast("long")).alias(n) for n in names]).collect()[0]
        counts.update({n: (row["n_rows"], row[n] or 0) for n in names})
    return _scorecard(rules, counts)


def quarantine_spark(session, tables: dict, rules, table: str):
    """``(passed, quarantined)`` Spark DataFrames, split as ``quarantine_duckdb`` does."""
    from pyspark.sql import functions as F

    frames = {n: (session.createDataFrame(f) if isinstance(f, pd.DataFrame) else f) for n, f in tables.items()}
    rules = check_rules(rules, {n: list(f.columns) for n, f in frames.items()})
    gating = [r for r in rules if r.table == table and r.severity != "warn"]
    df, exprs = _spark_flags(frames, gating, table)
    return split_spark(df, [(r.name, e) for r, e in zip(gating, exprs)], columns=frames[table].columns)


def split_spark(df, failing, columns=None, column: str = FAILED_RULES):
    """``(passed, quarantined)`` lazy Spark DataFrames, split as ``tagged_sql`` splits.

    ``failing`` is ``[(rule name, Spark boolean Column true when a row fails), ...]``;
    ``columns`` are the ones to keep (all by default: helper columns a check joined on go).
    """
    from pyspark.sql import functions as F

    names = F.concat_ws(",", *[F.when(e, F.lit(name)) for name, e in failing])
    both = df.select(*(columns if columns is not None else ["*"]), F.nullif(names, F.lit("")).alias(column))
    passed = both.where(F.col(column).isNull()).drop(column)
    return passed, both.where(F.col(column).isNotNull())


# --- pandas: the same standard as boolean masks -----------------------------------------------

def fails_pandas(rule: Rule, tables: dict) -> pd.Series:
    """A boolean mask over ``tables[rule.table]``, true where a row fails ``rule``."""
    df = tables[rule.table]
    s = df[rule.column]
    present = s.notna()
    if rule.check == "not_null":
        return ~present
    if rule.check == "unique":
        order = df.sort_values(ROW_ID, kind="stable")
        repeat = order.duplicated(subset=[rule.column], keep="first").reindex(df.index)
        return present & repeat
    if rule.check == "pattern":
        regex = re.compile(rule.pattern)
        return present & ~s.map(lambda v: v is not None and bool(regex.fullmatch(str(v)))).astype(bool)
    if rule.check == "in_set":
        return present & ~s.isin(list(rule.values))
    if rule.check == "in_range":
        out = pd.Series(False, index=df.index)
        if rule.low is not None:
            out |= (s < rule.low).fillna(False).astype(bool)
        if rule.high is not None:
            out |= (s > rule.high).fillna(False).astype(bool)
        return present & out
    parents = tables[rule.ref_table][rule.ref_column].dropna()
    return present & ~s.isin(parents)


def scorecard_pandas(tables: dict, rules) -> pd.DataFrame:
    """The scorecard, computed with pandas masks."""
    rules = check_rules(rules, {n: list(f.columns) for n, f in tables.items()})
    counts = {r.name: (len(tables[r.table]), int(fails_pandas(r, tables).sum())) for r in rules}
    return _scorecard(rules, counts)


def quarantine_pandas(tables: dict, rules, table: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(passed, quarantined)`` as ``quarantine_duckdb`` splits them, with pandas."""
    rules = check_rules(rules, {n: list(f.columns) for n, f in tables.items()})
    gating = [r for r in rules if r.table == table and r.severity != "warn"]
    return split_pandas(tables[table], {r.name: fails_pandas(r, tables) for r in gating})


def split_pandas(df: pd.DataFrame, failing: dict, order_by: str = ROW_ID,
                 column: str = FAILED_RULES) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(passed, quarantined)`` of ``df``, split as ``tagged_sql`` splits.

    ``failing`` is ``{rule name: boolean Series over df, true where a row fails}``.
    """
    masks = pd.DataFrame(failing, index=df.index)
    failed = masks.apply(lambda row: ",".join(n for n, bad in row.items() if bad) or None, axis=1) \
        if failing else pd.Series(None, index=df.index, dtype=object)
    return split_tagged(df.assign(**{column: failed}).sort_values(order_by, kind="stable"), column)


def reconcile(rows_in: int, passed, quarantined) -> dict:
    """Rows in = passed + quarantined: the proof that a gate lost nothing."""
    n_passed, n_quarantined = _count(passed), _count(quarantined)
    return {"rows_in": int(rows_in), "passed": n_passed, "quarantined": n_quarantined,
            "reconciled": int(rows_in) == n_passed + n_quarantined}


def _count(frame) -> int:
    return len(frame) if isinstance(frame, pd.DataFrame) else int(frame.count())


# --- the shop's standard ---------------------------------------------------------------------

EMAIL = r"[^@\s]+@[^@\s]+\.[a-z]{2,}"
STATUSES = ("pending", "completed", "shipped", "cancelled", "returned")


def shop_standard() -> list[Rule]:
    """The quality standard of the shop's customers and orders, as the notebook uses it."""
    return from_records([
        {"name": "email_present", "table": "customers", "column": "email", "check": "not_null",
         "threshold": 0.995, "severity": "error", "description": "we must be able to reach the customer"},
        {"name": "email_format", "table": "customers", "column": "email", "check": "pattern",
         "pattern": EMAIL, "threshold": 0.99, "severity": "warn"},
        {"name": "customer_id_unique", "table": "customers", "column": "customer_id", "check": "unique",
         "threshold": 1.0, "severity": "error"},
        {"name": "country_code", "table": "customers", "column": "country", "check": "pattern",
         "pattern": "[A-Z]{2}", "threshold": 0.99, "severity": "warn"},
        {"name": "order_id_unique", "table": "orders", "column": "order_id", "check": "unique",
         "threshold": 1.0, "severity": "error", "description": "a repeat would count revenue twice"},
        {"name": "order_customer_present", "table": "orders", "column": "customer_id", "check": "not_null",
         "threshold": 0.99, "severity": "critical"},
        {"name": "order_customer_exists", "table": "orders", "column": "customer_id", "check": "references",
         "ref": "customers.customer_id", "threshold": 0.999, "severity": "error"},
        {"name": "status_known", "table": "orders", "column": "status", "check": "in_set",
         "values": STATUSES, "threshold": 0.98, "severity": "error"},
        {"name": "amount_present", "table": "orders", "column": "total_amount", "check": "not_null",
         "threshold": 0.99, "severity": "error"},
        {"name": "amount_not_negative", "table": "orders", "column": "total_amount", "check": "in_range",
         "low": 0, "threshold": 0.995, "severity": "error", "description": "a negative total is not an order"},
        # A hard cap would quarantine the genuine large orders of a long-tailed column: warn, and let a
        # steward look. The robust, learned fences of labs.quality.outliers are the next step.
        {"name": "amount_unusually_large", "table": "orders", "column": "total_amount", "check": "in_range",
         "high": 3_000, "threshold": 0.995, "severity": "warn"},
    ])
