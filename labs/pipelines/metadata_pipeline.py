"""A metadata-driven pipeline on Spark: a pipeline is a dict, and one engine runs every such dict.

Onboarding a new data set then means writing metadata, not code::

    ORDERS_BY_MONTH = {
        "name": "orders_by_month",
        "source": {"type": "parquet", "path": "datasets/.../orders.parquet",
                   "schema": {"order_id": "bigint", "order_date": "date", "status": "string",
                              "channel": "string", "total_amount": "double"},
                   "allow_extra_columns": True},
        "transforms": [
            {"op": "filter", "condition": "status = 'completed'"},
            {"op": "rename", "columns": {"total_amount": "amount"}},
            {"op": "add_column", "name": "order_month", "expr": "date_format(order_date, 'yyyy-MM')"},
        ],
        "destination": {"type": "parquet", "path": "out/orders_by_month", "partition_by": ["order_month"]},
    }
    result = run_pipeline(spark, ORDERS_BY_MONTH)
    result.table()      # one row per step: what it did and how many rows came out

Nothing is read or written until the whole plan is known to be valid. A run goes
through four phases, and each finds its own kind of mistake:

1. ``check_metadata``: the shape of the dict, every operation and its parameters, and the
   flow of column names from step to step (a rename of a column that is not there, a
   partition column missing from the output). Pure Python: no Spark needed.
2. The source schema: the columns found in the source against the declared ones; the
   error names the missing and the unexpected columns.
3. The plan: every step applied to an *empty* DataFrame with the source's schema, so that
   Spark's analyser rejects a bad SQL expression or an unknown column, naming the step,
   while no data moves.
4. The run: read, transform, gate, write (Parquet/CSV/JSON, partitioned), logging each
   step with its row count.

Errors: ``MetadataError`` (a ``ValueError``) for everything found in phases 1-3;
``QualityGateFailed`` when too many rows break the rules; ``PipelineRunError`` when Spark
fails while the data moves (a value that cannot be cast, a malformed CSV line). Spark is
lazy: a bad value surfaces at the first action that needs it, often the write, because a
row count does not even read the columns it does not need.

The operations (``OPS``): filter, rename, add_column, cast, drop, select, dedupe and
quality_gate. Everything runs through DataFrames and SQL expressions only, so the same
metadata runs on a local session and on Spark Connect.

This module gathers the pipeline's parts under one name; each lives in its own module:

- ``metadata_ops``: the ``OPS`` table, one entry per operation (parameters, columns,
  description, Spark code);
- ``metadata_check``: phase 1, pure Python (``check_metadata``, ``column_flow``, ``plan_table``);
- ``metadata_run``: phases 2 to 4 on Spark (``validate``, ``run_pipeline``, ``run_on_rows``);
- ``spark_errors``: Spark's errors in one sentence (``spark_reason``, ``quiet_spark_errors``).

    >>> metadata_problems({"source": {"type": "csv", "path": "a.csv", "schema": ["id"]},
    ...                    "transforms": [{"op": "drop", "columns": ["id"]}],
    ...                    "destination": {"type": "parquet", "path": "out"}})
    ['transforms[0] (drop): dropping every column leaves nothing to write']
"""
from labs.pipelines.metadata_check import (DEFAULT_MAX_PARTITIONS, DESTINATION_TYPES, SOURCE_TYPES, WRITE_MODES,
                                           MetadataError, check_metadata, column_flow, metadata_problems,
                                           pipeline_name, plan_table)
from labs.pipelines.metadata_ops import OPS, OpSpec, describe_step
from labs.pipelines.metadata_run import (PipelineRunError, QualityGateFailed, RunResult, StepRecord, run_on_rows,
                                         run_pipeline, validate)
from labs.pipelines.spark_errors import quiet_spark_errors, spark_reason

__all__ = ["DEFAULT_MAX_PARTITIONS", "DESTINATION_TYPES", "OPS", "SOURCE_TYPES", "WRITE_MODES", "MetadataError",
           "OpSpec", "PipelineRunError", "QualityGateFailed", "RunResult", "StepRecord", "check_metadata",
           "column_flow", "describe_step", "metadata_problems", "pipeline_name", "plan_table", "quiet_spark_errors",
           "run_on_rows", "run_pipeline", "spark_reason", "validate"]
