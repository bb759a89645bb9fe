"""Roles, row-level security and column masking as DuckDB views, and a scanner that checks them.

DuckDB has no users or GRANT, so the lab models what a warehouse does natively:

- each role gets a schema ``role_<name>`` of views over the raw tables: the views filter rows
  (row-level security: only the role's tenant) and mask or drop columns (column security);
- an ``AccessLayer`` is the only door: it refuses unknown roles, statements other than SELECT,
  and any table outside the role's schema;
- ``scan`` queries every view as every role and reports personal values it can see (anywhere
  inside a value, whatever the case: ``matching.find_inside``) and rows of other tenants, so a
  policy is tested, not assumed.

    >>> from labs.engines import duckdb
    >>> con = duckdb()
    >>> load_shop(con, customers=30, orders=100)
    >>> layer = install(con, ROLES)
    >>> layer.query("analyst", "SELECT count(DISTINCT tenant_id) AS tenants FROM customers")["tenants"].item()
    1
    >>> layer.query("intern", "SELECT 1")
    Traceback (most recent call last):
    ...
    ValueError: unknown role 'intern'; roles: admin, support, analyst
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import sqlglot
from sqlglot import exp

from labs.governance.matching import find_inside

PII_COLUMNS = ("name", "email", "phone", "address", "birth_date")
PII_LEVELS = ("clear", "masked", "none")
MASK_MACROS = {
    # Fail closed: a value without '@' (mistyped, or not an e-mail at all) is hidden whole. The
    # shorter '***' || substr(e, strpos(e, '@')) shows it whole, because strpos returns 0.
    "mask_email": "CREATE OR REPLACE MACRO mask_email(e) AS CASE WHEN e IS NULL THEN NULL "
                  "WHEN strpos(e, '@') > 0 THEN '***' || substr(e, strpos(e, '@')) ELSE '***' END",
    "mask_phone": "CREATE OR REPLACE MACRO mask_phone(p) AS '***' || right(p, 4)",
}


@dataclass(frozen=True)
class Role:
    """What a role may see: one tenant (or all, ``None``) and personal data in clear, masked or not at all."""
    name: str
    tenant: int | None
    pii: str
    views: dict = field(default_factory=dict)  # {view: SQL} to override the generated views

    def __post_init__(self):
        if self.pii not in PII_LEVELS:
            raise ValueError(f"pii must be one of {', '.join(PII_LEVELS)}; got {self.pii!r} for role {self.name!r}")

    @property
    def schema(self) -> str:
        return f"role_{self.name}"


ROLES = (
    Role("admin", tenant=None, pii="clear"),
    Role("support", tenant=2, pii="masked"),
    Role("analyst", tenant=2, pii="none"),
)


def load_shop(con, customers: int = 2_000, orders: int = 20_000, seed: int = 42) -> None:
    """Raw ``customers`` and ``orders`` tables in the ``main`` schema (the shop's generator, scaled)."""
    from labs.data import ecommerce

    t = ecommerce.tables(scale=customers / ecommerce.BASE["customers"], seed=seed)
    c = t["customers"]
    o = t["orders"]
    o = o[o["customer_id"].isin(c["customer_id"])].head(orders)
    for name, frame in (("customers", c), ("orders", o)):
        con.register("_frame", frame)
        con.execute(f"CREATE OR REPLACE TABLE main.{name} AS SELECT * FROM _frame")
        con.unregister("_frame")


def customer_columns(role: Role) -> str:
    """The select list of the customers view for a role: PII in clear, masked, or left out."""
    if role.pii == "clear":
        personal = [f"c.{col}" for col in PII_COLUMNS]
    elif role.pii == "masked":
        personal = ["mask_email(c.email) AS email", "mask_phone(c.phone) AS phone",
                    "year(c.birth_date) AS birth_year"]
    else:  # an analyst needs cohorts, not people: the birth year is enough
        personal = ["year(c.birth_date) AS birth_year"]
    rest = ["c.city", "c.country", "c.segment", "c.tenant_id", "c.signup_date", "c.marketing_opt_in"]
    return ", ".join(["c.customer_id", *personal, *rest])


def view_sql(role: Role) -> dict[str, str]:
    """{view name: SQL} for a role; a role's own ``views`` win."""
    where = f" WHERE c.tenant_id = {int(role.tenant)}" if role.tenant is not None else ""
    views = {
        "customers": f"SELECT {customer_columns(role)} FROM main.customers c{where}",
        "orders": "SELECT o.* FROM main.orders o JOIN main.customers c USING (customer_id)" + where,
    }
    return {**views, **role.views}


class AccessLayer:
    """The only way to query: by role, SELECT only, and only the role's own views."""

    def __init__(self, con, roles):
        self.con = con
        self.roles = {r.name: r for r in roles}

    def role(self, name: str) -> Role:
        if name not in self.roles:
            raise ValueError(f"unknown role {name!r}; roles: {', '.join(self.roles)}")
        return self.roles[name]

    def views(self, role: str) -> list[str]:
        schema = self.role(role).schema
        return [r[0] for r in self.con.execute(
            "SELECT view_name FROM duckdb_views() WHERE schema_name = ? ORDER BY view_name", [schema]).fetchall()]

    def authorise(self, role: str, sql: str) -> exp.Expression:
        """The statement rewritten onto the role's schema, or PermissionError saying why not."""
        r = self.role(role)
        tree = sqlglot.parse_one(sql, read="duckdb")
        if not isinstance(tree, (exp.Select, exp.Union, exp.Intersect, exp.Except)):
            raise PermissionError(f"role {role!r} may only run SELECT statements; got {tree.key.upper()}")
        allowed = set(self.views(role))
        ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
        for table in tree.find_all(exp.Table):
            if table.name in ctes and not table.db:
                continue
            if table.db not in ("", r.schema) or table.name not in allowed:
                where = f"{table.db}.{table.name}" if table.db else table.name
                raise PermissionError(f"role {role!r} may not read {where}; it may read: {', '.join(sorted(allowed))}")
            table.set("db", exp.to_identifier(r.schema))
        return tree

    def query(self, role: str, sql: str) -> pd.DataFrame:
        tree = self.authorise(role, sql)
        return self.con.execute(tree.sql(dialect="duckdb")).df()


def install(con, roles=ROLES) -> AccessLayer:
    """Create the masking macros and one schema of views per role; return the access layer."""
    roles = list(roles)
    names = [r.name for r in roles]
    if len(set(names)) != len(names):
        raise ValueError(f"role names repeat: {', '.join(names)}")
    con.execute("BEGIN")
    try:  # all roles or none: a failing view must not leave half a policy installed
        for macro in MASK_MACROS.values():
            con.execute(macro)
        for role in roles:
            con.execute(f"DROP SCHEMA IF EXISTS {role.schema} CASCADE")
            con.execute(f"CREATE SCHEMA {role.schema}")
            for view, sql in view_sql(role).items():
                con.execute(f"CREATE VIEW {role.schema}.{view} AS {sql}")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return AccessLayer(con, roles)


# --- checking what each role sees -------------------------------------------------------------

def pii_values(customers: pd.DataFrame) -> dict[str, set]:
    """The raw personal values to look for, by kind."""
    return {c: set(customers[c].dropna().astype(str)) for c in ("name", "email", "phone", "address")
            if c in customers.columns}


@dataclass(frozen=True)
class Leak:
    """Real personal values of one kind that one column shows."""
    column: str
    kind: str
    values: tuple  # the real values found
    shown: tuple   # how the column shows them
    exact: bool    # every one is shown as it is (not inside longer text)

    def sentence(self) -> str:
        how = "" if self.exact else ", inside longer text"
        return (f"column {self.column!r} shows {len(self.values)} real {self.kind} value(s) unmasked{how} "
                f"(for example {self.shown[0]!r})")


def _text_columns(frame: pd.DataFrame) -> list:
    return [c for c in frame.columns if not (pd.api.types.is_numeric_dtype(frame[c])
                                             or pd.api.types.is_datetime64_any_dtype(frame[c]))]


def pii_leaks(frame: pd.DataFrame, customers: pd.DataFrame) -> list[Leak]:
    """Every column of ``frame`` that shows a real name, e-mail, phone or address of ``customers``.

    A value counts wherever it appears inside a cell and whatever its case, so
    ``'***' || email``, ``lower(email)`` and ``'mailto:' || email`` are leaks, whatever the
    column is called.
    """
    raw = pii_values(customers)
    leaks = []
    for column in _text_columns(frame):
        cells = [str(v) for v in frame[column].dropna()]
        for kind, known in raw.items():
            found = find_inside(cells, known)
            if found:
                values = tuple(sorted(found))
                shown = tuple(found[v][0] for v in values)
                exact = all(s.lower() == v.lower() for v in values for s in found[v])
                leaks.append(Leak(str(column), kind, values, shown, exact))
    return leaks


def foreign_rows(frame: pd.DataFrame, customers: pd.DataFrame, tenant: int | None) -> tuple[int, list[int]]:
    """(rows of other tenants than ``tenant``, those tenants), found by the frame's customer_id."""
    if tenant is None or "customer_id" not in frame.columns:
        return 0, []
    tenant_of = customers.set_index("customer_id")["tenant_id"]
    others = frame["customer_id"].map(tenant_of)
    foreign = others[others.notna() & (others != tenant)]
    return len(foreign), sorted(int(t) for t in foreign.unique())


def find_leaks(frame: pd.DataFrame, customers: pd.DataFrame, tenant: int | None) -> list[str]:
    """Sentences describing what ``frame`` shows that a role of ``tenant`` must not see.

    Personal values are found by value (inside any cell of any column, whatever its name or
    case); rows of other tenants by their customer_id.
    """
    problems = [leak.sentence() for leak in pii_leaks(frame, customers)]
    n, tenants = foreign_rows(frame, customers, tenant)
    if n:
        problems.append(f"{n} row(s) belong to other tenants ({', '.join(map(str, tenants))}), not tenant {tenant}")
    return problems


def scan(layer: AccessLayer, customers: pd.DataFrame) -> pd.DataFrame:
    """Every view of every role, queried as that role: rows seen, PII leaks, foreign-tenant rows."""
    rows = []
    for name, role in layer.roles.items():
        for view in layer.views(name):
            seen = layer.query(name, f"SELECT * FROM {view}")
            pii = sorted({leak.column for leak in pii_leaks(seen, customers)})
            foreign, _ = foreign_rows(seen, customers, role.tenant)
            rows.append({"role": name, "view": view, "rows": len(seen),
                         "clear_pii_columns": ", ".join(pii) or "-",
                         "other_tenant_rows": foreign,
                         "verdict": "ok" if (role.pii == "clear" or not pii) and not foreign else "LEAK"})
    return pd.DataFrame(rows)
