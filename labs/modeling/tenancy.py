"""Three ways to keep tenants apart in a relational database, built and counted.

The shop's customers belong to four tenants (``tenant_id`` 1 to 4), think of four shops
on one SaaS platform. Each tenant's application numbers its own rows, so
``customer_id`` 7 exists in every tenant: ids are *tenant-local*, and only
``(tenant_id, customer_id)`` names one customer. The layouts:

- **shared tables** (pool): one ``customers`` and one ``orders`` table with a
  ``tenant_id`` column leading every key; each session sets its tenant and reads
  through views filtered on it (in PostgreSQL: row-level security policies);
- **schema per tenant** (bridge): ``tenant_1.orders``, ``tenant_2.orders``, ...
  in one database;
- **database per tenant** (silo): one SQLite file per tenant.

    >>> from labs.data import ecommerce
    >>> from labs.engines import duckdb
    >>> shop = ecommerce.tables(scale=0.05, seed=1)
    >>> data = tenant_tables(shop["customers"], shop["orders"])
    >>> con = duckdb()
    >>> build_shared(con, data)
    >>> set_tenant(con, 2)
    >>> con.sql("select distinct tenant_id from my_orders").fetchall()
    [(2,)]
    >>> leaks("SELECT order_id FROM orders WHERE tenant_id = 2 OR status = 'returned'", data, 2)
    True
    >>> leaks("SELECT order_id FROM my_orders WHERE status = 'returned'", data, 2)
    False
"""
from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from labs._check import is_whole, whole
from labs.engines import duckdb, sqlite
from labs.modeling._db import scalar

LAYOUTS = ("shared tables", "schema per tenant", "database per tenant")
TABLES = ("customers", "orders")
# The same two tables in every layout; the shared layout adds tenant_id in front.
_COLUMNS = {
    "customers": "customer_id BIGINT NOT NULL, name VARCHAR, segment VARCHAR",
    "orders": "order_id BIGINT NOT NULL, customer_id BIGINT NOT NULL, order_ts TIMESTAMPTZ, "
              "status VARCHAR, amount DOUBLE",
}
_KEYS = {"customers": "customer_id", "orders": "order_id"}


def tenant_tables(customers: pd.DataFrame, orders: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The shop's customers and orders split by tenant, with tenant-local ids.

    Returns {"customers": tenant_id, customer_id, name, segment;
    "orders": tenant_id, order_id, customer_id, order_ts, status, amount}, sorted by
    tenant and id. Local ids count from 1 within each tenant, in the global id order.
    """
    for name, frame, columns in (("customers", customers, ("customer_id", "tenant_id", "name", "segment")),
                                 ("orders", orders, ("order_id", "customer_id", "order_ts", "status", "total_amount"))):
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise ValueError(f"{name} is missing column(s) {', '.join(missing)}.")
    cust = customers.sort_values("customer_id").copy()
    cust["local_id"] = cust.groupby("tenant_id").cumcount() + 1
    owner = cust.set_index("customer_id")[["tenant_id", "local_id"]]
    ords = orders.sort_values("order_id").join(owner, on="customer_id")
    ords["local_order"] = ords.groupby("tenant_id").cumcount() + 1
    customers_out = pd.DataFrame({
        "tenant_id": cust["tenant_id"].astype(np.int64), "customer_id": cust["local_id"].astype(np.int64),
        "name": cust["name"], "segment": cust["segment"]})
    orders_out = pd.DataFrame({
        "tenant_id": ords["tenant_id"].astype(np.int64), "order_id": ords["local_order"].astype(np.int64),
        "customer_id": ords["local_id"].astype(np.int64), "order_ts": ords["order_ts"],
        "status": ords["status"], "amount": ords["total_amount"]})
    return {"customers": customers_out.sort_values(["tenant_id", "customer_id"], ignore_index=True),
            "orders": orders_out.sort_values(["tenant_id", "order_id"], ignore_index=True)}


def tenants(data: dict) -> list[int]:
    return sorted(int(t) for t in data["customers"]["tenant_id"].unique())


# -- the three layouts -----------------------------------------------------------------
def build_shared(con, data: dict | None = None) -> None:
    """Shared tables with a tenant key, and ``my_customers``/``my_orders`` views for the session's tenant.

    ``tenant_id`` leads every primary and foreign key, so an order can only point at a
    customer of its own tenant. The views read the tenant from a session variable
    (``set_tenant``); with no tenant set they return nothing, so a forgotten setting
    fails closed instead of showing everyone's rows.
    """
    con.execute(f"CREATE OR REPLACE TABLE customers (tenant_id BIGINT NOT NULL, {_COLUMNS['customers']}, "
                "PRIMARY KEY (tenant_id, customer_id))")
    con.execute(f"CREATE OR REPLACE TABLE orders (tenant_id BIGINT NOT NULL, {_COLUMNS['orders']}, "
                "PRIMARY KEY (tenant_id, order_id))")
    for table in TABLES:
        con.execute(f"CREATE OR REPLACE VIEW my_{table} AS "
                    f"SELECT * FROM {table} WHERE tenant_id = getvariable('tenant_id')")
    if data is not None:
        for table in TABLES:
            _insert(con, table, data[table])


def set_tenant(con, tenant_id: int) -> None:
    """Make ``tenant_id`` the session's tenant (what a connection pool does per request)."""
    con.execute(f"SET VARIABLE tenant_id = {whole(tenant_id, 'tenant_id')}")


def build_schema_per_tenant(con, data: dict | None = None, tenant_ids=None) -> None:
    """One schema per tenant, ``tenant_<id>``, holding its own ``customers`` and ``orders``."""
    ids = tenants(data) if tenant_ids is None else list(tenant_ids)
    con.execute("BEGIN TRANSACTION")  # one commit for all the DDL, not one per statement
    try:
        _create_schemas(con, data, ids)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def _create_schemas(con, data, ids) -> None:
    for tenant in ids:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS tenant_{tenant}")
        for table in TABLES:
            con.execute(f"CREATE OR REPLACE TABLE tenant_{tenant}.{table} "
                        f"({_COLUMNS[table]}, PRIMARY KEY ({_KEYS[table]}))")
            if data is not None:
                rows = data[table][data[table]["tenant_id"] == tenant].drop(columns="tenant_id")
                _insert(con, f"tenant_{tenant}.{table}", rows)


def build_database_per_tenant(folder, data: dict | None = None, tenant_ids=None) -> list[Path]:
    """One SQLite file per tenant in ``folder``; returns their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ids = tenants(data) if tenant_ids is None else list(tenant_ids)
    paths = []
    for tenant in ids:
        path = folder / f"tenant_{tenant}.sqlite"
        db = sqlite(path)
        # Demo files: skip the per-commit disk flush (a real system keeps it on).
        db.execute("PRAGMA synchronous = OFF")
        with db:  # one transaction per file
            db.execute("BEGIN")
            for table in TABLES:
                db.execute(f"DROP TABLE IF EXISTS {table}")
                columns = _COLUMNS[table].replace("BIGINT", "INTEGER").replace("TIMESTAMPTZ", "TEXT")
                columns = columns.replace("VARCHAR", "TEXT").replace("DOUBLE", "REAL")
                db.execute(f"CREATE TABLE {table} ({columns}, PRIMARY KEY ({_KEYS[table]}))")
                if data is not None:
                    rows = data[table][data[table]["tenant_id"] == tenant].drop(columns="tenant_id")
                    if "order_ts" in rows:
                        rows = rows.assign(order_ts=rows["order_ts"].map(lambda t: t.isoformat()))
                    db.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * rows.shape[1])})",
                                   rows.itertuples(index=False, name=None))
        db.close()
        paths.append(path)
    return paths


def _insert(con, table: str, frame: pd.DataFrame) -> None:
    con.register("__rows", frame)
    try:
        con.execute(f"INSERT INTO {table} SELECT * FROM __rows")
    finally:
        con.unregister("__rows")


# -- what each layout costs -------------------------------------------------------------
def cross_tenant_sql(layout: str, tenant_ids) -> str:
    """SQL for "revenue per tenant" across all tenants, as each layout needs it."""
    ids = list(tenant_ids)
    if layout == "shared tables":
        return "SELECT tenant_id, sum(amount) AS revenue FROM orders GROUP BY tenant_id"
    if layout == "schema per tenant":
        return "\nUNION ALL\n".join(f"SELECT {t} AS tenant_id, sum(amount) AS revenue FROM tenant_{t}.orders"
                                    for t in ids)
    if layout == "database per tenant":
        # Nothing spans files: one query per database, combined by the application.
        return ";\n".join("SELECT sum(amount) AS revenue FROM orders" for _ in ids)
    raise ValueError(f"layout must be one of {', '.join(repr(x) for x in LAYOUTS)}, not {layout!r}.")


def layout_costs(tenant_counts=(4, 16, 64, 256)) -> pd.DataFrame:
    """Build each layout (empty) for each number of tenants and count what it costs.

    Columns: layout, tenants, catalogue_objects (tables, views and schemas), files,
    migration_statements (to add one column to orders everywhere), and for a
    revenue-per-tenant report: report_statements (queries it runs) and report_tables
    (tables it reads).
    """
    rows = []
    for n in tenant_counts:
        if not is_whole(n) or n < 1:
            raise ValueError(f"tenant_counts must hold whole numbers >= 1, not {n!r}.")
        ids = list(range(1, int(n) + 1))
        con = duckdb()
        build_shared(con)
        rows.append(_costs("shared tables", n, _duckdb_objects(con), 1, 1, 1))
        con = duckdb()
        build_schema_per_tenant(con, tenant_ids=ids)
        rows.append(_costs("schema per tenant", n, _duckdb_objects(con), 1, n, 1))
        with tempfile.TemporaryDirectory() as folder:
            paths = build_database_per_tenant(folder, tenant_ids=ids)
            objects = sum(_sqlite_objects(p) for p in paths)
            rows.append(_costs("database per tenant", n, objects, len(paths), n, n))
    return pd.DataFrame(rows)


def _costs(layout, n, objects, files, migration, queries) -> dict:
    return {"layout": layout, "tenants": int(n), "catalogue_objects": int(objects), "files": int(files),
            "migration_statements": int(migration), "report_statements": int(queries),
            "report_tables": int(n) if layout != "shared tables" else 1}


def _duckdb_objects(con) -> int:
    tables = scalar(con, "SELECT count(*) FROM duckdb_tables() WHERE NOT internal")
    views = scalar(con, "SELECT count(*) FROM duckdb_views() WHERE NOT internal")
    schemas = scalar(con, "SELECT count(*) FROM duckdb_schemas() WHERE NOT internal AND schema_name LIKE 'tenant_%'")
    return tables + views + schemas


def _sqlite_objects(path) -> int:
    db = sqlite3.connect(str(path))
    try:
        return db.execute("SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'view')").fetchall()[0][0]
    finally:
        db.close()


def sqlite_attach_limit(paths) -> tuple[int, str]:
    """Attach tenant files to one SQLite connection until it refuses: (attached, SQLite's message).

    Querying across database-per-tenant files needs them attached together; SQLite's
    default build allows 10, so a cross-tenant report over more tenants must loop.
    """
    db = sqlite3.connect(":memory:")
    try:
        for i, path in enumerate(paths):
            try:
                db.execute(f"ATTACH DATABASE ? AS t{i}", (str(path),))
            except sqlite3.OperationalError as error:
                return i, str(error)
        return len(list(paths)), ""
    finally:
        db.close()


# -- isolation --------------------------------------------------------------------------
def leaks(sql: str, data: dict, tenant_id: int) -> bool:
    """True if ``sql``, run as ``tenant_id`` on the shared tables, depends on other tenants' rows.

    The query runs twice: on a database holding every tenant, and on one holding only
    ``tenant_id``'s rows. Any difference means other tenants' data reached the result,
    whether as rows shown or as rows that changed a count.
    """
    results = []
    for subset in (data, {t: f[f["tenant_id"] == tenant_id] for t, f in data.items()}):
        con = duckdb()
        build_shared(con, subset)
        set_tenant(con, tenant_id)
        frame = con.sql(sql).df()
        results.append(frame.sort_values(list(frame.columns), ignore_index=True))
    return not results[0].equals(results[1])
