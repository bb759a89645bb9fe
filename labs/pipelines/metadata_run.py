"""Phases 2 to 4 of a metadata pipeline, on Spark: the source's schema, the plan, the run.

``validate`` reads only what finding the source's columns needs and applies every step to
an *empty* DataFrame, so that Spark's analyser rejects a bad expression before any data
moves; ``run_pipeline`` then reads, transforms, gates and writes, one ``StepRecord`` per
step; ``run_on_rows`` runs the steps on a few hand-made rows instead of the source. Each
step's behaviour comes from its entry in ``labs.pipelines.metadata_ops.OPS``.

    >>> RunResult("orders", [StepRecord(0, "read", "csv orders.csv", 3, 2)]).table()
       step    op          detail  rows  columns
    0     0  read  csv orders.csv     3        2
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import PurePath

import pandas as pd

from labs.pipelines.metadata_check import DEFAULT_MAX_PARTITIONS, MetadataError, check_metadata, pipeline_name
from labs.pipelines.metadata_ops import OPS, describe_step
from labs.pipelines.spark_errors import analysed, quiet_spark_errors, spark_exception, spark_reason

log = logging.getLogger(__name__)
# Spark type names people write, mapped to the name Spark reports for a column
_TYPE_ALIASES = {"integer": "int", "long": "bigint", "short": "smallint", "byte": "tinyint", "real": "float",
                 "decimal": "decimal(10,0)", "dec": "decimal(10,0)", "numeric": "decimal(10,0)", "bool": "boolean"}


class QualityGateFailed(RuntimeError):
    """Too many rows broke the rules: the run stops before writing anything."""


class PipelineRunError(RuntimeError):
    """Spark failed while the data was moving; the message names the step."""


# --- phase 2: the source's schema ----------------------------------------------------------------
def _read_source(spark, source: dict):
    """The source as a typed, lazy DataFrame with exactly the declared columns, and a note."""
    from pyspark.sql import functions as F

    kind, path = source["type"], str(source["path"])
    declared = source["schema"]
    names = list(declared)
    options = {"header": "true"} if kind == "csv" else {}
    if kind in ("csv", "json"):
        options["mode"] = "FAILFAST"  # a malformed line fails the run instead of becoming a silent NULL
    options.update({k: str(v) for k, v in source.get("options", {}).items()})
    raw = spark.read.format(kind).options(**options).load(path)
    found = list(raw.columns)  # csv: the header; json: inferred; parquet: the file's schema
    missing = [c for c in names if c not in found]
    extra = [c for c in found if c not in names]
    problems = []
    if missing:
        problems.append(f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
    if extra and not source.get("allow_extra_columns", False):
        problems.append(f"unexpected column{'s' if len(extra) > 1 else ''} {', '.join(extra)} "
                        "(declare them, or set source.allow_extra_columns to drop them)")
    if isinstance(declared, dict) and kind == "parquet" and not missing:
        actual = {f.name: f.dataType.simpleString() for f in raw.schema.fields}
        for name, wanted in declared.items():
            want = _TYPE_ALIASES.get(wanted.strip().lower(), wanted.strip().lower().replace(" ", ""))
            if actual[name] != want:
                problems.append(f"column {name} is {actual[name]} in the source, not {wanted} "
                                "(fix the schema, or add a cast step)")
    if problems:
        return None, [f"{PurePath(path).name}: {p}" for p in problems]
    if isinstance(declared, dict) and kind != "parquet":  # csv and json carry no types of their own
        df = raw.select(*[F.col(c).cast(t).alias(c) for c, t in declared.items()])
    else:
        df = raw.select(*names)
    return df, []


# --- phase 3: the plan, on no rows --------------------------------------------------------------
def _apply(df, step: dict):
    """One step on a DataFrame: ``(result, quarantined or None)``."""
    return OPS[step["op"]].apply(df, step)  # check_metadata rejects unknown ops first


def _analyse_plan(meta, source_df) -> list[str]:
    """Apply every step to an empty DataFrame; Spark's analyser checks each expression."""
    df = source_df.limit(0)
    for i, step in enumerate(meta["transforms"]):
        spec, where, columns = OPS[step["op"]], f"transforms[{i}] ({step['op']})", list(df.columns)
        try:
            analysed(_apply(df, step)[0])
        except spark_exception() as exc:
            found = spec.plan_problems(df, step)
            if found:
                return [f"{where}: {p}" for p in found]
            subject = spec.subject(step)
            reason = spark_reason(exc, columns)
            return [f"{where}: {subject} is not valid here: {reason}" if subject else f"{where}: {reason}"]
        df = _apply(df, step)[0]
    return []


# --- the run ---------------------------------------------------------------------------------
@dataclass
class StepRecord:
    """One step of a run: what it did, the rows and columns after it, and how long it took."""
    step: int
    op: str
    detail: str
    rows: int
    columns: int
    seconds: float = 0.0


@dataclass
class RunResult:
    """What a run did: its steps, the output's columns and the rows written and quarantined."""
    name: str
    steps: list[StepRecord] = field(default_factory=list)
    output_columns: list[str] = field(default_factory=list)
    rows_written: int = 0
    rows_quarantined: int = 0
    partitions: int = 0

    def table(self, timings: bool = False) -> pd.DataFrame:
        """One row per step; ``timings`` adds the seconds each step took."""
        frame = pd.DataFrame([vars(s) for s in self.steps])
        return frame if timings else frame.drop(columns="seconds")


def validate(spark, meta):
    """Phases 1 to 3: the output columns and the typed source, or a ``MetadataError``. Reads no data
    beyond what finding the source's columns needs (a CSV header, Parquet footers)."""
    check_metadata(meta)
    name = pipeline_name(meta)
    PySparkException = spark_exception()
    with quiet_spark_errors():
        try:
            source_df, problems = _read_source(spark, meta["source"])
            if source_df is not None:
                analysed(source_df)
        except PySparkException as exc:
            raise MetadataError(name, [f"source: {spark_reason(exc)}"], "source schema") from None
        if problems:
            raise MetadataError(name, problems, "source schema")
        problems = _analyse_plan(meta, source_df)
    if problems:
        raise MetadataError(name, problems, "plan")
    return source_df


def run_on_rows(spark, meta, rows: pd.DataFrame):
    """The steps of ``meta`` applied to ``rows`` instead of its source: a lazy DataFrame; nothing is written.

    ``rows`` holds source values as text, the way a CSV file holds them (None for an empty
    field); the declared schema types them as a read would. The same checks as a run come
    first (``MetadataError`` for the metadata and the plan), so trying a pipeline on a few
    hand-made rows (an old and a new version of one key, a row on a day boundary) shows what
    each step really does::

        rows = pd.DataFrame({"id": ["1", "1"], "v": ["old", "new"], "ts": ["1", "2"]})
        run_on_rows(spark, meta, rows).toPandas()
    """
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    check_metadata(meta)
    declared = meta["source"]["schema"]
    names = list(declared)
    missing = [c for c in names if c not in rows.columns]
    if missing:
        raise ValueError(f"rows lack the declared column(s) {', '.join(missing)}.")
    text = [tuple(None if v is None or (isinstance(v, float) and v != v) else str(v) for v in row)
            for row in rows[names].itertuples(index=False)]
    schema = T.StructType([T.StructField(c, T.StringType()) for c in names])
    with quiet_spark_errors():
        df = spark.createDataFrame(text, schema).coalesce(1)  # one partition: the rows keep their order
        if isinstance(declared, dict):
            df = df.select(*[F.col(c).cast(t).alias(c) for c, t in declared.items()])
        problems = _analyse_plan(meta, df)
    if problems:
        raise MetadataError(pipeline_name(meta), problems, "plan")
    for step in meta["transforms"]:
        df = _apply(df, step)[0]
    return df


def run_pipeline(spark, meta) -> RunResult:
    """Validate the whole plan, then read, transform, gate and write; one ``StepRecord`` per step."""
    source_df = validate(spark, meta)
    name, source, dest = pipeline_name(meta), meta["source"], meta["destination"]
    result = RunResult(name)
    PySparkException = spark_exception()

    def record(step, op, detail, rows, df, started):
        rec = StepRecord(step, op, detail, int(rows), len(df.columns), round(time.perf_counter() - started, 3))
        result.steps.append(rec)
        log.info("pipeline %s: step %s %s (%s): %s rows", name, step, op, detail, rows)

    with quiet_spark_errors():
        where = "read"
        try:
            started = time.perf_counter()
            df = source_df
            rows = df.count()
            record(0, "read", f"{source['type']} {PurePath(str(source['path'])).name}", rows, df, started)
            quarantined = None
            for i, step in enumerate(meta["transforms"], start=1):
                where, started = f"transforms[{i - 1}] ({step['op']})", time.perf_counter()
                rows_in = rows
                df, q = _apply(df, step)
                detail = describe_step(step)
                if OPS[step["op"]].changes_rows:
                    rows = df.count()
                if q is not None:
                    quarantined, result.rows_quarantined = q, q.count()
                    detail += f"; {result.rows_quarantined:,} rows quarantined"
                    limit = step.get("max_failed_fraction", 1.0)
                    if rows_in and result.rows_quarantined / rows_in > limit:
                        raise QualityGateFailed(
                            f"pipeline {name!r}: {result.rows_quarantined:,} of {rows_in:,} rows "
                            f"({result.rows_quarantined / rows_in:.1%}) broke the rules of {where}, more than "
                            f"max_failed_fraction={limit:g}; nothing was written.")
                record(i, step["op"], detail, rows, df, started)
            where, started = "write", time.perf_counter()
            result.partitions = _write(df, dest, name)
            if quarantined is not None:
                quarantined.write.mode("append" if dest.get("mode") == "append" else "overwrite") \
                    .parquet(str(dest["quarantine_path"]))
        except PySparkException as exc:
            raise PipelineRunError(f"pipeline {name!r}: {where} failed while running: {spark_reason(exc)}") from None
    parts = dest.get("partition_by", [])
    detail = f"{dest['type']} {PurePath(str(dest['path'])).name}"
    if parts:
        detail += f", partitioned by {', '.join(parts)} ({result.partitions} partitions)"
    record(len(meta["transforms"]) + 1, "write", detail, rows, df, started)
    result.output_columns, result.rows_written = list(df.columns), rows
    return result


def _write(df, dest: dict, name: str) -> int:
    """Write ``df``; returns the number of partitions written (0 when not partitioned)."""
    parts = dest.get("partition_by", [])
    n_partitions = 0
    if parts:
        n_partitions = df.select(*parts).distinct().count()
        limit = dest.get("max_partitions", DEFAULT_MAX_PARTITIONS)
        if n_partitions > limit:
            # thousands of folders of tiny files make every later read slow: refuse, loudly
            raise PipelineRunError(
                f"pipeline {name!r}: partitioning by {', '.join(parts)} would write {n_partitions:,} partitions, "
                f"more than max_partitions={limit:,}; partition by a coarser column (a day, a month).")
    mode = dest.get("mode", "overwrite")
    writer = df.write.format(dest["type"]).mode("append" if mode == "append" else "overwrite")
    if mode == "overwrite_partitions":  # replace only the partitions present in this run
        writer = writer.option("partitionOverwriteMode", "dynamic")
    if dest["type"] == "csv":
        writer = writer.option("header", "true")
    writer = writer.options(**{k: str(v) for k, v in dest.get("options", {}).items()})
    if parts:
        writer = writer.partitionBy(*parts)
    writer.save(str(dest["path"]))
    return n_partitions
