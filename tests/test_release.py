import json

import nbformat
import pytest

from grader.release import ReleaseError, learner_copy, release, strip_solutions
from labs import paths


def test_top_level_region_becomes_ellipsis_assignments():
    src = "import x\n# BEGIN SOLUTION\na = 1\nb, c = 2, 3\n# END SOLUTION\nprint(a)"
    assert strip_solutions(src) == "import x\n# TODO: your code here\na = ...\nb = ...\nc = ...\nprint(a)"


def test_region_in_function_body_raises_not_implemented():
    src = "def f(x):\n    # BEGIN SOLUTION\n    return x * 2\n    # END SOLUTION"
    assert strip_solutions(src) == 'def f(x):\n    # TODO: your code here\n    raise NotImplementedError("your code here")'


def test_explicit_stub_lines_win():
    src = "# BEGIN SOLUTION\n# STUB: query = \"SELECT ...\"\nquery = 'select 1'\n# END SOLUTION"
    assert strip_solutions(src) == '# TODO: your code here\nquery = "SELECT ..."'


@pytest.mark.parametrize("src, problem", [
    ("# BEGIN SOLUTION\nx = 1", "no matching"),
    ("x = 1\n# END SOLUTION", "without a BEGIN"),
    ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION", "nested"),
])
def test_broken_markers_are_clear_errors(src, problem):
    with pytest.raises(ReleaseError, match=problem):
        strip_solutions(src, "x.ipynb, cell 3")


def test_learner_copy_clears_outputs_and_keeps_ids():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("# BEGIN SOLUTION\nx = 1\n# END SOLUTION")])
    nb.cells[0].id = "keep-me"
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", text="hi")]
    nb.cells[0].execution_count = 3
    out = learner_copy(nb)
    assert out.cells[0].id == "keep-me" and out.cells[0].outputs == [] and out.cells[0].execution_count is None
    assert nb.cells[0].outputs  # the source notebook is untouched


def test_release_writes_and_then_reports_nothing_stale(tmp_path):
    sol, out = tmp_path / "solutions", tmp_path / "notebooks"
    sol.mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("# BEGIN SOLUTION\ny = 2\n# END SOLUTION")]), sol / "01-x.ipynb")
    assert [p.name for p in release(sol, out)] == ["01-x.ipynb"]
    assert release(sol, out, check_only=True) == []
    (out / "99-orphan.ipynb").write_text("{}")
    assert [p.name for p in release(sol, out, check_only=True)] == ["99-orphan.ipynb"]


def test_malformed_solution_notebook_is_named(tmp_path):
    sol = tmp_path / "solutions"
    sol.mkdir()
    (sol / "05-bad.ipynb").write_text("{ not json")
    with pytest.raises(ReleaseError, match="05-bad.ipynb is not a valid notebook"):
        release(sol, tmp_path / "notebooks")


def test_committed_learner_notebooks_are_up_to_date():
    """notebooks/ is generated: run `python -m grader release` after editing solutions/."""
    stale = release(paths.root() / "solutions", paths.root() / "notebooks", check_only=True)
    assert stale == [], f"stale learner notebooks: {[p.name for p in stale]}; run `python -m grader release`"


def test_learner_notebooks_contain_no_solution():
    for path in (paths.root() / "notebooks").glob("*.ipynb"):
        text = json.dumps(json.loads(path.read_text()))
        assert "BEGIN SOLUTION" not in text, path.name
