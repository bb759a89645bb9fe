"""The small CSV samples committed under ``datasets/samples/``.

They let a reader see each table without generating anything: the first rows of
every table at the default scale and seed (1.0 and 42), exactly as the
generators make them. ``python -m labs.data samples`` rewrites them; a test
checks they still match the generators.

    >>> sorted(SAMPLES)
    ['ecommerce', 'iot', 'transactions']
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from labs.data import _io

ROWS = 20
SAMPLES = {
    "ecommerce": ("customers", "products", "orders", "order_items", "payments", "clickstream"),
    "transactions": ("transactions", "merchants"),
    "iot": ("devices", "readings", "planted"),
}


def frames(rows: int = ROWS, seed: int = 42) -> dict[str, dict[str, pd.DataFrame]]:
    """{data set: {table: first ``rows`` rows}} at scale 1 and the given seed."""
    from labs.data import ecommerce, iot, transactions
    from labs.engines import duckdb

    shop = ecommerce.tables(1.0, seed)
    fleet = iot.tables(1.0, seed)
    con = duckdb()
    n_rows = transactions.ROWS_PER_SCALE
    query = transactions.sql(n_rows, seed, transactions.DATASET_SKEW, parallel=False)
    return {
        "ecommerce": {name: shop[name].head(rows) for name in SAMPLES["ecommerce"]},
        "transactions": {
            "transactions": con.execute(f"{query} LIMIT {rows}").df(),
            "merchants": con.execute(f"{transactions.merchants_sql(seed=seed)} LIMIT {rows}").df(),
        },
        "iot": {name: fleet[name].head(rows) for name in SAMPLES["iot"]},
    }


def write(folder: Path | str | None = None, rows: int = ROWS) -> list[Path]:
    """Write ``<folder>/<data set>/<table>.csv`` for every sample; return the paths."""
    from labs.paths import root

    folder = Path(folder) if folder is not None else root() / "datasets" / "samples"
    written = []
    for dataset, tables in frames(rows).items():
        (folder / dataset).mkdir(parents=True, exist_ok=True)
        for name, frame in tables.items():
            written.append(_io.write_csv(frame, folder / dataset / f"{name}.csv"))
    return written
