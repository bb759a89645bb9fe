"""Run a notebook top to bottom in a fresh kernel and store its outputs (for ``solutions/``).

The kernel does not copy the JVM's stderr into cells (``capture_fd_output=False``):
otherwise Spark's start-up lines land in the stored outputs but never appear when
``pytest --nbval`` replays the notebook, and the replay fails.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from grader.release import KERNELSPEC

# log_level=ERROR: the kernel's start-up warnings (such as "running over TCP without
# encryption" on a local machine) are noise to a learner and in CI logs
KERNEL_ARGS = ["--IPKernelApp.capture_fd_output=False", "--IPKernelApp.log_level=ERROR"]


def execute(path: Path, timeout: int = 600, env: dict | None = None) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}},
                            extra_arguments=KERNEL_ARGS)
    saved = dict(os.environ)
    os.environ.update(env or {})
    os.environ.setdefault("PYTEST_CURRENT_TEST", "grader-execute")  # the same quiet mode as a replay
    try:
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return nb


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def without_widget_outputs(outputs: list) -> list:
    """Outputs minus live widgets: saved without their state, a progress bar shows as a dead "0%"
    and a flashcard as "model not found". A learner gets them live when the cell runs."""
    return [o for o in outputs if WIDGET_VIEW not in o.get("data", {})]


def execute_in_place(path: Path, timeout: int = 600) -> None:
    nb = execute(path, timeout)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)  # timestamps would make every run a diff
        if cell.cell_type == "code":
            cell.outputs = without_widget_outputs(cell.outputs)
    nb.metadata.pop("widgets", None)  # widget state carries random model ids: a diff on every run
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    tmp = path.with_suffix(".ipynb.tmp")
    tmp.write_text(nbformat.writes(nb) + "\n")
    tmp.replace(path)
    print(f"executed {path.name}", file=sys.stderr)
