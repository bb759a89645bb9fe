"""An audit log of who read what: every query through the access layer leaves a row.

Each row records the role, the statement, the views and columns it read (resolved by sqlglot,
so ``SELECT *`` is expanded into the columns it really returns), the row count, and whether it
was allowed. Refused attempts are logged too: they are what a security review looks for first.

    >>> from labs.engines import duckdb
    >>> from labs.governance import access
    >>> con = duckdb()
    >>> access.load_shop(con, customers=30, orders=100)
    >>> log = AuditLog(access.install(con), clock=fixed_clock())
    >>> _ = log.query("support", "SELECT email FROM customers WHERE country = 'US'")
    >>> log.entries()[["role", "columns", "allowed"]].to_dict("records")
    [{'role': 'support', 'columns': 'customers.country, customers.email', 'allowed': True}]
"""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

import pandas as pd
import sqlglot
from sqlglot import exp
from sqlglot.optimizer.qualify import qualify

DDL = """CREATE TABLE IF NOT EXISTS audit_log (
    seq BIGINT, read_at TIMESTAMPTZ, role VARCHAR, statement VARCHAR, tables VARCHAR,
    columns VARCHAR, row_count BIGINT, allowed BOOLEAN, reason VARCHAR)"""


def fixed_clock(start: str = "2025-01-06 09:00:00", step_s: int = 1):
    """A clock for lessons and tests: each call is ``step_s`` seconds after the last."""
    t0 = datetime.fromisoformat(start).replace(tzinfo=timezone.utc)
    ticks = itertools.count()
    return lambda: t0 + timedelta(seconds=step_s * next(ticks))


class AuditLog:
    """Wraps an ``AccessLayer``: ``query(role, sql)`` runs the query and appends an audit row.

    The log lives in the same DuckDB as ``audit_log``; in production it goes to an append-only
    store the queried roles cannot write to (a separate account, WORM object storage).
    """

    def __init__(self, layer, clock=None):
        self.layer, self.con = layer, layer.con
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.con.execute(DDL)

    def query(self, role: str, sql: str) -> pd.DataFrame:
        try:
            tree = self.layer.authorise(role, sql)
        except (PermissionError, ValueError, sqlglot.errors.ParseError) as exc:
            self._append(role, sql, "", "", None, False, str(exc).splitlines()[0])
            raise
        tables, columns = self.reads(tree, role)
        result = self.con.execute(tree.sql(dialect="duckdb")).df()
        self._append(role, sql, tables, columns, len(result), True, "")
        return result

    def reads(self, tree: exp.Expression, role: str) -> tuple[str, str]:
        """('view, view', 'view.column, ...') read by an authorised statement."""
        schema = self._schema(self.layer.role(role).schema)
        qualified = qualify(tree.copy(), schema=schema, dialect="duckdb", validate_qualify_columns=False)
        aliases = {t.alias_or_name: t.name for t in qualified.find_all(exp.Table)}
        tables = sorted({t.name for t in qualified.find_all(exp.Table)})
        columns = sorted({f"{aliases.get(c.table, c.table)}.{c.name}" for c in qualified.find_all(exp.Column)
                          if c.table in aliases})
        return ", ".join(tables), ", ".join(columns)

    def _schema(self, schema_name: str) -> dict:
        rows = self.con.execute("SELECT table_name, column_name, data_type FROM information_schema.columns "
                                "WHERE table_schema = ? ORDER BY table_name, ordinal_position", [schema_name]).fetchall()
        out: dict = {}
        for table, column, dtype in rows:
            out.setdefault(schema_name, {}).setdefault(table, {})[column] = dtype
        return out

    def _append(self, role, sql, tables, columns, rows, allowed, reason):
        seq = self.con.execute("SELECT coalesce(max(seq), 0) + 1 FROM audit_log").fetchall()[0][0]
        self.con.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         [seq, self.clock(), role, " ".join(sql.split()), tables, columns, rows, allowed, reason])

    def entries(self) -> pd.DataFrame:
        return self.con.execute("SELECT * FROM audit_log ORDER BY seq").df()

    def who_read(self, column: str) -> pd.DataFrame:
        """Allowed reads of ``view.column`` (e.g. 'customers.email'), by role."""
        return self.con.execute(
            "SELECT role, count(*) AS queries, sum(row_count) AS rows_returned FROM audit_log "
            "WHERE allowed AND list_contains(string_split(columns, ', '), ?) GROUP BY role ORDER BY role",
            [column]).df()
