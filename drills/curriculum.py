"""The curriculum: every item of the source material and where the kit covers it.

``drills/data/curriculum.json`` lists all 68 items (Q1.1 ... Q12.2, A1 ... A12, D1 ... D11, E1,
M1, R1, S1, N1) with their section and, for each, the bank entries, design drills and
notebook sections that cover it. A notebook section is written ``"NN-name#anchor"``, where
the anchor is the slug of a Markdown heading in ``solutions/NN-name.ipynb``:

    >>> slug("Drill 1 · A fault-tolerant clickstream pipeline (Q1.1)")
    'drill-1-a-fault-tolerant-clickstream-pipeline-q1-1'

(The slug is the kit's own rule: lower case, every run of other characters becomes one
hyphen. It is close to, but not the same as, the anchors GitHub or JupyterLab generate.)
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat

from drills.bank import BANK_DIR

FILE = BANK_DIR / "curriculum.json"
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


def load(path: Path | None = None) -> list[dict]:
    """The items in curriculum order: {"id", "section", "bank", "drills", "notebooks"}."""
    data = json.loads(Path(path or FILE).read_text(encoding="utf-8"))
    return data["items"]


def slug(heading: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")


def headings(notebook: Path) -> list[str]:
    """The Markdown headings of a notebook, in order (fenced code blocks skipped)."""
    nb = nbformat.read(notebook, as_version=4)
    found = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        fenced = False
        for line in cell.source.splitlines():
            if line.lstrip().startswith("```"):
                fenced = not fenced
            elif not fenced and (m := _HEADING.match(line)):
                found.append(m.group(2))
    return found


def anchors(notebook: Path) -> set[str]:
    return {slug(h) for h in headings(notebook)}


def resolve(link: str, folder: Path) -> tuple[str, str]:
    """Check one ``"NN-name#anchor"`` link against the notebooks in ``folder``.

    Returns ``("ok", "")``, ``("absent", why)`` when the notebook does not exist (yet), or
    ``("broken", why)`` when the notebook exists but has no heading with that anchor.
    """
    name, _, anchor = link.partition("#")
    path = Path(folder) / f"{name}.ipynb"
    if not path.exists():
        return "absent", f"{name}.ipynb is not in {Path(folder).name}/"
    if not anchor:
        return "ok", ""
    known = anchors(path)
    if anchor in known:
        return "ok", ""
    return "broken", f"{name}.ipynb has no heading whose anchor is '{anchor}' (anchors: {', '.join(sorted(known))})"
