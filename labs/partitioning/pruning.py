"""Partitioned Parquet and partition pruning: reading the plans of DuckDB and Spark.

A hive-style layout puts each value of the partition column in its own folder
(``txn_date=2024-03-01/part-0.parquet``). An engine that sees a filter on that
column can skip whole folders before it opens a file: *partition pruning*. This
module reads the engines' plans to show whether a query prunes.

DuckDB, on the ``transactions_by_day`` data set (366 day folders):

    >>> from labs.data import ensure
    >>> from labs.engines import duckdb
    >>> con = duckdb()
    >>> folder = ensure("transactions", progress=False)["transactions_by_day"]
    >>> duckdb_view(con, folder, "txns")
    >>> scan = duckdb_scan(con, "SELECT count(*) FROM txns WHERE txn_date = '2024-03-01'")
    >>> scan.prunes, scan.files_read, scan.files_total
    (True, 1, 366)
    >>> duckdb_scan(con, "SELECT count(*) FROM txns WHERE month(txn_date) = 3").prunes
    False

Spark: ``spark_scan(df)`` pulls ``PartitionFilters`` (folders skipped while listing)
and ``PushedFilters`` (row groups skipped by Parquet statistics) out of the
formatted plan, captured with ``contextlib.redirect_stdout`` so it works the same on
classic Spark and on Spark Connect.
"""
from __future__ import annotations

import contextlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SCANNING = re.compile(r"Scanning Files: (\d+)/(\d+)")
_FILES_READ = re.compile(r"Total Files Read: (\d+)")
_EXPR_ID = re.compile(r"#\d+L?")  # Spark's expression ids (txn_date#8) change from run to run


def _check_name(name: str, what: str = "name") -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"{what} must be a plain SQL identifier such as 'txns', not {name!r}.")
    return name


def _sql_text(path) -> str:
    return str(path).replace("'", "''")


def parquet_files(folder) -> list[Path]:
    """The Parquet files under ``folder`` (every partition), sorted."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"folder must be an existing folder of Parquet files; {folder.name!r} is not one.")
    return sorted(folder.rglob("*.parquet"))


def write_partitioned(con, query: str, folder, by) -> Path:
    """Write the rows of ``query`` as hive-partitioned Parquet under ``folder`` (replaced if present).

    ``by`` is a column name or a list of them. Rows are sorted by the partition
    columns first, so each folder gets one file.
    """
    columns = [by] if isinstance(by, str) else list(by)
    if not columns:
        raise ValueError("by must name at least one partition column.")
    for column in columns:
        _check_name(column, "by")
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    cols = ", ".join(columns)
    con.execute(f"COPY (SELECT * FROM ({query}) ORDER BY {cols}) TO '{_sql_text(folder)}' "
                f"(FORMAT parquet, COMPRESSION zstd, PARTITION_BY ({cols}), OVERWRITE)")
    return folder


def duckdb_view(con, folder, name: str = "txns") -> None:
    """Create (or replace) view ``name`` over the hive-partitioned Parquet under ``folder``."""
    _check_name(name)
    parquet_files(folder)  # a clear error for a missing folder, before DuckDB's own
    con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM "
                f"read_parquet('{_sql_text(Path(folder))}/**/*.parquet', hive_partitioning = true)")


@dataclass
class DuckScan:
    """What DuckDB's plans say about the Parquet scans of one query.

    - ``scans``: Parquet scans in the plan (a subquery on the same view is a second scan);
    - ``planned``: (files kept, files in all) of each scan that prunes while planning;
    - ``files_read``: files actually opened, summed over scans (from EXPLAIN ANALYZE);
    - ``files_total``: files of one full scan.
    """
    scans: int
    planned: list[tuple[int, int]] = field(default_factory=list)
    files_read: int | None = None
    files_total: int | None = None

    @property
    def prunes(self) -> bool:
        """True when every scan skips files before reading anything."""
        return self.scans > 0 and len(self.planned) == self.scans and all(k < n for k, n in self.planned)

    def summary(self) -> str:
        read = "?" if self.files_read is None else f"{self.files_read:,}"
        total = "?" if self.files_total is None else f"{self.files_total:,}"
        how = "pruned while planning" if self.prunes else "no pruning in the plan"
        return f"reads {read} of {total} files ({how})"


def duckdb_plan(con, sql: str, analyze: bool = False) -> str:
    """DuckDB's physical plan of ``sql`` as text (``analyze=True`` runs the query and adds what happened)."""
    rows = con.execute(("EXPLAIN ANALYZE " if analyze else "EXPLAIN ") + sql).fetchall()
    return "\n".join(str(row[1]) for row in rows)


def duckdb_scan(con, sql: str, analyze: bool = True, files_total: int | None = None) -> DuckScan:
    """Read the plan of ``sql``: how many Parquet files it keeps while planning, and reads.

    ``analyze=False`` only plans the query (nothing runs, ``files_read`` stays None).
    ``files_total`` (the files of the whole data set, e.g. ``len(parquet_files(folder))``)
    is otherwise taken from the plan where it says.
    """
    plan = duckdb_plan(con, sql)
    planned = [(int(k), int(n)) for k, n in _SCANNING.findall(plan)]
    scan = DuckScan(scans=plan.count("READ_PARQUET"), planned=planned)
    if analyze:
        profile = duckdb_plan(con, sql, analyze=True)
        scan.files_read = sum(int(n) for n in _FILES_READ.findall(profile))
        if not planned and scan.scans == 1:
            scan.files_total = scan.files_read  # an unpruned single scan opens every file
    if planned:
        scan.files_total = max(n for _, n in planned)
    if files_total is not None:
        scan.files_total = files_total
    return scan


# --- Spark -----------------------------------------------------------------------------

def spark_read(spark, folder):
    """A Spark DataFrame over the hive-partitioned Parquet under ``folder``.

    For a local folder, Spark is told to list partitions on the driver: it takes
    milliseconds, where its parallel listing (used above 32 folders) launches a
    Spark job. On object storage with thousands of folders, keep the parallel listing.
    """
    path = str(folder)
    if "://" not in path or path.startswith("file:"):
        parquet_files(folder)
        spark.conf.set("spark.sql.sources.parallelPartitionDiscovery.threshold", "100000")
    return spark.read.parquet(path)


def plan_text(df, mode: str = "formatted") -> str:
    """The text ``df.explain(mode)`` prints, captured instead of printed.

    The text holds absolute paths (``Location: ...``): print the parts you need, not all of it.
    """
    modes = ("simple", "extended", "codegen", "cost", "formatted")
    if mode not in modes:
        raise ValueError(f"mode must be one of {', '.join(modes)}, not {mode!r}.")
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        df.explain(mode)
    return buffer.getvalue()


@dataclass
class SparkScan:
    """The filters of the file scans in a Spark plan (expression ids removed).

    - ``partition_filters``: evaluated on folder names: whole partitions skipped;
    - ``pushed_filters``: handed to the Parquet reader: row groups skipped by min/max;
    - ``data_filters``: filters on data columns, applied to the rows read.
    """
    partition_filters: list[str]
    pushed_filters: list[str]
    data_filters: list[str]

    @property
    def prunes(self) -> bool:
        """True when a filter other than ``isnotnull(...)`` applies to the partition folders."""
        return any(not f.startswith("isnotnull(") for f in self.partition_filters)


def _bracketed(plan: str, label: str) -> list[str]:
    found = []
    for line in plan.splitlines():
        line = line.strip()
        if line.startswith(label + ": [") and line.endswith("]"):
            inner = _EXPR_ID.sub("", line[len(label) + 3:-1])
            found += [part.strip() for part in _split_top_level(inner) if part.strip()]
    return found


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside brackets: 'f(a, b), c' -> ['f(a, b)', 'c']."""
    parts, depth, current = [], 0, []
    for char in text:
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def spark_scan(df) -> SparkScan:
    """The scan filters of ``df``'s physical plan (nothing is run)."""
    plan = plan_text(df, "formatted")
    return SparkScan(_bracketed(plan, "PartitionFilters"), _bracketed(plan, "PushedFilters"),
                     _bracketed(plan, "DataFilters"))


def partitions(folder) -> pd.DataFrame:
    """One row per partition folder: the folder name (``txn_date=2024-03-01``) and its file count."""
    folder = Path(folder)
    files = parquet_files(folder)
    names = pd.Series(["/".join(f.relative_to(folder).parts[:-1]) for f in files], name="partition")
    counts = names.value_counts().sort_index()
    return counts.rename("files").rename_axis("partition").reset_index()
