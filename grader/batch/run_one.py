"""Execute one submission in a fresh kernel: the child process that ``supervise`` starts.

    python grader/batch/run_one.py work/00-start-here.ipynb --report run.json --cell-timeout 120

It runs every code cell in order, keeps going after a cell that fails (so one broken cell
costs only the exercises that depend on it), interrupts a cell that runs past
``--cell-timeout`` and moves on, and writes what happened to ``--report`` as JSON::

    {"status": "finished" | "kernel died" | "unreadable" | "kernel did not start",
     "cells": 40, "errors": [{"cell": 12, "ename": "NameError", "evalue": "..."}],
     "timeouts": [17], "died_in_cell": null, "died_line": "", "output_mb": 0.1, "message": ""}

The cell being run is written to ``--cell-file`` as it starts, so the parent can say which
cell was running when it had to stop the notebook. Outputs are counted, not kept: the
grade comes from the answers the kernel exports, and a cell that prints gigabytes must
not fill this process's memory.

Cells tagged ``skip-grading`` are not run: a lab cell that starts Spark costs a JVM per
submission (10 s or more) and no exercise needs it. A notebook tags such cells so that
batch grading stays fast; a learner running the notebook is not affected by the tag.

Usually the grader forks this runner from a warm server that has nbclient imported
already (see ``launch``). Where it cannot, it runs this file by path, not with ``-m``:
``-m`` would import the ``grader`` package first, and with it pandas, for nothing (about a
second per submission). So it imports only the standard library, nbformat, nbclient,
``labs._atomic`` and its sibling ``run_status.py``, loaded as a file on its own.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

if __name__ == "__main__":
    # Run by path, this file's folder is first on sys.path: keep its sibling modules
    # (cache.py, judge.py, ...) from shadowing any library module of the same name.
    _here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _here]

# jsonschema builds a large grammar for IRI checks at import (~3 s) when rfc3987_syntax is
# installed; notebooks never need it, and this process starts once per submission.
sys.modules.setdefault("rfc3987_syntax", None)

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbclient.exceptions import DeadKernelError  # noqa: E402

from labs import _atomic  # noqa: E402  (the standard library only)


def _sibling(name: str):
    """A module of this folder loaded on its own, without the ``grader`` package (and pandas) around it."""
    spec = importlib.util.spec_from_file_location(f"_run_one_{name}", Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


if __package__:  # imported as grader.batch.run_one (the warm server): the package is loaded already
    from grader.batch.run_status import RunStatus
else:
    RunStatus = _sibling("run_status").RunStatus

# The kernel does not copy the JVM's stderr into outputs (they are dropped anyway, and the
# copying thread costs time); history off: learners' code stays out of the instructor's
# IPython history, and parallel kernels do not fight over its SQLite lock. Kernel warnings
# off: the run's log should end with what went wrong, not with start-up notices.
KERNEL_ARGS = ["--IPKernelApp.capture_fd_output=False", "--HistoryManager.enabled=False",
               "--IPKernelApp.log_level=ERROR"]
MAX_TEXT = 300  # characters of an error message worth keeping
SKIP_TAG = "skip-grading"


def _write_json(path: Path, data: dict) -> None:
    _atomic.write_text(path, json.dumps(data))


def _short(text, limit: int = MAX_TEXT) -> str:
    text = str(text).strip()
    return text if len(text) <= limit else text[:limit] + "…"


def _first_line(source: str) -> str:
    lines = [line for line in source.splitlines() if line.strip()]
    return _short(lines[0], 60) if lines else ""


def _failure(exc: Exception) -> str:
    return _short(f"{type(exc).__name__}: {exc}")


def _output_size(content: dict) -> int:
    """Characters of text or data in one output message."""
    if "text" in content:
        return len(content["text"])
    data = content.get("data") or {}
    return sum(len(v) if isinstance(v, str) else len(json.dumps(v)) for v in data.values())


class CountingClient(NotebookClient):
    """A notebook client that counts the characters of every output instead of keeping it."""

    output_chars = 0

    def output(self, outs, msg, display_id, cell_index):
        self.output_chars += _output_size(msg.get("content", {}))
        return None


class Recorder:
    """What one run has done so far; nbclient calls ``on_cell_start`` and ``on_cell_error``.

    The cell about to run goes to ``cell_file`` (the parent reads it if it has to stop the
    notebook), and after every failed cell the report so far goes to ``report``, should the
    run be killed before it ends.
    """

    def __init__(self, cells: int, report: Path, cell_file: Path):
        self.report, self.cell_file = report, cell_file
        self.run = {"status": RunStatus.FINISHED, "cells": cells, "errors": [], "timeouts": [],
                    "died_in_cell": None, "died_line": "", "output_mb": 0.0, "message": ""}
        self.cell, self.line = None, ""  # the cell running, numbered from 1, and its first line

    def on_cell_start(self, cell, cell_index):
        if cell.cell_type == "code" and cell.source.strip() and SKIP_TAG not in cell.metadata.get("tags", []):
            self.cell, self.line = cell_index + 1, _first_line(cell.source)
            _write_json(self.cell_file, {"cell": self.cell, "of": self.run["cells"], "line": self.line})

    def on_cell_error(self, cell, cell_index, execute_reply):
        content = execute_reply.get("content", {})
        if content.get("ename") == "CellTimeoutError":
            self.run["timeouts"].append(cell_index + 1)
        else:
            self.run["errors"].append({"cell": cell_index + 1, "line": _first_line(cell.source),
                                       "ename": _short(content.get("ename", "Error"), 80),
                                       "evalue": _short(content.get("evalue", ""))})
        _write_json(self.report, dict(self.run, status=RunStatus.RUNNING))

    def kernel_died(self, message: str = "") -> None:
        self.run.update(status=RunStatus.KERNEL_DIED, died_in_cell=self.cell, died_line=self.line)
        if message:
            self.run["message"] = message


def _client(nb, notebook: Path, cell_timeout: float, recorder: Recorder) -> CountingClient:
    return CountingClient(
        nb, timeout=cell_timeout, kernel_name="python3", allow_errors=True,
        interrupt_on_timeout=True,
        # after interrupting a cell that ran too long, record it as a failed cell and go on
        error_on_timeout={"ename": "CellTimeoutError",
                          "evalue": f"the cell ran longer than {cell_timeout:g} s and was interrupted",
                          "traceback": []},
        extra_arguments=KERNEL_ARGS, resources={"metadata": {"path": str(notebook.parent)}},
        skip_cells_with_tag=SKIP_TAG,
        on_cell_start=recorder.on_cell_start, on_cell_error=recorder.on_cell_error,
    )


def execute(notebook: Path, report: Path, cell_file: Path, cell_timeout: float) -> dict:
    """Run the notebook; return (and write to ``report``) what happened."""
    try:
        nb = nbformat.reads(notebook.read_text(encoding="utf-8"), as_version=4)
    except Exception as exc:  # bad JSON, not a notebook, an unknown format version
        run = Recorder(0, report, cell_file).run
        run.update(status=RunStatus.UNREADABLE, message=_failure(exc))
        _write_json(report, run)
        return run
    recorder = Recorder(len(nb.cells), report, cell_file)
    client = _client(nb, notebook, cell_timeout, recorder)
    try:
        client.execute()
    except DeadKernelError:
        recorder.kernel_died()
    except Exception as exc:  # nbclient's own failures: no cell ran yet means the kernel never started
        if recorder.cell is None:  # the machine's problem, not the learner's
            recorder.run.update(status=RunStatus.KERNEL_DID_NOT_START, message=_failure(exc))
        else:
            recorder.kernel_died(_failure(exc))
    run = recorder.run
    run["output_mb"] = round(client.output_chars / 1e6, 3)
    _write_json(report, run)
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Execute one submitted notebook for grading.")
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--report", type=Path, required=True, help="where to write what happened (JSON)")
    parser.add_argument("--cell-file", type=Path, required=True, help="where to write the running cell")
    parser.add_argument("--cell-timeout", type=float, default=120)
    args = parser.parse_args(argv)
    execute(args.notebook, args.report, args.cell_file, args.cell_timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
