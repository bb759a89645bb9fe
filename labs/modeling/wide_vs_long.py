"""High-dimensional data four ways: wide columns, long (EAV) rows, a MAP column, JSON text.

The example is real and sparse: how often each customer viewed each of the 500
products (from the clickstream). Most customers viewed a handful, so a 500-column row
is almost all empty. The four layouts hold the same numbers:

========  =====================================================  ===========================
layout    one row is                                             absent values
========  =====================================================  ===========================
wide      a customer, one column per feature (p0001 ... p0500)   NULL cells
long      a (customer, feature, value) triple: EAV               no row at all
map       a customer, features in a ``MAP(VARCHAR, INTEGER)``    no key
json      a customer, features as JSON text                      no key
========  =====================================================  ===========================

    >>> from labs.engines import duckdb
    >>> con = duckdb()
    >>> long = sparse_features(n_entities=50, n_features=20, density=0.1, seed=1)
    >>> con.register("long_df", long)
    <...>
    >>> build_layouts(con, "long_df")
    >>> [len(con.sql(f"select * from feat_{name}").columns) for name in LAYOUTS]
    [21, 3, 2, 2]
"""
from __future__ import annotations

import io

import numpy as np
import pandas as pd

from labs._check import is_number, is_whole
from labs.modeling._db import scalar

LAYOUTS = ("wide", "long", "map", "json")
ENTITY = "entity_id"


def feature_name(number: int) -> str:
    """Feature names sort in number order: ``p0042``."""
    return f"p{int(number):04d}"


def product_views(con, clickstream) -> pd.DataFrame:
    """Long triples (entity_id = customer, feature = product, value = views) from the clickstream.

    ``clickstream`` is a Parquet path or a pandas frame with customer_id, product_id and
    event_type; anonymous events (no customer) are left out.
    """
    source = f"read_parquet('{clickstream}')" if not isinstance(clickstream, pd.DataFrame) else "__clicks"
    if isinstance(clickstream, pd.DataFrame):
        con.register("__clicks", clickstream)
    try:
        return con.sql(f"""
            SELECT customer_id AS {ENTITY}, 'p' || lpad(CAST(product_id AS VARCHAR), 4, '0') AS feature,
                   CAST(count(*) AS INTEGER) AS value
            FROM {source}
            WHERE event_type = 'product_view' AND customer_id IS NOT NULL
            GROUP BY ALL
            ORDER BY {ENTITY}, feature
        """).df()
    finally:
        if isinstance(clickstream, pd.DataFrame):
            con.unregister("__clicks")


def sparse_features(n_entities: int = 2000, n_features: int = 500, density: float = 0.05,
                    seed: int = 1) -> pd.DataFrame:
    """Synthetic long triples: each (entity, feature) cell is present with probability ``density``.

    Values are small positive integers, like counts.
    """
    for name, value in (("n_entities", n_entities), ("n_features", n_features)):
        if not is_whole(value) or not 1 <= value <= 9_999_999:
            raise ValueError(f"{name} must be a whole number from 1 to 9,999,999, not {value!r}.")
    if not is_number(density) or not 0 < density <= 1:
        raise ValueError(f"density must be a fraction in (0, 1], not {density!r}.")
    rng = np.random.Generator(np.random.PCG64([seed, 2001]))
    present = rng.random((n_entities, n_features)) < density
    entity, feature = np.nonzero(present)
    return pd.DataFrame({
        ENTITY: (entity + 1).astype(np.int64),
        "feature": np.array([feature_name(i + 1) for i in range(n_features)], dtype=object)[feature],
        "value": (1 + rng.poisson(2.0, size=len(entity))).astype(np.int32),
    })


def build_layouts(con, long_source: str) -> None:
    """Create ``feat_wide``, ``feat_long``, ``feat_map`` and ``feat_json`` from long triples.

    ``long_source`` is a table or view with entity_id, feature, value.
    """
    con.execute(f"""CREATE OR REPLACE TABLE feat_long AS
                    SELECT {ENTITY}, feature, value FROM {long_source} ORDER BY {ENTITY}, feature""")
    # PIVOT makes one column per distinct feature, in sorted order.
    con.execute(f"""CREATE OR REPLACE TABLE feat_wide AS
                    SELECT * FROM (PIVOT feat_long ON feature USING first(value) GROUP BY {ENTITY})
                    ORDER BY {ENTITY}""")
    con.execute(f"""CREATE OR REPLACE TABLE feat_map AS
                    SELECT {ENTITY}, map_from_entries(list((feature, value) ORDER BY feature)) AS features
                    FROM feat_long GROUP BY {ENTITY} ORDER BY {ENTITY}""")
    con.execute(f"""CREATE OR REPLACE TABLE feat_json AS
                    SELECT {ENTITY}, CAST(to_json(features) AS VARCHAR) AS features
                    FROM feat_map ORDER BY {ENTITY}""")


def sizes(con, table: str) -> tuple[int, int]:
    """(Arrow bytes in memory, bytes as one zstd Parquet file) of ``table``, rows in key order.

    In memory every value costs its full width; Parquet's dictionary and run-length
    encodings then squeeze out repetition (the same feature names, the same entity id
    on consecutive rows), which shrinks the long layout most.
    """
    import pyarrow.parquet as pq

    columns = con.sql(f"SELECT * FROM {table} LIMIT 0").columns
    order = f"{ENTITY}, feature" if "feature" in columns else ENTITY  # a total order: same rows, same bytes
    # One chunk per column: how DuckDB happened to batch the rows must not change the sizes.
    arrow = con.sql(f"SELECT * FROM {table} ORDER BY {order}").to_arrow_table().combine_chunks()
    buffer = io.BytesIO()
    pq.write_table(arrow, buffer, compression="zstd")
    return arrow.nbytes, buffer.getbuffer().nbytes


def layout_sizes(con) -> pd.DataFrame:
    """Rows, columns, in-memory and Parquet kilobytes of each layout (after ``build_layouts``)."""
    rows = []
    for name in LAYOUTS:
        table = f"feat_{name}"
        memory, parquet = sizes(con, table)
        rows.append({"layout": name, "rows": scalar(con, f"SELECT count(*) FROM {table}"),
                     "columns": len(con.sql(f"SELECT * FROM {table} LIMIT 0").columns),
                     "memory_kb": round(memory / 1024), "parquet_kb": round(parquet / 1024)})
    return pd.DataFrame(rows)


def size_by_density(densities=(0.01, 0.03, 0.1, 0.3, 1.0), n_entities: int = 1000,
                    n_features: int = 200, seed: int = 1, progress: bool = False) -> pd.DataFrame:
    """In-memory and Parquet kilobytes of each layout of synthetic features, per density."""
    import sys

    from tqdm.auto import tqdm

    from labs.engines import duckdb

    rows = []
    for density in tqdm(densities, desc="densities", file=sys.stderr, disable=not progress, leave=False):
        con = duckdb()
        con.register("long_df", sparse_features(n_entities, n_features, density, seed))
        build_layouts(con, "long_df")
        for name in LAYOUTS:
            memory, parquet = sizes(con, f"feat_{name}")
            rows.append({"density": density, "layout": name,
                         "memory_kb": round(memory / 1024), "parquet_kb": round(parquet / 1024)})
        con.close()
    return pd.DataFrame(rows)


def access_queries(entity: int, feature: str, group: list[str]) -> dict[str, dict[str, str]]:
    """The same three questions in each layout's SQL: {pattern: {layout: sql}}.

    - "one entity, every feature": what an online model needs per request;
    - "one feature, every entity": a training column or a dashboard;
    - "sum of a feature group": e.g. all views of one product category, per entity.

    Results are comparable across layouts except the first, whose shape differs (one
    wide row against many long rows): that difference is part of the lesson.
    """
    if not group:
        raise ValueError("group must list at least one feature.")
    in_list = ", ".join(f"'{f}'" for f in group)
    # The wide layout needs the group spelled out as columns: generated SQL grows with it.
    wide_sum = " + ".join(f'coalesce("{f}", 0)' for f in group)
    return {
        "one entity, every feature": {
            "wide": f"SELECT * FROM feat_wide WHERE {ENTITY} = {entity}",
            "long": f"SELECT feature, value FROM feat_long WHERE {ENTITY} = {entity}",
            "map": f"SELECT features FROM feat_map WHERE {ENTITY} = {entity}",
            "json": f"SELECT features FROM feat_json WHERE {ENTITY} = {entity}",
        },
        "one feature, every entity": {
            "wide": f'SELECT {ENTITY}, coalesce("{feature}", 0) AS value FROM feat_wide',
            "long": f"""SELECT e.{ENTITY}, coalesce(l.value, 0) AS value
                        FROM (SELECT DISTINCT {ENTITY} FROM feat_long) e
                        LEFT JOIN feat_long l ON l.{ENTITY} = e.{ENTITY} AND l.feature = '{feature}'""",
            "map": f"SELECT {ENTITY}, coalesce(features['{feature}'], 0) AS value FROM feat_map",
            "json": f"""SELECT {ENTITY}, coalesce(CAST(features ->> '$.{feature}' AS INTEGER), 0) AS value
                        FROM feat_json""",
        },
        "sum of a feature group": {
            "wide": f"SELECT {ENTITY}, {wide_sum} AS value FROM feat_wide",
            "long": f"""SELECT e.{ENTITY}, coalesce(sum(l.value), 0) AS value
                        FROM (SELECT DISTINCT {ENTITY} FROM feat_long) e
                        LEFT JOIN feat_long l ON l.{ENTITY} = e.{ENTITY} AND l.feature IN ({in_list})
                        GROUP BY e.{ENTITY}""",
            "map": f"""SELECT {ENTITY},
                              coalesce(list_sum(list_transform([{in_list}], lambda f: coalesce(features[f], 0))), 0) AS value
                       FROM feat_map""",
            "json": f"""SELECT {ENTITY},
                               coalesce(list_sum(list_transform([{in_list}],
                                   lambda f: coalesce(CAST(json_extract_string(features, '$.' || f) AS INTEGER), 0))), 0) AS value
                        FROM feat_json""",
        },
    }
