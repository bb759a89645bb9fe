"""The drills notebook: its shape (the replays are in test_notebooks.py, with every other notebook)."""

import re

import nbformat

import grader
from drills import curriculum
from labs import paths

NAME = "90-interview-drills"
SOLUTION = paths.root() / "solutions" / f"{NAME}.ipynb"
SECTIONS = ["Interview questions", "Concepts", "Lab", "Exercises", "Interview drill", "Summary"]


def test_notebook_shape():
    nb = nbformat.read(SOLUTION, as_version=4)
    assert nb.metadata["kit"]["notebook"] == NAME
    ids = [c.id for c in nb.cells]
    assert len(ids) == len(set(ids)) and not any(i.startswith("cell-") for i in ids)
    sections = [h for h in curriculum.headings(SOLUTION) if h in SECTIONS]
    assert sections == SECTIONS, "the six sections, in CONTRIBUTING.md's order"
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert code.count("# BEGIN SOLUTION") == code.count("# END SOLUTION") == 12  # 2 choices, 5 estimates, 5 designs
    checked = set(re.findall(r'nb\.check\("([a-z0-9_]+)"', code))
    assert checked == set(grader.start(NAME).ids()), "every exercise of the spec has a check cell"

# The strict replay of the solution and the lax run of the learner copy are in tests/test_notebooks.py,
# which replays every notebook the same way.
