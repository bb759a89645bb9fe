"""Column-level lineage from SQL with sqlglot, drawn as a graph, and a proof that no personal
column reaches an analyst-facing output.

A pipeline is a dict {model name: SELECT ...} in build order; models read raw tables (given by
a schema) or earlier models. ``edges`` resolves every output column of every model to the
columns it is computed from (``sqlglot.lineage``, after qualifying ``*`` and aliases), and
``pii_paths`` follows those edges from the personal columns to the outputs.

    >>> schema = {"customers": ["customer_id", "email", "country"]}
    >>> models = {"by_country": "SELECT country, count(DISTINCT email) AS buyers FROM customers GROUP BY 1"}
    >>> pii_paths(models, schema, {"customers": ["email"]}, ["by_country"])
    [['customers.email', 'by_country.buyers']]

Lineage is conservative: a hash or a count of a personal column still depends on it. That is
what you want from a proof (an unkeyed hash of an e-mail is reversible by guessing); an
approved masking step is declared explicitly with ``allow``.
"""
from __future__ import annotations

import pandas as pd
import sqlglot
from sqlglot import exp
from sqlglot.lineage import lineage
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import traverse_scope


def _schema_dict(schema: dict) -> dict:
    return {t: ({c: "unknown" for c in cols} if not isinstance(cols, dict) else cols) for t, cols in schema.items()}


def output_columns(sql: str, schema: dict, dialect: str = "duckdb") -> list[str]:
    """The names a SELECT returns, with ``*`` expanded from the schema."""
    tree = qualify(sqlglot.parse_one(sql, read=dialect), schema=_schema_dict(schema), dialect=dialect)
    return list(tree.named_selects)


def model_edges(name: str, sql: str, schema: dict, dialect: str = "duckdb") -> list[tuple[str, str]]:
    """(source 'table.column', target 'name.column') for every output column of one model."""
    known = _schema_dict(schema)
    tree = sqlglot.parse_one(sql, read=dialect)
    unknown = sorted({t.name for t in tree.find_all(exp.Table)} - set(known)
                     - {c.alias_or_name for c in tree.find_all(exp.CTE)})
    if unknown:
        raise ValueError(f"model {name!r} reads unknown table(s) {', '.join(unknown)}; known: {', '.join(known)}")
    tree = qualify(tree, schema=known, dialect=dialect)
    out = []
    for column in tree.named_selects:
        node = lineage(column, tree, schema=known, dialect=dialect)
        for leaf in node.walk():
            if leaf.downstream or not isinstance(leaf.source, exp.Table):
                continue
            source_col = leaf.name.split(".")[-1].strip('"')
            out.append((f"{leaf.source.name}.{source_col}", f"{name}.{column}"))
    return sorted(set(out))


def edges(models: dict, schema: dict, dialect: str = "duckdb") -> pd.DataFrame:
    """Every lineage edge of a pipeline: columns source, target (as 'table.column')."""
    known = {t: list(c) for t, c in schema.items()}
    rows = []
    for name, sql in models.items():
        rows += model_edges(name, sql, known, dialect)
        known[name] = output_columns(sql, known, dialect)
    return pd.DataFrame(rows, columns=["source", "target"])


def paths(edge_frame: pd.DataFrame, sources, targets) -> list[list[str]]:
    """Every path along the edges from one of ``sources`` to one of ``targets`` (column names)."""
    nexts: dict = {}
    for s, t in edge_frame.itertuples(index=False):
        nexts.setdefault(s, []).append(t)
    targets, found = set(targets), []

    def walk(path):
        if path[-1] in targets:
            found.append(path)
        for nxt in sorted(nexts.get(path[-1], ())):
            if nxt not in path:
                walk(path + [nxt])

    for source in sorted(sources):
        walk([source])
    return found


def pii_paths(models: dict, schema: dict, pii: dict, outputs, allow=(), dialect: str = "duckdb") -> list[list[str]]:
    """Paths from personal columns (``pii``: {table: [columns]}) to any column of the ``outputs`` models.

    ``allow`` lists 'model.column' nodes that are approved masking steps: paths through them
    are not reported. An empty list is the proof that no personal value reaches the outputs.
    """
    unknown = [m for m in outputs if m not in models]
    if unknown:
        raise ValueError(f"outputs must be models of the pipeline ({', '.join(models)}); got {', '.join(unknown)}")
    e = edges(models, schema, dialect)
    sources = [f"{t}.{c}" for t, cols in pii.items() for c in cols]
    targets = {t for t in e["target"] if t.split(".")[0] in outputs}
    return [p for p in paths(e, sources, targets) if not set(p[1:]) & set(allow)]


CLAUSES = (("WHERE", exp.Where), ("JOIN", exp.Join), ("GROUP BY", exp.Group), ("HAVING", exp.Having),
           ("ORDER BY", exp.Order))


def personal_reads(sql: str, schema: dict, pii: dict, dialect: str = "duckdb") -> list[tuple[str, str]]:
    """('table.column', clause) for every personal column the query reads, wherever it reads it.

    Lineage follows the select list; this also sees a personal column used only to filter, join
    or sort, which a role running the query still needs access to (least privilege).

        >>> personal_reads("SELECT country FROM customers WHERE email IS NOT NULL",
        ...                {"customers": ["country", "email"]}, {"customers": ["email"]})
        [('customers.email', 'WHERE')]
    """
    tree = qualify(sqlglot.parse_one(sql, read=dialect), schema=_schema_dict(schema), dialect=dialect)
    found = []
    for scope in traverse_scope(tree):
        for column in scope.columns:
            source = scope.sources.get(column.table)
            if isinstance(source, exp.Table) and column.name in pii.get(source.name, ()):
                clause = next((name for name, kind in CLAUSES if column.find_ancestor(kind)), "SELECT")
                found.append((f"{source.name}.{column.name}", clause))
    return list(dict.fromkeys(found))


def layers(models: dict, schema: dict) -> dict[str, int]:
    """Raw tables are layer 0; a model sits one layer after the deepest table it reads."""
    depth = {t: 0 for t in schema}
    for name, sql in models.items():
        reads = {t.name for t in sqlglot.parse_one(sql, read="duckdb").find_all(exp.Table)}
        depth[name] = 1 + max((depth.get(t, 0) for t in reads), default=0)
    return depth


def draw(ax, models: dict, schema: dict, highlight=(), title: str = ""):
    """Columns as boxes grouped by table, tables in layers left to right, lineage as arrows.

    Edges on a ``highlight`` path (a list of paths) are drawn red and thick.
    """
    e = edges(models, schema)
    depth = layers(models, schema)
    used = set(e["source"]) | set(e["target"])
    by_layer: dict = {}
    for table in depth:
        cols = [c for c in (list(schema[table]) if table in schema else output_columns(models[table], schema | {
            m: output_columns(models[m], schema) for m in models if depth[m] < depth[table]})) if f"{table}.{c}" in used]
        if cols:
            by_layer.setdefault(depth[table], []).append((table, cols))
    pos = {}
    for layer, tables in by_layer.items():
        y = 0.0
        for table, cols in tables:
            ax.text(layer * 3.0, -y + 0.55, table, fontsize=9, fontweight="bold", ha="center")
            for col in cols:
                pos[f"{table}.{col}"] = (layer * 3.0, -y)
                y += 0.6
            y += 0.8
    hot = {(p[i], p[i + 1]) for p in highlight for i in range(len(p) - 1)}
    for s, t in e.itertuples(index=False):
        (x0, y0), (x1, y1) = pos[s], pos[t]
        red = (s, t) in hot
        ax.annotate("", xy=(x1 - 0.75, y1), xytext=(x0 + 0.75, y0),
                    arrowprops=dict(arrowstyle="->", color="#c44e52" if red else "#9aa5b1",
                                    lw=2.2 if red else 0.9, shrinkA=0, shrinkB=0), zorder=1)
    pii_nodes = {p[0] for p in highlight}
    for node, (x, y) in pos.items():
        colour = "#f6d5d6" if node in pii_nodes else "#e8eef5"
        ax.text(x, y, node.split(".", 1)[1], ha="center", va="center", fontsize=8, zorder=2,
                bbox=dict(boxstyle="round,pad=0.25", fc=colour, ec="#607080", lw=0.6))
    ax.set_xlim(-1.2, max(by_layer) * 3.0 + 1.2)
    ax.set_ylim(min(y for _, y in pos.values()) - 0.6, 1.2)
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax


# --- the shop's pipeline used in the lab -----------------------------------------------------

SHOP_SCHEMA = {
    "customers": ["customer_id", "name", "email", "phone", "address", "city", "country", "birth_date",
                  "segment", "tenant_id"],
    "orders": ["order_id", "customer_id", "order_date", "total_amount", "status"],
}
SHOP_PII = {"customers": ["name", "email", "phone", "address", "birth_date"]}
SHOP_PIPELINE = {
    "curated_customers": "SELECT customer_id, sha256(lower(email)) AS email_hash, city, country, segment, "
                         "year(birth_date) AS birth_year FROM customers",
    "curated_orders": "SELECT o.order_id, o.customer_id, o.order_date, o.total_amount, c.country "
                      "FROM orders o JOIN customers c ON c.customer_id = o.customer_id WHERE o.status <> 'cancelled'",
    "mart_revenue": "SELECT country, date_trunc('month', order_date) AS month, "
                    "count(DISTINCT customer_id) AS buyers, sum(total_amount) AS revenue "
                    "FROM curated_orders GROUP BY ALL",
    "mart_segments": "SELECT segment, birth_year // 10 * 10 AS decade, count(DISTINCT email_hash) AS people "
                     "FROM curated_customers GROUP BY ALL",
}
ANALYST_OUTPUTS = ("mart_revenue", "mart_segments")
