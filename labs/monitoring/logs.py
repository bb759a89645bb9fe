"""Structured logs: one JSON object per line, written by ``logging``, queried with DuckDB.

Every line has the same keys, so a machine can filter and count them: ``ts`` (UTC, ISO 8601),
``level``, ``run_id``, ``task``, ``event`` (a fixed name such as ``task_finished``, never a sentence
with values in it) and ``fields`` (the values: rows, seconds, the error). ``JsonFormatter`` is a
plain ``logging.Formatter``; the pipeline logs with ``extra=``:

    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "run.jsonl"
    >>> with json_logger(path) as log:
    ...     log.info("task_finished", extra={"run_id": "r1", "task": "load", "fields": {"rows": 5},
    ...                                      "ts": "2024-06-01T02:30:00Z"})
    >>> print(path.read_text().strip())
    {"ts": "2024-06-01T02:30:00Z", "level": "INFO", "run_id": "r1", "task": "load", "event": "task_finished", "fields": {"rows": 5}}
    >>> query(path, "select task, cast(fields.rows as int) as rows from logs").values.tolist()
    [['load', 5]]
    >>> import shutil; shutil.rmtree(path.parent)

``write_run_logs`` writes the log of every run of a ``metrics.simulate_runs`` month; the queries
are the first things an on-call engineer asks of a log: ``errors_per_task``, ``first_error`` of a
run, ``slowest_tasks``.
"""
from __future__ import annotations

import contextlib
import itertools
import json
import logging
import re
from pathlib import Path

import pandas as pd

from labs import _atomic, engines
from labs._check import whole

KEYS = ("ts", "level", "run_id", "task", "event", "fields")
# task -> share of the run's duration (the tasks run one after another)
TASK_SHARE = {"extract": 0.3, "transform": 0.5, "load": 0.2}
_counter = itertools.count()


class JsonFormatter(logging.Formatter):
    """A record as one JSON line with ``KEYS``; ``extra={"ts": ...}`` overrides the wall clock."""

    def format(self, record: logging.LogRecord) -> str:
        ts = getattr(record, "ts", None)
        if ts is None:
            ts = pd.Timestamp(record.created, unit="s", tz="UTC").strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        line = {"ts": str(ts), "level": record.levelname, "run_id": getattr(record, "run_id", None),
                "task": getattr(record, "task", None), "event": record.getMessage(),
                "fields": getattr(record, "fields", None) or {}}
        return json.dumps(line, default=str)


@contextlib.contextmanager
def json_logger(path):
    """A logger that writes JSON lines to ``path`` (appending), closed when the block ends.

    Its own name and ``propagate=False``: nothing reaches the root logger, so a notebook cell
    shows no log lines and no other handler receives them.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise ValueError(f"the folder for the log {path.name!r} does not exist.")
    logger = logging.getLogger(f"labs.monitoring.logs.{next(_counter)}")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    try:
        yield logger
    finally:
        logger.removeHandler(handler)
        handler.close()


def _iso(ts: pd.Timestamp) -> str:
    return pd.Timestamp(ts).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_run_logs(runs: pd.DataFrame, path) -> Path:
    """The log lines of every run in ``runs`` (``simulate_runs(...).runs``), written atomically to ``path``.

    Per task: ``task_started`` and ``task_finished`` (rows, duration_s); ``records_rejected`` as a
    WARNING when transform rejects rows; a failed run logs ``task_failed`` (ERROR, with the
    exception) in transform and stops there.
    """
    needed = {"run_id", "started_at", "status", "duration_s", "rows_in", "rows_out", "errors"}
    if not isinstance(runs, pd.DataFrame) or not needed <= set(runs.columns):
        raise ValueError(f"runs must be a frame with the columns {', '.join(sorted(needed))} (simulate_runs().runs).")
    path = Path(path)
    with _atomic.replacing(path) as tmp, json_logger(tmp) as log:
        for run in runs.sort_values("started_at").itertuples():
            at = pd.Timestamp(run.started_at)
            base = {"run_id": run.run_id}
            log.info("run_started", extra={**base, "task": None, "ts": _iso(at), "fields": {"day": str(run.day.date())}})
            for task, share in TASK_SHARE.items():
                seconds = round(run.duration_s * share / (0.8 if run.status == "failed" else 1), 1)
                log.info("task_started", extra={**base, "task": task, "ts": _iso(at)})
                if run.status == "failed" and task == "transform":
                    at += pd.Timedelta(seconds=round(run.duration_s - run.duration_s * 0.3 / 0.8, 1))
                    log.error("task_failed", extra={**base, "task": task, "ts": _iso(at), "fields": {
                        "exception": "ValueError: amount is not a number: 'N/A'", "attempt": int(run.attempt)}})
                    break
                at += pd.Timedelta(seconds=seconds)
                rows = run.rows_in if task == "extract" else run.rows_out
                if task == "transform" and run.errors:
                    log.warning("records_rejected", extra={**base, "task": task, "ts": _iso(at),
                                                           "fields": {"rows": int(run.errors)}})
                log.info("task_finished", extra={**base, "task": task, "ts": _iso(at),
                                                 "fields": {"rows": int(rows), "duration_s": seconds}})
            log.log(logging.INFO if run.status == "success" else logging.ERROR, "run_finished",
                    extra={**base, "task": None, "ts": _iso(at), "fields": {"status": run.status}})
    return path


def query(path, sql: str) -> pd.DataFrame:
    """Run ``sql`` on DuckDB over the log file, which the query names ``logs``.

    ``fields.name`` is shorthand for ``(fields->>'name')``, the key's value as text: cast it.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no log file {path.name!r} there: write it first (write_run_logs).")
    if not isinstance(sql, str) or not sql.strip():
        raise ValueError("sql must be a query as text over the view logs.")
    con = engines.duckdb()
    try:
        literal = str(path).replace("'", "''")
        con.execute(f"create view logs as select * from read_json('{literal}', format = 'newline_delimited', "
                    "columns = {ts: 'TIMESTAMP', level: 'VARCHAR', run_id: 'VARCHAR', task: 'VARCHAR', "
                    "event: 'VARCHAR', fields: 'JSON'})")
        return con.sql(_fields(sql)).df()
    finally:
        con.close()


def _fields(sql: str) -> str:
    """``fields.name`` in a query reads that key of the JSON column as text (``fields->>'name'``)."""
    return re.sub(r"\bfields\.([a-z_]+)", r"(fields->>'\1')", sql)


def errors_per_task(path) -> pd.DataFrame:
    """ERROR lines and rejected rows per task, most errors first."""
    return query(path, """
        select task,
               count(*) filter (where level = 'ERROR') as errors,
               cast(coalesce(sum(try_cast(fields.rows as bigint)) filter (where event = 'records_rejected'), 0)
                    as bigint) as rejected_rows
        from logs where task is not null
        group by task order by errors desc, rejected_rows desc, task""")


def first_error(path, run_id: str) -> dict:
    """The first ERROR line of a run, as a dict (``{}`` when the run logged none)."""
    if not isinstance(run_id, str) or not run_id:
        raise ValueError(f"run_id must be a run's id as text, not {run_id!r}.")
    found = query(path, f"""
        select ts, task, event, fields.exception as exception from logs
        where level = 'ERROR' and run_id = '{run_id.replace("'", "''")}' and task is not null
        order by ts limit 1""")
    return found.iloc[0].to_dict() if len(found) else {}


def slowest_tasks(path, n: int = 5) -> pd.DataFrame:
    """The ``n`` slowest finished tasks: run_id, task, started, duration_s."""
    n = whole(n, "n", at_least=1)
    return query(path, f"""
        select run_id, task, ts - to_seconds(try_cast(fields.duration_s as double)) as started,
               try_cast(fields.duration_s as double) as duration_s
        from logs where event = 'task_finished'
        order by duration_s desc, run_id, task limit {n}""")
