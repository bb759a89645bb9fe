"""The examples in docstrings are tests too: a learner who copies one must see what it says."""
import doctest
import importlib
import os
import pkgutil

import pytest

import drills
import grader
import labs


def _modules():
    for package in (labs, grader, drills):
        yield package.__name__  # the package's own docstring has an example too
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not info.name.endswith("__main__"):
                yield info.name


@pytest.mark.parametrize("name", sorted(_modules()))
def test_docstring_examples(name, tmp_path, monkeypatch):
    monkeypatch.setenv("KIT_STATE_DIR", str(tmp_path))
    saved = dict(os.environ)
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    os.environ.clear()
    os.environ.update(saved)  # a docstring example may set variables; keep them out of other tests
    assert result.failed == 0
