"""Every notebook, replayed for real.

- solutions/: strict ``pytest --nbval`` (outputs identical to the committed ones) with
  ``GRADER_STRICT=1`` (every check correct), against a shared Spark Connect server: the
  proof that notebooks run unchanged on a remote Spark.
- notebooks/: the unanswered learner copy under ``--nbval-lax`` with ``GRADER_STRICT=1``:
  every cell but the check cells runs clean, and every check cell fails as "not attempted".
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import nbformat
import pytest

import grader
from labs import paths

ROOT = paths.root()
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
SECTIONS = ["Interview questions", "Concepts", "Lab", "Exercises", "Interview drill", "Summary"]
CHECK = re.compile(r'nb\.check\(\s*"([A-Za-z0-9_]+)"')


@pytest.fixture(scope="module")
def spark_remote():
    """One Spark Connect server for all replays: kernels connect in ~1 s instead of starting a JVM each."""
    from labs.connect_server import ConnectServer

    with ConnectServer(startup_timeout=600) as server:  # generous: a loaded CI machine starts a JVM slowly
        yield server.url


def _replay(path, mode: str, tmp_path, spark_remote: str, strict: bool):
    env = {**os.environ, "KIT_STATE_DIR": str(tmp_path / "state"), "SPARK_REMOTE": spark_remote}
    if nbformat.read(path, as_version=4).metadata.get("kit", {}).get("spark_connect", True) is False:
        env.pop("SPARK_REMOTE")  # the notebook says why it needs a local session
    env.pop("GRADER_EXPORT_DIR", None)
    env.pop("GRADER_STRICT", None)
    if strict:
        env["GRADER_STRICT"] = "1"
    report = tmp_path / "cells.xml"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", mode, str(path), "-p", "no:cacheprovider", "-q",
         "--nbval-cell-timeout=300", f"--junitxml={report}", "-o", "addopts="],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=1200,
    )
    return run, report


def _failures(report) -> list[str]:
    """The failure (or error) text of every cell that did not pass."""
    texts = []
    for case in ET.parse(report).iter("testcase"):
        bad = case.find("failure") if case.find("failure") is not None else case.find("error")
        if bad is not None:
            texts.append(bad.get("message", "") + (bad.text or ""))
    return texts


def _check_cells(nb) -> list[str]:
    return [m.group(1) for c in nb.cells if c.cell_type == "code" for m in CHECK.finditer(c.source)]


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_notebook_shape(path):
    nb = nbformat.read(path, as_version=4)
    name = nb.metadata["kit"]["notebook"]
    assert name == path.stem
    ids = [c.id for c in nb.cells]
    assert len(ids) == len(set(ids)), "cell ids must be unique and stable"
    if name != "00-start-here":
        headings = [line[3:].strip() for c in nb.cells if c.cell_type == "markdown"
                    for line in c.source.splitlines() if line.startswith("## ")]
        assert [h for h in headings if h in SECTIONS] == SECTIONS, "the six sections, in order"
    checked = set(_check_cells(nb))
    assert checked == set(grader.start(name).ids()), "every exercise has a check cell, and no check is unknown"


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_solution_replays_exactly_and_passes_every_check(path, tmp_path, spark_remote):
    run, _ = _replay(path, "--nbval", tmp_path, spark_remote, strict=True)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_learner_copy_runs_clean_and_every_check_is_not_attempted(path, tmp_path, spark_remote):
    learner = ROOT / "notebooks" / path.name
    # a cell with several checks stops at its first failure: count cells, not checks
    check_cells = [c for c in nbformat.read(learner, as_version=4).cells if c.cell_type == "code" and CHECK.search(c.source)]
    run, report = _replay(learner, "--nbval-lax", tmp_path, spark_remote, strict=True)
    failures = _failures(report)
    not_attempted = [f for f in failures if "CheckFailed" in f and "not attempted" in f]
    others = [f[:1500] for f in failures if f not in not_attempted]
    assert not others, "cells other than checks failed in the unanswered notebook:\n" + "\n---\n".join(others)
    assert len(not_attempted) == len(check_cells), run.stdout[-3000:]


@pytest.mark.parametrize("path", SOLUTIONS + sorted((ROOT / "notebooks").glob("*.ipynb")),
                         ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_notebook_opens_unmodified_and_without_dead_widgets(path):
    """JupyterLab rewrites any other kernelspec (the tab then shows unsaved changes at once), and a
    widget saved without its state shows as a dead progress bar or "model not found"."""
    from grader.execute import WIDGET_VIEW
    from grader.release import KERNELSPEC

    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.get("kernelspec") == KERNELSPEC
    assert "widgets" not in nb.metadata
    dead = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
            for o in c.outputs if WIDGET_VIEW in o.get("data", {})]
    assert not dead, f"cells {dead} keep widget outputs without their state"


# -- the README's notebook table says what each notebook teaches ------------------------------
ID = r"(?:Q\d+\.\d+|A\d+|D\d+|E1|M1|R1|S1|N1)"


def _curriculum() -> list[str]:
    """Every id of the material, in its order (Q1.1 ... Q12.2, A1 ..., D1 ..., E1, M1, R1, S1, N1)."""
    import json

    return [item["id"] for item in json.loads((ROOT / "drills" / "data" / "curriculum.json").read_text())["items"]]


def _expand(text: str) -> set[str]:
    """Question ids in text, ranges such as Q3.1–Q3.4, D1–D11 or Q1.1–Q12.2 spelled out."""
    order = _curriculum()
    ids = set(re.findall(ID, text))
    for first, last in re.findall(rf"({ID})\s*[–-]\s*({ID})", text):
        if first in order and last in order and first[0] == last[0]:
            ids |= set(order[order.index(first):order.index(last) + 1])
    return ids


def _readme_rows() -> dict[str, str]:
    rows = {}
    for line in (ROOT / "README.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and re.fullmatch(r"`\d\d-[a-z0-9-]+`", cells[0]):
            rows[cells[0].strip("`")] = cells[2]
    return rows


def _section(nb, title: str) -> str:
    text, inside = [], False
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            if line.startswith("## "):
                inside = line[3:].strip().startswith(title)
            elif inside:
                text.append(line)
    return "\n".join(text)


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_readme_ids_match_what_the_notebook_says_it_teaches(path):
    nb = nbformat.read(path, as_version=4)
    claimed = set(nb.metadata["kit"]["covers"])
    row = _readme_rows()[path.stem]
    readme = _expand(row)
    if "all Q and A" in row:
        readme |= {i for i in claimed if re.fullmatch(r"Q\d+\.\d+|A\d+", i)}
    assert readme == claimed, f"README row {sorted(readme)} vs notebook {sorted(claimed)}"
    taught_here = _expand(_section(nb, "Interview questions"))
    assert claimed <= taught_here, f"claimed but not in 'Interview questions': {sorted(claimed - taught_here)}"
    spec = {c for ex in grader.start(path.stem).exercises.values() for c in ex.covers}
    assert spec <= claimed, f"exercises cover ids the notebook does not claim: {sorted(spec - claimed)}"
