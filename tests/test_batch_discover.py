"""Finding submissions: learner names, which spec, unreadable files, bad usage."""
from __future__ import annotations

import json

import pytest

from grader.batch.discover import UsageError, discover, learner_from_stem, read_problem

KNOWN = ["00-start-here"]


def notebook(path, spec="00-start-here", cells=(), **kit):
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata = {"kit": {"notebook": spec, **kit}} if spec else {}
    path.write_text(json.dumps({"cells": [{"cell_type": "code", "source": s, "metadata": {}, "outputs": [],
                                           "execution_count": None} for s in cells],
                                "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}))
    return path


def names(subs):
    return [(s.learner, s.notebook, s.problem) for s in subs]


def test_a_folder_per_learner_names_the_learner(tmp_path):
    notebook(tmp_path / "class" / "alice" / "00-start-here.ipynb")
    notebook(tmp_path / "class" / "bob" / "deep" / "my work.ipynb")
    assert names(discover([tmp_path / "class"])) == [("alice", "00-start-here", None), ("bob", "00-start-here", None)]


def test_flat_files_are_named_by_their_stem_less_the_notebook_name(tmp_path):
    notebook(tmp_path / "class" / "alice_00-start-here.ipynb")
    notebook(tmp_path / "class" / "Bob Smith - 00-start-here (1).ipynb")
    notebook(tmp_path / "carol" / "00-start-here.ipynb")
    subs = discover([tmp_path / "class", tmp_path / "carol" / "00-start-here.ipynb"])
    assert [s.learner for s in subs] == ["alice", "Bob Smith", "carol"]


@pytest.mark.parametrize("stem, learner", [
    ("alice_00-start-here", "alice"), ("00-start-here-bob", "bob"), ("00-start-here", ""),
    ("carol", "carol"), ("dave - 00-start-here (2)", "dave"),
])
def test_learner_from_stem(stem, learner):
    assert learner_from_stem(stem, KNOWN) == learner


def test_the_spec_comes_from_metadata_then_file_name_then_the_class(tmp_path):
    notebook(tmp_path / "c" / "alice.ipynb")                           # metadata
    notebook(tmp_path / "c" / "bob_00-start-here.ipynb", spec=None)    # file name
    notebook(tmp_path / "c" / "carol.ipynb", spec=None)                # the class's one notebook
    notebook(tmp_path / "c" / "dave.ipynb", spec="no-such-notebook")   # unknown: the class's too
    assert {s.learner: s.notebook for s in discover([tmp_path / "c"])} == {
        "alice": "00-start-here", "bob": "00-start-here", "carol": "00-start-here", "dave": "00-start-here"}


def test_a_notebook_that_cannot_tell_its_spec_is_a_problem_not_a_crash(tmp_path):
    notebook(tmp_path / "c" / "alice.ipynb", spec=None)
    [sub] = discover([tmp_path / "c"])
    assert sub.notebook is None and "--notebook" in sub.problem
    [sub] = discover([tmp_path / "c"], notebook="00-start-here")
    assert sub.notebook == "00-start-here" and sub.problem is None


def test_hidden_folders_and_checkpoints_are_skipped(tmp_path):
    notebook(tmp_path / "c" / "alice.ipynb")
    notebook(tmp_path / "c" / ".ipynb_checkpoints" / "alice-checkpoint.ipynb")
    notebook(tmp_path / "c" / "bob" / ".hidden" / "x.ipynb")
    assert [s.learner for s in discover([tmp_path / "c"])] == ["alice"]


def test_unreadable_files_are_kept_with_a_reason(tmp_path):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "broken.ipynb").write_text('{"cells": [')
    (tmp_path / "c" / "list.ipynb").write_text("[1, 2]")
    (tmp_path / "c" / "binary.ipynb").write_bytes(b"\xff\xfe\x00")
    notebook(tmp_path / "c" / "fine.ipynb")
    problems = {s.learner: s.problem for s in discover([tmp_path / "c"])}
    assert problems["fine"] is None
    assert problems["broken"].startswith("the file is not valid JSON")
    assert problems["list"] == "the file is JSON but not a Jupyter notebook (it has no list of cells)"
    assert "not UTF-8" in problems["binary"]


def test_read_problem_checks_cells():
    bad = json.dumps({"cells": [{"source": "x"}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    assert "a cell has no type" in read_problem(bad.encode())[1]


def test_two_files_of_one_learner_are_told_apart(tmp_path):
    notebook(tmp_path / "c" / "alice" / "00-start-here.ipynb")
    notebook(tmp_path / "c" / "alice" / "00-start-here (copy).ipynb")
    subs = discover([tmp_path / "c"])
    assert len({s.learner for s in subs}) == 2
    assert all(s.learner.startswith("alice (") for s in subs)


def test_bad_usage_says_so_in_one_sentence(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        discover([tmp_path / "nowhere"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match=r"No notebooks \(\*\.ipynb\) were found"):
        discover([tmp_path / "empty"])
    notebook(tmp_path / "c" / "a.ipynb")
    with pytest.raises(UsageError, match="No exercises are defined for notebook '99-nothing'"):
        discover([tmp_path / "c"], notebook="99-nothing")


def test_a_notebook_may_ask_for_its_own_spark(tmp_path):
    notebook(tmp_path / "c" / "alice.ipynb")
    notebook(tmp_path / "c" / "bob.ipynb", spark_connect=False)
    assert {s.learner: s.spark_connect for s in discover([tmp_path / "c"])} == {"alice": True, "bob": False}
