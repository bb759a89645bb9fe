"""Phase 1 of a metadata pipeline: everything wrong with the dict that shows without reading data.

Pure Python, no Spark: the shape of the dict, every operation and its parameters (from
``labs.pipelines.metadata_ops``), and the flow of column names from step to step (a
rename of a column that is not there, a partition column missing from the output). The
grader runs these checks on a learner's metadata before anything else.

    >>> meta = {"source": {"type": "csv", "path": "orders.csv", "schema": ["id", "amount"]},
    ...         "transforms": [{"op": "rename", "columns": {"amount": "total"}}],
    ...         "destination": {"type": "parquet", "path": "out"}}
    >>> check_metadata(meta)
    ['id', 'total']
"""
from __future__ import annotations

from pathlib import PurePath

import pandas as pd

from labs._check import is_whole
from labs.pipelines.metadata_ops import OPS, describe_step, did_you_mean, missing_columns

SOURCE_TYPES = ("csv", "json", "parquet")
DESTINATION_TYPES = ("csv", "json", "parquet")
WRITE_MODES = ("overwrite", "overwrite_partitions", "append")
DEFAULT_MAX_PARTITIONS = 1000
_TOP = ({"source", "transforms", "destination"}, {"name"})
_SOURCE = ({"type", "path", "schema"}, {"options", "allow_extra_columns"})
_DESTINATION = ({"type", "path"}, {"partition_by", "mode", "quarantine_path", "max_partitions", "options"})


class MetadataError(ValueError):
    """The metadata (or the source it points at) is wrong; found before any data moved."""

    def __init__(self, pipeline: str, problems: list[str], phase: str = "metadata"):
        self.pipeline, self.problems, self.phase = pipeline, list(problems), phase
        head = f"pipeline {pipeline!r}: {len(self.problems)} problem{'s' if len(self.problems) > 1 else ''} in the {phase}"
        super().__init__(head + ":\n" + "\n".join(f"  - {p}" for p in self.problems))


def _choose_from(word, choices) -> str:
    """The sentence that lists the valid choices, with a suggestion for a typo."""
    return f"choose from {', '.join(choices)}{did_you_mean(word, choices)}"


def _check_keys(where: str, value, keys: tuple[set, set], problems: list[str]) -> bool:
    required, optional = keys
    if not isinstance(value, dict):
        problems.append(f"{where} must be a dict; got {type(value).__name__}")
        return False
    for key in sorted(required - value.keys()):
        problems.append(f"{where} lacks the key {key!r}")
    for key in sorted(value.keys() - required - optional):
        problems.append(f"{where} has an unknown key {key!r}: {_choose_from(key, sorted(required | optional))}")
    return not (required - value.keys())


def _is_text(value) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _text_list(value) -> bool:
    return isinstance(value, list) and bool(value) and all(_is_text(v) for v in value)


def _text_map(value) -> bool:
    return isinstance(value, dict) and bool(value) and all(_is_text(k) and _is_text(v) for k, v in value.items())


def _source_columns(source: dict, problems: list[str]) -> list[str] | None:
    schema = source.get("schema")
    if _text_list(schema):
        if len(set(schema)) != len(schema):
            problems.append("source.schema names a column twice")
        return list(schema)
    if _text_map(schema):
        return list(schema)
    problems.append("source.schema must be a non-empty list of column names or a dict {column: Spark type}")
    return None


def _check_step(i: int, step, columns: list[str] | None, problems: list[str]) -> list[str] | None:
    """Check one transform; return the columns after it (None once they are unknown)."""
    if not isinstance(step, dict):
        problems.append(f"transforms[{i}] must be a dict with an 'op'; got {type(step).__name__}")
        return None
    op = step.get("op")
    if op not in OPS:
        problems.append(f"transforms[{i}]: unknown op {op!r}; {_choose_from(op, list(OPS))}")
        return None
    spec, where = OPS[op], f"transforms[{i}] ({op})"
    params = {k: v for k, v in step.items() if k != "op"}
    before = len(problems)
    for key in sorted(spec.required.keys() - params.keys()):
        problems.append(f"{where} lacks the parameter {key!r}")
    for key in sorted(params.keys() - spec.required.keys() - spec.optional.keys()):
        problems.append(f"{where} has an unknown parameter {key!r}: "
                        f"{_choose_from(key, sorted(spec.required | spec.optional)) if spec.required or spec.optional else 'it takes none'}")
    for key, value in params.items():
        kind = spec.required.get(key) or spec.optional.get(key)
        if kind is str and not _is_text(value):
            problems.append(f"{where}: {key} must be non-empty text; got {value!r}")
        elif kind is list and not _text_list(value):
            problems.append(f"{where}: {key} must be a non-empty list of column names; got {value!r}")
        elif kind is dict and not _text_map(value):
            problems.append(f"{where}: {key} must be a non-empty dict of text to text; got {value!r}")
    if len(problems) > before or columns is None:
        return None
    spec_after, step_problems = spec.columns_after(params, columns)
    problems += [f"{where}: {p}" for p in step_problems]
    return None if step_problems else spec_after


def _check_destination(dest: dict, columns: list[str] | None, has_gate: bool, problems: list[str]) -> None:
    if dest.get("type") not in DESTINATION_TYPES:
        problems.append(f"destination.type {dest.get('type')!r} is not supported; {_choose_from(dest.get('type'), DESTINATION_TYPES)}")
    if not _is_text(dest.get("path")):
        problems.append("destination.path must be a non-empty path")
    mode = dest.get("mode", "overwrite")
    if mode not in WRITE_MODES:
        problems.append(f"destination.mode {mode!r} is not supported; {_choose_from(mode, WRITE_MODES)}")
    partition_by = dest.get("partition_by", [])
    if partition_by != [] and not _text_list(partition_by):
        problems.append(f"destination.partition_by must be a list of column names; got {partition_by!r}")
        partition_by = []
    if mode == "overwrite_partitions" and not partition_by:
        problems.append("destination.mode 'overwrite_partitions' needs partition_by")
    if columns is not None and partition_by:
        problems += [f"destination.partition_by: {m.replace('here', 'in the output')}"
                     for m in missing_columns(partition_by, columns, "partition column")]
        if set(columns) <= set(partition_by):
            problems.append("destination.partition_by uses every output column: nothing would be left inside the files")
    max_partitions = dest.get("max_partitions", DEFAULT_MAX_PARTITIONS)
    if not is_whole(max_partitions) or max_partitions < 1:
        problems.append(f"destination.max_partitions must be a positive whole number; got {max_partitions!r}")
    if "options" in dest and not isinstance(dest["options"], dict):
        problems.append("destination.options must be a dict")
    if has_gate and not _is_text(dest.get("quarantine_path")):
        problems.append("destination.quarantine_path is needed: a quality_gate step sends failing rows there")
    if not has_gate and "quarantine_path" in dest:
        problems.append("destination.quarantine_path is set but no quality_gate step sends rows there")


def column_flow(meta) -> tuple[list[tuple[str, list[str] | None]], list[str]]:
    """``([(step label, columns after it), ...], problems)``: what the metadata does to the columns.

    Pure Python, so it runs anywhere (the grader uses it). Columns become None after a
    step that cannot be followed (an unknown op, a bad parameter).
    """
    problems: list[str] = []
    flow: list[tuple[str, list[str] | None]] = []
    if not _check_keys("the metadata", meta, _TOP, problems):
        return flow, problems
    if "name" in meta and not _is_text(meta["name"]):
        problems.append("name must be non-empty text")
    source, columns = meta["source"], None
    if _check_keys("source", source, _SOURCE, problems):
        if source["type"] not in SOURCE_TYPES:
            problems.append(f"source.type {source['type']!r} is not supported; {_choose_from(source['type'], SOURCE_TYPES)}")
        if not _is_text(source["path"]):
            problems.append("source.path must be a non-empty path")
        if "options" in source and not isinstance(source["options"], dict):
            problems.append("source.options must be a dict")
        if not isinstance(source.get("allow_extra_columns", False), bool):
            problems.append("source.allow_extra_columns must be True or False")
        columns = _source_columns(source, problems)
    flow.append(("read", columns))
    transforms = meta["transforms"]
    if not isinstance(transforms, list):
        problems.append(f"transforms must be a list of steps; got {type(transforms).__name__}")
        transforms = []
    gates = [i for i, s in enumerate(transforms) if isinstance(s, dict) and s.get("op") == "quality_gate"]
    if len(gates) > 1:
        problems.append(f"only one quality_gate step is allowed; found {len(gates)} (merge their rules)")
    for i, step in enumerate(transforms):
        columns = _check_step(i, step, columns, problems)
        label = step.get("op") if isinstance(step, dict) else "?"
        flow.append((f"{i}: {label}", columns))
    if _check_keys("destination", meta["destination"], _DESTINATION, problems):
        _check_destination(meta["destination"], columns, bool(gates), problems)
    return flow, problems


def metadata_problems(meta) -> list[str]:
    """Everything wrong with ``meta`` that can be seen without reading data (empty when fine).

        >>> metadata_problems({"source": {"type": "xml", "path": "a", "schema": ["id"]},
        ...                    "transforms": [{"op": "renam", "columns": {"id": "key"}}],
        ...                    "destination": {"type": "parquet", "path": "b", "partition_by": ["day"]}})
        ["source.type 'xml' is not supported; choose from csv, json, parquet", "transforms[0]: unknown op 'renam'; choose from filter, rename, add_column, cast, drop, select, dedupe, quality_gate (did you mean 'rename'?)"]
    """
    return column_flow(meta)[1]


def check_metadata(meta) -> list[str]:
    """The output columns of ``meta``; raises ``MetadataError`` listing every problem found."""
    flow, problems = column_flow(meta)
    if problems:
        raise MetadataError(pipeline_name(meta), problems)
    return flow[-1][1]


def pipeline_name(meta) -> str:
    return meta.get("name", "pipeline") if isinstance(meta, dict) and _is_text(meta.get("name")) else "pipeline"




def plan_table(meta) -> pd.DataFrame:
    """The metadata as a table, step by step, with the columns after each step (no Spark)."""
    check_metadata(meta)
    flow = column_flow(meta)[0]
    source, dest = meta["source"], meta["destination"]
    rows = [("read", f"{source['type']} {PurePath(source['path']).name}", ", ".join(flow[0][1]))]
    for step, (_, columns) in zip(meta["transforms"], flow[1:]):
        rows.append((step["op"], describe_step(step), ", ".join(columns)))
    parts = dest.get("partition_by", [])
    rows.append(("write", f"{dest['type']} {PurePath(dest['path']).name}"
                 + (f", partitioned by {', '.join(parts)}" if parts else ""), ", ".join(flow[-1][1])))
    return pd.DataFrame(rows, columns=["op", "detail", "columns after"])
