"""A small orders table written as Delta, and what its transaction log says about each commit.

A Delta table is a folder of Parquet files plus ``_delta_log/``: one JSON file per commit, each
line one action. ``add`` names a data file that joins the table, ``remove`` one that leaves it
(the file stays on disk until VACUUM), ``metaData`` the schema, ``commitInfo`` what ran. A reader
replays the log to know which files make up a version; a commit is the atomic creation of the
next numbered file, which is what makes a write all-or-nothing.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "orders"
    >>> create_orders(path, n=400)
    3
    >>> [(e["version"], e["operation"], e["actions"].get("add", 0)) for e in log_entries(path)][:2]
    [(0, 'WRITE', 1), (1, 'WRITE', 1)]
    >>> files, size = files_and_bytes(path)
    >>> files >= 1 and size > 0
    True
    >>> read(path, 0).num_rows, dataset(path).count_rows()
    (200, 369)

``read`` and ``dataset`` are how to get a table's rows into pandas or DuckDB
(``read(path, version).to_pandas()``, ``con.register("orders", dataset(path))``). They read the files
the log names with pyarrow, because ``DeltaTable.to_pandas()``, ``to_pyarrow_table()`` and
``to_pyarrow_dataset()`` in delta-rs 1.6.6 sometimes abort the Python process when it exits
("terminate called without an active exception"), and because a filter on a text column fails
on a dataset mixing the files delta-rs rewrote (Arrow string views) with the others.
"""
from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd

from labs._check import whole
from labs.lakehouse._delta import dataset, new_table_path, open_table, quiet, read, table_path

__all__ = ["COUNTRIES", "create_orders", "dataset", "email", "files_and_bytes", "files_on_disk", "log_entries",
           "log_frame", "orders_frame", "read"]

COUNTRIES = ("DE", "FR", "GB", "NL", "PL", "SE")
START = dt.date(2026, 1, 1)


def email(customer_id: int) -> str:
    """The e-mail address the generator gives a customer (the personal value erasure looks for)."""
    return f"customer{int(customer_id):04d}@example.com"


def orders_frame(n: int = 2000, seed: int = 7, first_id: int = 1) -> pd.DataFrame:
    """``n`` seeded orders: ids from ``first_id``, one customer per ten orders on average, 90 days."""
    n, seed = whole(n, "n", at_least=1), whole(seed, "seed", at_least=0)
    rng = np.random.default_rng(seed)
    customers = rng.integers(1, max(n // 10, 2) + 1, n)
    return pd.DataFrame({
        "order_id": np.arange(first_id, first_id + n, dtype="int64"),
        "customer_id": customers.astype("int64"),
        "email": [email(c) for c in customers],
        "country": rng.choice(COUNTRIES, n),
        "status": rng.choice(["placed", "cancelled"], n, p=[0.9, 0.1]),
        "amount": np.round(rng.uniform(5, 500, n), 2),
        "order_date": [START + dt.timedelta(days=int(d)) for d in rng.integers(0, 90, n)],
    })


def create_orders(path, n: int = 2000, seed: int = 7) -> int:
    """Write ``n`` orders as a new Delta table in four commits; returns the latest version (3).

    Version 0 writes the first half, 1 appends the second, 2 marks January's placed orders
    shipped (an UPDATE, which rewrites files), 3 deletes the cancelled ones.
    """
    from deltalake import write_deltalake

    n = whole(n, "n", at_least=2)
    path = new_table_path(path)
    frame = orders_frame(n, seed)
    half = n // 2
    with quiet():
        write_deltalake(str(path), frame.iloc[:half].reset_index(drop=True))
        write_deltalake(str(path), frame.iloc[half:].reset_index(drop=True), mode="append")
        table = open_table(path)
        table.update(updates={"status": "'shipped'"},
                     predicate="status = 'placed' AND order_date < '2026-02-01'")
        table.delete("status = 'cancelled'")
        return open_table(path).version()


def _commits(path: Path) -> list[Path]:
    return sorted((path / "_delta_log").glob("*.json"), key=lambda p: int(p.stem))


def log_entries(path) -> list[dict]:
    """Each commit in the log, oldest first: version, operation, actions counted, files added and removed."""
    path = table_path(path)
    entries = []
    for commit in _commits(path):
        actions, added, removed, info = Counter(), [], [], {}
        for line in commit.read_text().splitlines():
            if not line.strip():
                continue
            action = json.loads(line)
            (kind, body), = action.items()
            actions[kind] += 1
            if kind == "add":
                added.append(body["path"])
            elif kind == "remove":
                removed.append(body["path"])
            elif kind == "commitInfo":
                info = body
        entries.append({
            "version": int(commit.stem), "operation": info.get("operation", "?"),
            "log_file": f"_delta_log/{commit.name}", "actions": dict(actions),
            "files_added": added, "files_removed": removed,
        })
    return entries


def log_frame(path) -> pd.DataFrame:
    """``log_entries`` as one row per commit, with counts instead of file lists (for printing)."""
    rows = [{"version": e["version"], "operation": e["operation"],
             "actions": ", ".join(f"{k} {v}" for k, v in sorted(e["actions"].items())),
             "files added": len(e["files_added"]), "files removed": len(e["files_removed"])}
            for e in log_entries(path)]
    return pd.DataFrame(rows)


def files_and_bytes(path, version: int | None = None) -> tuple[int, int]:
    """(data files, their bytes) that make up the table at its latest version (or ``version``)."""
    import pyarrow as pa

    table = open_table(path, _version(version))
    with quiet():
        actions = pa.table(table.get_add_actions(flatten=True))
    return actions.num_rows, int(sum(actions.column("size_bytes").to_pylist()))


def files_on_disk(path) -> tuple[int, int]:
    """(Parquet files, bytes) in the table's folder, whether the latest version uses them or not."""
    path = table_path(path)
    files = [p for p in path.rglob("*.parquet") if "_delta_log" not in p.parts]
    return len(files), sum(p.stat().st_size for p in files)


def _version(version):
    return None if version is None else whole(version, "version", at_least=0)
