"""A data contract as data, checked in CI against a producer's change, on DuckDB.

A contract is the producer's promise to its consumers about one data set: the columns
and their types, which may be null, which values are allowed, how fresh the data is,
and who owns it (and so approves a breaking change). It sits next to the producer's
code, versioned, and CI checks every proposed change against it before it ships:

    >>> contract = shop_orders_contract()
    >>> contract.owner, [c.name for c in contract.columns][:3]
    ('orders-team', ['order_id', 'customer_id', 'order_ts'])

Two kinds of finding stop a change (``check`` returns them, ``passes`` says whether CI is
green):

- **breaking schema changes**, read from DuckDB's ``information_schema``: a contract
  column dropped (or renamed, which is a drop and an add), a type narrowed (BIGINT to
  INTEGER, DECIMAL(12,2) to DECIMAL(10,2): old values may not fit), a column that may now
  be null where consumers were promised it never is, and a new *required* column (rows
  already published, and every other writer, have no value for it);
- **violations in the data** of the producer's staged batch: nulls where the contract
  says never, values outside the allowed set, a batch older than the freshness promise.

Compatible changes pass with a note: a new optional column, a widened type (INTEGER to
BIGINT, DECIMAL(12,2) to DECIMAL(14,2)), a column that was nullable becoming NOT NULL.
These are the rules schema registries enforce as backward compatibility for Avro and
Protobuf (a new field needs a default; types may only be promoted).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

# Integer and float types in widening order: a move to the right loses nothing.
_INTEGERS = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT")
_FLOATS = ("FLOAT", "DOUBLE")
_DECIMAL = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")
FINDING_COLUMNS = ["column", "change", "verdict", "message"]


@dataclass(frozen=True)
class Column:
    name: str
    type: str                 # a DuckDB type as information_schema spells it: BIGINT, DECIMAL(12,2), ...
    nullable: bool = False
    allowed: tuple = ()       # the allowed values; empty means any
    description: str = ""


@dataclass(frozen=True)
class Contract:
    dataset: str
    version: int
    owner: str
    columns: tuple[Column, ...]
    freshness_column: str | None = None
    max_age: pd.Timedelta | None = None   # the newest row is at most this old when the batch lands

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    def ddl(self, table: str) -> str:
        """The CREATE TABLE a producer starts from: the contract's columns, types and NOT NULLs."""
        cols = ",\n  ".join(f'"{c.name}" {c.type}{"" if c.nullable else " NOT NULL"}' for c in self.columns)
        return f'CREATE OR REPLACE TABLE "{table}" (\n  {cols}\n)'


def from_record(record: dict) -> Contract:
    """A contract from plain data (a YAML file): ``columns`` is a list of dicts."""
    known = {"dataset", "version", "owner", "columns", "freshness_column", "max_age_hours"}
    unknown = sorted(set(record) - known)
    if unknown:
        raise ValueError(f"contract {record.get('dataset')!r}: unknown field {unknown[0]!r}; "
                         f"the fields are {', '.join(sorted(known))}.")
    columns = tuple(Column(**{**c, "type": c["type"].upper(), "allowed": tuple(c.get("allowed", ()))})
                    for c in record["columns"])
    hours = record.get("max_age_hours")
    contract = Contract(record["dataset"], int(record["version"]), record["owner"], columns,
                        record.get("freshness_column"), pd.Timedelta(hours=hours) if hours is not None else None)
    if contract.freshness_column and contract.column(contract.freshness_column) is None:
        raise ValueError(f"contract {contract.dataset!r}: freshness_column {contract.freshness_column!r} "
                         f"is not one of its columns.")
    return contract


def schema_of(con, table: str) -> dict[str, tuple[str, bool]]:
    """{column: (type, nullable)} of a DuckDB table, in column order, from information_schema."""
    rows = con.execute("SELECT column_name, data_type, is_nullable FROM information_schema.columns "
                       "WHERE table_name = ? ORDER BY ordinal_position", [table]).fetchall()
    if not rows:
        raise ValueError(f"no table {table!r} in this DuckDB database.")
    return {name: (kind.upper(), nullable == "YES") for name, kind, nullable in rows}


def widens(old: str, new: str) -> bool:
    """True when every value of type ``old`` fits ``new`` unchanged.

        >>> widens("INTEGER", "BIGINT"), widens("BIGINT", "INTEGER"), widens("DECIMAL(12,2)", "DECIMAL(14,2)")
        (True, False, True)
        >>> widens("DECIMAL(12,2)", "DECIMAL(12,1)"), widens("INTEGER", "DOUBLE"), widens("VARCHAR", "VARCHAR")
        (False, False, True)
    """
    old, new = old.upper(), new.upper()
    if old == new:
        return True
    for family in (_INTEGERS, _FLOATS):
        if old in family and new in family:
            return family.index(new) > family.index(old)
    a, b = _DECIMAL.match(old), _DECIMAL.match(new)
    if a and b:
        (p1, s1), (p2, s2) = map(int, a.groups()), map(int, b.groups())
        return s2 >= s1 and p2 - s2 >= p1 - s1  # as many digits before and after the point
    return False


def schema_findings(contract: Contract, schema: dict) -> list[tuple]:
    """(column, change, verdict, message) for every difference between the contract and ``schema``."""
    out = []
    who = f"{contract.dataset} v{contract.version} (owner: {contract.owner})"
    for col in contract.columns:
        if col.name not in schema:
            out.append((col.name, "dropped", "breaking",
                        f"column {col.name} is dropped, but {who} promises it and consumers select it: "
                        f"deprecate it first and drop it in a new major version."))
            continue
        kind, nullable = schema[col.name]
        if kind != col.type:
            if widens(col.type, kind):
                out.append((col.name, f"{col.type} -> {kind}", "compatible",
                            f"column {col.name} widens from {col.type} to {kind}: every old value still fits."))
            else:
                out.append((col.name, f"{col.type} -> {kind}", "breaking",
                            f"column {col.name} narrows from {col.type} to {kind}: values consumers already "
                            f"hold may not fit, so {who} must approve a new major version."))
        if nullable and not col.nullable:
            out.append((col.name, "may be null", "breaking",
                        f"column {col.name} may now be null, but {who} promises it never is."))
        elif col.nullable and not nullable:
            out.append((col.name, "now NOT NULL", "compatible",
                        f"column {col.name} becomes NOT NULL: consumers already handle both."))
    for name, (kind, nullable) in schema.items():
        if contract.column(name) is None:
            if nullable:
                out.append((name, f"added {kind}", "compatible",
                            f"new optional column {name}: consumers that do not read it are unaffected; add it "
                            f"to the next version of the contract."))
            else:
                out.append((name, f"added {kind} NOT NULL", "breaking",
                            f"new required column {name}: rows already published and other writers have no value "
                            f"for it; add it as nullable, backfill, then make it required in a later version."))
    return out


def data_findings(con, table: str, contract: Contract, now=None) -> list[tuple]:
    """(column, change, verdict, message) for each promise the staged rows break."""
    schema = schema_of(con, table)
    out = []
    for col in contract.columns:
        if col.name not in schema:
            continue
        q = f'"{col.name}"'
        if not col.nullable:
            nulls = con.execute(f'SELECT count(*) FROM "{table}" WHERE {q} IS NULL').fetchall()[0][0]
            if nulls:
                out.append((col.name, "nulls", "violation", f"{nulls:,} rows have no {col.name}, which the "
                                                            f"contract says is never null."))
        if col.allowed:
            values = ", ".join("'" + str(v).replace("'", "''") + "'" for v in col.allowed)
            rows = con.execute(f'SELECT {q}, count(*) FROM "{table}" WHERE {q} IS NOT NULL AND {q} NOT IN '
                               f'({values}) GROUP BY 1 ORDER BY 2 DESC').fetchall()
            if rows:
                shown = ", ".join(f"{v!r} ({n:,})" for v, n in rows[:3])
                out.append((col.name, "new value", "violation",
                            f"{col.name} holds values outside the contract: {shown}; consumers that map every "
                            f"allowed value would drop or misread them: add the value to a new version first."))
    if contract.freshness_column and contract.max_age is not None and contract.freshness_column in schema:
        newest = con.execute(f'SELECT max("{contract.freshness_column}") FROM "{table}"').fetchall()[0][0]
        now = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)
        if newest is None or now - pd.Timestamp(newest) > contract.max_age:
            age = "no rows" if newest is None else f"its newest row is {hours(now - pd.Timestamp(newest))} old"
            out.append((contract.freshness_column, "stale", "violation",
                        f"the batch is staler than promised ({age}; at most {hours(contract.max_age)})."))
    return out


def hours(age: pd.Timedelta) -> str:
    """An age in hours, as an SLA states it.

        >>> hours(pd.Timedelta(days=3, hours=2)), hours(pd.Timedelta(minutes=90))
        ('74 hours', '1.5 hours')
    """
    h = age / pd.Timedelta(hours=1)
    return f"{h:,.0f} hours" if h == round(h) else f"{h:,.1f} hours"


def check(con, table: str, contract: Contract, now=None) -> pd.DataFrame:
    """Every finding for ``table`` against ``contract``: schema first, then data."""
    rows = schema_findings(contract, schema_of(con, table)) + data_findings(con, table, contract, now)
    return pd.DataFrame(rows, columns=FINDING_COLUMNS)


def passes(findings: pd.DataFrame) -> bool:
    """CI is green when no finding is breaking or a violation."""
    return not findings["verdict"].isin(["breaking", "violation"]).any()


def ci_report(con, sample: pd.DataFrame, contract: Contract, changes: dict, now=None) -> pd.DataFrame:
    """Each proposed change run the way CI runs it: the producer's staging table is built from the
    contract and ``sample``, the change's SQL is applied, and the result is checked.

    ``changes`` maps a description to SQL statements (``;``-separated) on the table ``staged``.
    Returns one row per change: change, ci ('pass' or 'fail'), and the first finding that decided it.
    """
    rows = []
    for name, statements in changes.items():
        con.execute(contract.ddl("staged"))
        con.register("__contract_sample", sample[[c.name for c in contract.columns]])
        con.execute('INSERT INTO "staged" SELECT * FROM __contract_sample')
        con.unregister("__contract_sample")
        for statement in filter(str.strip, statements.split(";")):
            con.execute(statement)
        found = check(con, "staged", contract, now)
        bad = found[found["verdict"].isin(["breaking", "violation"])]
        first = bad.iloc[0] if len(bad) else (found.iloc[0] if len(found) else None)
        rows.append({"change": name, "ci": "fail" if len(bad) else "pass",
                     "finding": "-" if first is None else f"{first['verdict']}: {first['message']}"})
    con.execute('DROP TABLE IF EXISTS "staged"')
    return pd.DataFrame(rows)


def shop_orders_contract() -> Contract:
    """The contract of the shop's orders, as its producing team would keep it in YAML."""
    from labs.quality.rules import STATUSES

    return from_record({
        "dataset": "orders", "version": 1, "owner": "orders-team",
        "freshness_column": "order_ts", "max_age_hours": 26,
        "columns": [
            {"name": "order_id", "type": "BIGINT", "description": "unique per order"},
            {"name": "customer_id", "type": "BIGINT"},
            {"name": "order_ts", "type": "TIMESTAMP WITH TIME ZONE"},
            {"name": "status", "type": "VARCHAR", "allowed": STATUSES},
            {"name": "channel", "type": "VARCHAR", "nullable": True},
            {"name": "item_count", "type": "INTEGER"},
            {"name": "total_amount", "type": "DECIMAL(12,2)"},
        ],
    })
