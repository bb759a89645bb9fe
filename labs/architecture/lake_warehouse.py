"""A lake against a warehouse (D3): schema-on-read over raw files, schema-on-write into a table.

The lake keeps what producers sent, as files (``write_lake``); the schema is applied by each
reader, every time, so a bad record is every reader's problem, and each reader meets it in its
own way (``read_lake``). The warehouse applies the schema once, at load: a typed table with
constraints refuses the bad record, and a loader that quarantines it keeps the rest flowing
(``load_warehouse``). ``scan_costs`` measures what one query reads and how long it takes over raw
JSON, over the same rows as Parquet, and over the warehouse table.

    >>> import tempfile, pathlib
    >>> from labs.architecture.events import make_events
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = write_lake(make_events(200, seed=5), folder, n_files=2)
    >>> [row["outcome"] for row in read_lake(folder)][:2]
    ['error', 'error']
    >>> load_warehouse(folder)["quarantined"]
    3
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from labs import engines
from labs._check import whole
from labs.architecture.events import drop_files, file_name
from labs.timing import best_of

# What producers got wrong, planted in the last file: each a record people really receive.
BAD_RECORDS = (
    {"event_id": -1, "customer_id": 1, "country": "DE", "status": "paid", "amount": "12,50",
     "event_time": "2026-03-02T23:59:00Z"},                      # a decimal comma, as text
    {"event_id": -2, "customer_id": 2, "country": "FR", "status": "paid", "amt": 30.0,
     "event_time": "2026-03-02T23:59:10Z"},                      # a renamed field: no amount at all
    {"event_id": -3, "customer_id": 3, "country": "GB", "status": "paid", "amount": -45.0,
     "event_time": "2026-03-02T23:59:20Z"},                      # a negative amount
)
REVENUE = "SELECT country, round(sum(amount), 2) AS revenue FROM {src} WHERE status = 'paid' GROUP BY country ORDER BY country"
TYPED = {"event_id": "BIGINT", "customer_id": "BIGINT", "country": "VARCHAR", "status": "VARCHAR",
         "amount": "DOUBLE", "event_time": "TIMESTAMPTZ"}


def write_lake(events: pd.DataFrame, folder: Path, n_files: int = 4, bad: bool = True) -> list[Path]:
    """The raw zone: the events as JSON-lines files, the bad records appended to the last one."""
    paths = drop_files(events, Path(folder), whole(n_files, "n_files", at_least=1))
    if bad:
        with open(paths[-1], "a") as f:
            f.writelines(json.dumps(r) + "\n" for r in BAD_RECORDS)
    return paths


def _glob(folder: Path) -> str:
    return str(Path(folder) / "*.jsonl")


def read_lake(folder: Path) -> list[dict]:
    """Three readers of the same raw files, each applying the schema its own way."""
    con = engines.duckdb()
    readers = {
        "infer the schema (read_json_auto)": f"read_json_auto('{_glob(folder)}')",
        "declare the schema": f"read_json('{_glob(folder)}', columns = {TYPED!r})",
        "declare it and skip what does not parse": f"read_json('{_glob(folder)}', columns = {TYPED!r}, ignore_errors = true)",
    }
    out = []
    for name, src in readers.items():
        try:
            rows = con.sql(REVENUE.format(src=src)).fetchall()
            out.append({"reader": name, "outcome": "answer", "revenue": round(sum(r[1] for r in rows), 2),
                        "message": ""})
        except Exception as exc:
            out.append({"reader": name, "outcome": "error", "revenue": None,
                        "message": _short(exc, folder)})
    return out


def _short(exc: Exception, folder: Path) -> str:
    """The first line of an engine's error, without the folder's location on this machine."""
    return str(exc).splitlines()[0].replace(f"{Path(folder)}/", "")[:120]


def load_warehouse(folder: Path, con=None) -> dict:
    """Load the raw files into a typed table with constraints; rows that break them go to quarantine."""
    con = con or engines.duckdb()
    con.execute("CREATE OR REPLACE TABLE orders (event_id BIGINT PRIMARY KEY, customer_id BIGINT NOT NULL, "
                "country VARCHAR NOT NULL, status VARCHAR NOT NULL CHECK (status IN ('paid', 'refunded')), "
                "amount DECIMAL(12, 2) NOT NULL CHECK (amount >= 0), event_time TIMESTAMPTZ NOT NULL)")
    raw = f"read_json('{_glob(folder)}', columns = {dict(TYPED, amount='VARCHAR')!r})"
    # a strict load is all or nothing: one bad row and the whole load is refused
    try:
        con.execute(f"INSERT INTO orders SELECT * REPLACE (CAST(amount AS DECIMAL(12, 2)) AS amount) FROM {raw}")
        strict = "loaded"
    except Exception as exc:
        strict = _short(exc, folder)
    good = ("TRY_CAST(amount AS DECIMAL(12, 2)) IS NOT NULL AND TRY_CAST(amount AS DECIMAL(12, 2)) >= 0 "
            "AND status IN ('paid', 'refunded')")
    con.execute(f"CREATE OR REPLACE TABLE quarantine AS SELECT * FROM {raw} WHERE NOT coalesce({good}, false)")
    con.execute(f"INSERT INTO orders SELECT * REPLACE (CAST(amount AS DECIMAL(12, 2)) AS amount) FROM {raw} WHERE {good}")
    count = lambda table: con.sql(f"SELECT count(*) FROM {table}").fetchall()[0][0]  # noqa: E731
    return {"strict load": strict, "loaded": count("orders"), "quarantined": count("quarantine"),
            "revenue": float(sum(r[1] for r in con.sql(REVENUE.format(src="orders")).fetchall()))}


def scan_costs(folder: Path, repeat: int = 5) -> pd.DataFrame:
    """Bytes one revenue query must read, and its best time, over raw JSON, Parquet and the table."""
    folder = Path(folder)
    con = engines.duckdb()
    load_warehouse(folder, con)
    parquet = folder.parent / f"{folder.name}.parquet"
    con.execute(f"COPY orders TO '{parquet}' (FORMAT parquet)")
    json_bytes = sum(p.stat().st_size for p in folder.glob("*.jsonl"))
    # a columnar file is read by column: the query needs three of six
    needed = con.sql(f"SELECT sum(total_compressed_size) FROM parquet_metadata('{parquet}') "
                     "WHERE path_in_schema IN ('country', 'status', 'amount')").fetchall()[0][0]
    sources = {"raw JSON (lake, schema on read)": (f"read_json('{_glob(folder)}', columns = {TYPED!r}, ignore_errors = true)", json_bytes),
               "Parquet (lake, curated)": (f"read_parquet('{parquet}')", int(needed)),
               "typed table (warehouse)": ("orders", None)}
    rows = []
    for name, (src, read) in sources.items():
        sql = REVENUE.format(src=src)
        rows.append({"source": name, "bytes_read": read, "seconds": best_of(lambda: con.sql(sql).fetchall(), repeat=repeat)})
    frame = pd.DataFrame(rows)
    frame["x_table_time"] = frame["seconds"] / frame["seconds"].iloc[-1]
    return frame
