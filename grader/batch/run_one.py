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
second per submission). So it imports only the standard library, nbformat and nbclient.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

# The kernel does not copy the JVM's stderr into outputs (they are dropped anyway, and the
# copying thread costs time); history off: learners' code stays out of the instructor's
# IPython history, and parallel kernels do not fight over its SQLite lock. Kernel warnings
# off: the run's log should end with what went wrong, not with start-up notices.
KERNEL_ARGS = ["--IPKernelApp.capture_fd_output=False", "--HistoryManager.enabled=False",
               "--IPKernelApp.log_level=ERROR"]
MAX_TEXT = 300  # characters of an error message worth keeping
SKIP_TAG = "skip-grading"


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


def _short(text, limit: int = MAX_TEXT) -> str:
    text = str(text).strip()
    return text if len(text) <= limit else text[:limit] + "…"


def _first_line(source: str) -> str:
    lines = [line for line in source.splitlines() if line.strip()]
    return _short(lines[0], 60) if lines else ""


def _output_size(content: dict) -> int:
    """Characters of text or data in one output message."""
    if "text" in content:
        return len(content["text"])
    data = content.get("data") or {}
    return sum(len(v) if isinstance(v, str) else len(json.dumps(v)) for v in data.values())


def execute(notebook: Path, report: Path, cell_file: Path, cell_timeout: float) -> dict:
    """Run the notebook; return (and write to ``report``) what happened."""
    # jsonschema builds a large grammar for IRI checks at import (~3 s) when rfc3987_syntax is
    # installed; notebooks never need it, and this process starts once per submission.
    sys.modules.setdefault("rfc3987_syntax", None)
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    run = {"status": "finished", "cells": 0, "errors": [], "timeouts": [], "died_in_cell": None,
           "died_line": "", "output_mb": 0.0, "message": ""}
    try:
        nb = nbformat.reads(notebook.read_text(encoding="utf-8"), as_version=4)
    except Exception as exc:  # bad JSON, not a notebook, an unknown format version
        run.update(status="unreadable", message=_short(f"{type(exc).__name__}: {exc}"))
        _write_json(report, run)
        return run
    run["cells"] = len(nb.cells)
    current = {"cell": None, "line": ""}

    class CountingClient(NotebookClient):
        output_chars = 0

        def output(self, outs, msg, display_id, cell_index):
            self.output_chars += _output_size(msg.get("content", {}))
            return None

    def on_cell_start(cell, cell_index):
        if cell.cell_type == "code" and cell.source.strip() and SKIP_TAG not in cell.metadata.get("tags", []):
            current.update(cell=cell_index + 1, line=_first_line(cell.source))
            _write_json(cell_file, {"cell": cell_index + 1, "of": len(nb.cells), "line": current["line"]})

    def on_cell_error(cell, cell_index, execute_reply):
        content = execute_reply.get("content", {})
        if content.get("ename") == "CellTimeoutError":
            run["timeouts"].append(cell_index + 1)
        else:
            run["errors"].append({"cell": cell_index + 1, "line": _first_line(cell.source),
                                  "ename": _short(content.get("ename", "Error"), 80),
                                  "evalue": _short(content.get("evalue", ""))})
        _write_json(report, dict(run, status="running"))  # what is known so far, should the run be killed

    client = CountingClient(
        nb, timeout=cell_timeout, kernel_name="python3", allow_errors=True,
        interrupt_on_timeout=True,
        # after interrupting a cell that ran too long, record it as a failed cell and go on
        error_on_timeout={"ename": "CellTimeoutError",
                          "evalue": f"the cell ran longer than {cell_timeout:g} s and was interrupted",
                          "traceback": []},
        extra_arguments=KERNEL_ARGS, resources={"metadata": {"path": str(notebook.parent)}},
        skip_cells_with_tag=SKIP_TAG,
        on_cell_start=on_cell_start, on_cell_error=on_cell_error,
    )
    try:
        client.execute()
    except DeadKernelError:
        run.update(status="kernel died", died_in_cell=current["cell"], died_line=current["line"])
    except Exception as exc:  # nbclient's own failures: no cell ran yet means the kernel never started
        if current["cell"] is None:  # the machine's problem, not the learner's
            run.update(status="kernel did not start", message=_short(f"{type(exc).__name__}: {exc}"))
        else:
            run.update(status="kernel died", died_in_cell=current["cell"], died_line=current["line"],
                       message=_short(f"{type(exc).__name__}: {exc}"))
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
    # Run by path, this file's folder is first on sys.path: keep its sibling modules
    # (cache.py, judge.py, ...) from shadowing any library module of the same name.
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    sys.exit(main())
